"""Readiness rules, from hand-built histories: no database."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from gate.model import NONE_EXECUTED, Classification, Status, TestKey
from gate.policy import Policy
from gate.readiness import (
    Evidence,
    FlightPoint,
    Observation,
    Readiness,
    Strength,
    freeze_view,
    judge_feature,
    pass_rate,
    sentences,
)
from gate.roadmap import Declared, Feature, Phase, Release, TestPattern

NOW = datetime(2013, 3, 11, tzinfo=UTC)
PAIR = TestKey("test-amd64-amd64-pair", "guest-start")
XL = TestKey("test-amd64-amd64-xl", "guest-localmigrate")
P, F, B, BL, S = Status.PASS, Status.FAIL, Status.BROKEN, Status.BLOCKED, Status.SKIP
REGR = Classification.REGRESSION


def feature(status: Declared = Declared.GOOD, tests: tuple[str, ...] | None = None) -> Feature:
    return Feature(
        slug="migration",
        title="Live migration",
        status=status,
        release="4.3",
        tests=(TestPattern("test-*-pair"), TestPattern("test-*-xl", "guest-localmigrate*"))
        if tests is None
        else tuple(TestPattern.parse(t) for t in tests),
    )


def window(count: int = 10, first: int = 17071) -> tuple[FlightPoint, ...]:
    start = NOW - timedelta(days=count)
    return tuple(FlightPoint(first + i, start + timedelta(days=i + 1)) for i in range(count))


def history(rows: dict[TestKey, list]) -> Evidence:
    """Build evidence from `{key: [status or (status, classification, ref) per flight]}`."""
    points = window(max(len(v) for v in rows.values()))
    observations = []
    for key, outcomes in rows.items():
        for point, outcome in zip(points, outcomes, strict=False):
            if outcome is None:
                continue
            status, classification, ref = (
                outcome if isinstance(outcome, tuple) else (outcome, None, None)
            )
            observations.append(Observation(point.number, key, status, classification, ref))
    return Evidence(tuple(rows), points, tuple(observations), points[-1].number)


def judge(f: Feature, evidence: Evidence):
    return judge_feature(f, evidence, Policy(), NOW)


def test_a_dropped_feature_is_dropped_whatever_its_tests_say():
    judged = judge(feature(Declared.DROPPED), history({PAIR: [F] * 10}))
    assert judged.readiness is Readiness.DROPPED
    assert judged.reasons == ("declared dropped: not for this release",)


def test_a_feature_whose_tests_never_ran_is_untested_not_green():
    empty = Evidence((), window(), (), None)
    judged = judge(feature(Declared.DONE), empty)
    assert judged.readiness is Readiness.UNTESTED
    assert judged.pass_rate is None
    # An untested feature says what it is claimed to be, and that nothing checks the claim.
    assert judged.reasons == (
        "declared done, and nothing checks the claim: no linked test has ever run on the branch",
    )
    assert judged.readiness.needs_attention
    no_patterns = Feature("vtpm", "vTPM", Declared.GOOD, "4.3")
    assert judge(no_patterns, empty).reasons == (
        "declared good, and nothing checks the claim: no test is linked to this feature",
    )


def test_a_feature_its_owner_says_is_at_risk_is_at_risk_unless_a_test_says_otherwise():
    empty = Evidence((), window(), (), None)
    for declared in (Declared.FAIR, Declared.POOR, Declared.BLOCKED):
        judged = judge(Feature("vtpm", "vTPM", declared, "4.3"), empty)
        assert judged.readiness is Readiness.AT_RISK
        assert judged.reasons == (
            f"declared {declared.value} by its owner, and no test says otherwise: no test is "
            "linked to this feature",
        )
        assert judged.projection.on is None
        assert judged.on_owners_word


def test_on_track_is_not_said_to_meet_the_ready_conditions():
    passing = history({PAIR: [P] * 10})
    assert judge(feature(Declared.GOOD), passing).projection.text == (
        "the linked steps pass; ready once declared done"
    )
    assert judge(feature(Declared.DONE), passing).projection.text == (
        "meets the ready conditions now"
    )


def test_a_feature_with_only_a_question_mark_for_owner_has_no_owner():
    assert Feature("a", "A", Declared.OK, "4.3", owners=("?",)).unowned
    assert Feature("a", "A", Declared.OK, "4.3").unowned
    assert not Feature("a", "A", Declared.OK, "4.3", owners=("?", "Wei Liu")).unowned


def test_a_feature_whose_tests_ran_only_before_the_window_is_stale():
    evidence = Evidence((PAIR,), window(), (), 16990)
    judged = judge(feature(), evidence)
    assert judged.readiness is Readiness.STALE
    assert judged.reasons == (
        "no linked test ran in the last 10 flights (newest result in flight 16990)",
    )


def test_a_blocking_regression_in_the_newest_flight_blocks():
    evidence = history({PAIR: [P] * 9 + [(F, REGR, 17079)], XL: [P] * 10})
    judged = judge(feature(), evidence)
    assert judged.readiness is Readiness.BLOCKED
    assert judged.reasons[0] == (
        "test-amd64-amd64-pair guest-start regressed in 17080 (REGR. vs. 17079)"
    )
    assert [o.key for o in judged.blocking] == [PAIR]
    assert judged.mismatch  # declared good while the tests block it


def test_a_none_executed_line_of_a_failed_job_blocks_but_never_regressed():
    """osstest's `sg-report-flight` gives a failed job with no failing step a `<none executed>`
    line whose blocker is `broken`, never `regression` (see `Classification.blocker`): the
    feature is blocked, and the sentence says the job's status, not `regressed`."""
    none = TestKey("test-amd64-amd64-pair", NONE_EXECUTED)
    observation = Observation(17080, none, F, Classification.NONE_EXECUTED)
    assert observation.blocking and not observation.regressed
    assert observation.sentence() == "test-amd64-amd64-pair <none executed> fail in 17080"
    regression = Observation(17080, PAIR, F, REGR, ref_flight=17079)
    broken = Observation(17080, PAIR, B, REGR, ref_flight=17079)
    assert (regression.regressed, broken.regressed) == (True, False)
    evidence = Evidence((PAIR,), window(), (observation,), 17080)
    judged = judge(feature(), evidence)
    assert judged.readiness is Readiness.BLOCKED
    assert judged.reasons[0] == "test-amd64-amd64-pair <none executed> fail in 17080"


