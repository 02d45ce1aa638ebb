"""The gate's rules, from tiny hand-built flights: no database, no files."""

from __future__ import annotations

from gate.allow import AllowList
from gate.model import Classification, Flight, Job, PriorFlight, Status, Step, TestKey, Verdict
from gate.policy import Policy
from gate.rules import judge

JOB = "test-amd64-amd64-xl"
P, F, B, BL, S = Status.PASS, Status.FAIL, Status.BROKEN, Status.BLOCKED, Status.SKIP


def make(
    number: int,
    steps: dict[str, Status],
    *,
    xen: str = "new",
    baseline: str | None = "old",
    blessing: str = "real",
) -> Flight:
    """Build a flight of one job whose steps are `testid: status`."""
    return Flight(
        number=number,
        branch="xen-unstable",
        blessing=blessing,
        revisions={"xen": xen},
        baseline={"xen": baseline} if baseline else {},
        jobs=(
            Job(
                JOB,
                Status.PASS,
                tuple(
                    Step(TestKey(JOB, testid), n, status)
                    for n, (testid, status) in enumerate(steps.items(), 1)
                ),
            ),
        ),
    )


def was(
    number: int, steps: dict[str, Status], *, xen: str = "old", pushed: bool = False, **kw: str
) -> PriorFlight:
    """Build a lower flight as evidence."""
    return PriorFlight(
        number=number,
        blessing=kw.get("blessing", "real"),
        revisions={"xen": xen},
        pushed=pushed,
        results={TestKey(JOB, t): frozenset({s}) for t, s in steps.items()},
    )


def classes(flight: Flight, prior: list[PriorFlight], **kw: AllowList) -> dict[str, tuple]:
    judgement = judge(flight, prior, **kw)
    return {f.step.key.testid: (f.classification, f.ref_flight) for f in judgement.findings}


def test_a_flight_with_only_passes_is_perfect_and_pushed():
    judgement = judge(make(10, {"xen-boot": P, "guest-start": P}), [])
    assert judgement.verdict is Verdict.PERFECT
    assert judgement.pushed
    assert judgement.findings == ()


def test_blocked_and_skipped_steps_never_block():
    found = classes(make(10, {"xen-build-check(1)": BL, "probe": S}), [was(9, {"probe": P})])
    assert found == {
        "xen-build-check(1)": (Classification.BLOCKED, None),
        "probe": (Classification.SKIPPED, None),
    }
    assert judge(make(10, {"x": BL}), []).verdict is Verdict.TOLERABLE


def test_a_step_that_never_passed_on_the_branch_is_never_pass():
    prior = [was(9, {"migrate-support-check": F, "guest-start": P})]
    found = classes(make(10, {"migrate-support-check": F}), prior)
    assert found == {"migrate-support-check": (Classification.NEVER_PASS, None)}


def test_failing_like_the_baseline_is_like_with_the_newest_such_flight():
    prior = [was(7, {"guest-start": P}), was(8, {"guest-start": F}), was(9, {"guest-start": F})]
    assert classes(make(10, {"guest-start": F}), prior) == {"guest-start": (Classification.LIKE, 9)}


def test_one_like_in_any_baseline_flight_excuses_a_failure():
    prior = [was(8, {"guest-start": F}), was(9, {"guest-start": P})]
    assert classes(make(10, {"guest-start": F}), prior) == {"guest-start": (Classification.LIKE, 8)}


def test_the_other_failing_status_in_the_baseline_is_failed_in():
    prior = [was(8, {"xen-boot": P}), was(9, {"xen-boot": F})]
    assert classes(make(10, {"xen-boot": B}), prior) == {"xen-boot": (Classification.FAILED_IN, 9)}


def test_a_step_that_passed_in_the_baseline_is_a_blocking_regression():
    prior = [was(8, {"guest-start": P}), was(9, {"guest-start": P})]
    judgement = judge(make(10, {"guest-start": F, "xen-boot": P}), prior)
    assert [(f.classification, f.ref_flight, f.blocking) for f in judgement.findings] == [
        (Classification.REGRESSION, 9, True)
    ]
    assert judgement.verdict is Verdict.REGRESSIONS
    assert not judgement.pushed


