"""Every page and its JSON twin, through Flask's test client, on the example flights and roadmap."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import event

from web.app import create_app
from web.assets import PLOTLY_JS
from web.cli import main

ROOT = Path(__file__).resolve().parents[2]
NOW = "2013-03-10"
PAGES = [
    "/",
    "/?readiness=on_track&sort=pass_rate&order=desc",
    "/features/qemu-upstream-default",
    "/features/pvh",
    "/flights",
    "/flights?branch=xen-unstable&verdict=regressions",
    "/flights/17003",
    "/tests/test-amd64-amd64-pair/guest-migrate/src_host/dst_host",
    "/branches/xen-unstable",
]
TWINS = [
    "/api/v1/overview",
    "/api/v1/features",
    "/api/v1/features/qemu-upstream-default",
    "/api/v1/flights",
    "/api/v1/flights/17003",
    "/api/v1/tests/test-amd64-amd64-pair/guest-migrate/src_host/dst_host",
    "/api/v1/branches/xen-unstable",
]
UNKNOWN = [
    "/features/nothing",
    "/flights/99",
    "/flights/99/report.txt",
    "/tests/test-amd64-amd64-xl/nothing",
    "/branches/nothing",
]


@pytest.mark.parametrize("url", PAGES + TWINS + ["/flights/17003/report.txt"])
def test_every_page_and_twin_answers(client, url):
    response = client.get(url)
    assert response.status_code == 200
    if url.startswith("/api/"):
        assert response.is_json


@pytest.mark.parametrize("url", UNKNOWN)
def test_unknown_ids_are_404_pages_and_json_errors(client, url):
    page = client.get(url)
    assert page.status_code == 404
    if not url.endswith(".txt"):
        assert b"404 Not Found" in page.data
    twin = client.get("/api/v1" + url.removesuffix("/report.txt"))
    assert twin.status_code == 404
    assert set(twin.get_json()) == {"error"}
    assert twin.get_json()["error"].startswith("no ")


def test_a_bad_filter_is_a_400_json_error(client):
    response = client.get("/api/v1/flights?verdict=maybe")
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "verdict='maybe': expected one of perfect, tolerable, regressions, trouble"
    }


@pytest.mark.parametrize("url", PAGES)
def test_no_page_references_anything_outside_the_app(client, url):
    html = client.get(url).get_data(as_text=True)
    links = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert links
    assert [link for link in links if re.match(r"[a-z]+:|//", link)] == []


def test_plotly_is_served_from_the_installed_package(client):
    page = client.get("/branches/xen-unstable").get_data(as_text=True)
    (url,) = re.findall(r'<script src="(/assets/[0-9a-f]{16}/plotly\.min\.js)">', page)
    script = client.get(url, headers={"Accept-Encoding": "identity"})
    assert script.status_code == 200
    assert script.data == PLOTLY_JS.read_bytes()  # the installed package's, byte for byte
    assert page.count('class="chart"') == 4


def _assets(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/assets/[^"]+)"', page)


def test_assets_are_named_by_their_content_cached_a_year_and_compressed(client):
    """Under an as-of too, an asset's URL has no query; a client that accepts brotli or gzip
    gets it so, and the bytes unpack to the file's."""
    import brotli

    page = client.get("/branches/xen-unstable?as_of=2013-03-08").get_data(as_text=True)
    urls = _assets(page)
    assert {url.rsplit("/", 1)[1] for url in urls} == {
        "favicon.svg",
        "pushgate.css",
        "pushgate.js",
        "plotly.min.js",
    }
    assert not any("?" in url for url in urls)
    for url in urls:
        name = url.rsplit("/", 1)[1]
        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        assert plain.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert plain.headers["Vary"] == "Accept-Encoding"
        assert "Content-Encoding" not in plain.headers
        assert hashlib.sha256(plain.data).hexdigest()[:16] == url.split("/")[2], name
        zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(zipped.data) == plain.data
        best = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert best.headers["Content-Encoding"] == "br"
        assert brotli.decompress(best.data) == plain.data
    # A page of before an upgrade names bytes that are gone: it gets today's, cached briefly.
    stale = client.get("/assets/0000000000000000/pushgate.css")
    assert stale.status_code == 200 and stale.headers["Cache-Control"] == "public, max-age=300"
    assert client.get("/assets/0000000000000000/nothing.js").status_code == 404


