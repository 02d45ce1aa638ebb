"""Webhooks: a real HTTP server on 127.0.0.1 receives what a judged flight says."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from gate.model import Status
from tests.builders import flight, write

P, F = Status.PASS, Status.FAIL


class Receiver(ThreadingHTTPServer):
    """Records every POST body; answers 500 to the first `failures` of them."""

    def __init__(self, failures: int = 0) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.bodies: list[dict[str, Any]] = []
        self.failures = failures

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.server.failures > 0:
            self.server.failures -= 1
            self.send_response(500)
        else:
            self.server.bodies.append(json.loads(body))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(failures=1)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow  # the dead webhook is retried after pauses of 0.5 s and 1 s
def test_a_judged_flight_is_posted_to_every_webhook(
    pushgate, receiver, tmp_path, monkeypatch, caplog
):
    dead = f"http://127.0.0.1:{_closed_port()}/hook"
    monkeypatch.setenv("PUSHGATE_WEBHOOKS", f"{receiver.url} {dead}")
    monkeypatch.setenv("PUSHGATE_WEBHOOK_EVENTS", "flights")  # every judged flight, as before
    monkeypatch.setenv("PUSHGATE_WEBHOOK_TIMEOUT", "2")
    monkeypatch.setenv("PUSHGATE_BASE_URL", "https://gate.example.org/")
    good = write(
        flight(17001, {"build-amd64 xen-build": P, "test-amd64-amd64-xl guest-start": P}, xen="a"),
        tmp_path / "1.xml",
    )
    bad = write(
        flight(
            17002,
            {"build-amd64 xen-build": P, "test-amd64-amd64-xl guest-start": F},
            xen="b",
            baseline="a",
        ),
        tmp_path / "2.xml",
    )
    with caplog.at_level(logging.WARNING, logger="pushgate.webhooks"):
        result = pushgate("ingest", str(good), str(bad))
        again = pushgate("ingest", str(good))
    assert result.exit_code == 0, result.stderr  # a failing webhook never fails the ingest
    assert again.exit_code == 0
    # Sent in the background: the first answer was a 500, so 17001 was tried again after 17002.
    assert sorted(receiver.bodies, key=lambda b: b["flight"]) == [
        {
            "event": "flight_judged",
            "flight": 17001,
            "branch": "xen-unstable",
            "verdict": "perfect",
            "pushed": False,  # nothing is known of its baseline: osstest would not push it
            "push": "no_baseline",
            "blocking": [],
            "link": "https://gate.example.org/flights/17001",
        },
        {
            "event": "flight_judged",
            "flight": 17002,
            "branch": "xen-unstable",
            "verdict": "regressions",
            "pushed": False,
            "push": "not_pushing",
            "blocking": [
                {
                    "job": "test-amd64-amd64-xl",
                    "testid": "guest-start",
                    "status": "fail",
                    "ref_flight": 17001,
                    "in_flight": None,
                    "summary": "REGR. vs. 17001",
                }
            ],
            "link": "https://gate.example.org/flights/17002",
        },
    ]  # and an unchanged flight is not told again
    failures = [r.getMessage() for r in caplog.records]
    assert len(failures) == 2
    assert all(dead in message and "after 3 tries" in message for message in failures)


def test_no_webhook_means_no_request(pushgate, receiver, tmp_path: Path):
    path = write(flight(17001, {"build-amd64 xen-build": P}), tmp_path / "1.xml")
    assert pushgate("ingest", str(path)).exit_code == 0
    assert receiver.bodies == []


def test_a_webhooks_link_points_at_the_local_server_unless_a_public_address_is_set():
    from gate.settings import Settings

    assert Settings.from_env({}).base_url == ""  # so that the status mail has no link
    assert Settings.from_env({}).webhook_base_url == "http://127.0.0.1:5000"
    public = Settings.from_env({"PUSHGATE_BASE_URL": "https://gate.example.org"})
    assert public.webhook_base_url == "https://gate.example.org"


ROADMAP = """\
[release]
name = "9.9"
branch = "xen-unstable"
feature_freeze = 2099-03-25
code_freeze = 2099-04-15
release = 2099-06-15
as_of = 2020-03-01

[[feature]]
slug = "guests"
title = "Guests start"
status = "good"
tests = ["test-amd64-amd64-xl guest-*"]
"""


@pytest.fixture
def listening() -> Iterator[Receiver]:
    server = Receiver()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def test_the_webhooks_hear_once_when_an_episode_opens_and_closes_and_readiness_changes(
    pushgate, listening, tmp_path, monkeypatch
):
    """By default (`alerts`) a webhook is told what a flight changed, not of every flight."""
    monkeypatch.setenv("PUSHGATE_WEBHOOKS", listening.url)
    monkeypatch.setenv("PUSHGATE_BASE_URL", "https://gate.example.org")
    (tmp_path / "roadmap.toml").write_text(ROADMAP)
    assert pushgate("roadmap", "import", str(tmp_path / "roadmap.toml")).exit_code == 0
    good = {"build-amd64 xen-build": P, "test-amd64-amd64-xl guest-start": P}
    bad = {**good, "test-amd64-amd64-xl guest-start": F}
    made = [
        flight(17001, good, xen="a"),
        flight(17002, bad, xen="b", baseline="a"),
        flight(17003, bad, xen="b", baseline="a"),  # still blocking: no news
        flight(17004, good, xen="c", baseline="a"),
    ]
    for f in made:
        result = pushgate("ingest", str(write(f, tmp_path / f"{f.number}.xml")))
        assert result.exit_code == 0, result.stderr
    told = [
        (b["event"], b["flight"], b.get("testid") or b.get("feature")) for b in listening.bodies
    ]
    assert sorted(told, key=lambda t: (t[1], t[0])) == [
        ("readiness_changed", 17001, "guests"),  # from not judged to on track
        ("episode_opened", 17002, "guest-start"),
        ("readiness_changed", 17002, "guests"),
        ("episode_closed", 17004, "guest-start"),
        ("readiness_changed", 17004, "guests"),
    ]
    opened = next(b for b in listening.bodies if b["event"] == "episode_opened")
    assert opened["opened"] == 17002 and opened["closed"] is None
    assert opened["link"] == "https://gate.example.org/regressions/?branch=xen-unstable"
    changed = [b for b in listening.bodies if b["event"] == "readiness_changed"]
    assert [(b["from"], b["to"]) for b in sorted(changed, key=lambda b: b["flight"])][1:] == [
        ("on_track", "blocked"),
        ("blocked", "at_risk"),  # passing again, but half the window failed: below 90%
    ]


def test_a_webhook_event_that_is_no_event_stops_the_command(pushgate, monkeypatch):
    monkeypatch.setenv("PUSHGATE_WEBHOOK_EVENTS", "alerts everything")
    result = pushgate("flights")
    assert result.exit_code == 1
    assert "'everything' is no webhook event: say alerts, flights or both" in result.output
