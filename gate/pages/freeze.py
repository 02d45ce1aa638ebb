"""A release as of a day beside today: its kept snapshot or its readiness judged then."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from gate.pages.readiness import readiness
from gate.policy import Policy
from gate.read.freeze import (
    FrozenView,
    frozen,
    frozen_ahead,
    milestone_of,
    seen_by_slug,
    start_of,
)
from gate.store.freeze import snapshot
from gate.store.roadmap import release_of, release_record


def frozen_view(
    session: Session, policy: Policy, now: datetime, name: str, day: date
) -> FrozenView:
    """A release as of `day`: its kept snapshot when the day is a milestone that has one, else
    its readiness judged as of then; beside it, its readiness as of `now`."""
    record = release_record(session, name)
    release = release_of(record)
    _rel, current = readiness(session, policy, now, name)
    at = start_of(day)
    if at > now:  # a moment after the one shown: it has not happened yet
        return frozen_ahead(release, day, now, current)
    milestone = milestone_of(release, day)
    kept = snapshot(session, record.id, milestone) if milestone else None
    if kept is not None:
        then = dict(kept.features)
    else:
        _rel, judged = readiness(session, policy, at, name)
        then = seen_by_slug(judged)
    return frozen(release, day, now, then, seen_by_slug(current), kept)
