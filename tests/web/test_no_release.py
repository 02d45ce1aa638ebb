"""Flights but no roadmap yet: every page and command that needs a release says so plainly."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from gate.model import Status
from tests.builders import flight, write
from tests.conftest import Build, Copy
from tests.web.conftest import make_client

P, F = Status.PASS, Status.FAIL
NO_RELEASE = "no release yet: run `pushgate roadmap import FILE`"


@pytest.fixture(scope="module")
def two_flights(build_sqlite: Build, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two flights of xen-unstable, the second regressing against the first, and no roadmap."""
    here = tmp_path_factory.mktemp("no-release")
    good = {"build-amd64 xen-build": P, "test-amd64-amd64-xl guest-start": P}
    bad = {**good, "test-amd64-amd64-xl guest-start": F}
    made = [
        flight(17001, good, xen="a", started=datetime(2013, 3, 1, tzinfo=UTC)),
        flight(17002, bad, xen="b", baseline="a", started=datetime(2013, 3, 2, tzinfo=UTC)),
    ]
    paths = [str(write(f, here / f"{f.number}.xml")) for f in made]
    return build_sqlite(["ingest", *paths])


@pytest.fixture
def flights(two_flights: Path, sqlite_copy: Copy) -> None:
    """The two flights in the test's own database."""
    sqlite_copy(two_flights)


@pytest.fixture(scope="module")
def client(two_flights: Path) -> FlaskClient:
    return make_client(two_flights)


def test_the_overview_twin_has_no_release_no_gate_and_no_features(client):
    response = client.get("/api/v1/overview")
    assert response.status_code == 200
    data = response.get_json()
    assert data["release"] is None
    assert data["gate"] is None
    assert data["features"] == []
    assert data["blockers"] == []


@pytest.mark.parametrize("url", ["/", "/?readiness=on_track&sort=pass_rate&order=desc&q=arm"])
def test_the_overview_says_to_import_a_roadmap_and_links_the_flights(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "No roadmap yet" in html
    assert "pushgate roadmap import FILE" in html
    assert 'href="/flights"' in html


@pytest.mark.parametrize(
    "url", ["/api/v1/features", "/api/v1/features?readiness=blocked&sort=pass_rate&order=desc"]
)
def test_the_features_table_is_empty(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.get_json() == []


def test_a_feature_page_is_a_404_page_and_a_json_error(client):
    page = client.get("/features/pvh")
    assert page.status_code == 404
    assert b"404 Not Found" in page.data
    twin = client.get("/api/v1/features/pvh")
    assert twin.status_code == 404
    assert twin.get_json()["error"].startswith("no feature")


@pytest.mark.parametrize(
    "url",
    [
        "/flights",
        "/flights/17002",
        "/flights/17002/report.txt",
        "/tests/test-amd64-amd64-xl/guest-start",
        "/branches/xen-unstable",
        "/feed.atom",
        "/api/v1/flights",
        "/api/v1/flights/17002",
        "/api/v1/tests/test-amd64-amd64-xl/guest-start",
        "/api/v1/branches/xen-unstable",
    ],
)
def test_the_flight_pages_need_no_roadmap(client, url):
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "command",
    [
        ["features"],
        ["features", "--format", "json"],
        ["feature", "pvh"],
        ["feature", "pvh", "--format", "json"],
        ["links"],
        ["roadmap", "export"],
    ],
    ids=" ".join,
)
def test_the_release_commands_say_to_import_a_roadmap(pushgate, flights, command):
    result = pushgate(*command)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: {NO_RELEASE}\n"


@pytest.mark.parametrize(
    "command", [["features"], ["feature", "pvh"], ["links"], ["roadmap", "export"]], ids=" ".join
)
def test_an_unknown_release_is_named(pushgate, flights, command):
    result = pushgate(*command, "--release", "4.3")
    assert result.exit_code == 1
    assert result.stderr == "Error: no release '4.3'\n"
