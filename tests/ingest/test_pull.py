"""Pulling flights from a results server: a real threaded HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.orm import Session

from gate.model import Flight, Status
from gate.settings import Settings
from gate.store import sources
from gate.store.db import DatabaseUnavailable, make_engine
from gate.store.flights import count_flights
from ingest.junit import Overrides
from ingest.pull import RoundSummary, pull_round
from ingest.pull_http import PullError, make_session
from ingest.pull_index import RemoteFlight, index_url, parse_index, source_key
from tests.builders import flight, write
from tests.terminal import on_terminal
from web.cli import main

P, F, B = Status.PASS, Status.FAIL, Status.BROKEN
GOOD = {"build-amd64 xen-build": P, "test-amd64-amd64-xl guest-start": P}
BAD = {"build-amd64 xen-build": P, "test-amd64-amd64-xl guest-start": F}


# ---------------------------------------------------------------------------------------------
# The results server: files below a directory, osstest-style listings, and scripted paths.


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    cut: int | None = None  # send only this many bytes, with the whole body's Content-Length


Route = Callable[["Handler"], Reply]


class ResultsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.root = root
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.seen: list[dict[str, str]] = []
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def flight_hits(self) -> int:
        return sum(n for path, n in self.hits.items() if ".xml" in path)


def listing(path: str, directory: Path) -> bytes:
    """An Apache directory index, as osstest's log server shows its flights."""
    rows = [
        f'<img src="/icons/folder.gif" alt="[DIR]"> <a href="{p.name}/">{p.name}/</a>'
        f"   2013-03-18 10:00    -"
        if p.is_dir()
        else f'<img src="/icons/text.gif" alt="[TXT]"> <a href="{p.name}">{p.name}</a>'
        for p in sorted(directory.iterdir())
    ]
    return (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n'
        f"<html><head><title>Index of {path}</title></head><body><h1>Index of {path}</h1>\n"
        '<pre><a href="?C=N;O=D">Name</a> <a href="?C=M;O=A">Last modified</a><hr>'
        '<a href="/osstest/">Parent Directory</a>\n'
        + "\n".join(rows)
        + "\n<hr></pre></body></html>"
    ).encode()


def serve_file(server: ResultsServer, path: str, headers: dict[str, str]) -> Reply:
    target = server.root / path.lstrip("/")
    if target.is_dir():
        body = listing(path, target)
        etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        if headers.get("If-None-Match") == etag:
            return Reply(304, headers={"ETag": etag})
        return Reply(200, body, {"Content-Type": "text/html", "ETag": etag})
    if target.is_file():
        kind = "application/gzip" if target.suffix == ".gz" else "application/xml"
        return Reply(200, target.read_bytes(), {"Content-Type": kind})
    return Reply(404, b"<html><head><title>404 Not Found</title></head></html>")


