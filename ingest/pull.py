"""Pull flights from a CI's results server: find them in its index, fetch the new ones, ingest them.

The index is a JSON document (`{"flights": [{"id": 17001, "url": "17001/junit.xml"}, ...]}`, urls
relative to the index) or an HTML directory listing in the style of osstest's log server (links
named `17001/`, each flight's results at `17001/junit.xml`, or `junit.xml.gz`). Every flight goes
through the same pipeline as `pushgate ingest`. Each source keeps a cursor in the database (the
flights that need no more fetching), so that a restart neither fetches a flight again nor skips one.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from urllib3.exceptions import IncompleteRead, ReadTimeoutError
from urllib3.util import Retry

from gate import __version__
from gate.allow import AllowList
from gate.settings import Settings
from gate.store.db import writer
from gate.store.flights import SaveStatus
from gate.store.records import PulledFlightRecord, PullSourceRecord
from ingest.junit import Overrides
from ingest.pipeline import ERROR, IngestResult, parse_document, store_parsed

log = logging.getLogger("pushgate.pull")
# The library idiom: the application decides what is shown (the CLI prints each failure itself).
log.addHandler(logging.NullHandler())

MIB = 1024 * 1024
INDEX_LIMIT = 64 * MIB  # an index of a million flights is about 40 MiB of JSON
CONNECT_LIMIT = 10.0  # seconds: a server that has not accepted a connection by then is down
CHUNK = 64 * 1024
RETRY_STATUSES = (502, 503, 504)
INDEX_FILES = (".json", ".html", ".htm")
FLIGHT_DIRECTORY = re.compile(r"(\d+)/")
HTML_START = re.compile(
    rb"\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL
)
TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


class PullError(Exception):
    """A results server or document that cannot be read; the message says why, in a sentence."""


class NotThereYet(PullError):
    """A listed flight whose results are not written yet (HTTP 404): osstest lists a flight
    as soon as it starts, and its results appear when it ends."""


PENDING = "pending"


@dataclass(frozen=True)
class RemoteFlight:
    """A flight that a source's index lists: its number there and the URL of its results."""

    number: int
    url: str


@dataclass(frozen=True)
class Discovery:
    """The flights a source's index lists, in flight order, and its validators for the next GET."""

    flights: tuple[RemoteFlight, ...]
    etag: str | None
    last_modified: str | None
    not_modified: bool = False


@dataclass(frozen=True)
class Fetched:
    """A flight's results document as the server sent it (gzip or not)."""

    url: str
    body: bytes


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
        return sum(1 for r in self.results if r.status == SaveStatus.UNCHANGED)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if r.failed)

    @property
    def pending(self) -> int:
        return sum(1 for r in self.results if r.status == PENDING)

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


# ---------------------------------------------------------------------------------------------
# HTTP: the session, and requests' errors as one sentence.


def timeouts(settings: Settings) -> tuple[float, float]:
    """Return (connect, read) timeouts: connect within min(10 s, pull_timeout), then each read."""
    return min(CONNECT_LIMIT, settings.pull_timeout), settings.pull_timeout


class PullAdapter(HTTPAdapter):
    """An HTTP adapter that retries, and gives each request the pull's timeouts by default."""

    def __init__(self, timeout: tuple[float, float], retries: Retry) -> None:
        super().__init__(max_retries=retries)
        self.timeout = timeout

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        return super().send(request, stream, timeout or self.timeout, verify, cert, proxies)


def make_session(settings: Settings, *, retries: int = 3, backoff: float = 0.5) -> requests.Session:
    """Return a session for results servers: timeouts, retries with backoff, auth and a User-Agent.

    A GET is retried up to `retries` times on a connection error or a 502, 503 or 504: at once,
    then after `backoff` * 2**(n-1) seconds before the nth retry (urllib3's schedule; a
    Retry-After header is not obeyed, the next round comes anyway). A read that times out is not
    retried: the next round tries again. A bearer token (pull_token) wins over basic
    authentication (pull_user, pull_password).
    """
    retry = Retry(
        total=retries,
        connect=retries,
        read=False,
        status=retries,
        other=0,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff,
        raise_on_status=False,
        respect_retry_after_header=False,
    )
    adapter = PullAdapter(timeouts(settings), retry)
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = f"pushgate/{__version__}"
    if settings.pull_token:
        session.headers["Authorization"] = f"Bearer {settings.pull_token}"
    elif settings.pull_user:
        session.auth = (settings.pull_user, settings.pull_password)
    return session


