"""Pages that do not grow with the history: the grid of a feature, the branch page."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gate.model import Status
from gate.policy import Policy
from gate.roadmap import Declared, Feature, Release, TestPattern
from gate.store.flights import save_flight
from gate.store.roadmap import save_roadmap
from tests.builders import flight

P, F = Status.PASS, Status.FAIL
# gate.read exports functions named like these modules: import the modules themselves.
branch_page = importlib.import_module("gate.pages.branch")
feature_page = importlib.import_module("gate.pages.features")
feature_grid = importlib.import_module("gate.read.features")
START = datetime(2013, 3, 1, tzinfo=UTC)
NOW = START + timedelta(days=30)
RELEASE = Release("4.3", "xen-unstable", date(2013, 3, 25), date(2013, 4, 15), date(2013, 6, 15))
WIDE = Feature("wide", "Wide", Declared.GOOD, "4.3", tests=(TestPattern.parse("test-*"),))


def _store(engine: Engine, flights: list[dict[str, Status]], revisions: list[str]) -> None:
    """Store the flights from 100 on; the first declares its revision as the baseline."""
    with Session(engine) as session:
        save_roadmap(session, RELEASE, [WIDE], START)
        for i, (steps, xen) in enumerate(zip(flights, revisions, strict=True)):
            made = flight(
                100 + i,
                steps,
                xen=xen,
                baseline=revisions[0] if i == 0 else None,
                started=START + timedelta(hours=i),
            )
            save_flight(session, made, digest=f"d{i}", source="test", now=NOW)
        session.commit()


def test_the_grid_shows_the_steps_that_did_not_pass_a_page_at_a_time(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(feature_grid, "GRID_ROWS", 2)
    quiet = {f"test-amd64-amd64-xl step{n}": P for n in range(20)}
    old = {**quiet, "test-a-xl early": F, "test-b-xl later": P, "test-c-xl now": P}
    new = {**quiet, "test-a-xl early": P, "test-b-xl later": F, "test-c-xl now": F}
    _store(engine, [old, new], ["a", "b"])
    with Session(engine) as session:
        first = feature_page.feature_detail(session, "wide", Policy(), NOW)
        second = feature_page.feature_detail(session, "wide", Policy(), NOW, page=2)
    assert first is not None and second is not None
    # Failing in the newest flight first, then the rest, by name; the passing ones are counted.
    assert [(r.job, r.testid) for r in first.grid.rows] == [
        ("test-b-xl", "later"),
        ("test-c-xl", "now"),
    ]
    assert [(r.job, r.testid) for r in second.grid.rows] == [("test-a-xl", "early")]
    assert [c.status if c else None for c in second.grid.rows[0].cells] == [F, P]
    assert (first.grid.quiet, first.grid.noted, first.grid.pages) == (20, 3, 2)
    assert len(first.tests) == 23


def test_the_branch_page_reads_its_newest_flights_only(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(branch_page, "BRANCH_FLIGHTS", 3)
    good = {"build-amd64 xen-build": P, "test-amd64-amd64-xl guest-start": P}
    never = {**good, "test-amd64-amd64-xl guest-start": F, "test-amd64-amd64-xl leak-check": F}
    # 100 tests the baseline a, 101 pushes b; 102-105 test c: a regression stops the push, and
    # a step never passes.
    _store(engine, [good, good, never, never, never, never], ["a", "b", "c", "c", "c", "c"])
    with Session(engine) as session:
        page = branch_page.branch_detail(session, "xen-unstable", Policy(), NOW)
    assert page is not None
    assert [p.flight for p in page.flights] == [103, 104, 105]
    # Days without a push count from flight 101, before the flights shown.
    assert [p.days_without_push for p in page.flights] == [0.1, 0.1, 0.2]
    assert [(n.testid, n.runs, n.newest_flight) for n in page.never_pass] == [
        ("leak-check", 3, 105)
    ]
    assert page.gate.basis is not None and page.gate.basis.flight == 101
    assert page.gate.attempts == 4


def test_what_blocks_the_push_says_since_when_it_has_not_passed(engine: Engine):
    good = {"build-amd64 xen-build": P, "test-amd64-amd64-xl guest-start": P}
    bad = {**good, "test-amd64-amd64-xl guest-start": F}
    # 100 tests the baseline a, 101 pushes b; 102-105 test c and regress.
    _store(engine, [good, good, bad, bad, bad, bad], ["a", "b", "c", "c", "c", "c"])
    with Session(engine) as session:
        seen = feature_page.overview(session, Policy(), NOW)
    [blocker] = seen.blockers
    assert blocker.reasons == (
        "test-amd64-amd64-xl guest-start regressed in 105 (REGR. vs. 101);"
        " not passing since 102, 4 flights",
    )
