"""The one way results get in: parse a document, judge it, store it. The CLI, API and puller call it."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, BinaryIO

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gate.allow import AllowList
from gate.model import Counts, Flight
from gate.settings import Settings
from gate.store.db import writer
from gate.store.flights import SaveStatus, save_flight
from ingest.junit import Overrides, parse_flight
from ingest.notify import dispatch, payload, webhook_urls
from ingest.source import DocumentTooLarge, IngestError, open_capped

ERROR = "error"
PARSE_AHEAD_FROM = 3  # files; below that a second process costs more than it saves


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
    too_large: bool = False
    changes: tuple[str, ...] = ()  # the earlier or later flights whose verdict or push it changed

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
            "changed": list(self.changes),
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


@dataclass(frozen=True)
class Parsed:
    """A document read into a flight (with its digest), or the reason it could not be."""

    path: str
    flight: Flight | None = None
    digest: str = ""
    error: str | None = None
    too_large: bool = False


def parse_document(
    opener: Callable[[], BinaryIO], *, path: str, settings: Settings, overrides: Overrides
) -> Parsed:
    """Read one results document (gzip or not) into a flight; touches no database."""
    try:
        with opener() as raw:
            reader = open_capped(raw, settings.max_xml_bytes)
            flight = parse_flight(
                reader,
                overrides,
                default_branch=settings.default_branch,
                excerpt_limit=settings.output_excerpt,
            )
            reader.drain()
    except IngestError as exc:
        return Parsed(path, error=str(exc), too_large=isinstance(exc, DocumentTooLarge))
    except OSError as exc:
        return Parsed(path, error=f"cannot read: {exc.strerror or exc}")
    return Parsed(path, flight, _digest_of(reader.hexdigest(), overrides))


def store_parsed(
    engine: Engine,
    parsed: Parsed,
    *,
    settings: Settings,
    now: datetime,
    allow: AllowList | None = None,
    replace: bool = False,
) -> IngestResult:
    """Judge and store a parsed flight in one transaction: stored whole, or not at all.

    The flight is judged with the allow list of its branch (`AllowList.for_branch`).

    Two writers racing for the same flight number meet at its primary key: the loser's
    transaction is rolled back and tried once more, when it finds the winner's flight.
    """
    if parsed.flight is None:
        return IngestResult(parsed.path, ERROR, error=parsed.error, too_large=parsed.too_large)
    flight = parsed.flight
    for attempt in (1, 2):
        try:
            with Session(writer(engine)) as session:
                saved = save_flight(
                    session,
                    flight,
                    digest=parsed.digest,
                    source=parsed.path,
                    now=now,
                    replace=replace,
                    allow=None if allow is None else allow.for_branch(flight.branch),
                    policy=settings.policy(),
                )
                if saved.status in (SaveStatus.CREATED, SaveStatus.REPLACED):
                    session.commit()
                break
        except IntegrityError:
            if attempt == 2:
                raise
    urls = webhook_urls(settings)
    if urls and saved.judgement is not None:
        judged = dataclasses.replace(flight, number=saved.number)
        body = payload(judged, saved.judgement, settings.base_url)
        dispatch(urls, body, timeout=settings.webhook_timeout)
    error = None
    if saved.status is SaveStatus.CONFLICT:
        error = f"flight {saved.number} exists with different content"
    return IngestResult(
        parsed.path,
        saved.status.value,
        error=error,
        flight=saved.number,
        branch=flight.branch,
        counts=Counts.of(flight.steps()),
        verdict=saved.verdict.value,
        changes=tuple(change.sentence() for change in saved.changes),
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
    """Parse, judge and store one document in one transaction."""
    parsed = parse_document(
        opener, path=path, settings=settings, overrides=overrides or Overrides()
    )
    return store_parsed(engine, parsed, settings=settings, now=now, allow=allow, replace=replace)


def _open_path(path: str) -> BinaryIO:
    return open(path, "rb")  # noqa: SIM115 - parse_document closes it


def _parse_path(path: str, settings: Settings, overrides: Overrides) -> Parsed:
    return parse_document(
        partial(_open_path, path), path=path, settings=settings, overrides=overrides
    )


def _parsed_in_order(
    paths: Sequence[str], settings: Settings, overrides: Overrides
) -> Iterator[Parsed]:
    """Parse files in order; with several, a second process parses ahead of the caller."""
    if len(paths) < PARSE_AHEAD_FROM or "fork" not in multiprocessing.get_all_start_methods():
        for path in paths:
            yield _parse_path(path, settings, overrides)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        ahead = deque(pool.submit(_parse_path, p, settings, overrides) for p in paths[:2])
        for index in range(len(paths)):
            parsed = ahead.popleft().result()
            if index + 2 < len(paths):
                ahead.append(pool.submit(_parse_path, paths[index + 2], settings, overrides))
            yield parsed


def ingest_paths(
    engine: Engine,
    paths: Sequence[str],
    *,
    settings: Settings,
    overrides: Overrides | None = None,
    allow: AllowList | None = None,
    replace: bool = False,
) -> Iterator[IngestResult]:
    """Ingest files in order, each in its own transaction, yielding each result as it lands.

    With several files, a second process parses the next file while this one stores the last:
    flights are still judged and stored strictly in order.
    """
    for parsed in _parsed_in_order(paths, settings, overrides or Overrides()):
        now = datetime.now(UTC)
        yield store_parsed(engine, parsed, settings=settings, now=now, allow=allow, replace=replace)