def _timeouts_of(session: requests.Session, url: str) -> tuple[float, float] | None:
    try:
        adapter = session.get_adapter(url)
    except requests.RequestException:
        return None
    return adapter.timeout if isinstance(adapter, PullAdapter) else None


def _chain(exc: BaseException) -> list[BaseException]:
    """Return an error and every error behind it (requests wraps urllib3's in args and reasons)."""
    found: list[BaseException] = []
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if any(current is seen for seen in found):
            continue
        found.append(current)
        todo += [a for a in current.args if isinstance(a, BaseException)]
        reason = getattr(current, "reason", None)
        todo += [c for c in (reason, current.__cause__, current.__context__) if c is not None]
    return found


def _reason(exc: requests.RequestException, session: requests.Session, url: str) -> str:
    """Say in a few words why a request failed."""
    limits = _timeouts_of(session, url)
    chain = _chain(exc)
    if isinstance(exc, requests.ConnectTimeout):
        return "timed out connecting" + (f" after {limits[0]:g} s" if limits else "")
    if isinstance(exc, requests.Timeout) or any(isinstance(e, ReadTimeoutError) for e in chain):
        return "timed out" + (f" after {limits[1]:g} s" if limits else "")
    short = next((e for e in chain if isinstance(e, IncompleteRead)), None)
    if short is not None:
        return (
            f"the response was cut short: {short.partial} of {short.partial + short.expected} bytes"
        )
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the response was cut short"
    if isinstance(exc, requests.ConnectionError):
        strerror = next((e.strerror for e in chain if isinstance(e, OSError) and e.strerror), None)
        return f"cannot connect: {strerror or type(chain[-1]).__name__}"
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return "cannot decode the response"
    if isinstance(exc, requests.TooManyRedirects):
        return "too many redirects"
    return str(exc)


def _get(
    session: requests.Session, url: str, headers: Mapping[str, str] | None = None
) -> requests.Response:
    try:
        return session.get(url, headers=headers, stream=True)
    except requests.RequestException as exc:
        raise PullError(_reason(exc, session, url)) from exc


def _check_status(response: requests.Response, *, note: str = "") -> None:
    if response.status_code >= 400:
        raise PullError(f"HTTP {response.status_code} {response.reason or ''}".strip() + note)


def _read_capped(
    response: requests.Response, limit: int, *, what: str, session: requests.Session
) -> bytes:
    """Read a streamed body, refusing more than `limit` bytes and a body cut short."""
    declared = response.headers.get("Content-Length", "")
    encoded = response.headers.get("Content-Encoding", "identity") != "identity"
    too_large = f"{what} is larger than the limit of {limit} bytes"
    if declared.isdigit() and int(declared) > limit and not encoded:
        raise PullError(too_large)
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(CHUNK):
            size += len(chunk)
            if size > limit:
                raise PullError(too_large)
            chunks.append(chunk)
    except requests.RequestException as exc:
        raise PullError(_reason(exc, session, response.url)) from exc
    if declared.isdigit() and not encoded and size < int(declared):
        raise PullError(f"the response was cut short: {size} of {declared} bytes")
    return b"".join(chunks)


def _title(body: bytes) -> str:
    found = TITLE.search(body[:CHUNK])
    if not found:
        return ""
    title = " ".join(found.group(1).decode("utf-8", "replace").split())
    return f' titled "{title[:80]}"' if title else ""


# ---------------------------------------------------------------------------------------------
# Discovery: the index.


def index_url(base_url: str) -> str:
    """Return the URL of a source's index: BASE_URL as a directory, unless it names an index file.

    `http://host/logs` is the directory `http://host/logs/`; a URL whose path ends in .json,
    .html or .htm names the index itself.
    """
    parts = urlsplit(base_url)
    if parts.path.endswith("/") or parts.path.lower().endswith(INDEX_FILES):
        return base_url
    return urlunsplit(parts._replace(path=parts.path + "/"))


