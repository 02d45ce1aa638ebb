"""What the store answers about a branch's flights: their marks, its last push, each flight's
counts of steps by status, and how often tests ran among some flights."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gate.model import Status, Verdict
from gate.store.bulk import in_chunks
from gate.store.records import (
    BranchRecord,
    FlightRecord,
    FlightStatusRecord,
    StepRecord,
    as_utc,
    happened_by,
)
from gate.trends import FlightMark

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


@dataclass(frozen=True)
class Push:
    """A pushed flight: its number, when it started, and its verdict."""

    flight: int
    at: datetime
    verdict: Verdict


def last_push(
    session: Session, branch: str, now: datetime | None, blessing: str, upto: int | None = None
) -> Push | None:
    """Return the branch's newest pushed flight of this blessing that happened by `now` (any
    when None), up to flight `upto` when given."""
    query = (
        select(FlightRecord.id, FlightRecord.started, FlightRecord.ingested, FlightRecord.verdict)
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
    row = session.execute(query).first()
    if row is None:
        return None
    number, started, ingested, verdict = row
    return Push(number, as_utc(started or ingested), Verdict(verdict))


@dataclass(frozen=True)
class FlightCounts:
    """Each flight's steps by status and its blocking findings, as the summaries keep them."""

    statuses: dict[int, dict[Status, int]]
    blocking: dict[int, int]


def flight_counts(session: Session, numbers: Sequence[int]) -> FlightCounts:
    """Return the kept counts of these flights: steps by status, and blocking findings."""
    statuses: dict[int, dict[Status, int]] = defaultdict(dict)
    blocking: dict[int, int] = {}
    for chunk in in_chunks(numbers):
        for flight, status, n in session.execute(
            select(
                FlightStatusRecord.flight_id, FlightStatusRecord.status, FlightStatusRecord.steps
            ).where(FlightStatusRecord.flight_id.in_(chunk))
        ):
            statuses[flight][Status(status)] = n
        for number, n in session.execute(
            select(FlightRecord.id, FlightRecord.blocking).where(FlightRecord.id.in_(chunk))
        ):
            blocking[number] = n
    return FlightCounts(dict(statuses), blocking)


def runs_among(
    session: Session, test_ids: Collection[int], flights: Sequence[int]
) -> dict[int, tuple[int, int]]:
    """Return, for each of these tests, the newest of these flights it ran in and in how many."""
    found: dict[int, tuple[int, int]] = {}
    for chunk in in_chunks(sorted(test_ids)):
        for test_id, last, runs in session.execute(
            select(StepRecord.test_id, func.max(StepRecord.flight_id), func.count())
            .where(StepRecord.test_id.in_(chunk), StepRecord.flight_id.in_(flights))
            .group_by(StepRecord.test_id)
        ):
            found[test_id] = (last, runs)
    return found
