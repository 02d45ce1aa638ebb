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
