"""What a flight, a job, a step and a verdict are: plain frozen values, no I/O."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple


class Status(StrEnum):
    """The status of a step or a job, after osstest's (plus `skip` for other producers).

    `queued`, `preparing`, `running` and `retriable` are the states of a job or step that has not
    finished; `aborted` and `stopped` end a job that osstest did not let finish. `starved` (osstest
    since about 2020) is a job or step that never got a host before its flight gave up on it.
    """

    PASS = "pass"
    FAIL = "fail"
    BROKEN = "broken"
    BLOCKED = "blocked"
    STARVED = "starved"
    SKIP = "skip"
    QUEUED = "queued"
    PREPARING = "preparing"
    RUNNING = "running"
    RETRIABLE = "retriable"
    ABORTED = "aborted"
    STOPPED = "stopped"

    @property
    def failing(self) -> bool:
        """Tell whether this is a status osstest compares with the baseline (fail, broken)."""
        return self in (Status.FAIL, Status.BROKEN)

    @property
    def finished(self) -> bool:
        """Tell whether a step or job in this status has ended."""
        return self in _FINISHED

    @property
    def trouble(self) -> bool:
        """Tell whether this status says the test infrastructure got in the way (a host that
        broke, a prerequisite that did not build, no host to be had), not how the code under
        test behaved."""
        return self in (Status.BROKEN, Status.BLOCKED, Status.STARVED)

    @property
    def not_run(self) -> bool:
        """Tell whether a step in this status never ran: blocked, starved or skipped."""
        return self in (Status.BLOCKED, Status.STARVED, Status.SKIP)


_FINISHED = frozenset(
    (Status.PASS, Status.FAIL, Status.BROKEN, Status.BLOCKED, Status.STARVED, Status.SKIP)
)


class Classification(StrEnum):
    """How the gate judged one non-pass step, in the order osstest's `sg-report-flight` tries them.

    The baseline outcomes (like ... baseline untested) are compared by `priority`; the strongest
    over all baseline flights wins. `pass_in` is a regression that passed in another flight of
    the same revisions (a heisenbug); `allowable` a regression that an allow list excuses.
    """

    NONE_EXECUTED = "none_executed"
    BROKEN_JOB = "broken_job"
    BLOCKED = "blocked"
    STARVED = "starved"
    SKIPPED = "skipped"
    UNFINISHED = "unfinished"
    UNEXPECTED = "unexpected"
    NEVER_PASS = "never_pass"
    LIKE = "like"
    FAILED_IN = "failed_in"
    OTHER_IN = "other_in"
    BLOCKED_IN = "blocked_in"
    BASELINE_UNTESTED = "baseline_untested"
    PASS_IN = "pass_in"
    ALLOWABLE = "allowable"
    REGRESSION = "regression"

    @property
    def blocking(self) -> bool:
        """Tell whether a step judged so stops the push."""
        return self in _BLOCKING

    @property
    def heisenbug(self) -> bool:
        return self is Classification.PASS_IN

    @property
    def compared(self) -> bool:
        """Tell whether the step was compared with the baseline flights to be judged so."""
        return self in _COMPARED

    def blocker(self, status: Status) -> Blocker | None:
        """Return osstest's blocker kind of a step of this status judged so: a regression only
        for a step that failed and passed in the baseline; broken for a `<none executed>` or
        `<job status>` line whatever the job's status, for an unexpected status, and for a
        broken step that passed in the baseline; None for a step that does not block."""
        match self:
            case Classification.REGRESSION:
                return Blocker.REGRESSION if status is Status.FAIL else Blocker.BROKEN
            case Classification.UNFINISHED:
                return Blocker.UNFINISHED
            case (
                Classification.NONE_EXECUTED | Classification.BROKEN_JOB | Classification.UNEXPECTED
            ):
                return Blocker.BROKEN
        return None


_BLOCKING = frozenset(
    {
        Classification.NONE_EXECUTED,
        Classification.BROKEN_JOB,
        Classification.UNFINISHED,
        Classification.UNEXPECTED,
        Classification.REGRESSION,
    }
)
_COMPARED = frozenset(
    {
        Classification.LIKE,
        Classification.FAILED_IN,
        Classification.OTHER_IN,
        Classification.BLOCKED_IN,
        Classification.BASELINE_UNTESTED,
        Classification.PASS_IN,
        Classification.ALLOWABLE,
        Classification.REGRESSION,
    }
)


class Blocker(StrEnum):
    """Why a blocking step blocks: osstest's blocker kinds. Only `regression` makes `Regressions`."""

    REGRESSION = "regression"
    BROKEN = "broken"
    UNFINISHED = "unfinished"


