"""Known issues: rules that say what some failures are, and what importing a set of them changes.

A rule matches a failing step by its job, its testid and the host it ran on (shell globs, `*`
for any) and by a regular expression searched in what the failure said: its signature
(`gate.signature`) and the first lines of its message. Several rules may match one failure:
the most specific wins, the one that constrains the most of job, testid, host and message; among
equally specific rules, the one whose name sorts first. A rule applies to every failure, past and
future: which rules were in force at a moment is the store's to say.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from enum import Enum
from fnmatch import fnmatchcase

ANY = "*"  # the glob that matches everything
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*\Z")
NAME_LIMIT = 200  # the width of triage_rule.name
GLOB_LIMIT = 200  # characters of a job, testid or host glob
REGEX_LIMIT = 500  # characters of a message's regular expression
URL_LIMIT = 2000
MESSAGE_LINES = 3  # lines of a step's message a rule's regular expression is searched in
MESSAGE_READ = 1000  # characters of a step's message read, at most, for those lines


class Kind(Enum):
    """What a known failure is."""

    PRODUCT = "product"  # a bug in what is tested, with its URL
    INFRASTRUCTURE = "infrastructure"  # the hosts, the network, the lab
    TEST = "test"  # the test is wrong
    EXPECTED = "expected"  # the failure is what should happen

    @property
    def words(self) -> str:
        """The kind as the pages say it."""
        return KIND_WORDS[self]


KIND_WORDS = {
    Kind.PRODUCT: "product bug",
    Kind.INFRASTRUCTURE: "infrastructure",
    Kind.TEST: "test bug",
    Kind.EXPECTED: "expected",
}


class RuleError(ValueError):
    """A rule that cannot be kept; the message says why in one sentence, `key` which field."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Rule:
    """A known issue: which failures it matches and what it says they are."""

    name: str
    kind: Kind
    bug_url: str = ""
    job: str = ANY
    testid: str = ANY
    message: str = ""  # a regular expression; empty matches any message
    host: str = ANY
    note: str = ""

    def __post_init__(self) -> None:
        where = f"rule {self.name!r}"
        if not (0 < len(self.name) <= NAME_LIMIT and NAME.match(self.name)):
            raise RuleError(
                "name",
                f"a rule's name is 1 to {NAME_LIMIT} letters, digits and . _ : - "
                f"(starting with a letter or digit), got {self.name!r}",
            )
        for key in ("job", "testid", "host"):
            glob = getattr(self, key)
            if not (0 < len(glob) <= GLOB_LIMIT) or not glob.isprintable():
                raise RuleError(
                    key,
                    f"{where}: `{key}` must be a glob of 1 to {GLOB_LIMIT} printable characters "
                    f"(`*` for any), got {glob!r}",
                )
        if self.kind is Kind.PRODUCT and not self.bug_url:
            raise RuleError("bug_url", f"{where}: a product rule needs the `bug_url` of its bug")
        if self.bug_url and not (
            re.match(r"https?://\S+\Z", self.bug_url) and len(self.bug_url) <= URL_LIMIT
        ):
            raise RuleError(
                "bug_url",
                f"{where}: `bug_url` must be an http:// or https:// address, got {self.bug_url!r}",
            )
        compiled(self.message, where)

    @property
    def specificity(self) -> int:
        """How many of job, testid, host and message the rule constrains."""
        globs = (self.job, self.testid, self.host)
        return sum(glob != ANY for glob in globs) + bool(self.message)


@functools.lru_cache(maxsize=1024)
def compiled(message: str, where: str = "a rule") -> re.Pattern[str]:
    """Compile a rule's regular expression, or say in one sentence why it is none."""
    if len(message) > REGEX_LIMIT:
        raise RuleError("message", f"{where}: `message` is longer than {REGEX_LIMIT} characters")
    try:
        return re.compile(message)
    except re.error as exc:
        raise RuleError(
            "message", f"{where}: `message` is not a regular expression: {exc} in {message!r}"
        ) from None


@dataclass(frozen=True)
class Failing:
    """What a rule reads of a failing step."""

    job: str
    testid: str
    host: str | None
    signature: str
    message: str | None

    @property
    def said(self) -> str:
        """The text a rule's regular expression is searched in: the signature, then the first
        MESSAGE_LINES lines of the message (its first MESSAGE_READ characters), bounding the
        cost of any expression."""
        lines = (self.message or "")[:MESSAGE_READ].splitlines()[:MESSAGE_LINES]
        return "\n".join([self.signature, *lines])


def matches(rule: Rule, failing: Failing) -> bool:
    """Say whether a rule matches a failing step."""
    return (
        fnmatchcase(failing.job, rule.job)
        and fnmatchcase(failing.testid, rule.testid)
        and (rule.host == ANY or fnmatchcase(failing.host or "", rule.host))
        and (not rule.message or compiled(rule.message).search(failing.said) is not None)
    )


