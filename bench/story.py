"""The benchmark's flights: a story of xen-unstable flights shaped like osstest's.

Most steps pass. A few never pass. Now and then a step fails once (a heisenbug: the flight is
not pushed, and the next flight retests its revision and passes it) or a host breaks a step.
Sometimes a new revision brings a real regression that stays until a later revision fixes it,
and sometimes the test environment changes and a step fails in every flight for a long while;
after a few flights without a push, people force-push past it, and later flights fail it like
their baseline. Each flight declares as its baseline (`osstest.baseline.xen`) the revision last
pushed; the story decides pushes with a rough model of the gate (`_blocking`).

`play` writes the story down as specs, cheaply; `write_specs` turns specs into JUnit files. Each
flight's logs and durations come from a generator seeded with its number, so a flight's file is
the same whichever others are written with it.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gate.model import Flight

# gate and ingest are imported where flights are built, not above: the floor's process imports
# this module too, and must pay for lxml and sqlite3 only.

BRANCH, FIRST_FLIGHT, EPOCH = "xen-unstable", 185000, datetime(2024, 5, 1, tzinfo=UTC)
MB = 1024 * 1024
STEP_MARKUP = 450  # bytes of XML that write_flight puts around a step's log
HOSTS = ["albana0", "chardonnay1", "elbling0", "fiano1", "godello0", "huxelrebe1", "italia0"]
ARCHES = ["amd64", "i386", "arm64", "armhf"]
BUILDS = [f"build-{arch}{v}" for arch in ARCHES for v in ("", "-xsm", "-pvops", "-prev")]
PLATFORMS = ["amd64-amd64", "amd64-i386", "amd64-coresched-amd64", "arm64-arm64", "armhf-armhf"]
VARIANTS = ["", "-credit1", "-credit2", "-rtds", "-shadow", "-pvshim", "-multivcpu", "-vhd", "-raw"]
VARIANTS += ["-qcow2", "-xsm", "-credit2-xsm", "-shadow-xsm"]
HVM = ["-pvhv2-amd", "-qemuu-debianhvm-amd64", "-qemut-debianhvm-amd64", "-qemuu-win7-amd64"]
HVM += ["-qemuu-ws16-amd64", "-qemuu-ovmf-amd64", "-qemut-stubdom-debianhvm-amd64-xsm"]
BUILD_STEPS = ["hosts-allocate", "host-install", "host-build-prep", "xen-build", "xen-build/dist"]
BUILD_STEPS += ["kernel-build", "kernel-build/config", "libvirt-build", "qemu-build", "ovmf-build"]
BUILD_STEPS += ["seabios-build", "syms-build", "xen-build/tools", "xen-build/docs", "dist-check"]
TEST_STEPS = ["build-check", "hosts-allocate", "host-install", "host-ping-check-native"]
TEST_STEPS += ["xen-install", "xen-boot", "leak-check/basis", "debian-install", "guest-start"]
TEST_STEPS += ["guest-localmigrate", "guest-saverestore", "guest-start/debian.repeat"]
TEST_STEPS += ["guest-localmigrate/x10", "guest-stop", "leak-check/check"]
NUMBERED = ("build-check", "host-install", "leak-check/basis", "capture-logs")
BUILD_PREFIX = "build"  # as gate.rules: a build job's regression is never a heisenbug
MIN_STEPS = 4  # a job needs early steps (to break) and middle ones (to fail)
LOG_LINES = (
    "executing ssh -o StrictHostKeyChecking=no -o BatchMode=yes root@{ip} xl list",
    "command nonzero waitstatus 256: timeout 130 ssh root@{ip} xl migrate debian.guest.osstest localhost",
    "guest debian.guest.osstest 5a:36:0e:{x:.2}:00:01 22 link/ip/tcp: waiting {n}s...",
    "FAILURE: guest debian.guest.osstest 5a:36:0e:{x:.2}:00:01 22 link/ip/tcp: wait timed out",
    "{host} (XEN) [{t:12.6f}] d{n}v0 Unhandled: vec 14, #PF[0000] at ffff82d0{x}",
    "{host} [{t:12.6f}] xenbr0: port {n}(vif{n}.0) entered forwarding state",
    "{host} [{t:12.6f}] BUG: unable to handle page fault for address: ffffc900{x}",
    "{host} [{t:12.6f}] Call Trace: xen_mc_flush+0x1{x:.2}/0x1b0 xen_irq_enable_direct+0x{x:.2}",
    "logfile /home/logs/logs/serial-{host}.log: {n} bytes, last modified {n} minutes ago",
)
MESSAGES = {
    "fail": ("guest did not respond to ping", "host did not come up: timeout 600", "leak found"),
    "broken": ("hosts-allocate: no free host", "ssh: connect to host port 22: Connection refused"),
    "blocked": ("blocked: build-amd64-pvops failed",),
}

# The story's odds, per flight unless said otherwise.
NEVER_PASS = 3  # steps of test jobs that fail in every flight (osstest's "never pass")
HEISENBUGS = ((0, 0.75), (1, 0.2), (2, 0.05))  # how many steps fail once, with what odds
BROKEN = 0.08  # a host breaks one step of a job (osstest's "broken")
BLOCKED = 0.1  # a test job is blocked by a build that did not run
NEW_REVISION = 0.85  # the tip has moved since the last flight (else it is tested again)
BUG = 0.03  # a new revision brings a real regression...
BUG_LIFE = (1, 4)  # ...that this many later revisions keep, before one fixes it
STANDING = 0.012  # the test environment changes and a step starts failing...
STANDING_LIFE = (50, 300)  # ...in this many flights, whatever their revision
FORCE_AFTER = 6  # flights without a push before a revision that fails only so is force-pushed

Key = tuple[str, str]  # (job, testid)
Outcomes = dict[Key, tuple[str, str, str]]  # (job, testid): (status, message, output)


@dataclass(frozen=True)
class Plan:
    """The jobs that every flight runs, each with its testids and its host."""

    jobs: dict[str, tuple[str, ...]]
    hosts: dict[str, str]

    def testkeys(self) -> list[Key]:
        """Return every (job, testid) of a flight."""
        return [(job, testid) for job, testids in self.jobs.items() for testid in testids]

    def early(self) -> list[Key]:
        """Return the steps that allocate and install hosts, where hosts break."""
        return [(job, testid) for job, testids in self.jobs.items() for testid in testids[:3]]

    def middle(self, tests_only: bool) -> list[Key]:
        """Return the steps between installing and capturing logs, where tests fail."""
        return [
            (job, testid)
            for job, testids in self.jobs.items()
            if job.startswith("test-") or not tests_only
            for testid in testids[3:-1]
        ]


@dataclass(frozen=True)
class Spec:
    """One flight of the story before it is written: what it tests and which steps do not pass.

    `blocking` and `pushed` are the story's guess of the gate's judgement. `forced` says that
    people pushed its revision by hand, as osstest's admins do when only the test environment
    fails: later flights declare it as their baseline, though the gate did not push it.
    """

    number: int
    revision: str
    baseline: str
    failures: Mapping[Key, str]  # the status of each step that does not pass
    blocked: frozenset[str]  # jobs that stop at their blocked first step
    blocking: Mapping[Key, str]  # the status of each step that blocks the push
    pushed: bool
    forced: bool = False

    def passed(self, key: Key) -> bool:
        """Tell whether the flight passed a step."""
        return key not in self.failures and key[0] not in self.blocked

    @property
    def verdict(self) -> str:
        """Return the verdict the story expects the gate to give."""
        if not self.blocking:
            return "tolerable"
        failed = "fail" in self.blocking.values()
        return "regressions" if failed else "trouble"


def make_plan(seed: int, jobs: int, steps: int) -> Plan:
    """Choose the build and test jobs of the flights (up to 167), each with up to 16 steps."""
    rng = random.Random(f"{seed}:plan")
    tests = [f"test-{p}-{t}{v}" for p in PLATFORMS for t in ("xl", "libvirt") for v in VARIANTS]
    tests += [f"test-{p}-xl{v}" for p in PLATFORMS[:3] for v in HVM]  # HVM guests on x86 only
    count = min(len(tests), max(0, jobs - len(BUILDS)))
    names = BUILDS[:jobs] + sorted(rng.sample(tests, count))
    return Plan({n: _testids(n, steps) for n in names}, {n: rng.choice(HOSTS) for n in names})


def _testids(job: str, steps: int) -> tuple[str, ...]:
    names = BUILD_STEPS if job.startswith("build-") else TEST_STEPS
    stems = [*names[: steps - 2], names[-1], "capture-logs"]
    return tuple(f"{s}({n})" if s in NUMBERED else s for n, s in enumerate(stems, start=1))


@dataclass(frozen=True)
class _Cast:
    """The steps that the story's failures pick from, chosen once for the whole story."""

    never_pass: tuple[Key, ...]
    ordinary: tuple[Key, ...]  # test jobs' steps that fail now and then
    anywhere: tuple[Key, ...]  # every job's middle steps, where a revision can break a test
    early: tuple[Key, ...]
    tests: tuple[str, ...]

    @classmethod
    def of(cls, rng: random.Random, plan: Plan) -> _Cast:
        tests = plan.middle(tests_only=True)
        never_pass = rng.sample(tests, NEVER_PASS)
        return cls(
            tuple(never_pass),
            tuple(k for k in tests if k not in never_pass),
            tuple(k for k in plan.middle(tests_only=False) if k not in never_pass),
            tuple(plan.early()),
            tuple(job for job in plan.jobs if job.startswith("test-")),
        )


