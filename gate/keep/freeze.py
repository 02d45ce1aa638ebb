"""The freeze snapshots, kept: each release's readiness at its feature and code freezes, taken
when the first flight after the milestone is stored and again when one before it comes late."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gate.model import Flight
from gate.pages.readiness import readiness
from gate.policy import Policy
from gate.read.freeze import MILESTONES
from gate.store.flights import flight_span
from gate.store.freeze import has_snapshot, keep_snapshot
from gate.store.records import ReleaseRecord, as_utc
from gate.store.roadmap import release_of


def freeze_due(
    session: Session, policy: Policy, taken: datetime, *, arrived: Flight | None = None
) -> list[tuple[str, str]]:
    """Keep the snapshots of the milestones that a stored flight has passed and that have none
    yet, and take again those that `arrived` (a flight just stored) started before; return the
    (release, milestone) pairs kept now."""
    kept = []
    for record in session.scalars(select(ReleaseRecord).order_by(ReleaseRecord.id)):
        release = release_of(record)
        span = flight_span(session, release.branch)
        for milestone in MILESTONES:
            moment = release.milestone_moment(milestone)
            if span is None or span[1] < moment:
                continue
            if has_snapshot(session, record.id, milestone) and not _before(
                arrived, release.branch, moment
            ):
                continue
            # None yet, or a flight of before the milestone came late: what it says counts.
            _rel, judged = readiness(session, policy, moment, release.name)
            keep_snapshot(session, record.id, milestone, moment, taken, judged)
            kept.append((release.name, milestone))
    return kept


def _before(flight: Flight | None, branch: str, moment: datetime) -> bool:
    """Tell whether a flight of the branch started before a moment."""
    return (
        flight is not None
        and flight.branch == branch
        and flight.started is not None
        and as_utc(flight.started) < moment
    )