def test_an_older_regression_that_was_fixed_does_not_block():
    evidence = history({PAIR: [P] * 8 + [(F, REGR, 17077), P]})
    assert judge(feature(), evidence).readiness is Readiness.ON_TRACK  # 9/10 is not below 0.9


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ({PAIR: [P] * 7 + [F, F, P]}, "pass rate 80% over the last 10 flights is below 90%"),
        (
            {PAIR: [P] * 9 + [(F, Classification.LIKE, 17078)]},
            "test-amd64-amd64-pair guest-start fail in 17080 (like 17078)",
        ),
    ],
    ids=["low-pass-rate", "not-passing-in-newest"],
)
def test_tests_that_do_not_hold_up_put_a_feature_at_risk(rows, reason):
    judged = judge(feature(), history(rows))
    assert judged.readiness is Readiness.AT_RISK
    assert reason in judged.reasons
    assert judged.mismatch


@pytest.mark.parametrize("declared", [Declared.FAIR, Declared.POOR, Declared.BLOCKED])
def test_a_pessimistic_declaration_puts_a_feature_at_risk(declared):
    judged = judge(feature(declared), history({PAIR: [P] * 10}))
    assert judged.readiness is Readiness.AT_RISK
    assert f"declared {declared.value}" in judged.reasons
    assert not judged.on_owners_word  # a test ran: the tests have their say too


def test_poor_or_blocked_while_every_step_passed_is_a_mismatch_but_fair_is_not():
    passing = history({PAIR: [P] * 10, XL: [P] * 10})
    assert judge(feature(Declared.POOR), passing).mismatch
    assert judge(feature(Declared.BLOCKED), passing).mismatch
    assert not judge(feature(Declared.FAIR), passing).mismatch
    assert not judge(feature(Declared.POOR), history({PAIR: [P] * 9 + [S]})).mismatch


