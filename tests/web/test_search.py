"""The search box of every page: a feature, job, testid or flight number, and its JSON twin."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import event


def found(client: FlaskClient, q: str, **query: str) -> dict:
    response = client.get("/api/v1/search", query_string={"q": q, **query})
    assert response.status_code == 200
    return response.get_json()


def test_every_page_has_the_search_box(client):
    for url in ("/", "/flights", "/flights/17003", "/branches/xen-unstable", "/search"):
        page = client.get(url).get_data(as_text=True)
        assert '<form class="search" role="search" method="get" action="/search">' in page, url
        assert 'id="search-q" name="q"' in page


def test_a_feature_is_found_by_slug_title_or_owner(client):
    assert [f["slug"] for f in found(client, "qemu-upstream")["features"]] == [
        "qemu-upstream-default"
    ]
    assert "qemu-upstream-default" in [f["slug"] for f in found(client, "PERARD")["features"]]
    assert [f["slug"] for f in found(client, "PVH virtualization")["features"]] == ["pvh"]


def test_a_job_and_its_testids_are_found(client):
    data = found(client, "amd64-pair")
    assert [j["job"] for j in data["jobs"]] == ["test-amd64-amd64-pair"]
    assert data["tests"] == []  # no testid holds the words
    named = found(client, "test-amd64-amd64-pair")  # a job named exactly: its testids
    assert {t["job"] for t in named["tests"]} == {"test-amd64-amd64-pair"}
    assert len(named["tests"]) == named["jobs"][0]["tests"] == 15


def test_a_testid_is_found_alone_or_as_job_and_testid(client):
    data = found(client, "guest-migrate/src_host")
    assert data["tests"] == [
        {"job": "test-amd64-amd64-pair", "testid": "guest-migrate/src_host/dst_host"}
    ]
    pasted = found(client, "test-amd64-amd64-pair  guest-migrate/src_host/dst_host")
    assert pasted["query"] == "test-amd64-amd64-pair guest-migrate/src_host/dst_host"
    assert pasted["tests"] == data["tests"]


def test_the_words_are_text_not_patterns(client):
    assert found(client, "%")["tests"] == []
    assert found(client, "guest_start")["tests"] == []  # `_` is no wildcard
    assert found(client, "guest-start")["tests"]


def test_results_are_bounded(client):
    data = found(client, "t")
    assert len(data["tests"]) == data["limit"] == 50
    assert data["more_tests"] is True
    page = client.get("/search?q=t").get_data(as_text=True)
    assert "Only the first 50 tests" in page


def test_a_flight_number_goes_straight_to_its_page(client):
    response = client.get("/search?q=17003")
    assert response.status_code == 302
    assert response.headers["Location"] == "/flights/17003"
    assert client.get("/search?q=flight+17003").headers["Location"] == "/flights/17003"
    twin = found(client, "#17003")
    assert twin["flight"]["flight"] == 17003 and twin["flight"]["verdict"] == "regressions"
    # A view of the past: a later flight is not there yet, and the redirect keeps as_of.
    assert client.get("/search?q=17006&as_of=2013-03-06").status_code == 200
    assert found(client, "17006", as_of="2013-03-06")["flight"] is None
    kept = client.get("/search?q=17001&as_of=2013-03-06").headers["Location"]
    assert kept == "/flights/17001?as_of=2013-03-06"


def test_nothing_found_says_so_and_an_empty_search_explains_itself(client):
    page = client.get("/search?q=no-such-thing").get_data(as_text=True)
    assert "Nothing found" in page
    assert "Type a feature" in client.get("/search").get_data(as_text=True)
    assert client.get("/search?q=+++").status_code == 200


def test_a_bad_search_is_a_400(client):
    assert client.get("/api/v1/search").status_code == 400
    assert client.get("/search?q=" + "x" * 201).status_code == 400
    assert client.get("/api/v1/search?q=a&q=b").get_json() == {
        "error": "q: expected one value, got 2"
    }


def test_a_search_makes_a_bounded_number_of_queries(client):
    engine = client.application.extensions["pushgate"]["engine"]
    statements: list[str] = []

    def count(*_args: object) -> None:
        statements.append("x")

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get("/search?q=guest").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= 10
