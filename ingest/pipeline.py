"""The one way results get in: parse a document, judge it, store it. The CLI, API and puller call it.

`parse_document` touches no database; `store_parsed` judges and saves in the caller's
transaction and never commits; the caller (`ingest_paths` here, the API's view, the puller's
round) commits once per flight, then `announce`s it to the webhooks. Between the two, the steps'
texts wait in a `StepTexts`, out of memory, until the store writes the step rows.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import multiprocessing
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from typing import Any, BinaryIO

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gate.alerts import EVENT_SETS, Event
from gate.allow import AllowList
from gate.keep.days import keep_days
from gate.keep.freeze import freeze_due
from gate.model import Counts, Flight, over_limit
from gate.pages.alerts import alert_state, alerts_between
from gate.settings import Settings
from gate.store.db import DatabaseLocked, analyze, write_retrying
from gate.store.flights import SaveStatus, save_flight
from ingest.junit import Overrides, parse_flight
from ingest.notify import alert_payloads, dispatch, payload, webhook_urls
from ingest.source import DocumentTooLarge, IngestError, open_capped
from ingest.texts import StepTexts

PARSE_AHEAD_FROM = 3  # files; below that a second process costs more than it saves


class Outcome(StrEnum):
    """What became of one input: the store's save statuses, or why nothing was saved."""

    CREATED = SaveStatus.CREATED.value
    UNCHANGED = SaveStatus.UNCHANGED.value
    REPLACED = SaveStatus.REPLACED.value
    CONFLICT = SaveStatus.CONFLICT.value
    ERROR = "error"  # the document could not be fetched or read
    PENDING = "pending"  # the flight's results are not written yet
    LOCKED = "locked"  # another writer kept SQLite's lock through every attempt: nothing saved

    @property
    def stored(self) -> bool:
        """Tell whether the database changed."""
        return self in (Outcome.CREATED, Outcome.REPLACED)

    @property
    def failed(self) -> bool:
        """Tell whether the input is reported as a failure."""
        return self in (Outcome.ERROR, Outcome.CONFLICT, Outcome.LOCKED)

    @property
    def saved(self) -> SaveStatus | None:
        """Return what saving the flight did, or None when it was not saved at all."""
        unsaved = (Outcome.ERROR, Outcome.PENDING, Outcome.LOCKED)
        return None if self in unsaved else SaveStatus(self.value)


