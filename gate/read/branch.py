"""The branch page and the gate status: push-gate age, trends, never-pass and flaky steps."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gate.model import (
    Classification,
    Status,
    TestKey,
    Verdict,
)
from gate.policy import Policy
from gate.store.flights import happened_by
from gate.store.records import BranchRecord, FlightRecord, StepRecord, TestRecord, as_utc
from gate.trends import (
    FlightAge,
    FlightMark,
    flaky,
    pass_rate_of,
    push_age,
)

_MARK_COLUMNS = (
    FlightRecord.id,
    FlightRecord.started,
    FlightRecord.ingested,
    FlightRecord.verdict,
    FlightRecord.pushed,
    FlightRecord.revisions,
    FlightRecord.judged_baseline,
    FlightRecord.judged_tested,
    FlightRecord.blessing,
)


def _mark(row: Any) -> FlightMark:
    n, started, ingested, verdict, pushed, revisions, baseline, tested, blessing = row
    at = as_utc(started or ingested)
    return FlightMark(n, at, Verdict(verdict), pushed, revisions, baseline, tested, blessing)


def branch_marks(session: Session, branch: str, now: datetime) -> list[FlightMark]:
    rows = session.execute(
        select(*_MARK_COLUMNS)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(BranchRecord.name == branch, happened_by(now))
        .order_by(FlightRecord.id)
    )
    return [_mark(row) for row in rows]


def marks_of(session: Session, branch: str, upto: int) -> list[FlightMark]:
    rows = session.execute(
        select(*_MARK_COLUMNS)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(BranchRecord.name == branch, FlightRecord.id <= upto)
        .order_by(FlightRecord.id)
    )
    return [_mark(row) for row in rows]


@dataclass(frozen=True)
class Mark:
    """A flight as the gate status names it."""

    flight: int
    started: datetime
    verdict: Verdict
    pushed: bool


def mark_of(mark: FlightMark | None) -> Mark | None:
    if mark is None:
        return None
    return Mark(mark.number, mark.at, mark.verdict, mark.pushed)


@dataclass(frozen=True)
class GateStatus:
    """A branch's push gate, as osstest's report sums it up for its newest flight."""

    branch: str
    newest: Mark | None
    basis: Mark | None
    days_since_push: float | None
    failing_since: Mark | None
    attempts: int
    same_since: Mark | None
    same_attempts: int


def gate_status(session: Session, branch: str, policy: Policy, now: datetime) -> GateStatus:
    """Summarise a branch's gate as osstest's report does for its newest flight: the last test
    of the basis, the flights since, and those of the revision under test."""
    marks = branch_marks(session, branch, now)
    newest = marks[-1] if marks else None
    if newest is None:
        age = None
    else:
        age = push_age(
            newest.number,
            newest.tested,
            newest.baseline,
            marks,
            now,
            blessing=policy.push_blessing,
        )
    by_number = {m.number: m for m in marks}

    def mark(found: FlightAge | None) -> Mark | None:
        return mark_of(by_number[found.number]) if found else None

    basis = age.basis if age else None
    return GateStatus(
        branch=branch,
        newest=mark_of(newest),
        basis=mark(basis),
        days_since_push=round((now - basis.started).total_seconds() / 86400, 1)
        if basis and basis.started
        else None,
        failing_since=mark(age.failing_since) if age else None,
        attempts=age.failing_attempts or 0 if age else 0,
        same_since=mark(age.same_since) if age else None,
        same_attempts=age.same_attempts if age else 0,
    )


@dataclass(frozen=True)
class TimelinePoint:
    """One flight of the branch over time."""

    flight: int
    started: datetime
    verdict: Verdict
    pushed: bool
    pass_rate: float | None
    blocking: int
    days_without_push: float | None


@dataclass(frozen=True)
class NeverPassed:
    job: str
    testid: str
    runs: int
    newest_flight: int


@dataclass(frozen=True)
class Flaky:
    job: str
    testid: str
    heisenbugs: int


@dataclass(frozen=True)
class BranchPage:
    """A branch's gate over time: pass rate, blockers, verdicts, pushes, never-pass and flaky steps."""

    branch: str
    gate: GateStatus
    flights: tuple[TimelinePoint, ...]
    never_pass: tuple[NeverPassed, ...]
    flaky: tuple[Flaky, ...]


