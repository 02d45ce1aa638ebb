"""The gate's rules, each after the osstest behaviour it reproduces: tiny hand-built flights only.

`sg-report-flight` justifies each failure; `cr-daily-branch` decides the push. The expectations
here are written from osstest's code, not from pushgate's.
"""

from __future__ import annotations

from gate.allow import AllowList
from gate.model import (
    JOB_STATUS,
    NONE_EXECUTED,
    Blocker,
    Classification,
    Flight,
    Job,
    PriorFlight,
    Push,
    Status,
    Step,
    TestKey,
    Verdict,
)
from gate.policy import Policy, osstest_tree
from gate.report import described, outcome
from gate.rules import judge, revision_matches

JOB = "test-amd64-amd64-xl"
BUILD = "build-amd64"
P, F, B, BL, S = Status.PASS, Status.FAIL, Status.BROKEN, Status.BLOCKED, Status.SKIP
C = Classification


def make(
    number: int,
    steps: dict[str, Status],
    *,
    xen: str = "new",
    baseline: str | None = "old",
    blessing: str = "real",
    job: str = JOB,
    job_status: Status | None = None,
    branch: str = "xen-unstable",
    linux: str | None = None,
) -> Flight:
    """Build a flight of one job whose steps are `testid: status`."""
    steps_ = tuple(
        Step(TestKey(job, testid), n, status) for n, (testid, status) in enumerate(steps.items(), 1)
    )
    worst = next((s for s in (B, F, BL) if s in steps.values()), P)
    return Flight(
        number=number,
        branch=branch,
        blessing=blessing,
        revisions={"xen": xen, **({"linux": linux} if linux else {})},
        baseline={"xen": baseline} if baseline else {},
        jobs=(Job(job, job_status or worst, steps_),),
    )


def was(
    number: int,
    steps: dict[str, Status],
    *,
    xen: str = "old",
    pushed: bool = False,
    blessing: str = "real",
    job: str = JOB,
    linux: str | None = None,
) -> PriorFlight:
    """Build another flight of the branch as evidence, whole."""
    flight = make(number, steps, xen=xen, baseline=None, blessing=blessing, job=job, linux=linux)
    return PriorFlight.of(flight, pushed)


TESTED = was(1, {"guest-start": P})  # a flight that built the baseline: pushes are possible


def classes(flight: Flight, prior: list[PriorFlight], **kw: AllowList) -> dict[str, tuple]:
    judgement = judge(flight, prior, **kw)
    return {f.step.key.testid: (f.classification, f.ref_flight) for f in judgement.findings}


def summaries(flight: Flight, prior: list[PriorFlight], **kw: AllowList) -> dict[str, str]:
    judgement = judge(flight, prior, **kw)
    return {
        f"{f.in_flight or ''} {f.step.key.testid}".strip(): described(f) for f in judgement.findings
    }


# Jobs, not only steps (examineflight, justifyfailures)


def test_osstest_gives_a_non_pass_job_without_a_failing_step_a_none_executed_line():
    flight = make(10, {"xen-boot": P}, job_status=F)
    judgement = judge(flight, [TESTED, was(9, {"xen-boot": P})])
    [finding] = judgement.findings
    assert finding.step.key == TestKey(JOB, NONE_EXECUTED)
    assert (finding.step.status, finding.classification, finding.blocker) == (
        F,
        C.NONE_EXECUTED,
        Blocker.BROKEN,
    )
    assert judgement.verdict is Verdict.TROUBLE
    assert judgement.push is Push.NOT_PUSHING


