"""What the flight pages ask of the store beyond a flight itself: the branches there are, the
retests a flight names, and the flight before one on its branch."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gate.report import FlightLine
from gate.store.records import BranchRecord, FlightRecord, happened_by


def branch_names(session: Session) -> list[str]:
    """Return the name of every branch, in order."""
    return list(session.scalars(select(BranchRecord.name).order_by(BranchRecord.name)))


def retest_lines(session: Session, numbers: Collection[int]) -> list[FlightLine]:
    """Return the report's line of each of these flights (its log URL None when none is kept)."""
    rows = session.execute(
        select(
            FlightRecord.id, FlightRecord.blessing, FlightRecord.intended, FlightRecord.log_url
        ).where(FlightRecord.id.in_(list(numbers)))
    )
    return [FlightLine(number, blessing, intended, log) for number, blessing, intended, log in rows]


def previous_flight(session: Session, branch: str, number: int, now: datetime) -> int | None:
    """Return the newest flight of the branch below flight `number` that had happened by `now`."""
    return session.scalar(
        select(FlightRecord.id)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(BranchRecord.name == branch, FlightRecord.id < number, happened_by(now))
        .order_by(FlightRecord.id.desc())
        .limit(1)
    )