def test_a_first_load_of_a_page_with_a_chart_is_under_1_5_mb(client):
    """What a browser that accepts brotli fetches for the branch page and all it loads."""
    page = client.get("/branches/xen-unstable")
    total = len(page.data)
    for url in _assets(page.get_data(as_text=True)):
        total += len(client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"}).data)
    assert total < 1_500_000, total


def test_the_overview_answers_which_features_are_at_risk_and_why(client):
    html = client.get("/").get_data(as_text=True)
    assert "Feature freeze 2013-03-25" in html
    assert "in 15 days" in html
    assert "What blocks the push right now" in html
    # readiness is a text label, never colour alone
    assert '<span class="readiness r-untested">untested</span>' in html
    assert '<span class="readiness r-on_track">on track</span>' in html


def test_the_feature_filter_lives_in_the_url(client):
    every = client.get("/api/v1/features").get_json()
    on_track = client.get("/api/v1/features?readiness=on_track").get_json()
    assert 0 < len(on_track) < len(every)
    assert {f["readiness"] for f in on_track} == {"on_track"}
    html = client.get("/?readiness=untested&q=arm").get_data(as_text=True)
    assert "ARM" in html and "PVH" not in html
    ordered = client.get("/api/v1/features?sort=pass_rate&order=desc").get_json()
    rates = [f["pass_rate"] if f["pass_rate"] is not None else -1 for f in ordered]
    assert rates == sorted(rates, reverse=True)


def test_the_twins_share_the_cli_json_keys(client, example_db):
    run = CliRunner().invoke
    cli_features = json.loads(
        run(main, ["--database", example_db, "features", "--format", "json", "--now", NOW]).stdout
    )
    assert client.get("/api/v1/features?sort=slug").get_json() == sorted(
        cli_features, key=lambda f: f["slug"]
    )
    cli_report = json.loads(
        run(
            main, ["--database", example_db, "report", "17003", "--format", "json", "--now", NOW]
        ).stdout
    )
    twin = client.get("/api/v1/flights/17003").get_json()
    assert {k: twin[k] for k in cli_report} == cli_report
    text = run(main, ["--database", example_db, "report", "17003", "--now", NOW]).stdout
    assert client.get("/flights/17003/report.txt").get_data(as_text=True) == text


def test_the_flight_page_has_osstests_sections_and_scoreboard(client):
    html = client.get("/flights/17003").get_data(as_text=True)
    assert "Tests which did not succeed and are blocking" in html
    assert "Tests which are failing intermittently (not blocking)" in html
    assert 'href="/flights/17001"' in html  # the baseline flight
    # One scoreboard column per job that did not pass every step; the others are counted.
    data = client.get("/api/v1/flights/17003").get_json()
    troubled = [j["job"] for j in data["jobs"] if not j["passed"]]
    assert 0 < len(troubled) < len(data["jobs"]) == 9
    assert data["scoreboard"]["jobs"] == troubled
    assert html.count('class="job"') == len(troubled)
    passed = 9 - len(troubled)
    assert f"{passed} job{'s' if passed != 1 else ''} passed every step" in html


def test_the_test_page_tells_the_story_of_one_step(client):
    data = client.get(
        "/api/v1/tests/test-amd64-amd64-pair/guest-migrate/src_host/dst_host"
    ).get_json()
    assert data["runs"] == 6
    assert [h["status"] for h in data["history"]] == [
        "pass",
        "fail",
        "fail",
        "pass",
        "pass",
        "pass",
    ]
    assert data["streak_since"] is None
    assert data["failed_on"] == ["itch-mite,field-cricket"]
    flaky = client.get(
        "/api/v1/tests/test-amd64-amd64-xl-qemuu-win7-amd64/guest-localmigrate.2"
    ).get_json()
    assert flaky["heisenbugs"] == 1
    assert flaky["features"] == ["qemu-upstream-default"]


@pytest.mark.parametrize("url", PAGES)
def test_pages_make_a_bounded_number_of_queries(client, url):
    engine = client.application.extensions["pushgate"]["engine"]
    statements: list[str] = []

    def count(*_args: object) -> None:
        statements.append("x")

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= 28  # a fixed number, whatever the history holds


def test_the_atom_feeds_list_the_newest_flights_with_their_verdicts(client):
    from xml.etree import ElementTree as ET

    atom = "{http://www.w3.org/2005/Atom}"
    response = client.get("/feed.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    titles = [e.findtext(f"{atom}title") for e in feed.iter(f"{atom}entry")]
    assert titles[0] == "[xen-unstable test] 17006: tolerable FAIL - PUSHED"  # the report's subject
    assert "[xen-unstable test] 17003: regressions - FAIL" in titles
    assert len(titles) == 6
    link = next(feed.iter(f"{atom}entry")).find(f"{atom}link").get("href")
    assert link == "http://localhost/flights/17006"
    # Each entry's moment is when its flight ran, not when it was ingested (today).
    started = client.get("/api/v1/flights/17006").get_json()["started"]
    newest = next(feed.iter(f"{atom}entry"))
    assert newest.findtext(f"{atom}updated") == started
    assert feed.findtext(f"{atom}updated") == started
    branch = client.get("/branches/xen-unstable/feed.atom")
    assert branch.status_code == 200
    assert client.get("/branches/nothing/feed.atom").status_code == 404


def test_blockers_that_serve_no_feature_are_listed_too(example_db):
    client = create_app({"DATABASE_URL": example_db, "NOW": "2013-03-07T12:00"}).test_client()
    data = client.get("/api/v1/overview").get_json()
    assert data["gate"]["newest"]["flight"] == 17004
    assert data["blockers"][-1] == {
        "slug": None,
        "title": "No feature",
        "readiness": "blocked",
        "reasons": ["build-i386 host-install(2) broken in 17004 (REGR. vs. 17001)"],
    }
    assert "Steps that serve no feature" in client.get("/").get_data(as_text=True)


def test_the_features_table_says_why_a_feature_is_not_green(example_db):
    client = create_app({"DATABASE_URL": example_db, "NOW": "2013-03-06T12:00"}).test_client()
    html = client.get("/").get_data(as_text=True)
    assert (
        '<div class="why">test-amd64-amd64-pair guest-migrate/src_host/dst_host regressed in 17003'
        in html
    )


@pytest.mark.postgres
def test_every_page_and_twin_answers_on_postgresql(postgres_url):
    run = CliRunner().invoke
    allow = str(ROOT / "examples" / "allow.xen-unstable")
    flights = str(ROOT / "examples" / "flights")
    roadmap = str(ROOT / "examples" / "xen-4.3" / "roadmap.toml")
    assert (
        run(main, ["--database", postgres_url, "ingest", "--allow-file", allow, flights]).exit_code
        == 0
    )
    assert run(main, ["--database", postgres_url, "roadmap", "import", roadmap]).exit_code == 0
    app = create_app({"DATABASE_URL": postgres_url, "NOW": "2013-03-07T12:00"})
    client = app.test_client()
    extras = [
        "/search?q=guest",
        "/features.csv",
        "/tests.csv?job=test-amd64-amd64-xl&testid=guest-start",
    ]
    for url in [*PAGES, *TWINS, "/flights/17003/report.txt", "/feed.atom", *extras]:
        assert client.get(url).status_code == 200, url
    found = client.get("/api/v1/search?q=GUEST-MIGRATE/src_host").get_json()  # ILIKE, escaped
    assert found["tests"] == [
        {"job": "test-amd64-amd64-pair", "testid": "guest-migrate/src_host/dst_host"}
    ]
    assert client.get("/api/v1/search?q=guest_start").get_json()["tests"] == []
    gate = client.get("/api/v1/overview").get_json()["gate"]
    assert (gate["newest"]["flight"], gate["basis"]["flight"], gate["attempts"]) == (
        17004,
        17001,
        3,
    )
    app.extensions["pushgate"]["engine"].dispose()


def test_a_view_of_the_past_is_a_permalink_every_link_of_which_keeps_it(client):
    """`?as_of=` shows every page as of that moment, and each link of the page carries it."""
    html = client.get("/?as_of=2013-03-06").get_data(as_text=True)
    links = re.findall(r'href="(/[^"]*)"', html)
    pages = [link for link in links if not link.startswith("/assets/")]  # files are of no moment
    assert pages and all("as_of=2013-03-06" in link for link in pages), pages
    assert '<input type="hidden" name="as_of" value="2013-03-06">' in html  # the filter form
    assert (
        client.get("/api/v1/overview?as_of=2013-03-06")
        .get_json()["as_of"]
        .startswith("2013-03-06T00:00:00")
    )
    listed = client.get("/api/v1/flights?as_of=2013-03-06").get_json()["flights"]
    later = client.get("/api/v1/flights").get_json()["flights"]
    assert 0 < len(listed) < len(later)
    assert client.get(f"/flights/{later[0]['flight']}?as_of=2013-03-06").status_code == 404
    assert client.get("/?as_of=yesterday").status_code == 400


def test_features_without_an_owner_are_flagged_and_sorting_puts_what_matters_first(client):
    rows = client.get("/api/v1/overview").get_json()["features"]
    unowned = [r["slug"] for r in rows if r["unowned"]]
    assert unowned and all(not r["owners"] for r in rows if r["slug"] in unowned)
    html = client.get("/").get_data(as_text=True)
    assert html.count(">no owner</span>") == len(unowned)
    # Without a pass rate, last in both directions.
    for order in ("", "&order=desc"):
        rates = [
            r["pass_rate"]
            for r in client.get(f"/api/v1/overview?sort=pass_rate{order}").get_json()["features"]
        ]
        known = [rate for rate in rates if rate is not None]
        assert rates == known + [None] * (len(rates) - len(known))
        assert known == sorted(known, reverse=bool(order))
    # The first click on Blocking or Mismatch puts the most first; on Feature, A first.
    assert 'href="/?sort=blocking&amp;order=desc"' in html
    assert 'href="/?sort=mismatch&amp;order=desc"' in html
    assert 'href="/?sort=slug"' in html


def test_the_overview_and_a_feature_link_the_releases_pages(client):
    html = client.get("/?as_of=2013-03-06").get_data(as_text=True)
    for page in ("/releases/4.3/status", "/releases/4.3/readiness", "/releases/4.3/at/2013-03-25"):
        assert f'href="{page}?as_of=2013-03-06"' in html
        assert client.get(f"{page}?as_of=2013-03-06").status_code == 200
    feature = client.get("/features/pvh?as_of=2013-03-06").get_data(as_text=True)
    assert 'href="/releases/4.3/readiness?feature=pvh&amp;as_of=2013-03-06"' in feature


def test_the_overviews_trend_column_says_which_flights_and_days_it_spans(client):
    data = client.get("/api/v1/overview").get_json()
    first, last = data["trend_span"]
    flights = [f["flight"] for f in client.get("/api/v1/flights").get_json()["flights"]]
    assert last["number"] == max(flights) and first["number"] == min(flights)  # 6 < 10 flights
    html = client.get("/").get_data(as_text=True)
    days = f"{first['at'][5:10]} – {last['at'][5:10]}"
    assert f'Trend<div class="muted spark-span">{days}</div>' in html
    assert f"flights {first['number']} (" in html
