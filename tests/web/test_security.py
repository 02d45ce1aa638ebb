"""What the web answers to hostile input: numbers out of range, odd names, and what it sends back."""

from __future__ import annotations

import html
import itertools
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urljoin, urlsplit
from urllib.request import urlopen

import pytest
from click.testing import CliRunner
from flask import url_for
from flask.testing import FlaskClient

from gate.model import Flight, Job, Status, Step, TestKey
from ingest.junit import job_status
from tests.builders import write
from tests.web import test_pages
from web.app import create_app
from web.args import LARGEST
from web.cli import main

# One response of every kind: page, JSON twin, text, feed, static file, vendored script, errors.
EVERY_KIND = {
    "/": 200,
    "/api/v1/overview": 200,
    "/flights/17003/report.txt": 200,
    "/feed.atom": 200,
    "/static/pushgate.css": 200,
    "/vendor/plotly.min.js": 200,
    "/healthz": 200,
    "/flights/99": 404,
    "/api/v1/flights/99": 404,
    "/nothing": 404,
    "/api/v1/flights?page=x": 400,
}

TOO_LARGE = [str(LARGEST + 1), "9223372036854775808", "99999999999999999999", "9" * 400]


@pytest.mark.parametrize("number", TOO_LARGE)
@pytest.mark.parametrize("url", ["/flights/{}", "/flights/{}/report.txt", "/api/v1/flights/{}"])
def test_a_flight_number_out_of_range_is_a_404(client, url, number):
    response = client.get(url.format(number))
    assert response.status_code == 404
    if url.startswith("/api/"):
        assert set(response.get_json()) == {"error"}


def test_the_largest_flight_number_is_in_range(client):
    assert client.get(f"/api/v1/flights/{LARGEST}").get_json() == {"error": f"no flight {LARGEST}"}


@pytest.mark.parametrize("page", TOO_LARGE)
@pytest.mark.parametrize("url", ["/flights", "/api/v1/flights"])
def test_a_page_out_of_range_is_a_400(client, url, page):
    response = client.get(url, query_string={"page": page})
    assert response.status_code == 400
    assert f"page={page!r}: expected a whole number, 1 or more, at most {LARGEST}" in (
        html.unescape(response.get_data(as_text=True))
    )


