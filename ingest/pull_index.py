"""Reading a results server's index: which flights it lists, in flight order, and where.

The index is a JSON document (`{"flights": [{"id": 17001, "url": "17001/junit.xml"}, ...]}`, urls
relative to the index) or an HTML directory listing in the style of osstest's log server (links
named `17001/`, each flight's results at `17001/junit.xml`, or `junit.xml.gz`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

from ingest.pull_http import PullError, fetch_index, is_html, title

MIB = 1024 * 1024
INDEX_LIMIT = 64 * MIB  # an index of a million flights is about 40 MiB of JSON
INDEX_FILES = (".json", ".html", ".htm")
FLIGHT_DIRECTORY = re.compile(r"(\d+)/")


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
            + (f" (it is an HTML page{title(body)})" if is_html(body) else "")
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
    base_url: str,
    *,
    junit_name: str,
    etag: str | None,
    last_modified: str | None,
) -> Discovery:
    """GET a source's index, conditionally, and list its flights; 304 (not modified) lists none."""
    url = index_url(base_url)
    if urlsplit(url).scheme not in ("http", "https"):
        raise PullError("not an http:// or https:// URL")
    fetched = fetch_index(session, url, limit=INDEX_LIMIT, etag=etag, last_modified=last_modified)
    if fetched is None:
        return Discovery((), etag, last_modified, not_modified=True)
    found = parse_index(fetched.body, fetched.content_type, index_url(fetched.url), junit_name)
    return Discovery(found.flights, fetched.etag, fetched.last_modified)
