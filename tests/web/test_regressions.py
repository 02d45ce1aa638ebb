"""/regressions/, its twin /api/v1/regressions and /regressions.csv over a replayed history."""

from __future__ import annotations

import csv
import io

from sqlalchemy import Engine

from tests.gate.store.test_episodes import _replay
from web.app import create_app

AS_OF = "as_of=2013-03-07T01:00"  # an hour after flight 106


def test_the_page_its_twin_and_its_csv_list_the_same_episodes(engine: Engine):
    _replay(engine)
    url = engine.url.render_as_string(hide_password=False)
    client = create_app({"DATABASE_URL": url, "TESTING": True}).test_client()
    page = client.get(f"/regressions/?{AS_OF}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Regressions on xen-unstable" in html and "Closed in the last 14 days (1)" in html
    assert "Open (1)" in html and 'href="/flights/106' in html
    twin = client.get(f"/api/v1/regressions?{AS_OF}&branch=xen-unstable").get_json()
    assert [(r["opened_flight"], r["closed_flight"]) for r in twin["closed"]] == [(102, 104)]
    assert twin["closed"][0]["fixed_by"] == {"xen": "r4"}
    assert [r["opened_flight"] for r in twin["open"]] == [106]
    got = client.get(f"/regressions.csv?{AS_OF}")
    assert got.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.get_data(as_text=True))))
    assert [(r["state"], r["opened_flight"], r["fixed_by"]) for r in rows] == [
        ("open", "106", ""),
        ("closed", "102", "xen=r4"),
    ]
    assert rows[1]["features"] == "migration" and rows[1]["hours"] == "48.0"
    # Before anything blocked, nothing is listed; an unknown release is a 404.
    empty = client.get("/api/v1/regressions?as_of=2013-03-02").get_json()
    assert empty["open"] == [] and empty["closed"] == []
    assert client.get("/regressions/?release=1.0").status_code == 404


def test_the_feed_has_one_entry_when_an_episode_opens_and_one_when_it_closes(engine: Engine):
    from xml.etree import ElementTree as ET

    _replay(engine)
    url = engine.url.render_as_string(hide_password=False)
    client = create_app({"DATABASE_URL": url, "TESTING": True}).test_client()
    got = client.get(f"/regressions/feed.atom?{AS_OF}")
    assert got.status_code == 200 and got.mimetype == "application/atom+xml"
    atom = "{http://www.w3.org/2005/Atom}"
    entries = ET.fromstring(got.get_data()).findall(f"{atom}entry")
    said = [
        (
            e.find(f"{atom}category").get("term"),
            e.find(f"{atom}link").get("href").split("/")[-1].split("?")[0],
        )
        for e in entries
    ]
    # Newest first: 106 opened, 104 closed what 102 opened; three flights blocked, one entry.
    assert [e for e in said if e[0].startswith("episode")] == [
        ("episode_opened", "106"),
        ("episode_closed", "104"),
        ("episode_opened", "102"),
    ]
    # And the release's feature each day its readiness changed state: blocked the day 102 ran,
    # at risk once 104 passed, blocked again with 106; not once per flight that still blocked.
    titles = [
        e.find(f"{atom}title").text
        for e in entries
        if e.find(f"{atom}category").get("term") == "readiness_changed"
    ]
    assert titles == [
        "migration: at risk -> blocked",
        "migration: blocked -> at risk",
        "migration: on track -> blocked",
    ]
    assert len({e.find(f"{atom}id").text for e in entries}) == len(entries)
    early = client.get("/regressions/feed.atom?as_of=2013-03-02").get_data()
    assert ET.fromstring(early).findall(f"{atom}entry") == []