class Handler(BaseHTTPRequestHandler):
    server: ResultsServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        path = urlsplit(self.path).path
        headers = dict(self.headers.items())
        with self.server.lock:
            self.server.hits[path] += 1
            self.server.seen.append(headers)
        route = self.server.routes.get(path)
        reply = route(self) if route else serve_file(self.server, path, headers)
        time.sleep(reply.delay)
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body[: reply.cut])
        except OSError:
            pass  # the client gave up (a timeout test)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ResultsServer]:
    (tmp_path / "www" / "logs").mkdir(parents=True)
    running = ResultsServer(tmp_path / "www")
    thread = threading.Thread(target=running.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


def publish(server: ResultsServer, *flights: Flight, gz: bool = False) -> None:
    """Put flights on the server as logs/<number>/junit.xml (or junit.xml.gz)."""
    for f in flights:
        directory = server.root / "logs" / str(f.number)
        directory.mkdir(parents=True, exist_ok=True)
        path = write(f, directory / "junit.xml")
        if gz:
            path.with_name("junit.xml.gz").write_bytes(gzip.compress(path.read_bytes()))
            path.unlink()


def three(server: ResultsServer) -> str:
    """A push, a regression against it and the fix, listed at /logs/; return the listing's URL."""
    publish(
        server,
        flight(17001, GOOD, xen="a"),
        flight(17002, BAD, xen="b", baseline="a"),
        flight(17003, GOOD, xen="c", baseline="a"),
    )
    return server.url("/logs/")


def verdicts(run: Callable[..., Result]) -> dict[int, str]:
    listed = run("flights", "--format", "json")
    assert listed.exit_code == 0, listed.output
    return {f["flight"]: f["verdict"] for f in json.loads(listed.stdout)["flights"]}


def once_then(first: Reply) -> Route:
    """Answer `first` to the first request of a path, then serve its file."""
    calls = Counter[str]()

    def route(handler: Handler) -> Reply:
        path = urlsplit(handler.path).path
        calls[path] += 1
        if calls[path] == 1:
            return first
        return serve_file(handler.server, path, dict(handler.headers.items()))

    return route


# ---------------------------------------------------------------------------------------------
# Discovery, without a server.

BASE = "http://logs.example.org/osstest/logs/"


def test_a_base_url_is_a_directory_unless_it_names_an_index_file():
    assert index_url("http://h/osstest/logs") == "http://h/osstest/logs/"
    assert index_url("http://h/osstest/logs/") == "http://h/osstest/logs/"
    assert index_url("http://h") == "http://h/"
    assert index_url("http://h/ci/index.json") == "http://h/ci/index.json"
    assert source_key("http://me:pw@h/logs") == "http://h/logs/"


def test_a_listing_gives_each_flight_directory_in_flight_order():
    page = (
        b'<html><title>Index of /osstest/logs</title><a href="?C=N;O=D">Name</a>'
        b'<a href="/osstest/">Parent Directory</a><a href="17010/">17010/</a>'
        b'<a href="/osstest/logs/9999/">9999/</a><a href="17002/">17002/</a>'
        b'<a href="README">README</a><a href="17002">17002</a><a href="x17003/">x</a>'
        b'<a href="http://elsewhere.example/17004/">17004/</a></html>'
    )
    found = parse_index(page, "text/html", BASE, "junit.xml")
    assert found.flights == (
        RemoteFlight(9999, BASE + "9999/junit.xml"),
        RemoteFlight(17002, BASE + "17002/junit.xml"),
        RemoteFlight(17010, BASE + "17010/junit.xml"),
    )


def test_a_json_index_resolves_its_urls_against_the_index():
    index = {
        "flights": [
            {"id": 17002, "url": "17002/junit.xml.gz"},
            {"id": "17001", "url": "/elsewhere/17001.xml"},
            {"id": 17003},
        ]
    }
    found = parse_index(json.dumps(index).encode(), "application/json", BASE, "results.xml")
    assert found.flights == (
        RemoteFlight(17001, "http://logs.example.org/elsewhere/17001.xml"),
        RemoteFlight(17002, BASE + "17002/junit.xml.gz"),
        RemoteFlight(17003, BASE + "17003/results.xml"),
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>",
            'with flight links (it is an HTML page titled "502 Bad Gateway")',
        ),
        (b"{not json", "the index is not valid JSON"),
        (b'{"runs": []}', 'the JSON index has no "flights" list'),
        (
            b'{"flights": [{"url": "x.xml"}]}',
            'entry 1 of the JSON index has no flight number ("id")',
        ),
        (
            b'{"flights": [{"id": 1, "url": "https://evil.example/x.xml"}]}',
            "flight 1 is on another server (https://evil.example/x.xml)",
        ),
    ],
    ids=["error-page", "bad-json", "no-flights", "no-id", "other-server"],
)
def test_an_index_that_is_not_one_is_refused_with_its_reason(body, reason):
    with pytest.raises(PullError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse_index(body, "", BASE, "junit.xml")


# ---------------------------------------------------------------------------------------------
# pushgate pull against the server.


def test_a_listing_is_pulled_once_then_the_index_is_not_modified(pushgate, server):
    url = three(server)
    first = pushgate("pull", url, "--once")
    assert first.exit_code == 0, first.output
    assert first.stdout == "round 1: 3 discovered, 3 new, 3 ingested, 0 failed\n"
    assert verdicts(pushgate) == {17001: "perfect", 17002: "regressions", 17003: "perfect"}
    again = pushgate("pull", url.rstrip("/"))  # the same source, named without its slash
    assert again.exit_code == 0, again.output
    assert again.stdout == "round 1: the index is not modified, nothing new\n"
    assert server.hits["/logs/"] == 2
    assert server.flight_hits() == 3


def test_a_json_index_with_last_modified(pushgate, server):
    publish(server, flight(17001, GOOD, xen="a"), flight(17002, BAD, xen="b", baseline="a"))
    stamp = formatdate(usegmt=True)
    index = {"flights": [{"id": 17002, "url": "17002/junit.xml"}, {"id": 17001}]}

    def route(handler: Handler) -> Reply:
        if handler.headers.get("If-Modified-Since") == stamp:
            return Reply(304)
        return Reply(200, json.dumps(index).encode(), {"Last-Modified": stamp})

    server.routes["/logs/index.json"] = route
    result = pushgate("pull", server.url("/logs/index.json"), "--format", "json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["round"] == 1
    assert [(f["flight"], f["status"]) for f in summary["flights"]] == [
        (17001, "created"),
        (17002, "created"),
    ]
    again = pushgate("pull", server.url("/logs/index.json"), "--format", "json")
    assert json.loads(again.stdout)["not_modified"] is True
    assert server.flight_hits() == 2


def test_new_flights_appearing_between_rounds_are_pulled_next_round(pushgate, server):
    publish(server, flight(17001, GOOD, xen="a"))
    assert pushgate("pull", server.url("/logs/")).exit_code == 0
    publish(server, flight(17002, BAD, xen="b", baseline="a"))
    second = pushgate("pull", server.url("/logs/"))
    assert second.stdout == "round 1: 2 discovered, 1 new, 1 ingested, 0 failed\n"
    assert server.hits["/logs/17001/junit.xml"] == 1
    assert server.hits["/logs/17002/junit.xml"] == 1


def test_a_listed_flight_without_results_yet_is_pulled_when_they_appear(pushgate, server):
    publish(server, flight(17001, GOOD, xen="a"))
    (server.root / "logs" / "17002").mkdir()  # osstest lists a flight as soon as it starts
    first = pushgate("pull", server.url("/logs/"))
    assert first.exit_code == 0, first.output  # a running flight is no failure
    assert (
        first.stdout == "round 1: 2 discovered, 2 new, 1 ingested, 0 failed, 1 not finished yet\n"
    )
    assert first.stderr == ""
    publish(server, flight(17002, BAD, xen="b", baseline="a"))
    second = pushgate("pull", server.url("/logs/"))  # the pending flight kept the ETag out
    assert second.stdout == "round 1: 2 discovered, 1 new, 1 ingested, 0 failed\n"
    assert verdicts(pushgate) == {17001: "perfect", 17002: "regressions"}


def test_a_500_fails_that_flight_only_and_the_next_round_fetches_it(pushgate, server):
    url = three(server)
    server.routes["/logs/17002/junit.xml"] = once_then(Reply(500))
    first = pushgate("pull", url)
    assert first.exit_code == 1
    assert first.stdout == "round 1: 3 discovered, 3 new, 2 ingested, 1 failed\n"
    assert first.stderr == f"pushgate: {url}17002/junit.xml: HTTP 500 Internal Server Error\n"
    second = pushgate("pull", url)  # the failure kept the index's ETag out: no 304
    assert second.exit_code == 0, second.output
    assert second.stdout == "round 1: 3 discovered, 1 new, 1 ingested, 0 failed\n"
    assert verdicts(pushgate) == {17001: "perfect", 17002: "regressions", 17003: "perfect"}


def test_a_503_is_retried_by_the_session(pushgate, server):
    url = three(server)
    server.routes["/logs/17002/junit.xml"] = once_then(Reply(503))
    result = pushgate("pull", url)
    assert result.exit_code == 0, result.output
    assert server.hits["/logs/17002/junit.xml"] == 2


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(200, b"<testsuites/>", delay=6.0), "timed out after 1.5 s"),
        (Reply(200, b'<?xml version="1.0"?>\n<testsuites>' + b" " * 500, cut=40), "cut short"),
        (
            Reply(200, b"<!DOCTYPE html><html><head><title>Maintenance</title></head></html>"),
            'the server sent an HTML page titled "Maintenance" where JUnit XML was expected',
        ),
    ],
    ids=["timeout", "truncated", "html"],
)
def test_a_flight_that_cannot_be_fetched_is_one_line_and_the_others_go_on(
    pushgate, server, monkeypatch, reply, reason
):
    # The timeout leaves room for a loaded machine to answer the fast routes;
    # the slow one sleeps far past it, so the run ends well before that reply.
    monkeypatch.setenv("PUSHGATE_PULL_TIMEOUT", "1.5")
    url = three(server)
    server.routes["/logs/17002/junit.xml"] = lambda _handler: reply
    started = time.monotonic()
    result = pushgate("pull", url)
    assert time.monotonic() - started < 5.5
    assert result.exit_code == 1
    assert result.stdout == "round 1: 3 discovered, 3 new, 2 ingested, 1 failed\n"
    assert result.stderr.startswith(f"pushgate: {url}17002/junit.xml: ")
    assert reason in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_document_over_the_limit_is_refused(pushgate, server, monkeypatch):
    monkeypatch.setenv("PUSHGATE_MAX_XML_BYTES", "300")
    publish(server, flight(17001, GOOD, xen="a"))
    result = pushgate("pull", server.url("/logs/"))
    assert result.exit_code == 1
    assert "document is larger than the limit of 300 bytes" in result.stderr


