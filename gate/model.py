"""What a flight, a job, a step and a verdict are: plain frozen values, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple


class Status(StrEnum):
    """The outcome of one step, after osstest's step statuses (plus `skip` for other producers)."""

    PASS = "pass"
    FAIL = "fail"
    BROKEN = "broken"
    BLOCKED = "blocked"
    SKIP = "skip"

    @property
    def failing(self) -> bool:
        return self in (Status.FAIL, Status.BROKEN)


class Classification(StrEnum):
    """How the gate judged one non-pass step against the branch's history."""

    BLOCKED = "blocked"
    SKIPPED = "skipped"
    NEVER_PASS = "never_pass"
    LIKE = "like"
    FAILED_IN = "failed_in"
    BASELINE_UNTESTED = "baseline_untested"
    PASS_IN = "pass_in"
    ALLOWABLE = "allowable"
    REGRESSION = "regression"

    @property
    def blocking(self) -> bool:
        return self is Classification.REGRESSION


class Verdict(StrEnum):
    """The flight's overall result, as osstest's report headline states it."""

    PERFECT = "perfect"
    TOLERABLE = "tolerable"
    REGRESSIONS = "regressions"
    TROUBLE = "trouble"

    @property
    def pushable(self) -> bool:
        return self in (Verdict.PERFECT, Verdict.TOLERABLE)


class TestKey(NamedTuple):
    """The identity of a test across flights: osstest matches steps by (job, testid), never stepno.

    A named tuple, not a dataclass: keys are hashed for every step of every flight.
    """

    job: str
    testid: str

    def __str__(self) -> str:
        return f"{self.job} {self.testid}"


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


@dataclass(frozen=True, slots=True)
class Job:
    """A named sequence of steps inside a flight."""

    name: str
    status: Status
    steps: tuple[Step, ...]
    host: str | None = None


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

    def steps(self) -> list[Step]:
        """Return every step of every job, in document order."""
        return [step for job in self.jobs for step in job.steps]


@dataclass(frozen=True)
class PriorFlight:
    """A lower flight of the same branch, as evidence: its revisions and the statuses it saw.

    `results` holds, for the test keys that matter to the flight being judged, the set of
    statuses that key had in this flight (a set, because other producers repeat testcases).
    """

    number: int
    blessing: str
    revisions: Mapping[str, str]
    pushed: bool
    results: Mapping[TestKey, frozenset[Status]]


@dataclass(frozen=True, slots=True)
class Finding:
    """One non-pass step with its classification and the flight that classification refers to."""

    step: Step
    classification: Classification
    ref_flight: int | None = None

    @property
    def blocking(self) -> bool:
        return self.classification.blocking


@dataclass(frozen=True)
class Judgement:
    """The gate's decision on one flight."""

    verdict: Verdict
    pushed: bool
    findings: tuple[Finding, ...]
    baseline: Mapping[str, str]
    baseline_flights: tuple[int, ...]

    def blocking(self) -> list[Finding]:
        """Return the findings that stop the push."""
        return [f for f in self.findings if f.blocking]


@dataclass(frozen=True, slots=True)
class Counts:
    """Testcases counted by their most severe result (not by a document's declared attributes)."""

    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0

    @classmethod
    def of(cls, steps: list[Step]) -> Counts:
        """Count steps: failures are fail, errors broken, skipped skip or blocked."""
        statuses = [step.status for step in steps]
        return cls(
            tests=len(statuses),
            failures=statuses.count(Status.FAIL),
            errors=statuses.count(Status.BROKEN),
            skipped=statuses.count(Status.SKIP) + statuses.count(Status.BLOCKED),
        )
