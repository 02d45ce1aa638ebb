"""The branch page and the gate status: push-gate age, trends, never-pass and flaky steps."""

from __future__ import annotations

from collections import Counter, defaultdict
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
from gate.read.release import ReleaseDates, branch_release
from gate.read.steps import NotableRow, notable_steps
from gate.store.bulk import in_chunks
from gate.store.flights import happened_by
from gate.store.records import (
    BranchRecord,
    FlightRecord,
    FlightStatusRecord,
    StepRecord,
    TestRecord,
    as_utc,
)
from gate.trends import (
    FlightAge,
    FlightMark,
    PushAge,
    flaky,
    is_heisenbug,
    pass_rate_of,
    push_age,
)

BRANCH_FLIGHTS = 100  # the newest flights the branch page shows

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


def branch_marks(
    session: Session,
    branch: str,
    now: datetime | None,
    *,
    newest: int | None = None,
    since: int | None = None,
    upto: int | None = None,
) -> list[FlightMark]:
    """Return the branch's flights that happened by `now` (all when None), oldest first: only
    the `newest` N, or those from flight `since` on, or up to flight `upto`, when asked."""
    query = (
        select(*_MARK_COLUMNS)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(BranchRecord.name == branch)
        .order_by(FlightRecord.id.desc())
    )
    if now is not None:
        query = query.where(happened_by(now))
    if since is not None:
        query = query.where(FlightRecord.id >= since)
    if upto is not None:
        query = query.where(FlightRecord.id <= upto)
    if newest is not None:
        query = query.limit(newest)
    return [_mark(row) for row in reversed(session.execute(query).all())]


def _last_push(
    session: Session, branch: str, now: datetime | None, blessing: str, upto: int | None = None
) -> FlightRecord | None:
    query = (
        select(FlightRecord)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(
            BranchRecord.name == branch,
            FlightRecord.pushed.is_(True),
            FlightRecord.blessing == blessing,
        )
        .order_by(FlightRecord.id.desc())
        .limit(1)
    )
    if now is not None:
        query = query.where(happened_by(now))
    if upto is not None:
        query = query.where(FlightRecord.id <= upto)
    return session.scalars(query).first()


def flight_age(
    session: Session,
    branch: str,
    number: int,
    policy: Policy,
    now: datetime,
    *,
    seen_by: datetime | None = None,
) -> PushAge:
    """Return flight `number`'s push-gate age (`gate.trends.push_age`) as of `now`, among the
    flights that happened by `seen_by` (all when None)."""
    return _aged(session, branch, number, policy, now, seen_by)[0]


def _aged(
    session: Session,
    branch: str,
    number: int,
    policy: Policy,
    now: datetime,
    seen_by: datetime | None,
) -> tuple[PushAge, list[FlightMark]]:
    """Return a flight's push-gate age and the flights it was read from.

    The last test of the basis is, but for a baseline declared from elsewhere, at or after the
    last push up to the flight: the flights from that push on are read, and all of them only
    when no basis is among those.
    """
    pushed = _last_push(session, branch, seen_by, policy.push_blessing, upto=number)
    since = pushed.id if pushed else None
    while True:
        marks = branch_marks(session, branch, seen_by, since=since, upto=number)
        flight = next(m for m in reversed(marks) if m.number == number)
        age = push_age(
            number, flight.tested, flight.baseline, marks, now, blessing=policy.push_blessing
        )
        if age.basis is not None or since is None:
            return age, marks
        since = None


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
    basis: Mark | None  # the last test of the basis (osstest's words): it need not be pushed
    days_since_push: float | None  # from the start of `last_push`
    failing_since: Mark | None
    attempts: int
    same_since: Mark | None
    same_attempts: int
    last_push: Mark | None = None  # the newest pushed flight by the moment shown
    flights_since_push: int = 0  # flights of the branch after it, by then