def test_an_error_page_for_the_index_is_one_line(pushgate, server):
    server.routes["/logs/"] = lambda _h: Reply(200, b"<html><title>Oops</title>Sorry</html>")
    result = pushgate("pull", server.url("/logs/"))
    assert result.exit_code == 1
    assert result.stderr == (
        f"pushgate: {server.url('/logs/')}: the index is neither a JSON index nor a directory "
        'listing with flight links (it is an HTML page titled "Oops")\n'
    )


def test_gzipped_flights_are_fetched_when_junit_xml_is_missing(pushgate, server):
    publish(server, flight(17001, GOOD, xen="a"), flight(17002, BAD, xen="b"), gz=True)
    result = pushgate("pull", server.url("/logs/"), "--format", "json")
    assert result.exit_code == 0, result.output
    paths = [f["path"] for f in json.loads(result.stdout)["flights"]]
    assert paths == [server.url(f"/logs/{n}/junit.xml.gz") for n in (17001, 17002)]
    assert server.hits["/logs/17001/junit.xml"] == 1  # the 404 that sent it to .gz


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PUSHGATE_PULL_TOKEN": "s3cret"}, "Bearer s3cret"),
        (
            {"PUSHGATE_PULL_USER": "osstest", "PUSHGATE_PULL_PASSWORD": "pw"},
            "Basic " + base64.b64encode(b"osstest:pw").decode(),
        ),
    ],
    ids=["bearer", "basic"],
)
def test_credentials_and_user_agent_are_sent(pushgate, server, monkeypatch, env, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    publish(server, flight(17001, GOOD, xen="a"))
    assert pushgate("pull", server.url("/logs/")).exit_code == 0
    assert len(server.seen) == 2
    assert {h.get("Authorization") for h in server.seen} == {expected}
    assert {h.get("User-Agent") for h in server.seen} == {"pushgate/0.1.0"}


def test_a_conflict_is_reported_once_and_not_fetched_again(pushgate, server, tmp_path):
    write(flight(17001, BAD, xen="a"), tmp_path / "local.xml")
    assert pushgate("ingest", str(tmp_path / "local.xml")).exit_code == 0
    publish(server, flight(17001, GOOD, xen="a"))
    first = pushgate("pull", server.url("/logs/"))
    assert first.exit_code == 1
    assert "flight 17001 is stored with different content" in first.stderr
    server.routes["/logs/"] = lambda h: serve_file(server, "/logs/", {})  # no 304 this time
    second = pushgate("pull", server.url("/logs/"))
    assert second.stdout == "round 1: 1 discovered, 0 new, 0 ingested, 0 failed\n"
    assert server.hits["/logs/17001/junit.xml"] == 1


def test_a_base_url_that_is_not_http_is_refused(pushgate):
    result = pushgate("pull", "logs.example.org/osstest/logs")
    assert result.exit_code == 1
    assert (
        result.stderr
        == "pushgate: logs.example.org/osstest/logs/: not an http:// or https:// URL\n"
    )


def test_once_and_interval_exclude_each_other(pushgate):
    result = pushgate("pull", "http://127.0.0.1:9/", "--once", "--interval", "5")
    assert result.exit_code == 2
    assert "--once and --interval exclude each other" in result.output


# ---------------------------------------------------------------------------------------------
# Stopping and resuming.


def test_a_round_stopped_between_flights_resumes_from_the_cursor(db_url, server):
    url = three(server)
    settings = Settings(database_url=db_url)

    def round_on_a_new_engine(stop: threading.Event) -> RoundSummary:
        engine = make_engine(db_url)
        try:
            with make_session(settings) as session:
                return pull_round(
                    engine,
                    url,
                    settings=settings,
                    overrides=Overrides(),
                    junit_name="junit.xml",
                    allow=None,
                    session=session,
                    progress=lambda _result, _position, _total: stop.set(),
                    stop=stop,
                )
        finally:
            engine.dispose()

    first = round_on_a_new_engine(threading.Event())  # stopped after its first flight
    assert (first.stopped, first.new, [r.flight for r in first.results]) == (True, 3, [17001])
    second = round_on_a_new_engine(threading.Event())
    assert not second.not_modified  # a stopped round keeps no validators
    assert (second.skipped, [r.flight for r in second.results]) == (1, [17002])
    third = round_on_a_new_engine(threading.Event())
    assert (third.skipped, [r.flight for r in third.results]) == (2, [17003])
    assert round_on_a_new_engine(threading.Event()).not_modified
    assert server.flight_hits() == 3


def test_a_flight_and_the_cursor_past_it_are_committed_together(db_url, server, monkeypatch):
    url = three(server)
    settings = Settings(database_url=db_url)
    engine = make_engine(db_url)

    def pull() -> RoundSummary:
        with make_session(settings) as session:
            return pull_round(
                engine,
                url,
                settings=settings,
                overrides=Overrides(),
                junit_name="junit.xml",
                allow=None,
                session=session,
            )

    def crash(*_args: object) -> None:
        raise RuntimeError("the cursor cannot move")

    try:
        with monkeypatch.context() as patched:
            patched.setattr(sources, "mark_pulled", crash)
            with pytest.raises(RuntimeError):
                pull()  # the first flight's transaction fails as a whole
        with Session(engine) as session:
            assert count_flights(session) == 0
            assert sources.cursor(session, source_key(url)).pulled == frozenset()
        again = pull()
        assert (again.skipped, [r.flight for r in again.results]) == (0, [17001, 17002, 17003])
        with Session(engine) as session:
            assert count_flights(session) == 3
            assert sources.cursor(session, source_key(url)).pulled == {17001, 17002, 17003}
    finally:
        engine.dispose()


def interrupt_on(count: int) -> Route:
    """Serve the path, sending this process SIGINT (Ctrl-C) on its `count`th request."""
    calls = Counter[str]()

    def route(handler: Handler) -> Reply:
        path = urlsplit(handler.path).path
        calls[path] += 1
        if calls[path] == count:
            os.kill(os.getpid(), signal.SIGINT)
        return serve_file(handler.server, path, dict(handler.headers.items()))

    return route


def test_ctrl_c_during_once_stops_after_the_current_flight(pushgate, server):
    url = three(server)
    server.routes["/logs/17001/junit.xml"] = interrupt_on(1)
    result = pushgate("pull", url, "--once")
    assert result.exit_code == 130
    assert result.stdout == "round 1: 3 discovered, 3 new, 1 ingested, 0 failed, stopped\n"
    assert result.stderr == "pushgate: stopped after round 1\n"
    assert verdicts(pushgate) == {17001: "perfect"}


def test_interval_polls_until_ctrl_c_and_exits_cleanly(pushgate, server):
    url = three(server)
    server.routes["/logs/"] = interrupt_on(3)
    before = signal.getsignal(signal.SIGINT)
    result = pushgate("pull", url, "--interval", "0.05")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "round 1: 3 discovered, 3 new, 3 ingested, 0 failed",
        "round 2: the index is not modified, nothing new",
        "round 3: the index is not modified, nothing new",
    ]
    assert result.stderr == "pushgate: stopped after round 3\n"
    assert signal.getsignal(signal.SIGINT) is before


