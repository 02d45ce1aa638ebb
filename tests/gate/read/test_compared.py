"""Two flights compared from their values, without a store: the sides, the lines, the pages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import gate.read.compare as compare_page
from gate.compare import Change
from gate.model import Classification, Finding, Judgement, Push, Status, Verdict
from gate.read.compare import compared
from tests.builders import flight

P, F = Status.PASS, Status.FAIL
START = datetime(2013, 3, 1, tzinfo=UTC)
A = flight(100, {"test-xl guest-start": P, "test-xl guest-stop": F}, xen="a", started=START)
B = flight(101, {"test-xl guest-start": F, "test-xl guest-stop": P, "test-xl new": F}, xen="b")
PASSED = Judgement(Verdict.PERFECT, Push.PUSHED, (), {}, ())


def judged(*findings: Finding) -> Judgement:
    return Judgement(Verdict.REGRESSIONS, Push.NOT_PUSHING, findings, {"xen": "a"}, (100,))


def test_each_side_says_which_flight_it_is_and_how_the_gate_judged_it():
    data = compared(A, PASSED, B, judged())
    assert (data.a.flight, data.a.branch, data.a.revision, data.a.started) == (
        100,
        "xen-unstable",
        {"xen": "a"},
        START,
    )
    assert (data.a.verdict, data.a.pushed, data.a.steps) == (Verdict.PERFECT, True, 2)
    assert (data.b.verdict, data.b.pushed, data.b.steps) == (Verdict.REGRESSIONS, False, 3)


def test_a_line_carries_b_s_finding_on_its_step_and_only_b_s():
    start = B.steps()[0]
    finding = Finding(start, Classification.REGRESSION, 100, P, "real")
    data = compared(A, judged(Finding(A.steps()[1], Classification.NEVER_PASS)), B, judged(finding))
    lines = {line.testid: line for group in data.groups for line in group.lines}
    assert (lines["guest-start"].change, lines["guest-start"].summary) == (
        Change.REGRESSION,
        "REGR. vs. 100",
    )
    assert lines["guest-start"].blocking
    assert (lines["guest-stop"].change, lines["guest-stop"].summary) == (Change.FIXED, "")
    assert (lines["new"].change, lines["new"].status_a, lines["new"].blocking) == (
        Change.NEW_FAILURE,
        None,
        False,
    )


def test_a_page_out_of_range_shows_the_nearest_and_every_page_counts_the_whole(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr(compare_page, "COMPARE_LINES", 2)
    first, last, beyond = (compared(A, PASSED, B, judged(), page=n) for n in (0, 2, 9))
    assert (first.page, first.pages, last.page, beyond.page) == (1, 2, 2, 2)
    assert [len(g.lines) for g in first.groups] == [1, 1]  # a regression, a new failure
    assert [g.change for g in beyond.groups] == [Change.FIXED]
    assert first.counts == last.counts and first.total == last.total == 3