@dataclass(frozen=True)
class IngestResult:
    """What became of one input, with the flight it became when it was read."""

    path: str
    status: Outcome
    error: str | None = None
    flight: int | None = None
    branch: str | None = None
    counts: Counts | None = None
    verdict: str | None = None
    too_large: bool = False
    changes: tuple[str, ...] = ()  # the earlier or later flights whose verdict or push it changed
    # What the webhooks are told once the flight's transaction is committed (see `announce`).
    # What the webhooks are told, one body each (`announce`), once the flight is committed.
    news: tuple[dict[str, Any], ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def refused(cls, path: str, error: str, *, too_large: bool = False) -> IngestResult:
        """Return the result of an input that could not be read."""
        return cls(path, Outcome.ERROR, error=error, too_large=too_large)

    @property
    def stored(self) -> bool:
        """Tell whether the database changed."""
        return self.status.stored

    @property
    def failed(self) -> bool:
        return self.status.failed

    @property
    def conflict(self) -> bool:
        """Tell whether the flight is stored already with different content."""
        return self.status is Outcome.CONFLICT

    @property
    def pending(self) -> bool:
        """Tell whether the flight's results are not written yet."""
        return self.status is Outcome.PENDING

    @property
    def locked(self) -> bool:
        """Tell whether another writer kept the database locked through every attempt."""
        return self.status is Outcome.LOCKED

    def as_dict(self) -> dict[str, Any]:
        counts = self.counts or Counts()
        return {
            "path": self.path,
            "status": self.status.value,
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
    """A document read into a flight (with its digest), or the reason it could not be.

    The flight's steps carry no texts: `texts` holds each one's message and output.
    """

    path: str
    flight: Flight | None = None
    digest: str = ""
    error: str | None = None
    too_large: bool = False
    texts: StepTexts | None = field(default=None, repr=False, compare=False)

    def close(self) -> None:
        """Let the steps' texts go, once the flight is stored (or will not be)."""
        if self.texts is not None:
            self.texts.close()


def parse_document(
    opener: Callable[[], BinaryIO],
    *,
    path: str,
    settings: Settings,
    overrides: Overrides,
    texts_dir: str | None = None,
) -> Parsed:
    """Read one results document (gzip or not) into a flight; touches no database.

    The steps' texts are spooled to a named file in `texts_dir` when the result must travel to
    another process; else to memory and, past a few megabytes, an anonymous temporary file.
    """
    texts = StepTexts(texts_dir)
    try:
        with opener() as raw:
            reader = open_capped(raw, settings.max_xml_bytes)
            flight = parse_flight(
                reader,
                overrides,
                default_branch=settings.default_branch,
                excerpt_limit=settings.output_excerpt,
                texts=texts,
            )
            reader.drain()
            if (why := over_limit(flight)) is not None:
                raise IngestError(why)
    except IngestError as exc:
        texts.close()
        return Parsed(path, error=str(exc), too_large=isinstance(exc, DocumentTooLarge))
    except OSError as exc:
        texts.close()
        return Parsed(path, error=f"cannot read: {exc.strerror or exc}")
    except BaseException:
        texts.close()
        raise
    return Parsed(path, flight, _digest_of(reader.hexdigest(), overrides), texts=texts)


def store_parsed(
    session: Session,
    parsed: Parsed,
    *,
    settings: Settings,
    now: datetime,
    allow: AllowList | None = None,
    replace: bool = False,
) -> IngestResult:
    """Judge and save a parsed flight in the caller's transaction, whole or not at all.

    The caller commits, then `announce`s the result. The flight is judged with the allow list
    of its branch (`AllowList.for_branch`).

    Two writers racing for the same flight number meet at its primary key: the loser's save is
    rolled back to its savepoint and tried once more, when it finds the winner's flight.
    """
    if parsed.flight is None:
        reason = parsed.error or "the document could not be read"
        return IngestResult.refused(parsed.path, reason, too_large=parsed.too_large)
    flight = parsed.flight
    told = settings.webhook_event_set() if webhook_urls(settings) else frozenset()
    # Alerts are what the flight changed: the state before it is read in its transaction.
    alerting = bool(told & EVENT_SETS["alerts"])
    before = alert_state(session, flight.branch, settings.policy(), now) if alerting else None
    saved = save_flight(
        session,
        flight,
        texts=parsed.texts,
        digest=parsed.digest,
        source=parsed.path,
        now=now,
        replace=replace,
        allow=None if allow is None else allow.for_branch(flight.branch),
        policy=settings.policy(),
    )
    if saved.judgement is not None:  # stored now: a freeze it passed is kept as it stands
        freeze_due(session, settings.policy(), now, arrived=flight)
        keep_days(session, settings.policy())  # and the readiness of the days it changed
    news: list[dict[str, Any]] = []
    if told and saved.judgement is not None:
        judged = dataclasses.replace(flight, number=saved.number)
        if Event.FLIGHT in told:
            news.append(payload(judged, saved.judgement, settings.webhook_base_url))
        if before is not None:
            after = alert_state(session, flight.branch, settings.policy(), now)
            raised = alerts_between(session, before, after)
            news += alert_payloads(raised, saved.number, settings.webhook_base_url)
    error = None
    if saved.status is SaveStatus.CONFLICT:
        error = f"flight {saved.number} exists with different content"
    return IngestResult(
        parsed.path,
        Outcome(saved.status.value),
        error=error,
        flight=saved.number,
        branch=flight.branch,
        counts=Counts.of(flight.steps()),
        verdict=saved.verdict.value,
        changes=tuple(change.sentence() for change in saved.changes),
        news=tuple(news),
    )


def announce(result: IngestResult, settings: Settings) -> None:
    """Tell the webhooks of a flight judged now; call it once its transaction is committed."""
    urls = webhook_urls(settings)
    for body in result.news if urls else ():
        dispatch(urls, body, timeout=settings.webhook_timeout)


def _open_path(path: str) -> BinaryIO:
    return open(path, "rb")  # noqa: SIM115 - parse_document closes it


def _parse_path(
    path: str, settings: Settings, overrides: Overrides, texts_dir: str | None = None
) -> Parsed:
    return parse_document(
        partial(_open_path, path),
        path=path,
        settings=settings,
        overrides=overrides,
        texts_dir=texts_dir,
    )


def _parsed_in_order(
    paths: Sequence[str], settings: Settings, overrides: Overrides
) -> Iterator[Parsed]:
    """Parse files in order; with several, a second process parses ahead of the caller.

    That process spools the steps' texts to files in a directory of this generator's, which
    goes, with any file not yet received, when the generator ends.
    """
    if len(paths) < PARSE_AHEAD_FROM or "fork" not in multiprocessing.get_all_start_methods():
        for path in paths:
            yield _parse_path(path, settings, overrides)
        return
    context = multiprocessing.get_context("fork")
    with (
        tempfile.TemporaryDirectory(prefix="pushgate-texts-") as spool,
        ProcessPoolExecutor(max_workers=1, mp_context=context) as pool,
    ):
        parse = partial(_parse_path, settings=settings, overrides=overrides, texts_dir=spool)
        ahead = deque(pool.submit(parse, p) for p in paths[:2])
        try:
            for index in range(len(paths)):
                parsed = ahead.popleft().result()
                if index + 2 < len(paths):
                    ahead.append(pool.submit(parse, paths[index + 2]))
                yield parsed
        finally:
            for future in ahead:  # the caller stopped early: the files parsed ahead go unread
                future.cancel()


def ingest_paths(
    engine: Engine,
    paths: Sequence[str],
    *,
    settings: Settings,
    overrides: Overrides | None = None,
    allow: AllowList | None = None,
    replace: bool = False,
    retrying: Callable[[str, int], None] | None = None,
) -> Iterator[IngestResult]:
    """Ingest files in order, each in a transaction of its own, yielding each result as it lands.

    A file that finds SQLite locked by another writer is tried again (`write_retrying`, up to
    `settings.write_attempts` times, `retrying` told the file and the attempt); one locked out
    through them all is an `Outcome.LOCKED` result, and the next file is tried. With several
    files, a second process parses the next file while this one stores the last: flights are
    still judged and stored strictly in order. The planner's statistics are refreshed after the
    1st, 2nd, 4th, 8th... stored flight, as a bulk ingest grows the tables by orders of magnitude
    (a plan made for empty tables would scan them whole), and once more at the end.
    """
    stored = 0
    for parsed in _parsed_in_order(paths, settings, overrides or Overrides()):

        def store(session: Session, parsed: Parsed = parsed) -> IngestResult:
            # The transaction holds SQLite's write lock: only the judging and saving go in it.
            now = datetime.now(UTC)
            return store_parsed(
                session, parsed, settings=settings, now=now, allow=allow, replace=replace
            )

        try:
            told = None if retrying is None else partial(retrying, parsed.path)
            result = write_retrying(engine, store, attempts=settings.write_attempts, retrying=told)
        except DatabaseLocked as exc:
            result = IngestResult(parsed.path, Outcome.LOCKED, error=str(exc))
        finally:
            parsed.close()
        if result.stored:
            stored += 1
            if stored & (stored - 1) == 0:
                analyze(engine)
        announce(result, settings)
        yield result
    if stored & (stored - 1):  # the last refresh was not after the last flight
        analyze(engine)
