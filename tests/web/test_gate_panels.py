"""The gate's panels when the newest flight is itself the last test of the basis."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from gate.model import Status
from gate.roadmap import Declared, Feature, Release
from gate.store.db import upgrade
from gate.store.flights import save_flight
from gate.store.roadmap import save_roadmap
from tests.builders import flight
from web.app import create_app

NOW = datetime(2013, 3, 10, tzinfo=UTC)
GOOD = {"build-amd64 xen-build": Status.PASS, "test-amd64-amd64-xl guest-start": Status.PASS}


def test_a_branch_whose_newest_flight_is_the_basis_renders(sqlite_url: str):
    engine = create_engine(sqlite_url)
    upgrade(engine)
    release = Release("4.3", "xen-unstable", date(2013, 3, 25), date(2013, 4, 15), date(2013, 6, 1))
    with Session(engine) as session:
        save_roadmap(session, release, [Feature("xl", "xl", Declared.GOOD, "4.3")], NOW)
        for n in (100, 101):  # the baseline's revision, tested twice: up to date, no push
            made = flight(n, GOOD, xen="a", baseline="a", started=datetime(2013, 3, 1, tzinfo=UTC))
            save_flight(session, made, digest=f"d{n}", source="test", now=NOW)
        session.commit()
    client = create_app({"DATABASE_URL": sqlite_url, "NOW": NOW.isoformat(), "TESTING": True})
    gate = client.test_client().get("/api/v1/overview").get_json()["gate"]
    assert (gate["basis"]["flight"], gate["same_since"]) == (101, None)
    for page in ("/", "/branches/xen-unstable"):
        assert client.test_client().get(page).status_code == 200
