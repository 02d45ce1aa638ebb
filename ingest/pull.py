"""Pull flights from a CI's results server: find the new ones in its index, ingest each in order.

Every flight goes through the same pipeline as `pushgate ingest`. Each source keeps a cursor in
the database (the flights that need no more fetching): a flight and the cursor's move past it
are committed together, one transaction per flight, so that a restart neither fetches a stored
flight again nor skips one. Talking to the server is `ingest.pull_http`'s, reading its index
`ingest.pull_index`'s.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gate.allow import AllowList
from gate.settings import Settings
from gate.store import sources
from gate.store.db import (
    DatabaseLocked,
    analyze,
    database_failures,
    unit_of_work,
    write_retrying,
)
from ingest.junit import Overrides
from ingest.pipeline import IngestResult, Outcome, announce, parse_document, store_parsed
from ingest.pull_http import NotThereYet, PullError, fetch_flight
from ingest.pull_index import RemoteFlight, discover, source_key

log = logging.getLogger("pushgate.pull")
# The library idiom: the application decides what is shown (the CLI prints each failure itself).
log.addHandler(logging.NullHandler())


@dataclass(frozen=True)
class RoundSummary:
    """What one round of pulling a source did: counts, and the result of each new flight."""

    source: str
    discovered: int
    skipped: int
    results: tuple[IngestResult, ...]
    not_modified: bool = False
    stopped: bool = False

    @property
    def new(self) -> int:
        return self.discovered - self.skipped

    @property
    def ingested(self) -> int:
        return sum(1 for r in self.results if r.stored)

    @property
    def unchanged(self) -> int:
        return sum(1 for r in self.results if r.status is Outcome.UNCHANGED)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if r.failed)

    @property
    def pending(self) -> int:
        return sum(1 for r in self.results if r.pending)

    @property
    def clean(self) -> bool:
        """Tell whether every new flight needs no more fetching (none failed or is pending)."""
        return all(r.status.saved is not None for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "not_modified": self.not_modified,
            "discovered": self.discovered,
            "new": self.new,
            "ingested": self.ingested,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "pending": self.pending,
            "skipped": self.skipped,
            "stopped": self.stopped,
            "flights": [r.as_dict() for r in self.results],
        }


# Told of each new flight's result, its position among the round's new flights, and their number.
Progress = Callable[[IngestResult, int, int], None]


def _ingest_one(
    engine: Engine,
    key: str,
    http: requests.Session,
    flight: RemoteFlight,
    *,
    settings: Settings,
    overrides: Overrides,
    allow: AllowList | None,
) -> IngestResult:
    """Fetch, parse, judge and store one flight, and move the cursor past it, in one transaction.

    A failure is a result, never an exception; a flight that failed or is pending leaves the
    cursor where it was, to be tried again next round.
    """
    try:
        fetched = fetch_flight(http, flight.url, limit=settings.max_xml_bytes)
    except NotThereYet as exc:
        return IngestResult(flight.url, Outcome.PENDING, error=str(exc))
    except PullError as exc:
        return IngestResult.refused(flight.url, str(exc))
    body = fetched.body
    parsed = parse_document(
        lambda: io.BytesIO(body), path=fetched.url, settings=settings, overrides=overrides
    )

    def store(session: Session) -> IngestResult:
        now = datetime.now(UTC)
        result = store_parsed(session, parsed, settings=settings, now=now, allow=allow)
        saved = result.status.saved
        if saved is not None:
            sources.mark_pulled(session, key, flight.number, saved, now)
        return result

    try:
        result = write_retrying(engine, store, attempts=settings.write_attempts)
    except DatabaseLocked as exc:
        return IngestResult(fetched.url, Outcome.LOCKED, error=str(exc))
    announce(result, settings)
    if result.conflict:
        error = (
            f"flight {result.flight} is stored with different content: the stored one is kept "
            "and this one is not fetched again"
        )
        result = dataclasses.replace(result, error=error)
    return result


@database_failures()
def pull_round(
    engine: Engine,
    base_url: str,
    *,
    settings: Settings,
    overrides: Overrides,
    junit_name: str,
    allow: AllowList | None,
    session: requests.Session,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    listed: Callable[[int], None] | None = None,
) -> RoundSummary:
    """Discover a source's flights and ingest the new ones in flight order, each on its own.

    A flight that is stored, unchanged or in conflict moves the cursor in the transaction that
    stores it; one that fails to fetch or parse is logged and tried again next round. The
    index's validators are kept only after a round that left nothing to retry, so that a 304
    never hides a flight that failed. `stop`, once set, ends the round between flights.
    `listed` is told how many new flights the index lists before the first is fetched. Raises
    PullError when the index cannot be read, gate.store.db's DatabaseUnavailable when the
    database fails (the flight being stored is rolled back: the next round resumes from the
    cursor).
    """
    key = source_key(base_url)
    with Session(engine) as reading:
        cursor = sources.cursor(reading, key)
    found = discover(
        session,
        base_url,
        junit_name=junit_name,
        etag=cursor.etag,
        last_modified=cursor.last_modified,
    )
    todo = [f for f in found.flights if f.number not in cursor.pulled]
    if listed is not None:
        listed(len(todo))
    results: list[IngestResult] = []
    for position, flight in enumerate(todo, start=1):
        if stop is not None and stop.is_set():
            break
        result = _ingest_one(
            engine, key, session, flight, settings=settings, overrides=overrides, allow=allow
        )
        if result.failed:
            log.warning("%s: %s", result.path, result.error)
        results.append(result)
        if progress is not None:
            progress(result, position, len(todo))
    summary = RoundSummary(
        key,
        discovered=len(found.flights),
        skipped=len(found.flights) - len(todo),
        results=tuple(results),
        not_modified=found.not_modified,
        stopped=len(results) < len(todo),
    )
    if not summary.not_modified and not summary.stopped:
        # After a failure the next round must read the index again, not hear 304.
        etag, last_modified = (found.etag, found.last_modified) if summary.clean else (None, None)
        with unit_of_work(engine) as writing:
            sources.remember(writing, key, etag, last_modified)
    if any(result.stored for result in summary.results):
        analyze(engine)  # the history changed shape: let the planner see it
    return summary
