"""Accepted regressions, without a database: which version is in force, and what readiness
makes of an accepted blocking step."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from gate.acceptance import Acceptance, in_force
from gate.policy import Policy
from gate.readiness import Readiness, judge_feature
from tests.gate.test_readiness import NOW, PAIR, REGR, XL, F, P, feature, history

MADE = datetime(2013, 3, 1, tzinfo=UTC)


def _accepted(until: date, at: datetime = MADE, by: str = "Ian", **changes: bool) -> Acceptance:
    return replace(Acceptance("4.3", PAIR.job, PAIR.testid, by, "known bug", until, at), **changes)


def test_the_newest_version_by_a_moment_is_in_force_through_its_until_day():
    first = _accepted(date(2013, 3, 10))
    longer = _accepted(date(2013, 3, 20), MADE + timedelta(days=5), by="Lars")
    versions = [longer, first]  # in any order
    assert in_force(versions, MADE - timedelta(seconds=1)) == {}
    assert in_force(versions, MADE + timedelta(days=2))[PAIR].by == "Ian"
    assert in_force(versions, MADE + timedelta(days=6))[PAIR].by == "Lars"
    # Through the end of the until day (its next midnight), not after.
    assert PAIR in in_force([first], datetime(2013, 3, 11, tzinfo=UTC))
    assert in_force([first], datetime(2013, 3, 11, 0, 0, 1, tzinfo=UTC)) == {}


def test_a_withdrawal_ends_the_acceptance_from_its_moment():
    withdrawn = _accepted(date(2013, 3, 20), MADE + timedelta(days=2), withdrawn=True)
    assert PAIR in in_force([_accepted(date(2013, 3, 20)), withdrawn], MADE + timedelta(days=1))
    assert in_force([_accepted(date(2013, 3, 20)), withdrawn], MADE + timedelta(days=3)) == {}


def test_an_accepted_blocking_step_is_debt_not_a_blocker():
    regressed = history({PAIR: [P] * 9 + [(F, REGR, 17079)], XL: [P] * 10})
    plain = judge_feature(feature(), regressed, Policy(), NOW)
    accepted = _accepted(date(2013, 3, 20))
    judged = judge_feature(feature(), regressed, Policy(), NOW, accepted={PAIR: accepted})
    assert plain.readiness is Readiness.BLOCKED and plain.debt == ()
    assert judged.readiness is not Readiness.BLOCKED
    assert judged.blocking == () and judged.failures == ()
    assert [(d.observation.key, d.acceptance) for d in judged.debt] == [(PAIR, accepted)]
    assert judged.reasons[-1] == (
        "readiness debt: test-amd64-amd64-pair guest-start regressed in 17080 (REGR. vs. 17079); "
        "accepted by Ian until 2013-03-20: known bug"
    )
    # An acceptance of another step changes nothing.
    other = judge_feature(feature(), regressed, Policy(), NOW, accepted={XL: accepted})
    assert other == plain
