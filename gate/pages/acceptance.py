"""The accepted regressions of a release in force at a moment, fetched and shaped."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gate.read.acceptance import AcceptedList, accepted_list
from gate.store.acceptance import accepted_at
from gate.store.roadmap import release_record


def accepted(session: Session, now: datetime, release: str | None = None) -> AcceptedList:
    """List what is accepted for a release (the newest release by default) at `now`."""
    name = release_record(session, release).name
    return accepted_list(name, now, accepted_at(session, name, now).values())