# ---------------------------------------------------------------------------------------------
# Done when: a plain directory of flights, pulled, equals the same files ingested.


def test_pulling_a_directory_judges_like_ingesting_its_files(pushgate, server, tmp_path):
    pair = {**GOOD, "test-amd64-amd64-pair guest-migrate": P}
    publish(
        server,
        flight(17001, GOOD, xen="a"),
        flight(17002, BAD, xen="b", baseline="a"),  # a regression
        flight(17003, GOOD, xen="c", baseline="a"),  # the fix, pushed
        flight(17004, {**pair, "test-amd64-amd64-pair guest-migrate": F}, xen="e", baseline="c"),
        flight(17005, {**pair, "test-amd64-amd64-xl guest-start": F}, xen="e", baseline="c"),
        flight(17006, {**GOOD, "test-armhf-armhf-xl guest-start": F}, xen="f", baseline="e"),
        flight(17007, BAD, xen="g", baseline="e", blessing="play"),
        flight(17008, {**GOOD, "build-amd64 xen-build": B}, xen="h", baseline="e"),
    )  # 17004 and 17006 never passed a step, 17005 is a heisenbug (it passed in 17004), 17008 broke
    url = server.url("/logs")
    first = pushgate("pull", url, "--once")
    assert first.exit_code == 0, first.output
    assert first.stdout == "round 1: 8 discovered, 8 new, 8 ingested, 0 failed\n"
    second = pushgate("pull", url, "--once")
    assert second.exit_code == 0, second.output
    assert "nothing new" in second.stdout
    assert server.flight_hits() == 8
    pulled = verdicts(pushgate)

    other = f"sqlite:///{tmp_path / 'ingested.sqlite'}"
    runner = CliRunner()
    ingested = runner.invoke(main, ["--database", other, "ingest", str(server.root / "logs")])
    assert ingested.exit_code == 0, ingested.output
    files = verdicts(lambda *args: runner.invoke(main, ["--database", other, *args]))
    assert pulled == files
    into_ingested = runner.invoke(main, ["--database", other, "pull", url])
    assert (
        into_ingested.stdout == "round 1: 8 discovered, 8 new, 0 ingested, 8 unchanged, 0 failed\n"
    )
    assert set(pulled.values()) == {"perfect", "regressions", "tolerable", "trouble"}