def gate_status(session: Session, branch: str, policy: Policy, now: datetime) -> GateStatus:
    """Summarise a branch's gate as osstest's report does for its newest flight: the last test
    of the basis, the flights since, and those of the revision under test."""
    newest_only = branch_marks(session, branch, now, newest=1)
    newest = newest_only[-1] if newest_only else None
    age, read = None, {}
    if newest is not None:
        age, marks = _aged(session, branch, newest.number, policy, now, now)
        read = {m.number: m for m in marks}

    def mark(found: FlightAge | None) -> Mark | None:
        # Every flight the age names is among those it was read from.
        return mark_of(read[found.number]) if found else None

    basis = age.basis if age else None
    pushed = _last_push(session, branch, now, policy.push_blessing)
    pushed_at = as_utc(pushed.started or pushed.ingested) if pushed else None
    return GateStatus(
        branch=branch,
        newest=mark_of(newest),
        basis=mark(basis),
        days_since_push=round((now - pushed_at).total_seconds() / 86400, 1) if pushed_at else None,
        failing_since=mark(age.failing_since) if age else None,
        attempts=age.failing_attempts or 0 if age else 0,
        same_since=mark(age.same_since) if age else None,
        same_attempts=age.same_attempts if age else 0,
        last_push=Mark(pushed.id, pushed_at, Verdict(pushed.verdict), True)
        if pushed and pushed_at
        else None,
        flights_since_push=sum(1 for m in read.values() if pushed and m.number > pushed.id),
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
    release: ReleaseDates | None = None  # the milestones of the release made from this branch


def branch_detail(
    session: Session, branch: str, policy: Policy, now: datetime
) -> BranchPage | None:
    """A branch's gate over its newest flights (`BRANCH_FLIGHTS`): pass rate, blockers,
    verdicts, pushes, and the steps that never passed or were flaky in them."""
    marks = branch_marks(session, branch, now, newest=BRANCH_FLIGHTS)
    if not marks:
        return None
    numbers = [m.number for m in marks]
    counts: dict[int, dict[Status, int]] = defaultdict(dict)
    blocking: dict[int, int] = {}
    for chunk in in_chunks(numbers):
        for flight, status, n in session.execute(
            select(
                FlightStatusRecord.flight_id, FlightStatusRecord.status, FlightStatusRecord.steps
            ).where(FlightStatusRecord.flight_id.in_(chunk))
        ):
            counts[flight][Status(status)] = n
        for number, n in session.execute(
            select(FlightRecord.id, FlightRecord.blocking).where(FlightRecord.id.in_(chunk))
        ):
            blocking[number] = n
    earlier = _last_push(session, branch, now, policy.push_blessing, upto=numbers[0] - 1)
    last_push = as_utc(earlier.started or earlier.ingested) if earlier else None
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
    notable = notable_steps(session, numbers)
    keys = _keys(session, {row.test_id for row in notable})
    return BranchPage(
        branch=branch,
        gate=gate_status(session, branch, policy, now),
        flights=tuple(timeline),
        never_pass=_never_passed(session, numbers, notable, keys),
        flaky=_flaky(notable, keys),
        release=branch_release(session, branch, now),
    )


def _keys(session: Session, test_ids: set[int]) -> dict[int, TestKey]:
    found: dict[int, TestKey] = {}
    for chunk in in_chunks(sorted(test_ids)):
        for test_id, job, testid in session.execute(
            select(TestRecord.id, TestRecord.job, TestRecord.testid).where(TestRecord.id.in_(chunk))
        ):
            found[test_id] = TestKey(job, testid)
    return found


def _never_passed(
    session: Session, flights: list[int], notable: list[NotableRow], keys: dict[int, TestKey]
) -> tuple[NeverPassed, ...]:
    """Return the tests whose newest run in these flights the gate judged `never pass`."""
    newest: dict[int, NotableRow] = {row.test_id: row for row in notable}  # rows: oldest first
    candidates = sorted(
        t for t, row in newest.items() if row.classification == Classification.NEVER_PASS.value
    )
    found = []
    for chunk in in_chunks(candidates):
        for test_id, last, runs in session.execute(
            select(StepRecord.test_id, func.max(StepRecord.flight_id), func.count())
            .where(StepRecord.test_id.in_(chunk), StepRecord.flight_id.in_(flights))
            .group_by(StepRecord.test_id)
        ):
            if last == newest[test_id].flight:  # no pass came after it
                found.append(NeverPassed(keys[test_id].job, keys[test_id].testid, runs, last))
    return tuple(sorted(found, key=lambda n: (n.job, n.testid)))


def _flaky(notable: list[NotableRow], keys: dict[int, TestKey]) -> tuple[Flaky, ...]:
    """Return the tests with the most heisenbugs in these flights (`gate.trends.is_heisenbug`)."""
    counts: Counter[TestKey] = Counter(
        keys[row.test_id]
        for row in notable
        if is_heisenbug(
            Status(row.status),
            Classification(row.classification) if row.classification else None,
            row.attempts,
        )
    )
    return tuple(Flaky(k.job, k.testid, n) for k, n in flaky(counts))
