"""Regression episodes over a replayed history: one opens where a step starts to block and
closes at the flight where it passes again; as of a moment, nothing after it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gate.model import Status
from gate.pages.failures import failure_clusters
from gate.pages.regressions import regressions
from gate.policy import Policy
from gate.store.db import unit_of_work
from gate.store.flights import save_flight
from gate.store.roadmap import plan_update, save_plan
from ingest.roadmap_file import read_update
from tests.builders import flight
from tests.gate.store.test_acceptance import ROADMAP

P, F = Status.PASS, Status.FAIL
START = datetime(2013, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)
PAIR = "test-amd64-amd64-pair guest-migrate"
# The pair's migration: passes, regresses in 102 and 103, fixed in 104, regresses again in 106.
OUTCOMES = [P, P, F, F, P, P, F]


def _replay(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        update = read_update(ROADMAP, "roadmap.toml")
        assert update.as_of is not None
        save_plan(session, plan_update(session, update, update.as_of), update.as_of)
    for n, outcome in enumerate(OUTCOMES):
        made = flight(
            100 + n,
            {"test-amd64-amd64-xl guest-start": P, PAIR: outcome},
            xen=f"r{n}",
            baseline="r0" if n == 0 else None,
            started=START + n * DAY,
        )
        said = "guest 10.0.0.9 did not answer after 120 seconds" if outcome is F else ""
        made = dataclasses.replace(
            made,
            jobs=tuple(
                dataclasses.replace(j, steps=tuple(s._replace(message=said) for s in j.steps))
                for j in made.jobs
            ),
        )
        with unit_of_work(engine) as session:
            save_flight(session, made, digest=f"d{n}", source="test", now=START + n * DAY)


def test_an_episode_opens_where_a_step_blocks_and_closes_where_it_passes(engine: Engine):
    _replay(engine)
    with Session(engine) as session:
        now = START + 6 * DAY + timedelta(hours=1)
        page = regressions(session, Policy(), now, release="4.3")
        midway = regressions(session, Policy(), START + 3 * DAY + timedelta(hours=1))
        before = regressions(session, Policy(), START + DAY + timedelta(hours=1))
        later = regressions(session, Policy(), START + 30 * DAY, branch="xen-unstable")
        cluster = failure_clusters(session, now).clusters[0].digest
    assert page.branch == "xen-unstable" and page.release == "4.3"
    (fixed,) = page.closed
    assert (fixed.job, fixed.testid) == tuple(PAIR.split(" "))
    assert (fixed.opened_flight, fixed.closed_flight, fixed.blocked_flights) == (102, 104, 2)
    assert fixed.came_in == {"xen": "r2"} and fixed.fixed_by == {"xen": "r4"}
    assert fixed.hours == 48.0
    assert fixed.cluster == cluster and fixed.features == ("migration",)
    (again,) = page.open
    assert (again.opened_flight, again.closed_flight, again.came_in) == (106, None, {"xen": "r6"})
    assert again.hours == 1.0
    # As of a moment, nothing after it: the first episode is still open between 103 and 104.
    assert [(r.opened_flight, r.blocked_flights) for r in midway.open] == [(102, 2)]
    assert midway.closed == ()
    assert before.open == () and before.closed == ()
    # A month on, the closed episode is no longer recent; the open one still lists.
    assert later.closed == () and [r.opened_flight for r in later.open] == [106]
    assert later.release == "4.3"