class Verdict(StrEnum):
    """The flight's overall result, as osstest's report headline states it."""

    PERFECT = "perfect"
    TOLERABLE = "tolerable"
    REGRESSIONS = "regressions"
    TROUBLE = "trouble"

    @property
    def pushable(self) -> bool:
        """Tell whether osstest's machine-readable output says `tolerable` for this verdict."""
        return self in (Verdict.PERFECT, Verdict.TOLERABLE)


class Push(StrEnum):
    """What the push gate did with a judged flight, after `cr-daily-branch`."""

    PUSHED = "pushed"
    NOT_PUSHING = "not_pushing"  # the verdict is not tolerable
    UP_TO_DATE = "up_to_date"  # the flight tested the revision already pushed
    BASELINE_UNTESTED = "baseline_untested"  # no evidence flight built the baseline
    NO_BASELINE = "no_baseline"  # nothing declared and nothing pushed yet
    NO_TESTS = "no_tests"  # a flight without a single testcase
    NOT_A_PUSH_FLIGHT = "not_a_push_flight"  # its blessing is not the push blessing

    @property
    def pushed(self) -> bool:
        return self is Push.PUSHED

    @property
    def wanted(self) -> bool:
        """Tell whether a push was wanted at all (osstest's `wantpush`)."""
        return self in (Push.PUSHED, Push.NOT_PUSHING)

    @property
    def sentence(self) -> str:
        """Say what the gate did with the flight, and why."""
        return _PUSH_SENTENCES[self]


_PUSH_SENTENCES = {
    Push.PUSHED: "Pushed: its revisions are the branch's new baseline.",
    Push.NOT_PUSHING: "Not pushed: its verdict is not tolerable.",
    Push.UP_TO_DATE: "Not pushed: it tested the revision already pushed (up to date).",
    Push.BASELINE_UNTESTED: "Not pushed: no earlier flight tested its baseline (a baseline test).",
    Push.NO_BASELINE: "Not pushed: nothing is known of its baseline (none pushed or declared).",
    Push.NO_TESTS: "Not pushed: it has no testcase.",
    Push.NOT_A_PUSH_FLIGHT: "Not pushed: its blessing is not the one that pushes.",
}


class TestKey(NamedTuple):
    """The identity of a test across flights: osstest matches steps by (job, testid), never stepno.

    A named tuple, not a dataclass: keys are hashed for every step of every flight.
    """

    job: str
    testid: str

    def __str__(self) -> str:
        return f"{self.job} {self.testid}"

    @property
    def script(self) -> str:
        """Return the step's script without its instance and number: `host-install` for
        `host-install/src_host(3)`, `guest-localmigrate` for `guest-localmigrate.2`."""
        return _SCRIPT_END.split(self.testid, maxsplit=1)[0]

    @property
    def preparation(self) -> bool:
        """Tell whether the step prepares the test rather than tests (osstest's host
        allocation and install, its build checks, its log capture): whether it passes says
        nothing of a feature."""
        script = self.script
        return script in PREPARATION_STEPS or script.startswith("host-ping-check")

    @property
    def pseudo(self) -> bool:
        """Tell whether this names a line about a whole job rather than a step of it
        (`<none executed>`, `<job status>`): it has no step row and no step number."""
        return self.testid in PSEUDO_TESTIDS

    @property
    def build(self) -> bool:
        """Tell whether the step belongs to a build job (osstest's `build-*`)."""
        return self.job.startswith("build-")


_SCRIPT_END = re.compile(r"[/(.]")
# osstest's steps that ready a host or check prerequisites: they fail as `broken` or `blocked`.
PREPARATION_STEPS = frozenset(
    {
        "build-check",
        "xen-build-check",
        "hosts-allocate",
        "host-install",
        "host-build-prep",
        "capture-logs",
        "syslog-server",
    }
)


TestKey.__test__ = False  # type: ignore[attr-defined]  # not a pytest class