def test_done_with_passing_tests_is_ready_and_good_is_on_track():
    passing = history({PAIR: [P] * 10})
    assert judge(feature(Declared.DONE), passing).readiness is Readiness.READY
    good = judge(feature(Declared.GOOD), passing)
    assert good.readiness is Readiness.ON_TRACK
    assert not good.mismatch
    assert good.projection.on == NOW.date()


def test_the_pass_rate_counts_passes_and_failures_only():
    # broken and blocked are the infrastructure's, skipped is nobody's: none is a result
    assert pass_rate([Counter([P, P, F, B]), Counter([BL, S, S])]) == 2 / 3
    assert pass_rate([Counter([BL]), Counter([B])]) is None
    assert pass_rate([Counter([P, Status.STARVED])]) == 1.0  # starved: it never ran


@pytest.mark.parametrize(
    ("status", "classification", "testid"),
    [
        (BL, Classification.BLOCKED, "guest-start"),
        (B, Classification.REGRESSION, "guest-start"),
        (B, Classification.REGRESSION, "host-install(3)"),
        (F, Classification.REGRESSION, "hosts-allocate"),
        (F, Classification.NEVER_PASS, "capture-logs(19)"),
        (Status.STARVED, Classification.STARVED, "hosts-allocate"),
        (Status.STARVED, Classification.STARVED, "guest-start"),
    ],
    ids=[
        "blocked",
        "broken",
        "broken-host-install",
        "failed-allocation",
        "failed-log-capture",
        "starved-allocation",
        "starved",
    ],
)
def test_infrastructure_trouble_is_evidence_missing_and_names_the_host(
    status, classification, testid
):
    step = TestKey(PAIR.job, testid)
    found = history({PAIR: [P] * 10, XL: [P] * 10})
    trouble = Observation(17080, step, status, classification, 17079, host="gall-mite")
    evidence = dataclasses.replace(
        found,
        tests=(*found.tests, step),
        observations=(*found.observations, trouble),
        counts={**{n: {P: 2} for n in range(17071, 17081)}, 17080: {P: 2, status: 1}},
    )
    judged = judge(feature(), evidence)
    assert judged.readiness is Readiness.ON_TRACK  # a host's trouble is not the feature's
    assert judged.pass_rate == 1.0
    assert not judged.blocking and not judged.failures and not judged.mismatch
    assert judged.trouble == (trouble,)
    assert judged.reasons[-1] == (
        f"evidence missing: {testid} {status.value} on gall-mite in 17080: test-amd64-amd64-pair"
    )


def test_a_feature_whose_steps_only_met_trouble_is_stale_and_says_why():
    evidence = history({PAIR: [B] * 10})
    judged = judge(feature(Declared.DONE), evidence)
    assert judged.readiness is Readiness.STALE
    assert judged.reasons[0] == (
        "no linked step ran to a result in the last 10 flights: "
        "the test infrastructure got in the way"
    )
    assert (
        judged.reasons[1] == "evidence missing: guest-start broken in 17080: test-amd64-amd64-pair"
    )
    assert judged.strength is Strength.NONE


def test_the_strength_of_the_evidence_follows_the_links_of_what_ran():
    passing = history({PAIR: [P] * 10})
    by_job = feature(tests=("test-*-pair",))
    by_step = feature(tests=("test-*-pair guest-start",))
    assert judge(by_step, passing).strength is Strength.DIRECT
    assert judge(by_job, passing).strength is Strength.INDIRECT
    tagged = feature(tests=())  # a tag links the step itself
    assert judge(tagged, passing).strength is Strength.DIRECT
    build = history({TestKey("build-amd64", "xen-build"): [P] * 10})
    assert judge(feature(tests=("build-amd64",)), build).strength is Strength.BUILD_ONLY
    prep = history({TestKey("test-amd64-amd64-pair", "host-install(3)"): [P] * 10})
    assert judge(by_job, prep).strength is Strength.NONE
    assert judge(by_job, history({PAIR: [BL] * 10})).strength is Strength.NONE


def test_counted_steps_give_the_same_readiness_as_the_steps_themselves():
    """The pages pass counts (the summaries) and only the steps that did not pass."""
    steps = history({PAIR: [P, F, None, P, P, P], XL: [P, P, None, F, P, P]})
    counts: dict[int, Counter[Status]] = {}
    for o in steps.observations:
        counts.setdefault(o.flight, Counter())[o.status] += 1
    failing = tuple(o for o in steps.observations if o.status is not P)
    counted = dataclasses.replace(steps, observations=failing, counts=counts)
    for declared in Declared:
        assert judge(feature(declared), counted) == judge(feature(declared), steps)


