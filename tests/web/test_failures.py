"""The failure clusters' pages and twins, on the example flights."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from web.app import create_app

GUEST_START = (
    "ts-guest-start: step failed / + xl create <PATH>/debian.guest.osstest.cfg / "
    "libxl: error: domain did not respond in <N>s"
)


@pytest.fixture
def client(example_db: str) -> FlaskClient:
    return create_app({"DATABASE_URL": example_db, "NOW": "2013-07-31"}).test_client()


def test_the_clusters_twin_groups_the_example_failures_by_cause(client):
    data = client.get("/api/v1/failures").get_json()
    assert data["total"] == len(data["clusters"]) > 1
    by_signature = {c["signature"]: c for c in data["clusters"]}
    guest = by_signature[GUEST_START]
    assert guest["occurrences"] >= 2 and guest["flights"] >= 2
    assert guest["first_seen"]["flight"] <= guest["last_seen"]["flight"]
    # Newest first.
    lasts = [c["last_seen"]["flight"] for c in data["clusters"]]
    assert lasts == sorted(lasts, reverse=True)
    assert all(len(c["trend"]) == len(data["clusters"][0]["trend"]) for c in data["clusters"])


def test_the_clusters_page_links_each_cluster_and_its_page_lists_its_failures(client):
    page = client.get("/failures/").get_data(as_text=True)
    assert "Failures by cause" in page and "did not respond in &lt;N&gt;s" in page
    links = re.findall(r'href="(/failures/[0-9a-f]{20})"', page)
    assert links
    cluster = client.get(links[0])
    assert cluster.status_code == 200
    html = cluster.get_data(as_text=True)
    assert "Occurrences" in html and "/flights/" in html
    twin = client.get("/api/v1" + links[0]).get_json()
    assert twin["shown"] == len(twin["occurrences"]) >= 1
    assert twin["cluster"]["digest"] == links[0].rsplit("/", 1)[1]


def test_as_of_a_moment_before_every_flight_there_is_no_cluster(client):
    early = client.get("/api/v1/failures?as_of=2012-01-01").get_json()
    assert early == {"clusters": [], "total": 0, "limit": early["limit"]}
    digest = client.get("/api/v1/failures").get_json()["clusters"][0]["digest"]
    assert client.get(f"/failures/{digest}?as_of=2012-01-01").status_code == 404
    assert "No step has failed by 2012-01-01" in client.get("/failures/?as_of=2012-01-01").get_data(
        as_text=True
    )


def test_an_unknown_cluster_is_not_found_and_every_page_links_the_clusters(client):
    assert client.get("/failures/00000000000000000000").status_code == 404
    assert client.get("/api/v1/failures/nonsense").status_code == 404
    assert 'href="/failures/"' in client.get("/").get_data(as_text=True)


def test_the_bars_scale_to_the_most_failures_and_leave_out_flights_without_any():
    from web.charts import bars

    drawn = bars((0, 2, 1))
    assert drawn is not None
    assert drawn.rects == ((3, 0.0, 16.0), (6, 8.0, 8.0))
    assert (drawn.width, drawn.height) == (9, 16)
    assert drawn.label.endswith(": 0 2 1")
    assert bars((0, 0)) is None and bars(()) is None


def test_a_flights_failures_name_their_cluster_and_the_form_takes_a_rows_step(client):
    flight = client.get("/api/v1/flights/17003").get_json()
    own = [f for f in flight["failures"] if f["stepno"] is not None and not f["in_flight"]]
    assert own and all(f["cluster"] for f in own)
    page = client.get("/flights/17003").get_data(as_text=True)
    assert f'data-triage="/failures/{own[0]["cluster"]}?job=' in page
    clusters = client.get("/api/v1/failures").get_json()["clusters"]
    assert {f["cluster"] for f in own} <= {c["digest"] for c in clusters}