# ---------------------------------------------------------------------------------------------
# Losing the database during a pull.

REFUSED = "postgresql+psycopg://postgres@127.0.0.1:1/test"  # nothing listens on port 1


def test_a_database_that_refuses_connections_fails_the_round_in_one_sentence(server):
    url = three(server)
    settings = Settings()
    engine = make_engine(REFUSED)
    with make_session(settings) as session, pytest.raises(DatabaseUnavailable) as failed:
        pull_round(
            engine,
            url,
            settings=settings,
            overrides=Overrides(),
            junit_name="junit.xml",
            allow=None,
            session=session,
        )
    engine.dispose()
    message = str(failed.value)
    assert message.startswith("the database failed (") and message.endswith(")")
    assert "\n" not in message


def test_an_interval_pull_reports_a_lost_database_and_resumes_next_round(
    pushgate, server, monkeypatch
):
    url = three(server)
    server.routes["/logs/"] = interrupt_on(2)  # round 1 never reads the index
    rounds: list[str] = []

    def first_round_loses_the_database(engine, *args, **kwargs):
        rounds.append("round")
        if len(rounds) == 1:
            lost = make_engine(REFUSED)
            try:
                return pull_round(lost, *args, **kwargs)
            finally:
                lost.dispose()
        return pull_round(engine, *args, **kwargs)

    monkeypatch.setattr("web.cli_pull.pull_round", first_round_loses_the_database)
    result = pushgate("pull", url, "--interval", "0.05")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "round 2: 3 discovered, 3 new, 3 ingested, 0 failed",
        "round 3: the index is not modified, nothing new",
    ]
    failure, stopped = result.stderr.splitlines()
    assert failure.startswith(f"pushgate: {source_key(url)}: the database failed (")
    assert stopped == "pushgate: stopped after round 3"
    assert verdicts(pushgate) == {17001: "perfect", 17002: "regressions", 17003: "perfect"}