class Step(NamedTuple):
    """One step of one job: one testcase of a JUnit document (a named tuple: there are many)."""

    key: TestKey
    stepno: int
    status: Status
    duration: float | None = None
    message: str = ""
    output: str = ""
    features: frozenset[str] = frozenset()
    attempts: int = 1  # runs of the step: reruns and flaky attempts, plus the final one


@dataclass(frozen=True, slots=True)
class Job:
    """A named sequence of steps inside a flight."""

    name: str
    status: Status
    steps: tuple[Step, ...]
    host: str | None = None

    @property
    def passed(self) -> bool:
        """Tell whether the job and every step of it passed."""
        return self.status is Status.PASS and all(s.status is Status.PASS for s in self.steps)


@dataclass(frozen=True)
class Flight:
    """One run of the push gate on one branch, with the revisions it tested and its baseline."""

    number: int | None
    branch: str
    jobs: tuple[Job, ...]
    blessing: str = "real"
    revisions: Mapping[str, str] = field(default_factory=dict)
    baseline: Mapping[str, str] = field(default_factory=dict)
    started: datetime | None = None
    intended: str | None = None  # the blessing the flight was made for, when it differs
    log_url: str | None = None  # where its logs are, when its document says

    def steps(self) -> list[Step]:
        """Return every step of every job, in document order."""
        return [step for job in self.jobs for step in job.steps]


MAX_NUMBER = 2**31 - 1  # the largest flight or step number: the store's integers, on every engine
# The longest text pushgate keeps of each field of a flight, the same on every engine (the
# store's columns are this wide): a flight that says more is refused before it is stored.
FIELD_LIMITS = {
    "branch": 200,
    "blessing": 50,
    "intended blessing": 50,
    "job": 500,
    "host": 500,
    "testid": 1000,
    "feature tag": 200,
}


def over_limit(flight: Flight) -> str | None:
    """Say the first field of a flight that pushgate cannot keep, or None when it can keep all:
    a flight or step number above `MAX_NUMBER`, or a text longer than its `FIELD_LIMITS`."""
    if flight.number is not None and not 0 < flight.number <= MAX_NUMBER:
        return f"flight number {flight.number} is out of range (1 to {MAX_NUMBER})"
    for job in flight.jobs:
        for step in job.steps:
            if not 0 <= step.stepno <= MAX_NUMBER:
                return (
                    f"step number {step.stepno} of {step.key} is out of range (0 to {MAX_NUMBER})"
                )
    for name, value in _texts_of(flight):
        if value is not None and len(value) > FIELD_LIMITS[name]:
            shown = value[:40] + "..." if len(value) > 40 else value
            return (
                f"{name} {shown!r} is {len(value)} characters long; pushgate keeps at most "
                f"{FIELD_LIMITS[name]}"
            )
    return None


def _texts_of(flight: Flight) -> Iterator[tuple[str, str | None]]:
    """Yield each text field of a flight with its name, one at a time: a big flight has many."""
    yield from (
        ("branch", flight.branch),
        ("blessing", flight.blessing),
        ("intended blessing", flight.intended),
    )
    for job in flight.jobs:
        yield from (("job", job.name), ("host", job.host))
        for step in job.steps:
            yield "testid", step.key.testid
            for tag in step.features:
                yield "feature tag", tag


def flight_label(number: int | None, blessing: str | None) -> str | None:
    """Return a flight as osstest's reports name it: `17086`, or `17086-retest` for a retest."""
    if number is None:
        return None
    blessing = blessing or ""
    return f"{number}{blessing[blessing.index('-') :] if '-' in blessing else ''}"


NONE_EXECUTED = "<none executed>"  # the testid osstest gives a non-pass job with no non-pass step
JOB_STATUS = "<job status>"  # the testid of the line today's osstest gives every broken job
PSEUDO_TESTIDS = frozenset((NONE_EXECUTED, JOB_STATUS))  # lines about a job, not a step of it