def branch_detail(
    session: Session, branch: str, policy: Policy, now: datetime
) -> BranchPage | None:
    """A branch's gate over time: pass rate, blockers, verdicts, pushes, never-pass and flaky steps."""
    marks = branch_marks(session, branch, now)
    if not marks:
        return None
    in_branch = (
        select(FlightRecord.id)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(BranchRecord.name == branch, happened_by(now))
    )
    counts: dict[int, dict[Status, int]] = defaultdict(dict)
    for flight, status, n in session.execute(
        select(StepRecord.flight_id, StepRecord.status, func.count())
        .where(StepRecord.flight_id.in_(in_branch))
        .group_by(StepRecord.flight_id, StepRecord.status)
    ):
        counts[flight][Status(status)] = n
    blocking = {
        number: n
        for number, n in session.execute(
            select(FlightRecord.id, FlightRecord.blocking).where(FlightRecord.id.in_(in_branch))
        )
    }
    last_push: datetime | None = None
    timeline = []
    for mark in marks:
        if mark.pushed:
            last_push = mark.at
        timeline.append(
            TimelinePoint(
                flight=mark.number,
                started=mark.at,
                verdict=mark.verdict,
                pushed=mark.pushed,
                pass_rate=pass_rate_of(counts[mark.number]),
                blocking=blocking.get(mark.number, 0),
                days_without_push=round((mark.at - last_push).total_seconds() / 86400, 1)
                if last_push
                else None,
            )
        )
    return BranchPage(
        branch=branch,
        gate=gate_status(session, branch, policy, now),
        flights=tuple(timeline),
        never_pass=_never_passed(session, in_branch),
        flaky=_flaky(session, in_branch),
    )


def _never_passed(session: Session, in_branch: Any) -> tuple[NeverPassed, ...]:
    """Return the tests whose newest run on the branch the gate judged `never pass`."""
    newest = (
        select(
            StepRecord.test_id,
            func.max(StepRecord.flight_id).label("newest"),
            func.count().label("runs"),
        )
        .where(StepRecord.flight_id.in_(in_branch))
        .group_by(StepRecord.test_id)
        .subquery()
    )
    rows = session.execute(
        select(TestRecord.job, TestRecord.testid, newest.c.runs, newest.c.newest)
        .join(newest, newest.c.test_id == TestRecord.id)
        .join(
            StepRecord,
            (StepRecord.test_id == newest.c.test_id) & (StepRecord.flight_id == newest.c.newest),
        )
        .where(StepRecord.classification == Classification.NEVER_PASS.value)
        .distinct()
        .order_by(TestRecord.job, TestRecord.testid)
    )
    return tuple(NeverPassed(job, testid, runs, n) for job, testid, runs, n in rows)


def _flaky(session: Session, in_branch: Any) -> tuple[Flaky, ...]:
    """Return the tests with the most heisenbugs: judged `pass in N`, or passed after retries
    (as `gate.trends.StepRecordView.heisenbug` counts them)."""
    judged = StepRecord.classification.in_([c.value for c in Classification if c.heisenbug])
    retried = (StepRecord.status == Status.PASS.value) & (StepRecord.attempts > 1)
    rows = session.execute(
        select(TestRecord.job, TestRecord.testid, func.count())
        .join(StepRecord, StepRecord.test_id == TestRecord.id)
        .where(StepRecord.flight_id.in_(in_branch), judged | retried)
        .group_by(TestRecord.id, TestRecord.job, TestRecord.testid)
    )
    counts = {TestKey(job, testid): n for job, testid, n in rows}
    return tuple(Flaky(k.job, k.testid, n) for k, n in flaky(counts))
