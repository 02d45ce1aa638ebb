"""The pull sources: each results server's cursor (the flights that need no more fetching) and
what its index said last time.

A source is known by its key (its index URL without credentials) and gets its row on its first
write. Every function takes a Session and never commits: the entrypoint owns the transaction,
so a flight and the cursor's move past it are committed together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gate.store.flights import SaveStatus
from gate.store.records import PulledFlightRecord, PullSourceRecord


@dataclass(frozen=True)
class Cursor:
    """Where a source's pulling stands: the flights that need no more fetching, and the
    validators (ETag, Last-Modified) of its index for the next conditional GET."""

    key: str
    pulled: frozenset[int] = frozenset()
    etag: str | None = None
    last_modified: str | None = None


def _source(session: Session, key: str) -> PullSourceRecord | None:
    query = select(PullSourceRecord).where(PullSourceRecord.url == key)
    return session.scalars(query).one_or_none()


def _source_id(session: Session, key: str) -> int:
    """Return the id of the source named `key`, creating it on its first write."""
    found = _source(session, key)
    if found is not None:
        return found.id
    record = PullSourceRecord(url=key)
    try:
        # The unique url decides, also against a concurrent first round of the same source.
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        found = _source(session, key)
        assert found is not None
        return found.id
    return record.id


def cursor(session: Session, key: str) -> Cursor:
    """Return the cursor of the source named `key`; a source never pulled has an empty one."""
    found = _source(session, key)
    if found is None:
        return Cursor(key)
    query = select(PulledFlightRecord.flight).where(PulledFlightRecord.source_id == found.id)
    return Cursor(key, frozenset(session.scalars(query)), found.etag, found.last_modified)


def mark_pulled(session: Session, key: str, flight: int, status: SaveStatus, now: datetime) -> None:
    """Move the source's cursor past one flight, with what saving it did."""
    session.merge(
        PulledFlightRecord(
            source_id=_source_id(session, key), flight=flight, status=status.value, at=now
        )
    )


def remember(session: Session, key: str, etag: str | None, last_modified: str | None) -> None:
    """Keep the index's validators for the next round's conditional GET (None forgets them)."""
    session.execute(
        update(PullSourceRecord)
        .where(PullSourceRecord.id == _source_id(session, key))
        .values(etag=etag, last_modified=last_modified)
    )
