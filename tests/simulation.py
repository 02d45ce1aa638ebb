"""A seeded, story-driven xen-unstable push gate, judged by the osstest oracle as it goes.

The story is data (jobs, bugs, host faults, stretches) plus a few event rules; each flight is
judged by `tests.osstest_oracle` (written from osstest's code, not from `gate.rules`), and its
pushes move master for the flights after it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from gate.model import Flight, Job, Status, Step, TestKey
from tests import osstest_oracle as oracle

BRANCH = "xen-unstable"
FIRST_FLIGHT = 17001
FLIGHTS = 80
SEED = 432013  # the refs that the test pins for the scripted events hold for this seed

# ---------------------------------------------------------------------------------------------
# The flight plan: about 40 jobs with osstest's steps.

BUILD_STEPS = ("hosts-allocate", "host-install(2)", "host-build-prep")
TEST_STEPS = (
    "xen-build-check(1)", "hosts-allocate", "host-install(3)", "xen-install", "xen-boot",
    "leak-check/basis(6)", "debian-install", "debian-fixup", "guest-start", "guest-saverestore",
    "guest-localmigrate", "guest-stop", "guest-destroy", "leak-check/check", "capture-logs(19)",
)  # fmt: skip
WINDOWS_STEPS = (
    "xen-build-check(1)", "hosts-allocate", "host-install(3)", "xen-install", "xen-boot",
    "leak-check/basis(6)", "windows-install", "guest-saverestore", "guest-localmigrate",
    "guest-stop", "capture-logs(15)",
)  # fmt: skip
PAIR_STEPS = (
    "xen-build-check(1)", "hosts-allocate", "host-install/src_host(3)",
    "host-install/dst_host(4)", "xen-install/src_host", "xen-install/dst_host",
    "xen-boot/src_host", "xen-boot/dst_host", "debian-install/dst_host", "guest-start/debian",
    "guest-migrate/src_host/dst_host", "guest-migrate/dst_host/src_host", "guest-stop",
    "capture-logs/src_host(16)", "capture-logs/dst_host(17)",
)  # fmt: skip

BUILDS = (
    "build-amd64", "build-i386", "build-amd64-pvops", "build-i386-pvops", "build-amd64-xsm",
    "build-i386-xsm", "build-amd64-libvirt", "build-i386-libvirt", "build-armhf",
    "build-armhf-pvops", "build-arm64", "build-arm64-pvops", "build-arm64-xsm",
)  # fmt: skip
TESTS = (
    "test-amd64-amd64-xl", "test-amd64-i386-xl", "test-amd64-amd64-pair",
    "test-amd64-i386-pair", "test-amd64-amd64-xl-sedf", "test-amd64-amd64-xl-sedf-pin",
    "test-amd64-amd64-xl-qemuu-win7-amd64", "test-amd64-i386-xl-qemuu-win7-amd64",
    "test-amd64-amd64-xl-qemut-win7-amd64", "test-amd64-amd64-xl-credit2",
    "test-amd64-amd64-xl-multivcpu", "test-amd64-amd64-xl-rtds", "test-amd64-amd64-xl-shadow",
    "test-amd64-i386-xl-shadow", "test-amd64-amd64-xl-pvshim", "test-amd64-amd64-xl-xsm",
    "test-amd64-i386-xl-xsm", "test-amd64-amd64-libvirt", "test-amd64-i386-libvirt",
    "test-amd64-amd64-xl-qemuu-debianhvm-amd64", "test-amd64-i386-xl-qemuu-debianhvm-amd64",
    "test-amd64-amd64-xl-qemut-debianhvm-amd64", "test-amd64-amd64-qemuu-nested-intel",
    "test-armhf-armhf-xl", "test-armhf-armhf-xl-credit2", "test-arm64-arm64-xl",
    "test-arm64-arm64-xl-xsm",
)  # fmt: skip

X86_HOSTS = ("albana0", "albana1", "elbling0", "elbling1", "fiano0", "fiano1", "godello0",
             "godello1", "italia0", "italia1")  # fmt: skip
HOSTS = {
    "amd64": X86_HOSTS,
    "i386": X86_HOSTS,
    "armhf": ("arndale-bluewater", "arndale-lakeside", "cubietruck-braque", "cubietruck-gleizes"),
    "arm64": ("laxton0", "laxton1", "rochester0", "rochester1"),
}
PINNED = {"test-amd64-amd64-pair": "italia0", "test-amd64-amd64-xl-rtds": "fiano1"}


@dataclass(frozen=True)
class Plan:
    """One job of the flight plan: its steps and the build jobs it needs."""

    name: str
    steps: tuple[str, ...]
    builds: tuple[str, ...] = ()

    @property
    def arch(self) -> str:
        return self.name.split("-")[1]


def _test_plan(name: str) -> Plan:
    _, host, dom0, *flavour = name.split("-")
    xsm = "-xsm" if "xsm" in flavour else ""
    builds = (f"build-{dom0}{xsm}", f"build-{host}-pvops")
    if "libvirt" in flavour:
        builds += (f"build-{dom0}", f"build-{dom0}-libvirt")
    steps = PAIR_STEPS if "pair" in flavour else WINDOWS_STEPS if "win7" in name else TEST_STEPS
    return Plan(name, steps, builds)


def _build_plan(name: str) -> Plan:
    last = (
        "kernel-build" if "pvops" in name else "libvirt-build" if "libvirt" in name else "xen-build"
    )
    return Plan(name, (*BUILD_STEPS, last))


PLANS = tuple(_build_plan(b) for b in BUILDS) + tuple(_test_plan(t) for t in TESTS)
PLAN = {plan.name: plan for plan in PLANS}


def script(testid: str) -> str:
    """Return the osstest script a testid runs: `host-install/src_host(3)` runs `host-install`."""
    return re.split(r"[/(]", testid)[0]


# ---------------------------------------------------------------------------------------------
# The story, by flight index 1..80 (flight number 17000 + index).


@dataclass(frozen=True)
class Bug:
    """Commits from the candidate of flight `first` up to the one of `fixed` make `script` fail."""

    name: str
    jobs: tuple[str, ...]
    script: str
    first: int
    fixed: int | None = None


@dataclass(frozen=True)
class HostFault:
    """A host whose trouble makes `script` broken in every job it runs, for a stretch of flights."""

    host: str
    script: str
    first: int
    last: int

    @property
    def flights(self) -> range:
        return range(self.first, self.last + 1)


@dataclass(frozen=True)
class Flake:
    """A heisenbug: `script` of `job` fails (or breaks) in one flight only."""

    job: str
    script: str
    status: Status = Status.FAIL


I386 = tuple(t for t in TESTS if t.startswith("test-amd64-i386-"))
BUGS = (
    Bug("win7-guest-stop", tuple(t for t in TESTS if "win7" in t), "guest-stop", 0, 47),  # 0: from the start
    Bug("migration", ("test-amd64-amd64-xl", "test-amd64-i386-xl"), "guest-localmigrate", 10, 15),
    Bug("rtds", ("test-amd64-amd64-xl-rtds",), "guest-localmigrate", 16, 46),
    Bug("sedf", ("test-amd64-amd64-xl-sedf", "test-amd64-amd64-xl-sedf-pin"), "guest-saverestore", 16),
    Bug("i386-build", ("build-i386",), "xen-build", 24, 27),
    Bug("armhf-start", ("test-armhf-armhf-xl", "test-armhf-armhf-xl-credit2"), "guest-start", 42, 48),
    Bug("i386-boot", I386, "xen-boot", 56, 59),
)  # fmt: skip
HOST_FAULTS = (
    HostFault("italia0", "host-install", 29, 32),
    HostFault("fiano1", "guest-localmigrate", 34, 36),
)
FLAKES: dict[int, tuple[Flake, ...]] = {
    18: (Flake("test-amd64-amd64-xl-credit2", "guest-saverestore"),),
    19: (Flake("test-amd64-amd64-xl-multivcpu", "guest-start"),),
    61: (Flake("test-amd64-amd64-xl-shadow", "guest-saverestore"),),
    62: (Flake("test-amd64-amd64-xl-qemuu-debianhvm-amd64", "guest-stop"),),
    63: (Flake("test-amd64-amd64-xl-shadow", "guest-saverestore"),),
    65: (Flake("test-amd64-amd64-xl-xsm", "guest-localmigrate"),),
    66: (Flake("test-amd64-amd64-libvirt", "guest-start"),),
    70: (Flake("test-amd64-amd64-xl-multivcpu", "guest-saverestore"),),
}  # fmt: skip
FLAKE_RATE = 0.2  # of a random heisenbug in a flight that is neither scripted nor quiet
QUIET = {13, 14, 37, *range(40, 45)}  # bisections, a play flight, the arm hosts' absence
RETESTS = {19, 63, 66}  # flights that retest the previous candidate, at the same revision
PLAY = {37: "win7-guest-stop", 62: None}  # a developer's flight: the bug its patch fixes
BISECT = {13: None, 14: "migration"}  # the basis (the baseline), then the bug's first commit
BISECT_JOB = "test-amd64-amd64-xl"
LINUX_BUMPS = {21, 50, 66}  # 66 retests 65's xen with another linux: no heisenbug evidence
QEMUU_BUMPS = {35}
FORCE_PUSH = 70  # before it, an untested commit is pushed by hand and becomes the baseline
# Flights that test master itself, as osstest does when no flight has tested it yet: the first,
# and the one after the force push.
BASELINE_TESTS = {1, FORCE_PUSH}
ARM_AWAY = range(40, 44)
# The armhf hosts are too busy to be had (today's osstest: `starved`): the jobs starve at their
# first step; the next flight's armhf failures are `starved in` this one.
ARM_STARVED = {44}
SEDF_DROPPED = 48
SKIPS = {i: ("test-amd64-amd64-xl-pvshim", "guest-saverestore") for i in (45, 46, 47)}
ALLOW = """\
# sedf is on its way out of the tree
test-@@-sedf@@
# RTDS migration is known broken
test-@-@-xl-rtds   guest-@migrate
# one @ never spans a '-': this does not cover test-amd64-amd64-xl-credit2
test-@-xl-credit2
"""


def declares_baseline(index: int) -> bool:
    """Tell whether a flight names its baseline; the others fall back to the newest push."""
    return index % 6 != 0


# ---------------------------------------------------------------------------------------------
# Running the story.


def _sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


@dataclass
class Story:
    """The state of the xen tree and the test lab as the flights go by."""

    rng: random.Random
    commits: list[str] = field(default_factory=list)
    batch: dict[int, int] = field(default_factory=lambda: {0: 0})  # flight index -> first commit
    tip: int = 0
    pushed: int = 0  # the commit of xen's master branch
    trees: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.commits.append(_sha(self.rng))
        self.trees = {"qemuu": _sha(self.rng), "linux": _sha(self.rng)}

    def bugs(self, commit: int) -> set[str]:
        """Return the names of the bugs in a commit of the tree."""

        def has(index: int | None) -> bool:
            return index is not None and index in self.batch and self.batch[index] <= commit

        return {bug.name for bug in BUGS if has(bug.first) and not has(bug.fixed)}

    def flight(self, index: int) -> Flight:
        """Make the next flight: choose what it tests, then run its jobs."""
        if index == FORCE_PUSH:
            self.commits.append(_sha(self.rng))
            self.pushed = len(self.commits) - 1
        if index in LINUX_BUMPS:
            self.trees["linux"] = _sha(self.rng)
        if index in QEMUU_BUMPS:
            self.trees["qemuu"] = _sha(self.rng)
        blessing, jobs, commit = "real", self._jobs(index), self.tip
        if index in BISECT:
            bug = BISECT[index]
            blessing, jobs = "real-bisect", (*PLAN[BISECT_JOB].builds, BISECT_JOB)
            commit = self.pushed if bug is None else self.batch[_bug(bug).first]
        elif index in BASELINE_TESTS:
            commit = self.pushed
        elif index not in RETESTS and index not in PLAY:
            self.batch[index] = len(self.commits)
            self.commits += [_sha(self.rng) for _ in range(self.rng.randint(1, 4))]
            self.tip = commit = len(self.commits) - 1
        revisions = {"xen": self.commits[commit], **self.trees}
        bugs = self.bugs(commit)
        if index in PLAY:
            blessing = "play"
            if (fixed := PLAY[index]) is not None:
                bugs.discard(fixed)
                revisions["xen"] = _sha(self.rng)
        baseline = {"xen": self.commits[self.pushed]} if declares_baseline(index) else {}
        return Flight(
            number=FIRST_FLIGHT + index - 1,
            branch=BRANCH,
            blessing=blessing,
            revisions=revisions,
            baseline=baseline,
            started=datetime(2013, 2, 1, tzinfo=UTC) + timedelta(hours=7 * index),
            jobs=self._run(index, jobs, bugs),
        )

    def record(self, flight: Flight, pushed: bool) -> None:
        """Move xen's master branch to what a pushed flight tested."""
        if pushed:
            self.pushed = self.commits.index(flight.revisions["xen"])

    def _jobs(self, index: int) -> tuple[str, ...]:
        def runs(name: str) -> bool:
            if "-arm" in name and index in ARM_AWAY:
                return False
            return "sedf" not in name or index < SEDF_DROPPED

        return tuple(plan.name for plan in PLANS if runs(plan.name))

    def _flakes(self, index: int, jobs: Sequence[str]) -> tuple[Flake, ...]:
        if index in FLAKES:
            return FLAKES[index]
        faulty = any(index in fault.flights for fault in HOST_FAULTS)
        if index in QUIET or faulty or self.rng.random() > FLAKE_RATE:
            return ()
        job = self.rng.choice([j for j in jobs if j.startswith("test-")])
        testid = self.rng.choice([t for t in PLAN[job].steps if t.startswith("guest-")])
        status = Status.FAIL if self.rng.random() < 0.8 else Status.BROKEN
        return (Flake(job, script(testid), status),)

    def _run(self, index: int, names: Sequence[str], bugs: set[str]) -> tuple[Job, ...]:
        flakes = self._flakes(index, names)
        jobs: dict[str, Job] = {}
        for name in names:
            plan = PLAN[name]
            if index in ARM_STARVED and "armhf" in name:
                step = Step(TestKey(name, plan.steps[0]), 1, Status.STARVED)
                jobs[name] = Job(name, Status.STARVED, (step,))
                continue
            host = PINNED.get(name) or self.rng.choice(HOSTS[plan.arch])
            built = all(b in jobs and jobs[b].status is Status.PASS for b in plan.builds)
            if not built:
                step = Step(TestKey(name, plan.steps[0]), 1, Status.BLOCKED)
                jobs[name] = Job(name, Status.BLOCKED, (step,))
                continue
            faults = {f.script for f in HOST_FAULTS if f.host == host and index in f.flights}
            failing = {b.script for b in BUGS if b.name in bugs and name in b.jobs}
            flaky = {f.script: f.status for f in flakes if f.job == name}
            skipped = {SKIPS[index][1]} if index in SKIPS and SKIPS[index][0] == name else set()
            jobs[name] = self._job(plan, host, faults, failing, flaky, skipped)
        return tuple(jobs.values())

    def _job(
        self,
        plan: Plan,
        host: str,
        faults: set[str],
        failing: set[str],
        flaky: Mapping[str, Status],
        skipped: set[str],
    ) -> Job:
        steps: list[Step] = []
        stopped, stepno = False, 0
        for testid in plan.steps:
            # A `(N)` suffix is osstest's step number; the steps left out of the plan leave gaps.
            numbered = re.search(r"\((\d+)\)$", testid)
            stepno = int(numbered.group(1)) if numbered else stepno + 1
            run = script(testid)
            if stopped and run != "capture-logs":
                continue  # osstest stops a job at its first failure, but still captures the logs
            if run in faults:
                status = Status.BROKEN
            elif run in failing:
                status = Status.FAIL
            elif run in flaky:
                status = flaky[run]
            elif testid in skipped:
                status = Status.SKIP
            else:
                status = Status.PASS
            stopped = stopped or status.failing
            duration = round(self.rng.uniform(2, 900), 3)
            steps.append(Step(TestKey(plan.name, testid), stepno, status, duration))
        seen = {step.status for step in steps}
        worst = next((s for s in (Status.BROKEN, Status.FAIL) if s in seen), Status.PASS)
        return Job(plan.name, worst, tuple(steps), host)


def _bug(name: str) -> Bug:
    return next(bug for bug in BUGS if bug.name == name)


# ---------------------------------------------------------------------------------------------
# The oracle: the push gate's rules, by brute force over every earlier flight.


def simulate(seed: int = SEED) -> list[tuple[Flight, oracle.Expected]]:
    """Play the story: make each flight, judge it with osstest's oracle, and let pushes move master."""
    story = Story(random.Random(seed))
    flights: list[Flight] = []
    pushed: dict[int, bool] = {}
    played: list[tuple[Flight, oracle.Expected]] = []
    for index in range(1, FLIGHTS + 1):
        flight = story.flight(index)
        flights.append(flight)
        expected = oracle.judge(flight, oracle.existing(flights, flight), pushed, ALLOW)
        pushed[expected.flight] = expected.pushed
        story.record(flight, expected.pushed)
        played.append((flight, expected))
    return played