@dataclass(frozen=True)
class _Bug:
    """A failure that stays: a revision's regression, or a change of the test environment."""

    key: Key
    left: int  # revisions (a regression) or flights (the environment) until it is fixed


def play(seed: int, plan: Plan, flights: int) -> list[Spec]:
    """Play the story's first `flights` flights: revisions, baselines, failures and pushes."""
    rng = random.Random(f"{seed}:story")
    cast = _Cast.of(rng, plan)
    master = revision = rng.randbytes(20).hex()  # the first flight tests the pushed revision
    bugs: list[_Bug] = []  # regressions of the revision under test
    standing: list[_Bug] = []  # environment failures: they fail whatever the revision
    specs: list[Spec] = []
    failed_always: frozenset[Key] | None = None  # the steps that no flight has passed yet
    last_push = FIRST_FLIGHT
    for number in range(FIRST_FLIGHT, FIRST_FLIGHT + flights):
        standing = [_Bug(b.key, b.left - 1) for b in standing if b.left > 0]
        if rng.random() < STANDING:
            standing.append(_Bug(rng.choice(cast.ordinary), rng.randint(*STANDING_LIFE)))
        failures, blocked = _failures(rng, plan, cast, [*bugs, *standing])
        spec = Spec(number, revision, master, failures, blocked, {}, False)
        blocking = _blocking(spec, specs, failed_always)
        pushed = not blocking and revision != master and any(s.revision == master for s in specs)
        stuck = number - last_push >= FORCE_AFTER
        forced = stuck and bool(blocking) and blocking.keys() <= {b.key for b in standing}
        first_of_revision = not any(s.revision == revision for s in specs)
        specs.append(dataclasses.replace(spec, blocking=blocking, pushed=pushed, forced=forced))
        unpassed = frozenset(failures) | {k for k in plan.testkeys() if k[0] in blocked}
        failed_always = unpassed if failed_always is None else failed_always & unpassed
        if pushed or forced:
            master, last_push = revision, number
        if blocking and first_of_revision:
            continue  # osstest tests the same revision again: a heisenbug would pass there
        if rng.random() < NEW_REVISION:
            revision = rng.randbytes(20).hex()
            bugs = [_Bug(b.key, b.left - 1) for b in bugs if b.left > 0]
            if rng.random() < BUG:
                bugs.append(_Bug(rng.choice(cast.anywhere), rng.randint(*BUG_LIFE)))
    return specs