def test_osstest_blocker_kind_is_decided_by_the_classification_and_the_status():
    """`justifyfailures` in `sg-report-flight` sets each failure's `Blocker`: `broken` for a
    line without a step number (the `<none executed>` line of a job that did not pass with no
    failing step, whatever the job's status, even `fail`), `unfinished` for a running step,
    `broken` for a status other than fail and broken, and, when the strongest baseline
    outcome is a pass there, `regression` only if the step is `fail` now (else the step's own
    status, `broken`); every other outcome leaves it empty. Only `regression` makes the
    headline `Regressions :-(`."""
    kinds = {
        (c, s): c.blocker(s) for c in Classification for s in Status if c.blocker(s) is not None
    }
    expected = {
        **{(C.NONE_EXECUTED, s): Blocker.BROKEN for s in Status},
        **{(C.BROKEN_JOB, s): Blocker.BROKEN for s in Status},
        **{(C.UNEXPECTED, s): Blocker.BROKEN for s in Status},
        **{(C.UNFINISHED, s): Blocker.UNFINISHED for s in Status},
        **{(C.REGRESSION, s): Blocker.BROKEN for s in Status},
        (C.REGRESSION, F): Blocker.REGRESSION,
    }
    assert kinds == expected
    # A classification blocks exactly when it has a blocker kind.
    assert all(c.blocking == (c.blocker(s) is not None) for c in Classification for s in Status)


def test_today_osstest_gives_every_broken_job_a_blocking_job_status_line():
    """Today's osstest (report mails since about 2020, e.g. linux-linus 180274): a broken job
    gets a `<job status>` line that blocks as broken whatever its steps say, and no `<none
    executed>` line; its broken step is judged as any other (here `failed in 9`)."""
    prior = [was(8, {"xen-boot": P}), was(9, {"xen-boot": F})]
    for steps in ({"xen-boot": P}, {"xen-boot": B}):
        judgement = judge(make(10, steps, job_status=B), [TESTED, *prior])
        lines = {f.step.key.testid: (f.classification, described(f)) for f in judgement.findings}
        assert lines.pop(JOB_STATUS) == (C.BROKEN_JOB, "")
        assert lines == (
            {} if steps["xen-boot"] is P else {"xen-boot": (C.FAILED_IN, "failed in 9")}
        )
        assert judgement.blocking()[0].blocker is Blocker.BROKEN
    assert judgement.verdict is Verdict.TROUBLE
    assert judgement.push is Push.NOT_PUSHING


def test_osstest_judges_a_job_that_never_ran_as_none_executed():
    queued = Flight(
        10,
        "xen-unstable",
        (Job(JOB, Status.QUEUED, ()),),
        revisions={"xen": "new"},
        baseline={"xen": "old"},
    )
    judgement = judge(queued, [TESTED])
    assert [(f.step.key.testid, f.step.status, f.blocking) for f in judgement.findings] == [
        (NONE_EXECUTED, Status.QUEUED, True)
    ]
    assert not judgement.pushed


def test_osstest_blocks_on_a_running_step_as_unfinished():
    judgement = judge(make(10, {"guest-start": Status.RUNNING}), [TESTED])
    assert judgement.findings[0].classification is C.UNFINISHED
    assert judgement.findings[0].blocker is Blocker.UNFINISHED
    assert judgement.verdict is Verdict.TROUBLE


def test_osstest_calls_any_other_status_unjustifiable():
    found = summaries(make(10, {"guest-start": Status.PREPARING}), [TESTED])
    assert found == {"guest-start": "[st=preparing!]"}
    assert judge(make(10, {"x": Status.QUEUED}), [TESTED]).verdict is Verdict.TROUBLE


def test_osstest_reports_blocked_steps_as_n_a_and_not_blocking():
    found = classes(make(10, {"build-check(1)": BL, "probe": S}), [was(9, {"probe": P})])
    assert found == {"build-check(1)": (C.BLOCKED, None), "probe": (C.SKIPPED, None)}
    assert judge(make(10, {"x": BL}), []).verdict is Verdict.TOLERABLE


def test_osstest_never_pass_when_no_evidence_flight_ever_passed_the_step():
    prior = [was(9, {"migrate-support-check": F, "guest-start": P})]
    found = classes(make(10, {"migrate-support-check": F}), prior)
    assert found == {"migrate-support-check": (C.NEVER_PASS, None)}