def source_key(base_url: str) -> str:
    """Return the name a source's cursor is kept under: its index URL, without credentials."""
    parts = urlsplit(index_url(base_url))
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class _Links(HTMLParser):
    """The hrefs of a page's anchors."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") if tag == "a" else None
        if href:
            self.hrefs.append(href)


def _listed_flights(body: bytes, base: str, junit_name: str) -> list[RemoteFlight]:
    """Read a directory listing: an anchor to `<base>/17001/` is flight 17001."""
    parser = _Links()
    parser.feed(body.decode("utf-8", "replace"))
    parser.close()
    flights = []
    for href in parser.hrefs:
        target = urlsplit(urljoin(base, href))._replace(query="", fragment="").geturl()
        found = FLIGHT_DIRECTORY.fullmatch(target[len(base) :]) if target.startswith(base) else None
        if found:
            flights.append(RemoteFlight(int(found[1]), urljoin(target, junit_name)))
    if not flights:
        raise PullError(
            "the index is neither a JSON index nor a directory listing with flight links"
            + (f" (it is an HTML page{_title(body)})" if HTML_START.match(body) else "")
        )
    return flights


def _json_flight(entry: object, position: int, base: str, junit_name: str) -> RemoteFlight:
    if not isinstance(entry, dict):
        raise PullError(f"entry {position} of the JSON index is not an object")
    number = entry.get("id")
    if isinstance(number, str) and number.isdigit():
        number = int(number)
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise PullError(f'entry {position} of the JSON index has no flight number ("id")')
    url = entry.get("url") or f"{number}/{junit_name}"
    if not isinstance(url, str):
        raise PullError(f'entry {position} of the JSON index has a "url" that is not a string')
    return RemoteFlight(number, urljoin(base, url))


def _json_flights(body: bytes, base: str, junit_name: str) -> list[RemoteFlight]:
    """Read a JSON index: `{"flights": [{"id": 17001, "url": "17001/junit.xml"}, ...]}`."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise PullError(f"the index is not valid JSON: {exc}") from None
    entries = data.get("flights") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise PullError('the JSON index has no "flights" list')
    return [_json_flight(e, n, base, junit_name) for n, e in enumerate(entries, start=1)]


def _same_server(flight: RemoteFlight, base: str) -> RemoteFlight:
    # Credentials go with every request of the session: never to a server the index names.
    if urlsplit(flight.url)[:2] != urlsplit(base)[:2]:
        raise PullError(f"flight {flight.number} is on another server ({flight.url})")
    return flight


def parse_index(body: bytes, content_type: str, base: str, junit_name: str) -> Discovery:
    """Read an index (JSON or a directory listing) into its flights, in flight order."""
    if "json" in content_type or body.lstrip()[:1] in (b"{", b"["):
        flights = _json_flights(body, base, junit_name)
    else:
        flights = _listed_flights(body, base, junit_name)
    unique: dict[int, RemoteFlight] = {}
    for flight in flights:
        unique.setdefault(flight.number, _same_server(flight, base))
    return Discovery(tuple(unique[n] for n in sorted(unique)), None, None)


def discover(
    session: requests.Session,
    index: str,
    *,
    junit_name: str,
    etag: str | None,
    last_modified: str | None,
) -> Discovery:
    """GET a source's index, conditionally, and list its flights; 304 (not modified) lists none."""
    url = index_url(index)
    if urlsplit(url).scheme not in ("http", "https"):
        raise PullError("not an http:// or https:// URL")
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    with _get(session, url, headers) as response:
        if response.status_code == 304:
            return Discovery((), etag, last_modified, not_modified=True)
        _check_status(response)
        body = _read_capped(response, INDEX_LIMIT, what="the index", session=session)
        content_type = response.headers.get("Content-Type", "")
        found = parse_index(body, content_type, index_url(response.url), junit_name)
        return dataclasses.replace(
            found,
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )


# ---------------------------------------------------------------------------------------------
# Fetching one flight.


def _check_not_html(body: bytes) -> None:
    if HTML_START.match(body.removeprefix(b"\xef\xbb\xbf")):
        raise PullError(f"the server sent an HTML page{_title(body)} where JUnit XML was expected")


def fetch_flight(session: requests.Session, flight: RemoteFlight, *, limit: int) -> Fetched:
    """Fetch a flight's results, at most `limit` bytes; NAME.xml.gz when NAME.xml is not found."""
    url = flight.url
    response = _get(session, url)
    if response.status_code == 404 and url.endswith(".xml"):
        response.close()
        url += ".gz"
        response = _get(session, url)
        note = " (nor .xml.gz)" if response.status_code == 404 else ""
    else:
        note = ""
    with response:
        if response.status_code == 404:
            raise NotThereYet(f"no results yet (HTTP 404{note})")
        _check_status(response, note=note)
        body = _read_capped(response, limit, what="document", session=session)
    _check_not_html(body)
    return Fetched(url, body)