def _failures(
    rng: random.Random, plan: Plan, cast: _Cast, bugs: Sequence[_Bug]
) -> tuple[dict[Key, str], frozenset[str]]:
    """Choose the steps of one flight that do not pass, and the jobs that are blocked."""
    failures = dict.fromkeys([*cast.never_pass, *(b.key for b in bugs)], "fail")
    heisenbugs = rng.choices([n for n, _ in HEISENBUGS], [p for _, p in HEISENBUGS])[0]
    failures |= dict.fromkeys(rng.sample(cast.ordinary, heisenbugs), "fail")
    if rng.random() < BROKEN:
        failures[rng.choice(cast.early)] = "broken"
    if rng.random() >= BLOCKED:
        return failures, frozenset()
    job = rng.choice(cast.tests)
    failures = {key: status for key, status in failures.items() if key[0] != job}
    failures[job, plan.jobs[job][0]] = "blocked"
    return failures, frozenset([job])


def _blocking(
    flight: Spec, earlier: Sequence[Spec], failed_always: frozenset[Key] | None
) -> dict[Key, str]:
    """Guess which failures of a flight block its push, as `gate.rules.judge` would roughly say.

    A step that never passed, that failed in a flight of the baseline, or that has no baseline
    flight at all does not block; one that passed there does, unless it is a test job's step that
    passed in an earlier flight of the same revision (a heisenbug), and then that flight's own
    blocking failures block this one when this one failed them too or they are a build's.
    """
    baseline_flights = [s for s in earlier if s.revision == flight.baseline]
    if failed_always is None or not baseline_flights:
        return {}
    blocking: dict[Key, str] = {}
    for key, status in flight.failures.items():
        if status == "blocked" or key in failed_always:
            continue
        if any(key in s.failures for s in baseline_flights):
            continue  # like the baseline, or failed in it
        if not any(s.passed(key) for s in baseline_flights):
            continue  # blocked in it
        heisen = None
        if not _build(key):
            same = (s for s in reversed(earlier) if s.revision == flight.revision)
            heisen = next((s for s in same if s.passed(key)), None)
        if heisen is None:
            blocking[key] = status
        else:
            blocking |= {
                k: s for k, s in heisen.blocking.items() if not flight.passed(k) or _build(k)
            }
    return blocking