# The strongest outcome over all baseline flights (findaflight's priorities)


def test_osstest_like_190_beats_a_pass_in_another_baseline_flight():
    prior = [was(8, {"guest-start": F}), was(9, {"guest-start": P})]
    assert summaries(make(10, {"guest-start": F}), prior) == {"guest-start": "like 8"}


def test_osstest_names_the_newest_baseline_flight_among_equals():
    prior = [was(7, {"guest-start": P}), was(8, {"guest-start": F}), was(9, {"guest-start": F})]
    assert classes(make(10, {"guest-start": F}), prior) == {"guest-start": (C.LIKE, 9)}


def test_osstest_failed_in_180_only_when_the_step_was_fail_there():
    prior = [was(8, {"xen-boot": P}), was(9, {"xen-boot": F})]
    assert summaries(make(10, {"xen-boot": B}, job_status=F), prior) == {"xen-boot": "failed in 9"}


def test_osstest_other_status_there_170_is_status_in_n():
    prior = [was(8, {"xen-boot": P}), was(9, {"xen-boot": B})]
    assert summaries(make(10, {"xen-boot": F}), prior) == {"xen-boot": "broken in 9"}
    assert judge(make(10, {"xen-boot": F}), prior).verdict is Verdict.TOLERABLE


def test_osstest_blocked_in_50_when_the_step_did_not_run_in_a_baseline_flight():
    prior = [was(9, {"xen-boot": P})]  # ran the job, not the step
    assert summaries(
        make(10, {"guest-start": F}), [*prior, was(3, {"guest-start": P}, xen="x")]
    ) == {"guest-start": "blocked in 9"}


def test_osstest_a_baseline_flight_that_did_not_run_the_job_is_no_evidence():
    other_job = was(9, {"xen-boot": P}, job="test-amd64-i386-xl")
    ever = was(3, {"guest-start": P}, xen="x")
    assert summaries(make(10, {"guest-start": F}), [other_job, ever]) == {
        "guest-start": "baseline untested"
    }


def test_osstest_baseline_untested_10_when_no_flight_built_the_baseline():
    prior = [was(9, {"guest-start": P}, xen="other")]
    judgement = judge(make(10, {"guest-start": F}), prior)
    assert [described(f) for f in judgement.findings] == ["baseline untested"]
    assert judgement.baseline_flights == ()
    assert judgement.verdict is Verdict.TOLERABLE
    assert judgement.push is Push.BASELINE_UNTESTED


def test_osstest_regression_100_when_it_passed_in_every_baseline_flight():
    prior = [was(8, {"guest-start": P}), was(9, {"guest-start": P})]
    judgement = judge(make(10, {"guest-start": F, "xen-boot": P}), prior)
    assert [(f.classification, f.ref_flight, f.blocker) for f in judgement.findings] == [
        (C.REGRESSION, 9, Blocker.REGRESSION)
    ]
    assert judgement.verdict is Verdict.REGRESSIONS
    assert judgement.push is Push.NOT_PUSHING


def test_osstest_a_broken_step_that_passed_there_blocks_as_broken_not_regression():
    prior = [was(9, {"host-install(3)": P, "guest-start": P})]
    judgement = judge(make(10, {"host-install(3)": B}), prior)
    assert judgement.findings[0].classification is C.REGRESSION
    assert judgement.findings[0].blocker is Blocker.BROKEN
    assert judgement.verdict is Verdict.TROUBLE
    mixed = judge(make(10, {"host-install(3)": B, "guest-start": F}), prior)
    assert mixed.verdict is Verdict.REGRESSIONS


def test_osstest_build_job_regression_outranks_like_and_skips_heisen_search():
    prior = [
        was(7, {"xen-build": F}, job=BUILD),  # like
        was(8, {"xen-build": P}, job=BUILD),  # a pass in a baseline flight: 600
        was(9, {"xen-build": P}, job=BUILD, xen="new"),  # would excuse a test job's heisenbug
    ]
    judgement = judge(make(10, {"xen-build": F}, job=BUILD), prior)
    assert [described(f) for f in judgement.findings] == ["REGR. vs. 8"]
    assert judgement.verdict is Verdict.REGRESSIONS


