"""POST /api/v1/flights through Flask's test client, the token commands, and racing pushes
through a real server process."""

from __future__ import annotations

import gzip
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gate.model import Flight, Status
from gate.store import tokens
from gate.store.db import make_engine
from gate.store.records import FlightRecord, StepRecord
from ingest.osstest_junit import write_flight
from tests.builders import flight
from tests.conftest import Run
from web.app import create_app

P, F = Status.PASS, Status.FAIL
GOOD = {"build-amd64 xen-build": P, "test-amd64-amd64-xl guest-start": P}
BAD = {"build-amd64 xen-build": P, "test-amd64-amd64-xl guest-start": F}
URL = "/api/v1/flights"
XML = "application/xml"


def xml(built: Flight) -> bytes:
    out = io.BytesIO()
    write_flight(built, out)
    return out.getvalue()


def _with_push(app: Flask) -> Flask:
    assert "push" in app.blueprints
    return app


MakeApp = Callable[..., Flask]


@pytest.fixture
def make_app(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> MakeApp:
    """Create the app on a fresh database; keyword arguments set PUSHGATE_* variables first."""
    for name in list(os.environ):
        if name.startswith("PUSHGATE_") and not name.startswith("PUSHGATE_TEST"):
            monkeypatch.delenv(name)

    def make(**env: str) -> Flask:
        for name, value in env.items():
            monkeypatch.setenv(f"PUSHGATE_{name.upper()}", value)
        return _with_push(create_app({"DATABASE_URL": sqlite_url, "TESTING": True}))

    return make


@pytest.fixture
def app(make_app: MakeApp) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _engine(app: Flask) -> Any:
    return app.extensions["pushgate"]["engine"]


@pytest.fixture
def secret(app: Flask) -> str:
    """An active token named `ci`."""
    with Session(_engine(app)) as session:
        created = tokens.create(session, "ci", datetime.now(UTC))
        session.commit()
    return created


def post(
    client: FlaskClient,
    body: bytes,
    secret: str | None,
    *,
    query: str = "",
    content_type: str = XML,
    headers: dict[str, str] | None = None,
) -> Any:
    sent = dict(headers or {})
    if secret is not None:
        sent["Authorization"] = f"Bearer {secret}"
    return client.post(f"{URL}?{query}", data=body, content_type=content_type, headers=sent)


def stored(app: Flask) -> tuple[int, int]:
    """Count the stored flights and steps."""
    with Session(_engine(app)) as session:
        flights = session.scalar(select(func.count()).select_from(FlightRecord))
        steps = session.scalar(select(func.count()).select_from(StepRecord))
    return flights or 0, steps or 0


@pytest.mark.parametrize("presented", ["missing", "empty", "wrong", "basic", "revoked"])
def test_a_push_without_an_active_token_is_401(app, client, secret, presented):
    headers = {
        "missing": {},
        "empty": {"Authorization": "Bearer "},
        "wrong": {"Authorization": f"Bearer {tokens.PREFIX}{'0' * 43}"},
        "basic": {"Authorization": "Basic Y2k6cGFzc3dvcmQ="},
        "revoked": {"Authorization": f"Bearer {secret}"},
    }[presented]
    if presented == "revoked":
        with Session(_engine(app)) as session:
            tokens.revoke(session, "ci", datetime.now(UTC))
            session.commit()
    response = post(client, xml(flight(17001, GOOD)), None, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert set(response.get_json()) == {"error"}
    assert stored(app) == (0, 0)


def test_a_good_token_creates_the_flight_and_is_marked_used(app, client, secret):
    assert post(client, xml(flight(17001, GOOD, xen="a")), secret).status_code == 201
    response = post(client, xml(flight(17002, BAD, xen="b", baseline="a")), secret)
    assert response.status_code == 201
    body = response.get_json()
    assert (body["status"], body["flight"], body["verdict"]) == ("created", 17002, "regressions")
    assert [f["summary"] for f in body["failures"]] == ["REGR. vs. 17001"]
    assert response.headers["Location"].endswith("/api/v1/flights/17002")
    shown = client.get("/api/v1/flights/17002")
    assert shown.status_code == 200
    assert shown.get_json()["verdict"] == "regressions"
    with Session(_engine(app)) as session:
        [listed] = tokens.list_all(session)
    assert listed.last_used is not None


def test_the_same_document_again_is_200_unchanged(app, client, secret):
    document = xml(flight(17001, GOOD))
    first = post(client, document, secret)
    again = post(client, document, secret)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == {**first.get_json(), "status": "unchanged"}
    assert stored(app) == (1, 2)


def test_different_content_for_a_stored_flight_is_409_and_changes_nothing(app, client, secret):
    assert post(client, xml(flight(17001, GOOD)), secret).status_code == 201
    before = client.get("/api/v1/flights/17001").get_json()
    response = post(client, xml(flight(17001, BAD)), secret)
    assert response.status_code == 409
    assert response.get_json() == {"error": "flight 17001 exists with different content"}
    assert client.get("/api/v1/flights/17001").get_json() == before


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b"<testsuites><testsuite name='j'><testcase name='s'>", "not well-formed"),
        (b"<html><body>502 Bad Gateway</body></html>", "not a JUnit XML document"),
        (b'<!DOCTYPE x [<!ENTITY e "boom">]><testsuites/>', "DOCTYPE"),
        (b"", "not well-formed"),
    ],
    ids=["malformed", "not-junit", "doctype", "empty"],
)
def test_a_bad_document_is_400_and_stores_nothing(app, client, secret, document, reason):
    response = post(client, document, secret)
    assert response.status_code == 400
    assert reason in response.get_json()["error"]
    assert stored(app) == (0, 0)