def _build(key: Key) -> bool:
    return key[0].startswith(BUILD_PREFIX)


def make_log(rng: random.Random, host: str, size: int) -> str:
    """Return about `size` characters of osstest-like log lines."""
    lines, length, moment = [], 0, EPOCH + timedelta(seconds=rng.randint(0, 10**7))
    while length < size:
        moment += timedelta(seconds=rng.randint(0, 9))
        ip, x = f"172.16.14{rng.randint(5, 9)}.{rng.randint(2, 254)}", rng.randbytes(4).hex()
        text = rng.choice(LOG_LINES).format(
            host=host, ip=ip, t=rng.uniform(0, 9999), n=rng.randint(10, 9999), x=x
        )
        lines.append(f"{moment:%Y-%m-%d %H:%M:%S} Z {text}")
        length += len(lines[-1]) + 1
    return "\n".join(lines)


def outcomes_of(rng: random.Random, plan: Plan, spec: Spec) -> Outcomes:
    """Give each step of a spec that does not pass its message and a few KB of log."""
    outcomes: Outcomes = {}
    for (job, testid), status in spec.failures.items():
        log = "" if status == "blocked" else make_log(rng, plan.hosts[job], rng.randint(2000, 6000))
        outcomes[job, testid] = (status, rng.choice(MESSAGES[status]), log)
    return outcomes


def big_outcomes(rng: random.Random, plan: Plan, size_mb: int) -> Outcomes:
    """Make every step fail with a long log, so that the flight's document is about `size_mb`."""
    keys = plan.testkeys()
    size = max(0, size_mb * MB // len(keys) - STEP_MARKUP)
    # A few logs that all steps share: the generator must not hold the whole document in memory.
    pool = [make_log(rng, rng.choice(HOSTS), size) for _ in range(8)]
    return {key: ("fail", rng.choice(MESSAGES["fail"]), rng.choice(pool)) for key in keys}


def make_flight(
    rng: random.Random, number: int, plan: Plan, revision: str, baseline: str, outcomes: Outcomes
) -> Flight:
    """Build one flight of the plan: every step passes unless `outcomes` says otherwise, and a
    job stops at a blocked step."""
    from gate.model import Flight, Job, Status, Step, TestKey

    jobs = []
    for name, testids in plan.jobs.items():
        steps = []
        for stepno, testid in enumerate(testids, start=1):
            status, message, output = outcomes.get((name, testid), ("pass", "", ""))
            key, duration = TestKey(name, testid), rng.uniform(1, 900)
            steps.append(
                Step(key, stepno, Status(status), duration, message=message, output=output)
            )
            if status == "blocked":
                break
        seen = {step.status.value for step in steps}
        status = next((s for s in ("broken", "fail", "blocked") if s in seen), "pass")
        jobs.append(Job(name, Status(status), tuple(steps), host=plan.hosts[name]))
    return Flight(
        number=number,
        branch=BRANCH,
        jobs=tuple(jobs),
        revisions={"xen": revision},
        baseline={"xen": baseline},
        started=EPOCH + timedelta(hours=6 * (number - FIRST_FLIGHT)),
    )


def write(flight: Flight, directory: Path) -> int:
    """Write a flight to `DIRECTORY/NUMBER.xml`, streaming; return how many testcases it holds."""
    from ingest.osstest_junit import write_flight

    with (directory / f"{flight.number}.xml").open("wb") as out:
        write_flight(flight, out)
    return len(flight.steps())


def write_specs(
    seed: int,
    plan: Plan,
    specs: Iterable[Spec],
    directory: Path,
    say: Callable[[str], None] = lambda _: None,
) -> int:
    """Write each spec as a flight into a directory; return how many testcases they hold."""
    directory.mkdir(parents=True, exist_ok=True)
    total = 0
    for n, spec in enumerate(specs, start=1):
        rng = random.Random(f"{seed}:flight:{spec.number}")
        outcomes = outcomes_of(rng, plan, spec)
        total += write(
            make_flight(rng, spec.number, plan, spec.revision, spec.baseline, outcomes), directory
        )
        if n % 100 == 0:
            say(f"wrote {n} flights")
    return total