# Heisenbugs, judged all the way


def test_osstest_a_regression_that_passed_at_the_same_revisions_is_pass_in_n():
    prior = [was(8, {"guest-start": P}), was(9, {"guest-start": P}, xen="new")]
    judgement = judge(make(10, {"guest-start": F}), [TESTED, *prior])
    assert [(f.classification, f.ref_flight) for f in judgement.findings] == [(C.PASS_IN, 9)]
    assert judgement.verdict is Verdict.TOLERABLE
    assert judgement.pushed


def test_osstest_judges_the_heisenbug_flight_and_its_regression_still_blocks():
    # README.email's example: B is broken every time, hidden behind an intermittent A.
    prior = [
        was(8, {"a": P, "b": P}),
        was(9, {"a": P, "b": F}, xen="new"),  # A passed, B failed
    ]
    flight = make(10, {"a": F})  # A failed, B never ran
    assert summaries(flight, [TESTED, *prior]) == {"a": "pass in 9", "9 b": "in 9 REGR. vs. 8"}
    judgement = judge(flight, [TESTED, *prior])
    assert [(f.in_flight, f.blocking) for f in judgement.findings] == [(None, False), (9, True)]
    assert judgement.verdict is Verdict.REGRESSIONS
    assert not judgement.pushed


def test_osstest_a_heisenbug_flight_failure_that_passed_here_is_pass_in_this_flight():
    prior = [was(8, {"a": P, "b": P}), was(9, {"a": P, "b": F}, xen="new")]
    assert summaries(make(10, {"a": F, "b": P}), prior) == {
        "a": "pass in 9",
        "9 b": "in 9 pass in 10",
    }


def test_osstest_retest_flight_excuses_as_pass_in_n_retest():
    prior = [
        was(8, {"guest-start": P}),
        was(12, {"guest-start": P}, xen="new", blessing="real-retest"),
    ]
    judgement = judge(make(10, {"guest-start": F}), [TESTED, *prior])
    assert [described(f) for f in judgement.findings] == ["pass in 12-retest"]
    assert judgement.retests == (12,)
    assert judgement.pushed


def test_osstest_counts_later_flights_only_when_they_are_retests():
    later = was(12, {"guest-start": P}, xen="new")
    assert summaries(make(10, {"guest-start": F}), [was(8, {"guest-start": P}), later]) == {
        "guest-start": "REGR. vs. 8"
    }


# Which flights are evidence, and which revisions make the baseline


def test_osstest_production_blessings_real_only_so_bisections_are_no_evidence():
    prior = [was(9, {"guest-start": F}, blessing="real-bisect"), was(8, {"guest-start": P})]
    assert summaries(make(10, {"guest-start": F}), prior) == {"guest-start": "REGR. vs. 8"}
    both = Policy(branch_blessings={"xen-unstable": ("real", "real-bisect")})
    judged = judge(make(10, {"guest-start": F}), prior, policy=both)
    assert [described(f) for f in judged.findings] == ["like 9-bisect"]


def test_osstest_play_flights_are_no_evidence_and_never_pushed():
    prior = [was(9, {"guest-start": F}, blessing="play"), was(8, {"guest-start": P})]
    assert summaries(make(10, {"guest-start": F}), prior) == {"guest-start": "REGR. vs. 8"}
    judgement = judge(make(10, {"guest-start": P}, blessing="play"), [TESTED])
    assert (judgement.verdict, judgement.push) == (Verdict.PERFECT, Push.NOT_A_PUSH_FLIGHT)


