"""Every query parameter of a page and of its JSON twin is read the same way: a bad one is a 400."""

from __future__ import annotations

import html

import pytest
from flask.testing import FlaskClient

from gate.model import Verdict
from gate.read.features import SORT_KEYS
from gate.readiness import Readiness
from tests.conftest import Build
from tests.web.conftest import make_client
from web.args import Order

FEATURE_URLS = ["/", "/api/v1/overview", "/api/v1/features"]
FLIGHT_URLS = ["/flights", "/api/v1/flights"]
CHOICES = [
    ("readiness", [r.value for r in Readiness], FEATURE_URLS),
    ("sort", list(SORT_KEYS), FEATURE_URLS),
    ("order", [o.value for o in Order], FEATURE_URLS),
    ("verdict", [v.value for v in Verdict], FLIGHT_URLS),
]
BAD_PAGES = ["0", "-1", "x", "1.5", "+1", " 1", "\u0661", "1" * 30]
ONCE = [("q", FEATURE_URLS), ("branch", FLIGHT_URLS), ("page", FLIGHT_URLS)]


@pytest.fixture(scope="module")
def client(build_sqlite: Build) -> FlaskClient:
    """One app on an empty store: reading the request comes before reading the store."""
    return make_client(build_sqlite())


def refusal(client: FlaskClient, url: str, query: dict[str, str | list[str]]) -> str:
    """Return what the 400 of a page or its twin says, checking that it is one."""
    response = client.get(url, query_string=query)
    assert response.status_code == 400
    if url.startswith("/api/"):
        body = response.get_json()
        assert set(body) == {"error"}
        return str(body["error"])
    page = html.unescape(response.get_data(as_text=True))
    assert "400 Bad Request" in page
    return page


@pytest.mark.parametrize(
    ("name", "allowed", "url"),
    [(name, allowed, url) for name, allowed, urls in CHOICES for url in urls],
)
def test_an_unknown_value_is_a_400_naming_the_parameter_and_its_values(client, name, allowed, url):
    said = refusal(client, url, {name: "bogus"})
    assert f"{name}='bogus': expected one of {', '.join(allowed)}" in said


@pytest.mark.parametrize(
    ("name", "value", "url"),
    [(name, value, url) for name, allowed, urls in CHOICES for value in allowed for url in urls],
)
def test_every_value_of_the_core_is_accepted(client, name, value, url):
    assert client.get(url, query_string={name: value}).status_code == 200


@pytest.mark.parametrize("url", FLIGHT_URLS)
@pytest.mark.parametrize("page", BAD_PAGES)
def test_a_page_that_is_not_a_whole_number_from_1_is_a_400(client, url, page):
    said = refusal(client, url, {"page": page})
    assert f"page={page!r}: expected a whole number, 1 or more" in said


@pytest.mark.parametrize(("name", "urls"), ONCE)
def test_a_parameter_given_twice_is_a_400(client, name, urls):
    for url in urls:
        assert f"{name}: expected one value, got 2" in refusal(client, url, {name: ["1", "2"]})


@pytest.mark.parametrize("url", FEATURE_URLS + FLIGHT_URLS)
def test_an_empty_value_is_a_forms_any(client, url):
    query = {name: "" for name in ("readiness", "q", "sort", "order", "branch", "verdict", "page")}
    assert client.get(url, query_string=query).status_code == 200


def test_a_page_past_the_last_shows_the_last(client):
    data = client.get("/api/v1/flights", query_string={"page": "7", "branch": "any name"})
    assert data.status_code == 200
    assert (data.get_json()["page"], data.get_json()["branch"]) == (1, "any name")