@dataclass(frozen=True)
class PriorFlight:
    """Another flight of the same branch, as evidence: its revisions and the statuses it saw.

    `results` holds, for the test keys that matter to the flight being judged, the set of
    statuses that key had in this flight (a set, because other producers repeat testcases).
    `jobs` holds the status of each job the flight ran (at least those that matter); a flight
    that did not run a job is no evidence about it. `failures` are the flight's own non-pass
    steps, loaded for the flights that may excuse a heisenbug (None when not loaded).
    """

    number: int
    blessing: str
    revisions: Mapping[str, str]
    pushed: bool
    results: Mapping[TestKey, frozenset[Status]]
    jobs: Mapping[str, Status] | None = None
    failures: tuple[Step, ...] | None = None
    started: datetime | None = None
    baseline: Mapping[str, str] = field(default_factory=dict)  # as the flight declared it

    @classmethod
    def of(
        cls, flight: Flight, pushed: bool, keys: Collection[TestKey] | None = None
    ) -> PriorFlight:
        """Return a whole flight as evidence: the results of `keys`, or of every step."""
        assert flight.number is not None
        results: dict[TestKey, set[Status]] = {}
        for step in flight.steps():
            if keys is None or step.key in keys:
                results.setdefault(step.key, set()).add(step.status)
        return cls(
            number=flight.number,
            blessing=flight.blessing,
            revisions=dict(flight.revisions),
            pushed=pushed,
            results={k: frozenset(v) for k, v in results.items()},
            jobs={job.name: job.status for job in flight.jobs},
            failures=tuple(s for s in flight.steps() if s.status is not Status.PASS),
            started=flight.started,
            baseline=dict(flight.baseline),
        )

    def ran(self, job: str) -> bool:
        """Tell whether this flight ran the job (unknown job lists count every job)."""
        if self.jobs is None:
            return any(key.job == job for key in self.results)
        return job in self.jobs


@dataclass(frozen=True, slots=True)
class Finding:
    """One non-pass step with its classification and the flight that classification refers to.

    `in_flight` is set for a failure of another flight that this flight's report justifies (osstest
    prints it `fail in N ...`): the flight that excused one of this flight's heisenbugs.
    `ref_status` is the status the step had in the reference flight (`broken in N`);
    `ref_blessing` the reference flight's blessing, shown after its number (`N-retest`).
    """

    step: Step
    classification: Classification
    ref_flight: int | None = None
    ref_status: Status | None = None
    ref_blessing: str | None = None
    in_flight: int | None = None

    @property
    def blocking(self) -> bool:
        return self.classification.blocking

    @property
    def blocker(self) -> Blocker | None:
        """Return osstest's blocker kind of the step (`Classification.blocker`)."""
        return self.classification.blocker(self.step.status)

    @property
    def ref_label(self) -> str | None:
        """Return the reference flight as osstest shows it: `17086`, or `17086-retest`."""
        return flight_label(self.ref_flight, self.ref_blessing)


@dataclass(frozen=True)
class Judgement:
    """The gate's decision on one flight.

    `tested` and `baseline` are the revisions compared (osstest's `--this-` and `--that-` trees);
    `findings` hold this flight's own non-pass steps in document order, then the failures of the
    flights that excused its heisenbugs; `retests` are the retest flights of its revisions.
    """

    verdict: Verdict
    push: Push
    findings: tuple[Finding, ...]
    baseline: Mapping[str, str]
    baseline_flights: tuple[int, ...]
    tested: Mapping[str, str] = field(default_factory=dict)
    retests: tuple[int, ...] = ()

    @property
    def pushed(self) -> bool:
        return self.push.pushed

    def blocking(self) -> list[Finding]:
        """Return the findings that stop the push."""
        return [f for f in self.findings if f.blocking]

    def own(self) -> list[Finding]:
        """Return the findings of this flight's own steps."""
        return [f for f in self.findings if f.in_flight is None]


@dataclass(frozen=True, slots=True)
class Counts:
    """Testcases counted by their most severe result (not by a document's declared attributes)."""

    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0

    @classmethod
    def of(cls, steps: list[Step]) -> Counts:
        """Count steps: failures are fail, skipped those that never ran (skip, blocked, starved),
        errors the rest that did not pass (broken, and steps that had not finished)."""
        statuses = [step.status for step in steps]
        quiet = (Status.PASS, Status.FAIL, Status.SKIP, Status.BLOCKED, Status.STARVED)
        return cls(
            tests=len(statuses),
            failures=statuses.count(Status.FAIL),
            errors=sum(1 for s in statuses if s not in quiet),
            skipped=sum(1 for s in statuses if s.not_run),
        )