# ---------------------------------------------------------------------------------------------
# The source and its cursor. Each function is its own small transaction.


@dataclass(frozen=True)
class _Source:
    id: int
    etag: str | None
    last_modified: str | None


def _load_source(engine: Engine, key: str) -> _Source:
    """Return the source named `key`, creating it on its first round."""
    with Session(writer(engine)) as session:
        query = select(PullSourceRecord).where(PullSourceRecord.url == key)
        record = session.scalars(query).one_or_none()
        if record is None:
            record = PullSourceRecord(url=key)
            session.add(record)
            session.commit()
        return _Source(record.id, record.etag, record.last_modified)


def _pulled(engine: Engine, source_id: int) -> frozenset[int]:
    """Return the flights of a source that need no more fetching."""
    with Session(engine) as session:
        query = select(PulledFlightRecord.flight).where(PulledFlightRecord.source_id == source_id)
        return frozenset(session.scalars(query))


def _record(engine: Engine, source_id: int, number: int, status: str) -> None:
    """Move the cursor past one flight."""
    with Session(writer(engine)) as session:
        session.merge(
            PulledFlightRecord(
                source_id=source_id, flight=number, status=status, at=datetime.now(UTC)
            )
        )
        session.commit()


def _remember(engine: Engine, source_id: int, etag: str | None, last_modified: str | None) -> None:
    """Keep the index's validators for the next round's conditional GET."""
    with Session(writer(engine)) as session:
        session.execute(
            update(PullSourceRecord)
            .where(PullSourceRecord.id == source_id)
            .values(etag=etag, last_modified=last_modified)
        )
        session.commit()


# ---------------------------------------------------------------------------------------------
# A round.


def _ingest_one(
    engine: Engine,
    session: requests.Session,
    flight: RemoteFlight,
    *,
    settings: Settings,
    overrides: Overrides,
    allow: AllowList | None,
) -> IngestResult:
    """Fetch, parse, judge and store one flight; a failure is a result, never an exception."""
    try:
        fetched = fetch_flight(session, flight, limit=settings.max_xml_bytes)
    except NotThereYet as exc:
        return IngestResult(flight.url, PENDING, error=str(exc))
    except PullError as exc:
        return IngestResult(flight.url, ERROR, error=str(exc))
    body = fetched.body
    parsed = parse_document(
        lambda: io.BytesIO(body), path=fetched.url, settings=settings, overrides=overrides
    )
    result = store_parsed(engine, parsed, settings=settings, now=datetime.now(UTC), allow=allow)
    if result.status == SaveStatus.CONFLICT:
        error = (
            f"flight {result.flight} is stored with different content: the stored one is kept "
            "and this one is not fetched again"
        )
        result = dataclasses.replace(result, error=error)
    return result


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
) -> RoundSummary:
    """Discover a source's flights and ingest the new ones in flight order, each on its own.

    A flight that is stored, unchanged or in conflict moves the cursor; one that fails to fetch
    or parse is logged and tried again next round. The index's validators are kept only after a
    round that left nothing to retry, so that a 304 never hides a flight that failed. `stop`,
    once set, ends the round between flights. Raises PullError when the index cannot be read.
    """
    key = source_key(base_url)
    source = _load_source(engine, key)
    found = discover(
        session,
        base_url,
        junit_name=junit_name,
        etag=source.etag,
        last_modified=source.last_modified,
    )
    done = _pulled(engine, source.id)
    todo = [f for f in found.flights if f.number not in done]
    results: list[IngestResult] = []
    for position, flight in enumerate(todo, start=1):
        if stop is not None and stop.is_set():
            break
        result = _ingest_one(
            engine, session, flight, settings=settings, overrides=overrides, allow=allow
        )
        if result.failed:
            log.warning("%s: %s", result.path, result.error)
        if result.status not in (ERROR, PENDING):
            _record(engine, source.id, flight.number, result.status)
        results.append(result)
        if progress is not None:
            progress(result, position, len(todo))
    stopped = len(results) < len(todo)
    if not found.not_modified and not stopped:
        # After a failure the next round must read the index again, not hear 304.
        clean = all(r.status not in (ERROR, PENDING) for r in results)
        etag, last_modified = (found.etag, found.last_modified) if clean else (None, None)
        _remember(engine, source.id, etag, last_modified)
    return RoundSummary(
        key,
        discovered=len(found.flights),
        skipped=len(found.flights) - len(todo),
        results=tuple(results),
        not_modified=found.not_modified,
        stopped=stopped,
    )