def test_osstest_examines_the_newest_flights_that_ran_the_job():
    prior = [was(1, {"guest-start": P})] + [
        was(n, {"xen-boot": P}, job="other") for n in range(2, 6)
    ]
    limited = Policy(history_flights=3)
    assert classes(make(10, {"guest-start": F}), prior)["guest-start"][0] is C.REGRESSION
    judged = judge(make(10, {"guest-start": F}), prior, policy=limited)
    assert judged.findings[0].classification is C.REGRESSION  # the other job's flights don't count
    many = [was(n, {"xen-boot": P}) for n in range(2, 6)]
    assert summaries(make(10, {"guest-start": F}), [prior[0], *many]) == {
        "guest-start": "REGR. vs. 1"
    }
    judged = judge(make(10, {"guest-start": F}), [prior[0], *many], policy=limited)
    assert [described(f) for f in judged.findings] == ["blocked in 5"]  # 1 is too old to compare


def test_osstest_compares_only_the_branch_tree_so_a_floating_linux_hides_nothing():
    prior = [
        was(8, {"guest-start": F}, linux="l1", pushed=True),
        was(9, {"guest-start": P}, xen="new", linux="l2"),
    ]
    flight = make(10, {"guest-start": F}, baseline=None, linux="l3")
    assert summaries(flight, prior) == {"guest-start": "like 8"}
    assert judge(flight, prior).baseline == {"xen": "old"}


def test_osstest_a_declared_baseline_is_compared_on_exactly_its_trees():
    prior = [
        was(8, {"guest-start": P}, linux="l1"),
        was(9, {"guest-start": F}, linux="l2"),
    ]
    flight = make(10, {"guest-start": F}, linux="l3")
    flight = Flight(
        10,
        flight.branch,
        flight.jobs,
        revisions=flight.revisions,
        baseline={"xen": "old", "linux": "l1"},
    )
    assert summaries(flight, prior) == {"guest-start": "REGR. vs. 8"}


def test_osstest_branch_naming_chooses_the_tree_under_test():
    assert [
        osstest_tree(b) for b in ("xen-unstable", "xen-4.3-testing", "linux", "linux-3.10")
    ] == ["xen", "xen", "linux", "linux"]
    assert [osstest_tree(b) for b in ("qemu-upstream-4.3-testing", "qemu-mainline", "libvirt")] == [
        "qemuu",
        "qemuu",
        "libvirt",
    ]
    assert [osstest_tree(b) for b in ("ovmf", "seabios", "osstest", "main")] == [
        "ovmf",
        "seabios",
        "osstest",
        None,
    ]
    assert Policy(branch_trees={"main": ("app",)}).trees("main") == ("app",)


def test_osstest_accepts_a_built_revision_that_starts_with_the_wanted_one():
    assert revision_matches("c0ffee1234", "c0ffee")
    assert revision_matches("tag:c0ffee1234", "c0ffee")
    assert not revision_matches("tag: c0ffee1234", "c0ffee")
    assert not revision_matches("0c0ffee", "c0ffee")
    assert not revision_matches(None, "c0ffee")


def test_without_a_declared_baseline_the_last_pushed_flight_is_the_baseline():
    prior = [
        was(7, {"guest-start": P}, xen="a", pushed=True),
        was(8, {"guest-start": F}, xen="b", pushed=True),
        was(9, {"guest-start": F}, xen="c", pushed=False),
    ]
    judgement = judge(make(10, {"guest-start": F}, baseline=None), prior)
    assert dict(judgement.baseline) == {"xen": "b"}
    assert judgement.baseline_flights == (8,)
    assert judgement.findings[0].classification is C.LIKE


# The push (cr-daily-branch)


def test_osstest_pushes_a_tolerable_flight_whose_baseline_was_tested():
    judgement = judge(make(10, {"xen-boot": P, "guest-start": P}), [TESTED])
    assert (judgement.verdict, judgement.push) == (Verdict.PERFECT, Push.PUSHED)


