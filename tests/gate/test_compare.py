"""Two flights compared step by step: each kind of change, and their order (no database)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gate.compare import Change, StepChange, change_of, compare, moved, outcomes
from gate.model import JOB_STATUS, NONE_EXECUTED, Job, Status, Step, TestKey
from tests.builders import flight

P, F, BR, BL, SK, RUN = (
    Status.PASS,
    Status.FAIL,
    Status.BROKEN,
    Status.BLOCKED,
    Status.SKIP,
    Status.RUNNING,
)


@pytest.mark.parametrize(
    ("a", "b", "change"),
    [
        (P, F, Change.REGRESSION),
        (P, BR, Change.REGRESSION),
        (P, RUN, Change.REGRESSION),
        (None, F, Change.NEW_FAILURE),
        (BL, BR, Change.NEW_FAILURE),
        (SK, F, Change.NEW_FAILURE),
        (P, BL, Change.NOT_RUN),
        (F, SK, Change.NOT_RUN),
        (BL, SK, Change.NOT_RUN),
        (P, None, Change.DISAPPEARED),
        (F, None, Change.DISAPPEARED),
        (BL, None, Change.DISAPPEARED),
        (None, BL, Change.APPEARED),
        (None, SK, Change.APPEARED),
        (F, P, Change.FIXED),
        (BR, P, Change.FIXED),
        (RUN, P, Change.FIXED),
        (None, P, Change.NEW_PASS),
        (BL, P, Change.NEW_PASS),
        (SK, P, Change.NEW_PASS),
        (F, F, Change.STILL_FAILING),
        (F, BR, Change.STILL_FAILING),
        (BR, RUN, Change.STILL_FAILING),
    ],
)
def test_each_kind_of_change(a, b, change):
    assert change_of(a, b) is change


@pytest.mark.parametrize("status", [P, BL, SK, None])
def test_the_same_outcome_is_no_change_unless_it_still_fails(status):
    assert change_of(status, status) is None


def test_every_kind_is_reachable_and_has_a_heading():
    assert [c.rank for c in Change] == list(range(len(Change)))
    assert all(c.heading and c.meaning for c in Change)
    assert Change.REGRESSION.rank == 0 and Change.STILL_FAILING.rank == len(Change) - 1


def test_the_changes_come_worst_first_then_by_job_and_testid():
    a = {
        TestKey("j2", "x"): P,
        TestKey("j1", "y"): P,
        TestKey("j1", "x"): F,
        TestKey("j1", "same"): P,
        TestKey("j1", "gone"): P,
        TestKey("j3", "fails"): F,
    }
    b = {
        TestKey("j2", "x"): F,
        TestKey("j1", "y"): F,
        TestKey("j1", "x"): P,
        TestKey("j1", "same"): P,
        TestKey("j0", "new"): BR,
        TestKey("j3", "fails"): F,
    }
    assert compare(a, b) == [
        StepChange(TestKey("j1", "y"), Change.REGRESSION, P, F),
        StepChange(TestKey("j2", "x"), Change.REGRESSION, P, F),
        StepChange(TestKey("j0", "new"), Change.NEW_FAILURE, None, BR),
        StepChange(TestKey("j1", "gone"), Change.DISAPPEARED, P, None),
        StepChange(TestKey("j1", "x"), Change.FIXED, F, P),
        StepChange(TestKey("j3", "fails"), Change.STILL_FAILING, F, F),
    ]
    assert compare(a, a) == [
        StepChange(k, Change.STILL_FAILING, F, F) for k in sorted(a) if a[k] is F
    ]


def test_the_outcomes_of_a_flight_count_a_stepless_job_and_a_repeated_testcase_once():
    made = flight(1, {"build-amd64 xen-build": P, "test-xl guest-start": F})
    repeated = Job(
        "pytest",
        F,
        (
            Step(TestKey("pytest", "t"), 1, P),
            Step(TestKey("pytest", "t"), 2, SK),
            Step(TestKey("pytest", "t"), 3, F),
        ),
    )
    queued = Job("test-queued", Status.QUEUED, ())
    made = replace(made, jobs=(*made.jobs, Job("test-broken", BR, ()), queued, repeated))
    assert outcomes(made) == {
        TestKey("build-amd64", "xen-build"): P,
        TestKey("test-xl", "guest-start"): F,
        TestKey("test-broken", JOB_STATUS): BR,  # today's osstest's line for a broken job
        TestKey("test-queued", NONE_EXECUTED): Status.QUEUED,
        TestKey("pytest", "t"): SK,  # its first status that is not a pass
    }


def test_every_status_that_differs_is_a_change_and_only_failing_twice_is_one_when_equal():
    statuses = [None, *Status]
    for a in statuses:
        for b in statuses:
            quiet = (None, P, BL, Status.STARVED, SK)  # absent, passed, or never ran
            failing_twice = a not in quiet and b not in quiet
            assert (change_of(a, b) is not None) is (a != b or failing_twice), (a, b)


def test_a_step_that_only_moved_is_matched_under_its_new_name():
    """osstest names some steps with their step number (`capture-logs(19)`); a job that gains a
    step before them renumbers them. Such a step is the same step: news only if its status
    changed, listed under its name in B."""
    job = "test-amd64-amd64-xl"
    a = {TestKey(job, "guest-start"): P, TestKey(job, "capture-logs(19)"): P}
    b = {
        TestKey(job, "guest-start"): P,
        TestKey(job, "guest-stop"): P,
        TestKey(job, "capture-logs(20)"): P,
    }
    assert moved(a, b) == {TestKey(job, "capture-logs(19)"): TestKey(job, "capture-logs(20)")}
    assert compare(a, b) == [StepChange(TestKey(job, "guest-stop"), Change.NEW_PASS, None, P)]
    broke = {**b, TestKey(job, "capture-logs(20)"): BR}
    assert compare(a, broke)[0] == StepChange(
        TestKey(job, "capture-logs(20)"), Change.REGRESSION, P, BR
    )
    # Two steps of one name but the number on a side: which moved where is not known.
    twice = {**a, TestKey(job, "capture-logs(25)"): P}
    assert moved(twice, b) == {}
    # A name without a number, or one in both flights, never moves.
    assert moved({TestKey(job, "guest-start"): P}, {TestKey(job, "guest-start(1)"): P}) == {}
