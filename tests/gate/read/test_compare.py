"""The comparison page's model, read from the store on both engines."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import gate.read.compare as compare_page
from gate.compare import Change
from gate.model import JOB_STATUS, Job, Status, Verdict
from gate.pages.compare import NoFlight, comparison
from gate.pages.flights import flight_detail
from gate.policy import Policy
from gate.store.flights import save_flight
from tests.builders import flight

P, F, BR, BL = Status.PASS, Status.FAIL, Status.BROKEN, Status.BLOCKED
START = datetime(2013, 3, 1, tzinfo=UTC)
NOW = START + timedelta(days=30)
A = {
    "build-amd64 xen-build": P,
    "test-xl guest-start": P,
    "test-xl guest-stop": F,
    "test-xl gone": P,
    "test-xl late": BL,
    "test-xl later": P,
    "test-pcipt guest-start": F,
}
B = {
    "build-amd64 xen-build": P,
    "test-xl guest-start": F,
    "test-xl guest-stop": P,
    "test-xl late": P,
    "test-xl later": BL,
    "test-xl new": F,
    "test-xl newer": BL,
    "test-pcipt guest-start": F,
}


def _store(engine: Engine) -> None:
    """Store 100 (testing its own baseline, a), 101 and 102 (with a job that ran no step)."""
    with Session(engine) as session:
        for number, steps, xen in ((100, A, "a"), (101, B, "b"), (102, B, "c")):
            made = flight(
                number,
                steps,
                xen=xen,
                baseline="a" if number == 100 else None,
                started=START + timedelta(days=number - 100),
            )
            if number == 102:
                made = replace(made, jobs=(*made.jobs, Job("test-broken", BR, ())))
            save_flight(session, made, digest=f"d{number}", source="test", now=NOW)
        session.commit()


def test_the_comparison_lists_each_kind_worst_first_with_the_gate_of_b(engine: Engine):
    _store(engine)
    with Session(engine) as session:
        data = comparison(session, 100, 101, NOW)
    assert (data.a.flight, data.b.flight) == (100, 101)
    assert (data.a.revision, data.b.revision) == ({"xen": "a"}, {"xen": "b"})
    assert data.b.verdict is Verdict.REGRESSIONS and not data.b.pushed
    assert (data.a.steps, data.b.steps, data.a.started) == (7, 8, START)
    assert list(data.counts) == list(Change)
    assert {c: n for c, n in data.counts.items() if n} == {
        Change.REGRESSION: 1,
        Change.NEW_FAILURE: 1,
        Change.NOT_RUN: 1,
        Change.DISAPPEARED: 1,
        Change.APPEARED: 1,
        Change.FIXED: 1,
        Change.NEW_PASS: 1,
        Change.STILL_FAILING: 1,
    }
    assert (data.total, data.page, data.pages) == (8, 1, 1)
    lines = [line for group in data.groups for line in group.lines]
    assert [(line.change, line.testid, line.status_a, line.status_b) for line in lines] == [
        (Change.REGRESSION, "guest-start", P, F),
        (Change.NEW_FAILURE, "new", None, F),
        (Change.NOT_RUN, "later", P, BL),
        (Change.DISAPPEARED, "gone", P, None),
        (Change.APPEARED, "newer", None, BL),
        (Change.FIXED, "guest-stop", F, P),
        (Change.NEW_PASS, "late", BL, P),
        (Change.STILL_FAILING, "guest-start", F, F),
    ]
    regression = lines[0]
    assert (regression.job, regression.summary, regression.blocking) == (
        "test-xl",
        "REGR. vs. 100",
        True,
    )
    assert (lines[-1].job, lines[-1].summary, lines[-1].blocking) == (
        "test-pcipt",
        "never pass",
        False,
    )
    assert lines[3].summary == "" and not lines[3].blocking
    assert [g.heading for g in data.groups] == [c.heading for c in Change]


def test_a_broken_job_that_ran_no_step_is_its_job_status_line(engine: Engine):
    _store(engine)
    with Session(engine) as session:
        data = comparison(session, 101, 102, NOW)
    lines = [line for group in data.groups for line in group.lines]
    new = [line for line in lines if line.change is Change.NEW_FAILURE]
    assert [(n.job, n.testid, n.status_b, n.whole_job, n.blocking) for n in new] == [
        ("test-broken", JOB_STATUS, BR, True, True)
    ]


def test_a_long_comparison_is_paged_and_counted_whole(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    _store(engine)
    monkeypatch.setattr(compare_page, "COMPARE_LINES", 3)
    with Session(engine) as session:
        pages = [comparison(session, 100, 101, NOW, page=n) for n in (1, 2, 3, 4)]
    # A page past the last is the last.
    assert [(p.page, p.pages, p.total) for p in pages] == [
        (1, 3, 8),
        (2, 3, 8),
        (3, 3, 8),
        (3, 3, 8),
    ]
    assert [[g.change for g in p.groups] for p in pages[:3]] == [
        [Change.REGRESSION, Change.NEW_FAILURE, Change.NOT_RUN],
        [Change.DISAPPEARED, Change.APPEARED, Change.FIXED],
        [Change.NEW_PASS, Change.STILL_FAILING],
    ]
    assert all(p.counts == pages[0].counts for p in pages)


def test_a_flight_missing_or_not_yet_happened_is_named(engine: Engine):
    _store(engine)
    with Session(engine) as session:
        with pytest.raises(NoFlight, match="^no flight 99$") as missing:
            comparison(session, 100, 99, NOW)
        assert (missing.value.number, missing.value.stored) == (99, False)
        with pytest.raises(NoFlight, match="^no flight 101$") as later:
            comparison(session, 100, 101, START + timedelta(hours=12))
        assert (later.value.number, later.value.stored) == (101, True)


def test_the_flight_page_names_its_predecessor_on_the_branch_as_of_its_moment(engine: Engine):
    _store(engine)
    with Session(engine) as session:
        others = [
            flight(103, A, branch="other", started=START),
            flight(104, A, started=NOW + timedelta(days=1)),  # after the moment of the view
            flight(105, A, started=START + timedelta(days=5)),
        ]
        for made in others:
            save_flight(session, made, digest=f"d{made.number}", source="test", now=NOW)
        session.commit()
        pages = {n: flight_detail(session, n, Policy(), NOW) for n in (100, 101, 102, 103, 105)}
    assert {n: p.previous_flight for n, p in pages.items() if p} == {
        100: None,
        101: 100,
        102: 101,
        103: None,
        105: 102,
    }
    assert pages[102] is not None and pages[102].baseline_flight == 100