@pytest.mark.parametrize(("url", "status"), EVERY_KIND.items())
def test_every_response_carries_the_security_headers(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_a_server_error_carries_the_security_headers_too(example_db):
    app = create_app({"DATABASE_URL": example_db, "NOW": test_pages.NOW})

    @app.get("/broken")
    def broken() -> str:
        raise RuntimeError("a bug")

    response = app.test_client().get("/broken")
    assert response.status_code == 500
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("url", test_pages.PAGES)
def test_no_page_has_inline_script_or_style(client, url):
    page = client.get(url).get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", page) == []
    assert " style=" not in page and "<style" not in page


ODD_BRANCH = "stable/4.2 ✓"
ODD_JOBS = ["build/amd64", "..", "test amd64 ✓", "job?#%"]
ODD_TESTIDS = ["../../x", "a/b/../c", "what?now", "#1", "100%", "two words", "dé/jà vu", "x/", "."]


@pytest.fixture(scope="module")
def odd(tmp_path_factory: pytest.TempPathFactory, template_db: Path) -> FlaskClient:
    """A store of one flight whose jobs and testids hold every character a URL treats specially."""
    root = tmp_path_factory.mktemp("odd")
    shutil.copy(template_db, root / "pushgate.sqlite")
    url = f"sqlite:///{root / 'pushgate.sqlite'}"
    jobs = []
    for job in ODD_JOBS:
        steps = tuple(
            Step(TestKey(job, testid), number, status)
            for number, (testid, status) in enumerate(
                zip(ODD_TESTIDS, itertools.cycle([Status.FAIL, Status.PASS])), start=1
            )
        )
        jobs.append(Job(job, job_status(None, steps), steps))
    flight = Flight(
        number=1,
        branch=ODD_BRANCH,
        blessing="real",
        revisions={"xen": "c0ffee"},
        baseline={},
        started=datetime(2013, 3, 1, tzinfo=UTC),
        jobs=tuple(jobs),
    )
    path = write(flight, root / "odd.xml")
    assert CliRunner().invoke(main, ["--database", url, "ingest", str(path)]).exit_code == 0
    return create_app({"DATABASE_URL": url, "NOW": test_pages.NOW}).test_client()


def links(url: str, body: str) -> list[str]:
    """Return every link of a page or feed as the browser resolves it: path and query."""
    found = []
    for href in re.findall(r'href="([^"]*)"', body):
        resolved = urlsplit(urljoin("http://localhost" + url, html.unescape(href)))
        found.append(resolved.path + (f"?{resolved.query}" if resolved.query else ""))
    return found


def test_the_odd_names_are_stored_as_they_are(odd):
    flight = odd.get("/api/v1/flights/1").get_json()
    assert flight["branch"] == ODD_BRANCH
    assert sorted(flight["scoreboard"]["jobs"]) == sorted(ODD_JOBS)
    assert sorted(row["testid"] for row in flight["scoreboard"]["rows"]) == sorted(ODD_TESTIDS)


def test_every_link_from_the_flight_page_and_the_overview_reaches_its_page(odd):
    seen = {"/", "/flights/1", "/feed.atom"}
    todo = sorted(seen)
    tests, branches = set(), set()
    while todo:
        url = todo.pop()
        response = odd.get(url)
        assert response.status_code == 200, url
        if response.mimetype in ("text/html", "application/atom+xml"):
            for link in links(url, response.get_data(as_text=True)):
                if link not in seen and not link.startswith(("/static/", "/vendor/", "/assets/")):
                    seen.add(link)
                    todo.append(link)
        if url.startswith("/api/v1/tests"):
            tests.add((response.get_json()["job"], response.get_json()["testid"]))
        if url.startswith("/api/v1/branches"):
            branches.add(response.get_json()["branch"])
    assert tests == {(job, testid) for job in ODD_JOBS for testid in ODD_TESTIDS}
    assert branches == {ODD_BRANCH}


def test_the_feed_of_a_branch_with_a_slash_links_itself(odd):
    with odd.application.test_request_context():
        url = url_for("feed.branch", branch=ODD_BRANCH)
    response = odd.get(url)
    assert response.status_code == 200
    assert f'rel="self" href="http://localhost{html.escape(url)}"' in response.get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    "url", ["/tests", "/api/v1/tests", "/tests?job=j", "/api/v1/tests?testid=t"]
)
def test_a_test_link_without_its_job_or_testid_is_a_400(odd, url):
    assert odd.get(url).status_code == 400


def test_the_path_form_of_a_test_link_still_reaches_simple_names(odd):
    assert odd.get("/api/v1/tests/test%20amd64%20%E2%9C%93/two%20words").status_code == 200
    assert odd.get("/tests/test amd64 ✓/what%3Fnow").status_code == 200


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow  # starts processes
def test_pushgate_serve_keeps_credentials_in_urls_out_of_its_log(sqlite_url):
    port = free_port()
    serve = ["--database", sqlite_url, "serve", "--port", str(port)]
    server = subprocess.Popen(
        [sys.executable, "-c", "from web.cli import main; main()", *serve],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    secrets = {"token": "s3cret-token", "API_KEY": "s3cret-key", "access%5Ftoken": "s3cret+a%20b"}
    query = "&".join(f"{name}={value}" for name, value in secrets.items())
    try:
        for _attempt in range(100):
            try:
                with urlopen(f"http://127.0.0.1:{port}/flights?page=1&{query}") as response:
                    assert response.status == 200
                break
            except URLError:
                time.sleep(0.05)
        else:
            pytest.fail("pushgate serve did not answer")
    finally:
        server.terminate()
        _out, log = server.communicate(timeout=10)
    assert "GET /flights?page=1&token=[redacted]&API_KEY=[redacted]&access" in log
    assert "s3cret" not in log
