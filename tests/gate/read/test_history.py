"""A test's page shaped from its stored runs, without a store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gate.model import Classification, Status, TestKey
from gate.read.history import features_served, history_entry, history_page
from gate.roadmap import Declared, Feature, TestPattern
from gate.store.history import TestRun

START = datetime(2013, 3, 1, tzinfo=UTC)
C = Classification


def run(
    flight: int,
    status: Status,
    classification: Classification | None = None,
    *,
    ref: int | None = None,
    ref_status: Status | None = None,
    ref_blessing: str | None = None,
    host: str | None = "italia0",
    attempts: int = 1,
) -> TestRun:
    return TestRun(
        flight,
        "xen-unstable",
        START + timedelta(hours=flight - 100),
        host,
        status,
        attempts,
        classification,
        ref,
        ref_status,
        ref_blessing,
    )


def test_a_run_s_entry_says_the_gate_s_finding_in_words():
    regressed = history_entry(run(101, Status.FAIL, C.REGRESSION, ref=100, ref_blessing="real"))
    assert (regressed.flight, regressed.branch, regressed.host) == (101, "xen-unstable", "italia0")
    assert regressed.started == START + timedelta(hours=1)
    assert (regressed.summary, regressed.blocking, regressed.ref_flight) == (
        "REGR. vs. 100",
        True,
        100,
    )
    retest = history_entry(run(102, Status.FAIL, C.LIKE, ref=99, ref_blessing="real-retest"))
    assert (retest.summary, retest.blocking) == ("like 99-retest", False)
    other = history_entry(run(103, Status.FAIL, C.OTHER_IN, ref=98, ref_status=Status.BLOCKED))
    assert other.summary == "blocked in 98"
    passed = history_entry(run(104, Status.PASS))
    assert (passed.status, passed.classification, passed.summary) == (Status.PASS, None, "")
    assert not passed.blocking


def test_the_page_counts_heisenbugs_and_the_current_failing_streak_from_the_runs():
    runs = (
        run(100, Status.PASS, host="elbling0"),
        run(101, Status.PASS, attempts=2),  # passed on a retry: a heisenbug
        run(102, Status.FAIL, C.PASS_IN, ref=101, host="elbling0"),  # a heisenbug too
        run(103, Status.PASS),
        run(104, Status.FAIL, C.REGRESSION, ref=103, host="pinot1"),
        run(105, Status.FAIL, C.REGRESSION, ref=103, host=None),
    )
    page = history_page("test-amd64-xl", "guest-start", runs, ["pvh"])
    assert (page.job, page.testid, page.runs, page.heisenbugs) == (
        "test-amd64-xl",
        "guest-start",
        6,
        2,
    )
    assert page.flake_rate == 2 / 6
    assert (page.streak_since, page.streak_length) == (104, 2)
    assert page.failed_on == ("elbling0", "pinot1")
    assert page.features == ("pvh",)
    assert [e.flight for e in page.history] == [100, 101, 102, 103, 104, 105]
    assert [e.summary for e in page.history][-2:] == ["REGR. vs. 103", "REGR. vs. 103"]


def test_a_test_with_no_runs_has_no_flake_rate():
    page = history_page("test-amd64-xl", "guest-start", (), [])
    assert (page.runs, page.flake_rate, page.streak_since, page.history) == (0, None, None, ())


def test_a_test_serves_the_features_that_name_it_by_pattern_or_by_tag():
    key = TestKey("test-amd64-amd64-xl-pvh", "guest-start")
    roadmap = [
        Feature("pvh", "PVH", Declared.OK, "4.4", tests=(TestPattern.parse("*-pvh"),)),
        Feature("arm", "ARM", Declared.OK, "4.4", tests=(TestPattern.parse("*-armhf-*"),)),
        Feature("tagged", "Tagged", Declared.OK, "4.4"),
        Feature("start", "Start", Declared.OK, "4.4", tests=(TestPattern.parse("* guest-st*"),)),
    ]
    tags = {key: frozenset({"tagged"}), TestKey("other", "x"): frozenset({"arm"})}
    assert features_served(key, roadmap, tags) == ["pvh", "tagged", "start"]
    assert features_served(key, roadmap, {}) == ["pvh", "start"]