@pytest.mark.postgres
def test_a_restarted_postgresql_costs_the_pool_not_the_round(postgres_url, server):
    from sqlalchemy import create_engine, text

    url = three(server)
    settings = Settings()
    engine = make_engine(postgres_url)

    def pull() -> RoundSummary:
        with make_session(settings) as session:
            return pull_round(
                engine,
                url,
                settings=settings,
                overrides=Overrides(),
                junit_name="junit.xml",
                allow=None,
                session=session,
            )

    assert pull().ingested == 3
    with engine.connect() as connection:
        pids = {connection.scalar(text("SELECT pg_backend_pid()"))}
    admin = create_engine(postgres_url)
    with admin.begin() as connection:  # what a restart does to the pool's connections
        for pid in pids:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()
    publish(server, flight(17004, GOOD, xen="d", baseline="c"))
    assert [r.flight for r in pull().results] == [17004]
    engine.dispose()


# ---------------------------------------------------------------------------------------------
# Progress: told how many flights a round lists, a bar on a terminal, lines for long rounds.


def test_a_round_says_how_many_new_flights_the_index_lists_before_fetching_them(sqlite_url, server):
    url = three(server)
    settings = Settings()
    engine = make_engine(sqlite_url)
    told: list[tuple[str, int]] = []

    def round_() -> RoundSummary:
        with make_session(settings) as session:
            return pull_round(
                engine,
                url,
                settings=settings,
                overrides=Overrides(),
                junit_name="junit.xml",
                allow=None,
                session=session,
                listed=lambda total: told.append(("listed", total)),
                progress=lambda result, position, total: told.append((result.path, position)),
            )

    round_()
    publish(server, flight(17004, GOOD, xen="d", baseline="c"))
    round_()
    engine.dispose()
    assert told == [
        ("listed", 3),
        (f"{url}17001/junit.xml", 1),
        (f"{url}17002/junit.xml", 2),
        (f"{url}17003/junit.xml", 3),
        ("listed", 1),
        (f"{url}17004/junit.xml", 1),
    ]


