"""Accepted regressions in the store: an acceptance that an as-of crosses (blocked before it,
debt while it holds, blocked after its expiry), a withdrawal, the kept days judged again, and
the push gate's verdicts and reports untouched."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gate.acceptance import Acceptance
from gate.allow import AllowList
from gate.keep.days import keep_days
from gate.model import Status, TestKey
from gate.pages.readiness import readiness
from gate.pages.timeline import release_readiness
from gate.policy import Policy
from gate.readiness import FeatureReadiness, Readiness
from gate.report import render_text
from gate.store.acceptance import NotAccepted, acceptances, save_acceptance
from gate.store.db import unit_of_work
from gate.store.flights import load_flight, rejudge, save_flight
from gate.store.records import BranchRecord
from gate.store.roadmap import plan_update, save_plan
from ingest.roadmap_file import read_update
from tests.builders import flight

P, F = Status.PASS, Status.FAIL
START = datetime(2013, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)
PAIR = TestKey("test-amd64-amd64-pair", "guest-migrate")
ROADMAP = """\
[release]
name = "4.3"
branch = "xen-unstable"
feature_freeze = 2013-05-25
code_freeze = 2013-05-30
release = 2013-06-15
as_of = 2013-03-01

[[feature]]
slug = "migration"
title = "Live migration"
owners = ["Andrew Cooper"]
status = "good"
tests = ["test-*-pair guest-*"]
"""


def _gate(engine: Engine) -> None:
    """The roadmap, and ten daily flights: the pair's migration regresses from the 8th on."""
    with unit_of_work(engine) as session:
        update = read_update(ROADMAP, "roadmap.toml")
        assert update.as_of is not None
        save_plan(session, plan_update(session, update, update.as_of), update.as_of)
        for n in range(10):
            steps = {
                "test-amd64-amd64-xl guest-start": P,
                f"{PAIR.job} {PAIR.testid}": F if n >= 7 else P,
            }
            made = flight(100 + n, steps, xen=f"r{n}", baseline="r0" if n == 0 else None)
            made = replace(made, started=START + n * DAY)
            save_flight(session, made, digest=f"d{n}", source="test", now=START + n * DAY)
        keep_days(session, Policy())


def _accept(engine: Engine, at: datetime, until: date, *, withdrawn: bool = False) -> None:
    with unit_of_work(engine) as session:
        save_acceptance(
            session,
            Acceptance("4.3", PAIR.job, PAIR.testid, "Ian", "known bug", until, at, withdrawn),
        )
        keep_days(session, Policy())


def _migration(engine: Engine, moment: datetime) -> FeatureReadiness:
    with Session(engine) as session:
        _rel, judged = readiness(session, Policy(), moment, "4.3", only="migration")
    return judged[0]


def test_an_acceptance_holds_from_when_it_is_made_to_its_expiry(engine: Engine):
    _gate(engine)
    _accept(engine, START + 8 * DAY + timedelta(hours=12), date(2013, 3, 12))
    before = _migration(engine, START + 8 * DAY + timedelta(hours=6))
    during = _migration(engine, START + 11 * DAY)
    after = _migration(engine, START + 12 * DAY + timedelta(hours=1))  # after the 12th
    assert before.readiness is Readiness.BLOCKED and before.debt == ()
    # Accepted: the step no longer blocks, and the feature owes it.
    assert during.readiness is not Readiness.BLOCKED and during.blocking == ()
    assert [(d.observation.key, d.acceptance.by) for d in during.debt] == [(PAIR, "Ian")]
    assert any(
        r.startswith("readiness debt: ")
        and r.endswith("accepted by Ian until 2013-03-12: known bug")
        for r in during.reasons
    )
    assert after.readiness is Readiness.BLOCKED and after.debt == ()
    assert [b.key for b in after.blocking] == [PAIR]


def test_a_withdrawal_ends_an_acceptance(engine: Engine):
    _gate(engine)
    _accept(engine, START + 8 * DAY, date(2013, 3, 30))
    _accept(engine, START + 9 * DAY + timedelta(hours=12), date(2013, 3, 30), withdrawn=True)
    assert _migration(engine, START + 9 * DAY + timedelta(hours=6)).debt != ()
    assert _migration(engine, START + 10 * DAY).readiness is Readiness.BLOCKED
    with Session(engine) as session:
        kept = acceptances(session, "4.3")
    assert [(a.by, a.withdrawn) for a in kept] == [("Ian", False), ("Ian", True)]


def test_withdrawing_what_was_never_accepted_is_refused(engine: Engine):
    _gate(engine)
    with pytest.raises(NotAccepted, match="never accepted for 4.3"):
        _accept(engine, START + 9 * DAY, date(2013, 3, 30), withdrawn=True)


def test_the_kept_days_are_judged_again_when_an_acceptance_is_stored(engine: Engine):
    _gate(engine)
    now = START + 10 * DAY

    def days() -> dict[date, Readiness]:
        with Session(engine) as session:
            found = release_readiness(session, Policy(), now, "4.3", feature="migration")
        return {d.day: d.readiness for d in found.features[0].days}

    kept_before = days()
    assert kept_before[date(2013, 3, 9)] is Readiness.BLOCKED
    _accept(engine, START + 8 * DAY + timedelta(hours=6), date(2013, 3, 9))  # the 9th only
    kept = days()
    assert kept[date(2013, 3, 8)] is Readiness.BLOCKED
    assert kept[date(2013, 3, 9)] is not Readiness.BLOCKED
    assert kept[date(2013, 3, 10)] is Readiness.BLOCKED


def test_the_push_gate_does_not_read_acceptances(engine: Engine):
    _gate(engine)

    def gate() -> tuple[str, str]:
        """Judge the newest flight again, and return its verdict and its report."""
        with unit_of_work(engine) as session:
            branch = session.scalar(
                select(BranchRecord.id).where(BranchRecord.name == "xen-unstable")
            )
            assert branch is not None
            rejudge(session, branch, [109], AllowList(), Policy())
            found = load_flight(session, 109)
        assert found is not None
        made, judgement, _ids = found
        return judgement.verdict.value, render_text(made, judgement)

    without = gate()
    _accept(engine, START + 8 * DAY, date(2013, 3, 30))
    assert _migration(engine, START + 10 * DAY).debt != ()
    assert gate() == without
    assert without[0] == "regressions" and "REGR." in without[1]