def in_order(rules: Iterable[Rule]) -> list[Rule]:
    """Return rules in the order they are tried: most specific first, then by name."""
    return sorted(rules, key=lambda r: (-r.specificity, r.name))


def classify(rules: Sequence[Rule], failing: Failing) -> Rule | None:
    """Return the rule that says what a failing step is (rules given `in_order`), else None."""
    return next((rule for rule in rules if matches(rule, failing)), None)


@dataclass(frozen=True)
class Known:
    """What a rule says a failure is: the rule's name, its kind and its bug."""

    rule: str
    kind: Kind
    bug_url: str  # empty when the rule names no bug

    @classmethod
    def of(cls, rule: Rule) -> Known:
        return cls(rule.name, rule.kind, rule.bug_url)


@dataclass(frozen=True)
class Tally:
    """How many of some failures a rule says what they are."""

    known: int
    total: int

    @property
    def words(self) -> str:
        """The tally as the pages say it: `12 of 15 failures known`."""
        return f"{self.known} of {self.total} failure{'s' if self.total != 1 else ''} known"


def known_of(rules: Sequence[Rule], failing: Failing) -> Known | None:
    """Return what the rules (given `in_order`) say a failing step is, else None."""
    rule = classify(rules, failing)
    return Known.of(rule) if rule is not None else None


def pattern_of(signature: str) -> str:
    """Return a regular expression that matches a signature's first line, for a new rule."""
    first = signature.split(" / ", 1)[0].removesuffix("…")
    return re.escape(first)[:REGEX_LIMIT]


def common_glob(values: Iterable[str]) -> str:
    """Return the one value all share, else the glob of their common start, else `*`."""
    found = sorted(set(values))
    if len(found) == 1:
        return found[0]
    start = found[0] if found else ""
    for value in found[1:]:
        while not value.startswith(start):
            start = start[:-1]
    return f"{start}*" if start else ANY


KEYS = tuple(f.name for f in fields(Rule))


def _changes(old: Rule, new: Rule) -> str:
    said = []
    for key in KEYS[1:]:
        before, after = getattr(old, key), getattr(new, key)
        if before != after:
            shown = [v.value if isinstance(v, Kind) else v for v in (before, after)]
            said.append(f"{key} {shown[0]!r} -> {shown[1]!r}")
    return ", ".join(said)


def describe(rule: Rule) -> str:
    """Say in one line what a rule matches and says."""
    parts = [rule.kind.value]
    if rule.bug_url:
        parts.append(rule.bug_url)
    parts += [f"{key} {getattr(rule, key)!r}" for key in ("job", "testid", "host")]
    if rule.message:
        parts.append(f"message {rule.message!r}")
    return ", ".join(parts)


@dataclass(frozen=True)
class RulePlan:
    """What importing a set of rules changes."""

    created: tuple[Rule, ...]
    changed: tuple[tuple[Rule, Rule], ...]  # (in force, new)
    unchanged: tuple[str, ...]
    retired: tuple[Rule, ...]
    missing: tuple[str, ...]  # in force, not in the set, kept

    @property
    def changes(self) -> bool:
        return bool(self.created or self.changed or self.retired)

    def lines(self) -> list[str]:
        """Say what the import changes, one line per rule."""
        said = [f"created rule {r.name}: {describe(r)}" for r in self.created]
        said += [f"changed rule {new.name}: {_changes(old, new)}" for old, new in self.changed]
        said += [f"retired rule {r.name}" for r in self.retired]
        if self.missing:
            said.append(
                f"kept {len(self.missing)} rule{'s' if len(self.missing) != 1 else ''} the file "
                f"does not name (--retire-missing retires them): {', '.join(self.missing)}"
            )
        if self.unchanged:
            count = len(self.unchanged)
            said.append(f"{count} rule{'s' if count != 1 else ''} unchanged")
        return said or ["no rules"]


def plan_rules(
    current: Mapping[str, Rule], wanted: Sequence[Rule], *, retire_missing: bool = False
) -> RulePlan:
    """Plan the import of `wanted` over the rules in force: new ones, changed ones, and those
    it does not name, retired when asked, else kept."""
    names = {rule.name for rule in wanted}
    missing = tuple(sorted(set(current) - names))
    return RulePlan(
        tuple(r for r in wanted if r.name not in current),
        tuple((current[r.name], r) for r in wanted if r.name in current and current[r.name] != r),
        tuple(r.name for r in wanted if current.get(r.name) == r),
        tuple(current[n] for n in missing) if retire_missing else (),
        () if retire_missing else missing,
    )