def test_the_series_has_one_rate_per_flight_of_the_window():
    judged = judge(feature(), history({PAIR: [P, F, None, P], XL: [P, P, None, F]}))
    assert judged.series == ((17071, 1.0), (17072, 0.5), (17073, None), (17074, 0.5))


def test_a_rising_pass_rate_projects_a_date_and_a_falling_one_does_not_converge():
    rising = judge(feature(), history({PAIR: [F, F, F, F, P, F, P, P, P, F]}))
    assert rising.readiness is Readiness.AT_RISK
    assert rising.projection.on is not None and rising.projection.on > NOW.date()
    falling = judge(feature(), history({PAIR: [P, P, P, P, P, F, P, F, F, F]}))
    assert falling.projection.on is None
    assert falling.projection.text.startswith("not converging")


def test_a_blocked_feature_projects_from_how_long_its_blockers_took_to_clear():
    cleared_in_two_days = [P, (F, REGR, 1), (F, REGR, 1), P, P, P, P, P, P, (F, REGR, 17079)]
    other = TestKey("test-amd64-i386-pair", "guest-start")
    judged = judge(feature(), history({PAIR: cleared_in_two_days, XL: [P] * 10, other: [P] * 10}))
    assert judged.readiness is Readiness.BLOCKED
    assert judged.pass_rate == 0.9
    assert judged.projection.on == NOW.date() + timedelta(days=2)
    stuck = [P] * 8 + [(F, REGR, 1), (F, REGR, 1)]
    never_cleared = judge(feature(), history({PAIR: stuck, XL: [P] * 10, other: [P] * 10}))
    assert never_cleared.projection.text == (
        "not converging (no blocking regression has cleared yet)"
    )


def test_the_freeze_view_counts_days_from_now():
    release = Release(
        "4.3", "xen-unstable", date(2013, 3, 25), date(2013, 4, 15), date(2013, 6, 15)
    )
    view = freeze_view(release, NOW)
    assert (view.days_to_feature_freeze, view.days_to_code_freeze, view.days_to_release) == (
        14,
        35,
        96,
    )


def test_one_testid_failing_alike_in_many_jobs_is_one_line_with_its_age():
    found = [
        Observation(
            17080,
            TestKey(job, "guest-start"),
            F,
            Classification.REGRESSION,
            17079,
            since=since,
            attempts=attempts,
        )  # fmt: skip
        for job, since, attempts in [("test-b", 17075, 3), ("test-a", 17071, 5)]
    ]
    other = Observation(17080, TestKey("test-a", "xen-boot"), F, Classification.REGRESSION, 17079)
    assert sentences([*found, other]) == [
        "guest-start regressed in 17080 (REGR. vs. 17079) in 2 jobs: test-a, test-b;"
        " not passing since 17071, 5 flights",
        "test-a xen-boot regressed in 17080 (REGR. vs. 17079)",
    ]
    assert found[0].sentence() == (
        "test-b guest-start regressed in 17080 (REGR. vs. 17079); not passing since 17075, 3 flights"
    )


RELEASE_43 = Release("4.3", "xen-unstable", date(2013, 3, 25), date(2013, 4, 15), date(2013, 6, 15))


@pytest.mark.parametrize(
    ("moment", "phase"),
    [
        (datetime(2013, 3, 24, 23, 59, tzinfo=UTC), Phase.OPEN),
        (datetime(2013, 3, 25, tzinfo=UTC), Phase.FEATURE_FROZEN),
        (datetime(2013, 4, 14, 12, tzinfo=UTC), Phase.FEATURE_FROZEN),
        (datetime(2013, 4, 15, tzinfo=UTC), Phase.CODE_FROZEN),
        (datetime(2013, 6, 15, 8, tzinfo=UTC), Phase.RELEASED),
    ],
)
def test_a_milestone_begins_its_phase_at_midnight_of_its_day(moment, phase):
    assert RELEASE_43.phase_at(moment) is phase
    assert phase.frozen is (phase is not Phase.OPEN)


