"""The thresholds and per-branch rules of the gate, in one place, with their documented defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

RETEST = "-retest"  # osstest blesses a retest flight `<blessing>-retest`, e.g. `real-retest`

# osstest's `select_xenbranch` (cri-common): the tree a branch tests and pushes, by branch name.
# Checked in order; the first prefix that matches wins.
_BRANCH_TREES: tuple[tuple[str, str], ...] = (
    ("xen", "xen"),
    ("qemu-mainline", "qemuu"),
    ("qemu-upstream-", "qemuu"),
    ("linuxfirmware", "linuxfirmware"),
    ("linux-", "linux"),
    ("linux", "linux"),
    ("libvirt", "libvirt"),
    ("rumpuserxen", "rumpuserxen"),
    ("seabios", "seabios"),
    ("ovmf", "ovmf"),
    ("osstest", "osstest"),
)
_EXACT = {
    "qemu-mainline",
    "linux",
    "linuxfirmware",
    "libvirt",
    "rumpuserxen",
    "seabios",
    "ovmf",
    "osstest",
}


def osstest_tree(branch: str) -> str | None:
    """Return the tree osstest tests on a branch (`xen-unstable` -> `xen`), or None if it names none."""
    for prefix, tree in _BRANCH_TREES:
        if (branch == prefix) if prefix in _EXACT else branch.startswith(prefix):
            return tree
    return None


@dataclass(frozen=True)
class Policy:
    """What the gate may treat as evidence and what it may push.

    history_flights: how many flights of a branch that ran a job are examined for it, newest
        first (osstest: 1000).
    evidence_blessings: blessings of the flights that count as evidence (osstest's production
        `--blessings=real`); a retest of an evidence flight (`real-retest`) counts too.
    branch_blessings: per-branch evidence blessings that replace the default for that branch.
    branch_trees: per-branch trees under test, replacing osstest's branch naming.
    push_blessing: the blessing a flight needs for its revisions to be pushed.
    log_urls: where a flight's logs are, `{flight}` and `{branch}` filled in; the key `""` is the
        template of every branch that has none of its own.
    window_flights: how many of a branch's newest flights feature readiness looks at.
    at_risk_below: a feature whose pass rate in the window is below this is at risk.
    """

    history_flights: int = 1000
    evidence_blessings: tuple[str, ...] = ("real",)
    branch_blessings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    branch_trees: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    push_blessing: str = "real"
    log_urls: Mapping[str, str] = field(default_factory=dict)
    window_flights: int = 10
    at_risk_below: float = 0.9

    def blessings(self, branch: str) -> frozenset[str]:
        """Return the blessings of a branch's evidence flights, their retests included."""
        own = self.branch_blessings.get(branch, self.evidence_blessings)
        return frozenset(own) | {b + RETEST for b in own if not b.endswith(RETEST)}

    def trees(self, branch: str) -> tuple[str, ...]:
        """Return the trees a branch tests and pushes: configured, else osstest's naming, else ()."""
        if branch in self.branch_trees:
            return self.branch_trees[branch]
        tree = osstest_tree(branch)
        return (tree,) if tree else ()

    def log_url(self, branch: str, flight: int) -> str | None:
        """Return the URL of a flight's logs, if a template is configured for its branch."""
        template = self.log_urls.get(branch, self.log_urls.get(""))
        if not template:
            return None
        return template.replace("{flight}", str(flight)).replace("{branch}", branch)


def is_retest(blessing: str) -> bool:
    """Tell whether a flight of this blessing is a retest of another flight's revisions."""
    return blessing.endswith(RETEST)
