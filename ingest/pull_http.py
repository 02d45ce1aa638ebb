"""Talking to a results server: a session with timeouts, retries and credentials, capped reads,
the index's conditional GET and a flight's document, and requests' errors as one sentence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import IncompleteRead, ReadTimeoutError
from urllib3.util import Retry

from gate import __version__
from gate.settings import Settings

CONNECT_LIMIT = 10.0  # seconds: a server that has not accepted a connection by then is down
CHUNK = 64 * 1024
RETRY_STATUSES = (502, 503, 504)
HTML_START = re.compile(
    rb"\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL
)
TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


class PullError(Exception):
    """A results server or document that cannot be read; the message says why, in a sentence."""


class NotThereYet(PullError):
    """A listed flight whose results are not written yet (HTTP 404): osstest lists a flight
    as soon as it starts, and its results appear when it ends."""


@dataclass(frozen=True)
class Fetched:
    """A document as the server sent it (a flight's gzip or not), from where it came."""

    url: str
    body: bytes
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None


# ---------------------------------------------------------------------------------------------
# The session.


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


# ---------------------------------------------------------------------------------------------
# requests' errors as one sentence.


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


# ---------------------------------------------------------------------------------------------
# Reading a response.


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


def is_html(body: bytes) -> bool:
    """Tell whether a body is an HTML page (an error or maintenance page, say)."""
    return HTML_START.match(body.removeprefix(b"\xef\xbb\xbf")) is not None


def title(body: bytes) -> str:
    """Return ` titled "..."` for an HTML page's title, or nothing when it has none."""
    found = TITLE.search(body[:CHUNK])
    if not found:
        return ""
    text = " ".join(found.group(1).decode("utf-8", "replace").split())
    return f' titled "{text[:80]}"' if text else ""


# ---------------------------------------------------------------------------------------------
# The two GETs of a round.


def fetch_index(
    session: requests.Session,
    url: str,
    *,
    limit: int,
    etag: str | None,
    last_modified: str | None,
) -> Fetched | None:
    """GET an index, conditionally on its validators; return None when it is not modified (304)."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    with _get(session, url, headers) as response:
        if response.status_code == 304:
            return None
        _check_status(response)
        body = _read_capped(response, limit, what="the index", session=session)
        return Fetched(
            response.url,
            body,
            response.headers.get("Content-Type", ""),
            response.headers.get("ETag"),
            response.headers.get("Last-Modified"),
        )


def fetch_flight(session: requests.Session, url: str, *, limit: int) -> Fetched:
    """Fetch a flight's results, at most `limit` bytes; NAME.xml.gz when NAME.xml is not found.

    Raises NotThereYet when neither is there (yet), PullError when it cannot be fetched.
    """
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
    if is_html(body):
        raise PullError(f"the server sent an HTML page{title(body)} where JUnit XML was expected")
    return Fetched(url, body)