def test_after_the_feature_freeze_a_feature_not_done_has_missed_it_whatever_its_tests_say():
    after = datetime(2013, 3, 26, tzinfo=UTC)
    passing = history({PAIR: [P] * 10})
    before = judge_feature(feature(), passing, Policy(), NOW, RELEASE_43)
    assert before.readiness is Readiness.ON_TRACK
    judged = judge_feature(feature(), passing, Policy(), after, RELEASE_43)
    assert judged.readiness is Readiness.MISSED_FREEZE
    assert judged.reasons[0] == (
        "not done by the feature freeze of 2013-03-25: carry it to the next release, "
        "or grant it a freeze exception"
    )
    assert judged.readiness.words == "missed the freeze"
    assert judged.projection.text == "missed the feature freeze: not for this release"
    # A missed freeze is the calendar's word, not the tests': a good claim over passing steps
    # is no mismatch, and a blocked one is, and says what blocks it after the calendar's reason.
    assert not judged.mismatch
    blocked = judge_feature(
        feature(),
        history({PAIR: [P] * 9 + [(F, REGR, 17071)]}),
        Policy(),
        after,
        RELEASE_43,
    )
    assert blocked.readiness is Readiness.MISSED_FREEZE
    assert blocked.reasons[1] == (
        "test-amd64-amd64-pair guest-start regressed in 17080 (REGR. vs. 17071)"
    )
    assert blocked.mismatch


def test_done_and_dropped_features_do_not_miss_the_freeze():
    after = datetime(2013, 4, 20, tzinfo=UTC)
    passing = history({PAIR: [P] * 10})
    done = judge_feature(feature(Declared.DONE), passing, Policy(), after, RELEASE_43)
    dropped = judge_feature(feature(Declared.DROPPED), passing, Policy(), after, RELEASE_43)
    assert (done.readiness, dropped.readiness) == (Readiness.READY, Readiness.DROPPED)


def test_a_freeze_exception_keeps_the_feature_judged_on_its_tests_and_says_so():
    after = datetime(2013, 3, 26, tzinfo=UTC)
    granted = dataclasses.replace(feature(), exception="granted by the release manager, 2013-03-22")
    judged = judge_feature(granted, history({PAIR: [P] * 10}), Policy(), after, RELEASE_43)
    assert judged.readiness is Readiness.ON_TRACK
    assert judged.reasons[0] == (
        "granted a freeze exception: granted by the release manager, 2013-03-22"
    )
    failing = judge_feature(
        granted, history({PAIR: [P] * 9 + [(F, REGR, 17071)]}), Policy(), after, RELEASE_43
    )
    assert failing.readiness is Readiness.BLOCKED


def test_missed_the_freeze_is_a_state_only_once_the_release_is_frozen():
    assert Readiness.MISSED_FREEZE not in Readiness.in_phase(Phase.OPEN)
    for phase in (Phase.FEATURE_FROZEN, Phase.CODE_FROZEN, Phase.RELEASED):
        assert Readiness.in_phase(phase) == Readiness.by_severity()
    assert Readiness.MISSED_FREEZE.needs_attention and not Readiness.MISSED_FREEZE.good


def test_a_state_said_of_a_count_agrees_with_it():
    assert Readiness.BLOCKED.said_of(1) == "is blocked"
    assert Readiness.AT_RISK.said_of(2) == "are at risk"
    assert Readiness.MISSED_FREEZE.said_of(1) == "has missed the freeze"
    assert Readiness.MISSED_FREEZE.said_of(18) == "have missed the freeze"


@pytest.mark.parametrize("threshold", [0.5, 0.9, 1.0])
@pytest.mark.parametrize("declared", [Declared.GOOD, Declared.OK, Declared.DONE])
def test_a_feature_whose_steps_all_pass_is_never_at_risk_on_its_tests(threshold, declared):
    judged = judge_feature(
        feature(declared),
        history({PAIR: [P] * 10, XL: [P] * 10}),
        Policy(at_risk_below=threshold),
        NOW,
    )
    assert judged.pass_rate == 1.0
    assert judged.readiness in (Readiness.ON_TRACK, Readiness.READY)