def test_osstest_does_not_push_without_a_tested_baseline():
    judgement = judge(make(10, {"xen-boot": P}), [was(9, {"xen-boot": P}, xen="other")])
    assert (judgement.verdict, judgement.push) == (Verdict.PERFECT, Push.BASELINE_UNTESTED)
    nothing = judge(make(10, {"xen-boot": P}, baseline=None), [])
    assert nothing.push is Push.NO_BASELINE


def test_osstest_retests_do_not_count_as_a_tested_baseline():
    retest = was(9, {"xen-boot": P}, blessing="real-retest")
    assert judge(make(10, {"xen-boot": P}), [retest]).push is Push.BASELINE_UNTESTED


def test_osstest_says_up_to_date_when_the_revision_was_already_pushed():
    judgement = judge(make(10, {"xen-boot": P}, xen="old"), [TESTED])
    assert judgement.push is Push.UP_TO_DATE


def test_a_flight_with_no_testcases_is_never_pushed():
    empty = Flight(10, "xen-unstable", (), revisions={"xen": "new"}, baseline={"xen": "old"})
    judgement = judge(empty, [TESTED])
    assert (judgement.verdict, judgement.push) == (Verdict.PERFECT, Push.NO_TESTS)


def test_osstest_allow_list_excuses_a_regression_as_allowable():
    allow = AllowList.parse("test-@@-xl guest-@\n")
    prior = [TESTED, was(9, {"guest-start": P, "xen-boot": P})]
    found = classes(make(10, {"guest-start": F, "xen-boot": F}), prior, allow=allow)
    assert found == {"guest-start": (C.ALLOWABLE, 9), "xen-boot": (C.REGRESSION, 9)}
    only = judge(make(10, {"guest-start": F}), prior, allow=allow)
    assert (only.verdict, only.push) == (Verdict.TOLERABLE, Push.PUSHED)


def test_repeated_testcases_count_every_status_seen_in_another_flight():
    prior = PriorFlight(9, "real", {"xen": "old"}, False, {TestKey(JOB, "t"): frozenset({P, F})})
    assert classes(make(10, {"t": F}), [prior]) == {"t": (C.LIKE, 9)}


# Starved (today's osstest: a job or step that got no host before its flight gave up on it)


def test_today_osstest_calls_a_starved_step_n_a_and_never_blocks_on_it():
    starved = make(10, {"build-check(1)": Status.STARVED}, job_status=Status.STARVED)
    judgement = judge(starved, [TESTED, was(9, {"build-check(1)": P})])
    [finding] = judgement.findings
    assert (finding.classification, described(finding), finding.blocking) == (
        C.STARVED,
        "n/a",
        False,
    )
    assert (judgement.verdict, judgement.push) == (Verdict.TOLERABLE, Push.PUSHED)
    assert outcome(starved, judgement) == "tolerable trouble: starved"


def test_a_step_that_a_starved_job_never_reached_was_starved_there():
    """`test-armhf-armhf-xl 8 xen-boot fail starved in 180253`: in 180253 the job starved at its
    first step, so it has no xen-boot step; it is `starved in`, and outranks a pass elsewhere."""
    basis = PriorFlight.of(
        make(9, {"build-check(1)": Status.STARVED}, xen="old", job_status=Status.STARVED),
        pushed=True,
    )
    older = was(8, {"build-check(1)": P, "xen-boot": P})
    for status in (F, B):
        flight = make(10, {"build-check(1)": P, "xen-boot": status}, job_status=F)
        judgement = judge(flight, [older, basis])
        [finding] = judgement.findings
        assert (described(finding), finding.ref_status, finding.blocking) == (
            "starved in 9",
            Status.STARVED,
            False,
        )
    # A job that ran but never reached the step (blocked, broken...) leaves it `blocked in`.
    stopped = PriorFlight.of(make(9, {"build-check(1)": F}, xen="old"), pushed=True)
    ancient = was(8, {"xen-boot": P}, xen="ancient")  # it passed once, on another revision
    blocked = judge(make(10, {"xen-boot": F}, job_status=F), [ancient, stopped])
    assert [described(f) for f in blocked.findings] == ["blocked in 9"]