def test_a_body_over_the_upload_limit_is_413_json(make_app):
    app = make_app(max_upload_bytes="1000")
    client = app.test_client()
    with Session(_engine(app)) as session:
        secret = tokens.create(session, "ci", datetime.now(UTC))
        session.commit()
    big = xml(flight(17001, {f"job-{n} step": P for n in range(40)}))
    assert len(big) > 1000
    raw = post(client, big, secret)
    upload = client.post(
        URL,
        data={"file": (io.BytesIO(big), "junit.xml")},
        headers={"Authorization": f"Bearer {secret}"},
    )
    for response in (raw, upload):
        assert response.status_code == 413
        assert response.get_json() == {
            "error": "the request body is larger than the limit of 1000 bytes"
        }
    assert stored(app) == (0, 0)


def test_a_gzip_body_that_inflates_past_the_xml_limit_is_413(make_app):
    app = make_app(max_xml_bytes="5000")
    with Session(_engine(app)) as session:
        secret = tokens.create(session, "ci", datetime.now(UTC))
        session.commit()
    bomb = gzip.compress(xml(flight(17001, {f"job-{n} step": P for n in range(200)})))
    assert len(bomb) < 5000
    response = post(app.test_client(), bomb, secret, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 413
    assert "larger than the limit of 5000 bytes" in response.get_json()["error"]
    assert stored(app) == (0, 0)


def test_a_gzip_body_is_ingested(client, secret):
    body = gzip.compress(xml(flight(17001, BAD)))
    response = post(client, body, secret, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 201
    assert response.get_json()["failures"][0]["testid"] == "guest-start"


def test_a_multipart_upload_is_ingested_with_its_form_fields(client, secret):
    response = client.post(
        f"{URL}?flight=42",
        data={
            "results": (io.BytesIO(gzip.compress(xml(flight(17001, GOOD)))), "junit.xml.gz"),
            "branch": "xen-4.3-testing",
            "revision": "xen=abc",
        },
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert (body["flight"], body["branch"], body["revision"]) == (
        42,
        "xen-4.3-testing",
        {"xen": "abc"},
    )


def test_a_multipart_body_without_a_file_is_400(app, client, secret):
    response = client.post(
        URL,
        data={"branch": "xen-unstable"},
        content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 400
    assert response.get_json() == {"error": "the multipart body has no file"}
    assert stored(app) == (0, 0)


def test_query_parameters_win_over_the_document(app, client, secret):
    query = (
        "branch=xen-4.3-testing&flight=42&blessing=play"
        "&revision=xen=abc&revision=qemu=def&baseline=xen=0123"
    )
    response = post(
        client, xml(flight(17001, GOOD, xen="c0ffee", baseline="9")), secret, query=query
    )
    assert response.status_code == 201
    body = response.get_json()
    assert (body["flight"], body["branch"], body["blessing"]) == (42, "xen-4.3-testing", "play")
    assert body["revision"] == {"xen": "abc", "qemu": "def"}
    with Session(_engine(app)) as session:
        record = session.get_one(FlightRecord, 42)
        assert record.baseline == {"xen": "0123"}
    assert stored(app) == (1, 2)


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("flight=abc", "whole number from 1 to 2147483647"),
        ("flight=0", "whole number from 1 to 2147483647"),
        ("flight=2147483648", "whole number from 1 to 2147483647"),  # the store's integers
        ("flight=99999999999999999999", "whole number from 1 to 2147483647"),
        ("revision=xen", "TREE=SHA"),
        ("baseline==abc", "TREE=SHA"),
        ("branch=a&branch=b", "given 2 times"),
        ("colour=red", "unknown parameter 'colour'"),
    ],
)
def test_bad_query_parameters_are_400(app, client, secret, query, reason):
    response = post(client, xml(flight(17001, GOOD)), secret, query=query)
    assert response.status_code == 400
    assert reason in response.get_json()["error"]
    assert stored(app) == (0, 0)


@pytest.mark.parametrize(
    ("content_type", "encoding"),
    [("application/x-www-form-urlencoded", ""), ("text/plain", ""), (XML, "br")],
)
def test_a_body_of_another_kind_is_415(client, secret, content_type, encoding):
    headers = {"Content-Encoding": encoding} if encoding else {}
    response = post(
        client, xml(flight(17001, GOOD)), secret, content_type=content_type, headers=headers
    )
    assert response.status_code == 415
    assert set(response.get_json()) == {"error"}


def test_the_token_commands(app, client, pushgate: Run):
    created = pushgate("token", "create", "ci-bot")
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("pg_") and "\n" not in secret
    assert "will not be shown again" in created.stderr
    assert post(client, xml(flight(17001, GOOD)), secret).status_code == 201

    listed = pushgate("token", "list")
    assert "ci-bot" in listed.stdout and secret not in listed.stdout
    [row] = json.loads(pushgate("token", "list", "--format", "json").stdout)
    assert row["name"] == "ci-bot" and row["revoked"] is None and row["last_used"]
    assert secret not in json.dumps(row)

    again = pushgate("token", "create", "ci-bot")
    assert again.exit_code == 1 and "exists already" in again.stderr
    assert pushgate("token", "create", "two words").exit_code == 1

    revoked = pushgate("token", "revoke", "ci-bot")
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    assert post(client, xml(flight(17002, GOOD)), secret).status_code == 401
    assert json.loads(pushgate("token", "list", "--format", "json").stdout)[0]["revoked"]
    unknown = pushgate("token", "revoke", "nobody")
    assert unknown.exit_code == 1 and "no token named 'nobody'" in unknown.stderr


# The real `serve` command, in a process of its own.
SERVE = "from web.cli import main; main()"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server(sqlite_url: str, tmp_path: Path) -> Iterator[str]:
    """Serve the database from a real, threaded werkzeug server; yield its base URL."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUSHGATE_")}
    command = [sys.executable, "-c", SERVE, "--database", sqlite_url, "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, process.communicate()[1].decode()
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the server did not answer /healthz"
            time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert process.stderr is not None
        process.stderr.close()


def _post_twice_at_once(url: str, document: bytes, secret: str) -> list[int]:
    """POST the same document from two threads released together; return the status codes."""
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def race() -> None:
        barrier.wait()
        response = requests.post(
            url,
            data=document,
            headers={"Authorization": f"Bearer {secret}", "Content-Type": XML},
            timeout=30,
        )
        codes.append(response.status_code)

    racers = [threading.Thread(target=race) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    return sorted(codes)


@pytest.mark.slow  # starts processes
def test_racing_pushes_through_a_real_server_store_each_flight_once(server, sqlite_url):
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        secret = tokens.create(session, "ci", datetime.now(UTC))
        session.commit()
    numbers = range(18001, 18006)
    steps = {f"test-amd64-amd64-xl-{j} step-{s}": P for j in range(20) for s in range(5)}
    codes = {
        number: _post_twice_at_once(
            f"{server}{URL}", xml(flight(number, steps, xen=str(number))), secret
        )
        for number in numbers
    }
    assert codes == {number: [200, 201] for number in numbers}
    with Session(engine) as session:
        ids = session.scalars(select(FlightRecord.id).order_by(FlightRecord.id)).all()
        steps_stored = session.scalar(select(func.count()).select_from(StepRecord))
    engine.dispose()
    assert ids == list(numbers)
    assert steps_stored == len(numbers) * len(steps)