def test_broken_blockers_alone_make_trouble_not_regressions():
    prior = [was(9, {"host-install(3)": P, "guest-start": P})]
    judgement = judge(make(10, {"host-install(3)": B}), prior)
    assert judgement.findings[0].classification is Classification.REGRESSION
    assert judgement.verdict is Verdict.TROUBLE
    mixed = judge(make(10, {"host-install(3)": B, "guest-start": F}), prior)
    assert mixed.verdict is Verdict.REGRESSIONS


def test_a_step_absent_from_every_baseline_flight_is_baseline_untested():
    prior = [was(8, {"guest-start": P}, xen="older"), was(9, {"xen-boot": P})]
    assert classes(make(10, {"guest-start": F}), prior) == {
        "guest-start": (Classification.BASELINE_UNTESTED, 9)
    }


def test_without_any_baseline_flight_a_failure_is_baseline_untested():
    prior = [was(9, {"guest-start": P}, xen="other")]
    assert classes(make(10, {"guest-start": F}), prior) == {
        "guest-start": (Classification.BASELINE_UNTESTED, None)
    }
    judgement = judge(make(10, {"guest-start": F}), prior)
    assert judgement.baseline_flights == ()
    assert judgement.verdict is Verdict.TOLERABLE


def test_a_regression_that_passed_at_the_same_revision_is_a_heisenbug():
    prior = [was(8, {"guest-start": P}), was(9, {"guest-start": P}, xen="new")]
    judgement = judge(make(10, {"guest-start": F}), prior)
    assert [(f.classification, f.ref_flight) for f in judgement.findings] == [
        (Classification.PASS_IN, 9)
    ]
    assert judgement.verdict is Verdict.TOLERABLE


def test_an_allow_listed_regression_is_allowable():
    allow = AllowList.parse("test-@@-xl guest-@\n")
    prior = [was(9, {"guest-start": P, "xen-boot": P})]
    found = classes(make(10, {"guest-start": F, "xen-boot": F}), prior, allow=allow)
    assert found == {
        "guest-start": (Classification.ALLOWABLE, 9),
        "xen-boot": (Classification.REGRESSION, 9),
    }


def test_without_a_declared_baseline_the_last_pushed_flight_is_the_baseline():
    prior = [
        was(7, {"guest-start": P}, xen="a", pushed=True),
        was(8, {"guest-start": F}, xen="b", pushed=True),
        was(9, {"guest-start": F}, xen="c", pushed=False),
    ]
    judgement = judge(make(10, {"guest-start": F}, baseline=None), prior)
    assert dict(judgement.baseline) == {"xen": "b"}
    assert judgement.baseline_flights == (8,)
    assert judgement.findings[0].classification is Classification.LIKE

    prior[1] = was(8, {"guest-start": P}, xen="b", pushed=True)
    judgement = judge(make(10, {"guest-start": F}, baseline=None), prior)
    assert (judgement.findings[0].classification, judgement.findings[0].ref_flight) == (
        Classification.REGRESSION,
        8,
    )


def test_only_lower_real_flights_are_evidence():
    prior = [
        was(9, {"guest-start": F}, blessing="play"),
        was(11, {"guest-start": F}),
        was(8, {"guest-start": P}),
    ]
    assert classes(make(10, {"guest-start": F}), prior) == {
        "guest-start": (Classification.REGRESSION, 8)
    }
    bisect = [was(9, {"guest-start": F}, blessing="real-bisect"), was(8, {"guest-start": P})]
    assert classes(make(10, {"guest-start": F}), bisect)["guest-start"][0] is Classification.LIKE


def test_history_is_limited_to_the_newest_flights_of_the_policy():
    prior = [was(1, {"guest-start": P})] + [was(n, {"xen-boot": P}) for n in range(2, 6)]
    found = classes(make(10, {"guest-start": F}), prior)
    assert found["guest-start"][0] is Classification.REGRESSION
    limited = judge(make(10, {"guest-start": F}), prior, policy=Policy(history_flights=3))
    assert limited.findings[0].classification is Classification.NEVER_PASS


def test_a_play_flight_is_judged_but_never_pushed():
    judgement = judge(make(10, {"guest-start": P}, blessing="play"), [])
    assert judgement.verdict is Verdict.PERFECT
    assert not judgement.pushed


def test_repeated_testcases_count_every_status_seen_in_a_prior_flight():
    prior = PriorFlight(9, "real", {"xen": "old"}, False, {TestKey(JOB, "t"): frozenset({P, F})})
    assert classes(make(10, {"t": F}), [prior]) == {"t": (Classification.LIKE, 9)}