def test_a_round_on_a_terminal_draws_a_bar_of_its_listed_flights(
    pushgate, sqlite_url, server, tmp_path
):
    url = three(server)
    ran = on_terminal("--database", sqlite_url, "pull", url, cwd=tmp_path)
    assert ran.returncode == 0, ran.terminal
    assert ran.stdout == "round 1: 3 discovered, 3 new, 3 ingested, 0 failed\n"
    assert "round 1  [------------------------]  0/3  " in ran.terminal
    [bar] = ran.screen()
    assert bar.startswith("round 1  [########################]  3/3  ")
    assert verdicts(pushgate) == {17001: "perfect", 17002: "regressions", 17003: "perfect"}


def test_a_long_round_on_plain_stderr_says_how_far_it_got_unless_quiet(
    pushgate, server, monkeypatch
):
    monkeypatch.setattr("web.progress.PERIOD", 0.0)  # every flight is past the period
    url = three(server)
    result = pushgate("pull", url)
    assert result.stdout == "round 1: 3 discovered, 3 new, 3 ingested, 0 failed\n"
    said = [line.partition(" after ")[0] for line in result.stderr.splitlines()]
    assert said == ["round 1: 1/3", "round 1: 2/3", "round 1: 3/3"]
    publish(server, flight(17004, GOOD, xen="d", baseline="c"))
    quiet = pushgate("pull", url, "--quiet")
    assert quiet.stdout == "round 1: 4 discovered, 1 new, 1 ingested, 0 failed\n"
    assert quiet.stderr == ""
