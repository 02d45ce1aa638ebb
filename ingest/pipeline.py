"""The one way results get in: parse a document, judge it, store it. The CLI, API and puller call it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gate.allow import AllowList
from gate.model import Counts
from gate.settings import Settings
from gate.store.db import writer
from gate.store.flights import SaveStatus, save_flight
from ingest.junit import Overrides, parse_flight
from ingest.source import IngestError, open_capped

ERROR = "error"


@dataclass(frozen=True)
class IngestResult:
    """What became of one input: `created`, `unchanged`, `replaced`, `conflict` or `error`."""

    path: str
    status: str
    error: str | None = None
    flight: int | None = None
    branch: str | None = None
    counts: Counts | None = None
    verdict: str | None = None

    @property
    def stored(self) -> bool:
        """Tell whether the database changed, so that the caller commits."""
        return self.status in (SaveStatus.CREATED, SaveStatus.REPLACED)

    @property
    def failed(self) -> bool:
        return self.status in (ERROR, SaveStatus.CONFLICT)

    def as_dict(self) -> dict[str, Any]:
        counts = self.counts or Counts()
        return {
            "path": self.path,
            "status": self.status,
            "error": self.error,
            "flight": self.flight,
            "branch": self.branch,
            "tests": counts.tests,
            "failures": counts.failures,
            "errors": counts.errors,
            "skipped": counts.skipped,
            "verdict": self.verdict,
        }


def _digest_of(document: str, overrides: Overrides) -> str:
    # What the command line said is part of the content: the same file ingested with another
    # baseline is another flight.
    said = json.dumps(
        {
            "branch": overrides.branch,
            "flight": overrides.flight,
            "blessing": overrides.blessing,
            "revisions": dict(overrides.revisions),
            "baseline": dict(overrides.baseline),
        },
        sort_keys=True,
    )
    return hashlib.sha256(f"{document}\n{said}".encode()).hexdigest()


def ingest_stream(
    session: Session,
    raw: BinaryIO,
    *,
    path: str,
    settings: Settings,
    now: datetime,
    overrides: Overrides | None = None,
    allow: AllowList | None = None,
    replace: bool = False,
) -> IngestResult:
    """Parse one results document (gzip or not), judge it and store it; never commits."""
    overrides = overrides or Overrides()
    reader = open_capped(raw, settings.max_xml_bytes)
    try:
        flight = parse_flight(
            reader,
            overrides,
            default_branch=settings.default_branch,
            excerpt_limit=settings.output_excerpt,
        )
        reader.drain()
    except IngestError as exc:
        return IngestResult(path, ERROR, error=str(exc))
    saved = save_flight(
        session,
        flight,
        digest=_digest_of(reader.hexdigest(), overrides),
        source=path,
        now=now,
        replace=replace,
        allow=allow,
        policy=settings.policy(),
    )
    error = None
    if saved.status is SaveStatus.CONFLICT:
        error = f"flight {saved.number} exists with different content (use --replace to replace it)"
    return IngestResult(
        path,
        saved.status.value,
        error=error,
        flight=saved.number,
        branch=flight.branch,
        counts=Counts.of(flight.steps()),
        verdict=saved.verdict.value,
    )


def ingest_document(
    engine: Engine,
    opener: Callable[[], BinaryIO],
    *,
    path: str,
    settings: Settings,
    now: datetime,
    overrides: Overrides | None = None,
    allow: AllowList | None = None,
    replace: bool = False,
) -> IngestResult:
    """Ingest one document in one transaction: stored whole, or not at all.

    Two writers racing for the same flight number meet at its primary key: the loser's
    transaction is rolled back and tried once more, when it finds the winner's flight.
    """
    for attempt in (1, 2):
        try:
            with Session(writer(engine)) as session, opener() as raw:
                result = ingest_stream(
                    session,
                    raw,
                    path=path,
                    settings=settings,
                    now=now,
                    overrides=overrides,
                    allow=allow,
                    replace=replace,
                )
                if result.stored:
                    session.commit()
                return result
        except IntegrityError:
            if attempt == 2:
                raise
        except OSError as exc:
            return IngestResult(path, ERROR, error=f"cannot read: {exc.strerror or exc}")
    raise AssertionError("unreachable")
