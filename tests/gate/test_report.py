"""The report: osstest's report mail (sg-report-flight, cr-daily-branch), its headers, its JSON twin.

Each test is named after the osstest behaviour it reproduces. Judgements are built by hand.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from gate.model import (
    NONE_EXECUTED,
    Classification,
    Finding,
    Flight,
    Job,
    Judgement,
    PriorFlight,
    Push,
    Status,
    Step,
    TestKey,
    Verdict,
)
from gate.report import (
    ALLOWABLE,
    BLOCKING,
    INTERMITTENT,
    NO_BASELINE,
    NOT_BLOCKING,
    FlightLine,
    ReportContext,
    age_lines,
    failure_line,
    headers,
    job_order,
    jobs_in_order,
    outcome,
    render_text,
    section,
    squeeze,
    subject,
    summary,
)
from gate.trends import EPOCH, FlightAge, FlightMark, PushAge, push_age

TIP = "4e8d89bc1445f91c4c6c7bf0ad8d51b0c809841e"
BASE = "d883c179a74111a6804baf70f9b8d05e4fdc3e2b"
OTHER = "9b4d2f0e5a7c3b1d8e6f4a2c0b9d7e5f3a1c8b6d"
LOGS = "http://www.chiark.greenend.org.uk/~xensrcts/logs"


def _step(job: str, stepno: int, testid: str, status: Status) -> Step:
    return Step(TestKey(job, testid), stepno, status)


OLDKERN = _step("build-i386-oldkern", 3, "host-build-prep", Status.FAIL)
XSM = _step("build-amd64-xsm", 0, NONE_EXECUTED, Status.BROKEN)
WIN7 = _step("test-amd64-i386-xl-qemuu-win7-amd64", 14, "guest-localmigrate.2", Status.FAIL)
PROBE = _step("test-amd64-amd64-libvirt", 13, "migrate-support-check", Status.FAIL)
BLOCKED = _step("test-amd64-i386-libvirt", 1, "build-check(1)", Status.BLOCKED)
RTDS = _step("test-armhf-armhf-xl-rtds", 16, "guest-start/debian.repeat", Status.FAIL)
X10 = _step(
    "test-amd64-amd64-xl-qemut-debianhvm-amd64-xsm", 16, "guest-localmigrate/x10", Status.FAIL
)
PAIR = _step("test-amd64-amd64-pair", 10, "guest-migrate/src_host/dst_host", Status.FAIL)

FLIGHT = Flight(
    number=17085,
    branch="xen-unstable",
    blessing="real",
    revisions={"xen": TIP},
    baseline={"xen": BASE},
    started=datetime(2013, 2, 21, 3, 4, 5, tzinfo=UTC),
    log_url=f"{LOGS}/17085/",
    jobs=(  # document order, not osstest's
        Job(
            "test-amd64-amd64-xl",
            Status.PASS,
            (_step("test-amd64-amd64-xl", 5, "xen-boot", Status.PASS),),
        ),
        Job("build-amd64", Status.PASS, ()),
        Job("build-i386-oldkern", Status.FAIL, (OLDKERN,)),
        Job("build-amd64-xsm", Status.BROKEN, ()),
        Job("test-amd64-i386-xl-qemuu-win7-amd64", Status.FAIL, (WIN7,)),
        Job("test-amd64-amd64-libvirt", Status.PASS, (PROBE,)),
        Job("test-amd64-i386-libvirt", Status.BLOCKED, (BLOCKED,)),
        Job("test-armhf-armhf-xl-rtds", Status.FAIL, (RTDS,)),
        Job("test-amd64-amd64-xl-qemut-debianhvm-amd64-xsm", Status.FAIL, (X10,)),
        Job("test-amd64-amd64-pair", Status.PASS, ()),
        Job("build-i386", Status.PASS, ()),
    ),
)
JUDGEMENT = Judgement(
    verdict=Verdict.REGRESSIONS,
    push=Push.NOT_PUSHING,
    findings=(
        Finding(OLDKERN, Classification.REGRESSION, 17002, Status.PASS, "real"),
        Finding(XSM, Classification.NONE_EXECUTED),
        Finding(WIN7, Classification.PASS_IN, 17086, Status.PASS, "real-retest"),
        Finding(PROBE, Classification.NEVER_PASS),
        Finding(BLOCKED, Classification.BLOCKED),
        Finding(RTDS, Classification.LIKE, 17002, Status.FAIL, "real"),
        Finding(X10, Classification.LIKE, 17002, Status.FAIL, "real"),
        # the failures of retest 17086, which excused WIN7
        Finding(X10, Classification.LIKE, 17002, Status.FAIL, "real", in_flight=17086),
        Finding(PAIR, Classification.PASS_IN, 17085, Status.PASS, "real", in_flight=17086),
    ),
    baseline={"xen": BASE},
    baseline_flights=(17002,),
    tested={"xen": TIP},
    retests=(17086,),
)


def _prior(number: int, blessing: str, xen: str, started: datetime | None) -> PriorFlight:
    return PriorFlight(number, blessing, {"xen": xen}, False, {}, started=started)


def _age(flight: Flight, judgement: Judgement, priors, now: datetime) -> PushAge:
    """Compute the push age of a flight among others, as the store does from its flights."""
    flights = [*priors, PriorFlight.of(flight, False)] if flight.number is not None else priors
    marks = [
        FlightMark(
            p.number, p.started or EPOCH, Verdict.PERFECT, False, p.revisions, blessing=p.blessing
        )
        for p in flights
        if p.number != flight.number or p.blessing == flight.blessing
    ]
    assert flight.number is not None
    return push_age(flight.number, judgement.tested, judgement.baseline, marks, now)


PRIORS = (
    _prior(16990, "real", BASE, datetime(2013, 2, 8, 1, 0, tzinfo=UTC)),
    _prior(17002, "real", BASE, datetime(2013, 2, 10, 4, 5, 6, tzinfo=UTC)),
    _prior(17010, "real", OTHER, datetime(2013, 2, 12, 9, 30, tzinfo=UTC)),
    _prior(17040, "real", TIP, datetime(2013, 2, 17, 23, 59, 59, tzinfo=UTC)),
    _prior(17060, "real-retest", TIP, datetime(2013, 2, 19, tzinfo=UTC)),
    _prior(17090, "real", TIP, datetime(2013, 2, 22, tzinfo=UTC)),  # newer than the report
)
NOW = datetime(2013, 2, 22, 12, 0, tzinfo=UTC)
CONTEXT = ReportContext(
    retests=(FlightLine(17086, "real-retest", "real", f"{LOGS}/17086/"),),
    push_age=_age(FLIGHT, JUDGEMENT, PRIORS, NOW),
)

# Each line ends in `|` so that the trailing spaces of the jobs table show.
GOLDEN = """\
Subject: [xen-unstable test] 17085: regressions - trouble: blocked/broken/fail/pass|
|
flight 17085 xen-unstable real [real]|
flight 17086 xen-unstable real-retest [real]|
http://www.chiark.greenend.org.uk/~xensrcts/logs/17085/|
http://www.chiark.greenend.org.uk/~xensrcts/logs/17086/|
|
Regressions :-(|
|
Tests which did not succeed and are blocking,|
including tests which could not be run:|
 build-amd64-xsm                 <none executed>              broken|
 build-i386-oldkern            3 host-build-prep           fail REGR. vs. 17002|
|
Tests which are failing intermittently (not blocking):|
 test-amd64-amd64-pair 10 guest-migrate/src_host/dst_host fail in 17086 pass in 17085|
 test-amd64-i386-xl-qemuu-win7-amd64 14 guest-localmigrate.2 fail pass in 17086-retest|
|
Tests which did not succeed, but are not blocking:|
 test-amd64-i386-libvirt       1 build-check(1)               blocked  n/a|
 test-armhf-armhf-xl-rtds     16 guest-start/debian.repeat    fail   like 17002|
 test-amd64-amd64-xl-qemut-debianhvm-amd64-xsm 16 guest-localmigrate/x10 fail like 17002|
 test-amd64-amd64-libvirt     13 migrate-support-check        fail   never pass|
|
version targeted for testing:|
 xen                  4e8d89bc1445f91c4c6c7bf0ad8d51b0c809841e|
baseline version:|
 xen                  d883c179a74111a6804baf70f9b8d05e4fdc3e2b|
|
Last test of basis    17002  2013-02-10 04:05:06 Z   12 days|
Failing since         17010  2013-02-12 09:30:00 Z   10 days    3 attempts|
Testing same since    17040  2013-02-17 23:59:59 Z    4 days    2 attempts|
|
jobs:|
 build-amd64-xsm                                              broken  |
 build-amd64                                                  pass    |
 build-i386                                                   pass    |
 build-i386-oldkern                                           fail    |
 test-amd64-amd64-xl                                          pass    |
 test-amd64-amd64-xl-qemut-debianhvm-amd64-xsm                fail    |
 test-amd64-i386-xl-qemuu-win7-amd64                          fail    |
 test-amd64-amd64-libvirt                                     pass    |
 test-amd64-i386-libvirt                                      blocked |
 test-amd64-amd64-pair                                        pass    |
 test-armhf-armhf-xl-rtds                                     fail    |
|
|
------------------------------------------------------------|
|
Not pushing.|
|
""".replace("|\n", "\n")


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _perfect() -> tuple[Flight, Judgement]:
    flight = replace(FLIGHT, jobs=(Job("build-amd64", Status.PASS, ()),), log_url=None)
    judgement = replace(
        JUDGEMENT, verdict=Verdict.PERFECT, push=Push.PUSHED, findings=(), retests=()
    )
    return flight, judgement


def test_osstest_golden_report_with_a_regression_a_retest_heisenbug_and_its_fail_in_line():
    assert render_text(FLIGHT, JUDGEMENT, CONTEXT) == GOLDEN


def test_osstest_reports_are_byte_for_byte_stable():
    assert render_text(FLIGHT, JUDGEMENT, CONTEXT) == render_text(FLIGHT, JUDGEMENT, CONTEXT)


def test_osstest_words_each_summary():
    assert [summary(f) for f in JUDGEMENT.findings[:6]] == [
        "REGR. vs. 17002",
        "",
        "pass in 17086-retest",
        "never pass",
        "n/a",
        "like 17002",
    ]


def test_osstest_squeezes_lines_to_79_columns():
    # the padding after the status goes first, then the testid's, one space at a time
    assert failure_line(Finding(RTDS, Classification.LIKE, 115205)) == (
        " test-armhf-armhf-xl-rtds     16 guest-start/debian.repeat    fail  like 115205"
    )
    assert len(failure_line(Finding(RTDS, Classification.LIKE, 115205))) == 79
    assert squeeze(" a    b   c", width=6) == " a b c"
    assert squeeze("x" * 90 + "   ") == "x" * 90  # trailing spaces go even when it cannot fit
    assert squeeze(" a  b" + "c" * 80) == " a b" + "c" * 80  # shrinks as far as it can


def test_osstest_leaves_the_stepno_blank_for_none_executed():
    line = failure_line(Finding(XSM, Classification.NONE_EXECUTED))
    assert line == " build-amd64-xsm                 <none executed>              broken"
    assert line[29:33] == "    "


def test_osstest_prints_fail_in_n_for_the_failures_of_the_flight_that_excused_a_heisenbug():
    text = render_text(FLIGHT, JUDGEMENT)
    assert "fail in 17086 pass in 17085" in text
    regressed = Finding(PAIR, Classification.REGRESSION, 17002, in_flight=17086)
    again = render_text(FLIGHT, replace(JUDGEMENT, findings=(*JUDGEMENT.findings[:7], regressed)))
    assert "guest-migrate/src_host/dst_host fail in 17086 REGR. vs. 17002" in again


def test_osstest_sorts_each_section_by_status_and_summary():
    body = _lines(render_text(FLIGHT, JUDGEMENT))
    start = body.index(NOT_BLOCKING) + 1
    summaries = [line.split()[-2:] for line in body[start : start + 4]]
    assert summaries == [
        ["blocked", "n/a"],
        ["like", "17002"],
        ["like", "17002"],
        ["never", "pass"],
    ]
    assert "broken" in body[body.index("including tests which could not be run:") + 1]


def test_osstest_prints_each_job_and_testid_once_unless_a_later_section_claims_it():
    text = render_text(FLIGHT, JUDGEMENT)
    assert text.count("guest-localmigrate/x10") == 1  # `fail in 17086 like 17002` is not repeated
    later = Finding(OLDKERN, Classification.LIKE, 17002, in_flight=17086)
    earlier = Finding(PROBE, Classification.REGRESSION, 17002, in_flight=17086)
    both = render_text(FLIGHT, replace(JUDGEMENT, findings=(*JUDGEMENT.findings, later, earlier)))
    assert both.count("host-build-prep") == 2  # printed again in a later section
    assert both.count("migrate-support-check") == 1  # not in an earlier one


def test_osstest_prints_the_sections_in_order_blocking_heisenbug_allowable_nonblocking():
    allowed = _step("test-amd64-amd64-xl-sedf", 9, "guest-start", Status.FAIL)
    findings = (*JUDGEMENT.findings, Finding(allowed, Classification.ALLOWABLE, 17002))
    text = render_text(FLIGHT, replace(JUDGEMENT, findings=findings))
    positions = [
        text.index(heading) for heading in (BLOCKING, INTERMITTENT, ALLOWABLE, NOT_BLOCKING)
    ]
    assert positions == sorted(positions)
    assert f"\n\n{ALLOWABLE}\n test-amd64-amd64-xl-sedf      9 guest-start" in text
    assert ALLOWABLE not in render_text(FLIGHT, JUDGEMENT)  # modern osstest: only allowed REGR.


def test_osstest_puts_every_failure_under_one_heading_when_there_is_no_baseline():
    judgement = replace(JUDGEMENT, baseline={}, baseline_flights=(), push=Push.NO_BASELINE)
    text = render_text(FLIGHT, judgement)
    assert f"\n\n{NO_BASELINE}\n" in text
    assert INTERMITTENT not in text and NOT_BLOCKING not in text and "baseline version:" not in text
    assert section(JUDGEMENT.findings[3]) == NOT_BLOCKING
    assert section(JUDGEMENT.findings[3], compared=False) == NO_BASELINE
    assert section(JUDGEMENT.findings[0]) == BLOCKING
    assert section(JUDGEMENT.findings[2]) == INTERMITTENT


def test_osstest_prints_all_tests_passed_for_a_perfect_flight():
    flight, judgement = _perfect()
    body = _lines(render_text(flight, judgement))
    at = body.index("Perfect :-)")
    assert body[at - 2 : at + 3] == [
        "flight 17085 xen-unstable real [real]",
        "",
        "Perfect :-)",
        "All tests in this flight passed",
        "version targeted for testing:",
    ]
    assert "All tests in this flight passed" not in render_text(FLIGHT, JUDGEMENT)


def test_osstest_summarises_the_job_statuses_in_the_subject():
    def jobs(*statuses: Status) -> Flight:
        return replace(FLIGHT, jobs=tuple(Job(f"j{i}", s, ()) for i, s in enumerate(statuses)))

    trouble = replace(JUDGEMENT, verdict=Verdict.TROUBLE)
    assert outcome(jobs(Status.PASS, Status.PASS), trouble) == "all pass"
    assert outcome(jobs(Status.FAIL), trouble) == "ALL FAIL"
    assert outcome(jobs(Status.PASS, Status.FAIL, Status.BLOCKED), trouble) == "FAIL"
    assert outcome(jobs(Status.PASS, Status.BLOCKED), trouble) == "FAIL"
    assert outcome(jobs(Status.FAIL, Status.BLOCKED), trouble) == "trouble: blocked/fail"
    assert outcome(jobs(Status.BROKEN, Status.PASS), trouble) == "trouble: broken/pass"


def test_osstest_prefixes_the_outcome_with_the_verdict_and_cr_daily_branch_adds_pushed():
    assert subject(FLIGHT, JUDGEMENT) == (
        "[xen-unstable test] 17085: regressions - trouble: blocked/broken/fail/pass"
    )
    flight = replace(FLIGHT, jobs=(Job("j", Status.PASS, ()),))
    tolerable = replace(JUDGEMENT, verdict=Verdict.TOLERABLE, push=Push.PUSHED)
    assert subject(flight, tolerable) == "[xen-unstable test] 17085: tolerable all pass - PUSHED"
    assert outcome(flight, replace(JUDGEMENT, verdict=Verdict.PERFECT)) == "all pass"
    assert outcome(flight, replace(JUDGEMENT, verdict=Verdict.TROUBLE)) == "all pass"


def test_cr_daily_branch_marks_a_test_of_the_untested_baseline_itself():
    itself = replace(JUDGEMENT, push=Push.BASELINE_UNTESTED, tested={"xen": BASE})
    text = render_text(FLIGHT, itself)
    assert text.startswith("Subject: [xen-unstable baseline test] 17085: ")
    assert _lines(text)[2:5] == [
        "The baseline revision had not been tested yet, so this flight tests it",
        "instead of a new candidate, and nothing is pushed.",
        "",
    ]
    other = replace(JUDGEMENT, push=Push.BASELINE_UNTESTED)
    assert subject(FLIGHT, other).startswith("[xen-unstable test] ")


def test_osstest_lists_retest_flights_under_the_flight_then_every_log_url():
    retests = (
        FlightLine(17087, "real-retest"),
        FlightLine(17086, "real-retest", "real", f"{LOGS}/17086/"),
    )
    flight = replace(FLIGHT, log_url=None, intended="adhoc")
    body = _lines(render_text(flight, JUDGEMENT, ReportContext(retests=retests)))
    assert body[2:7] == [
        "flight 17085 xen-unstable real [adhoc]",
        "flight 17086 xen-unstable real-retest [real]",
        "flight 17087 xen-unstable real-retest [real-retest]",
        f"{LOGS}/17086/",
        "",
    ]


def test_osstest_sorts_jobs_by_kind_then_their_words_last_first_with_x_words_first():
    # the order of a real xen-unstable report, shuffled
    order = [
        "build-amd64-xsm",
        "build-arm64-xsm",
        "build-amd64-xtf",
        "build-amd64",
        "build-armhf",
        "build-i386",
        "build-amd64-libvirt",
        "build-amd64-pvops",
        "test-xtf-amd64-amd64-1",
        "test-amd64-amd64-xl",
        "test-amd64-coresched-amd64-xl",
        "test-armhf-armhf-xl",
        "test-amd64-amd64-xl-qemut-debianhvm-i386-xsm",
        "test-amd64-amd64-xl-qemuu-win7-amd64",
        "test-amd64-amd64-libvirt",
        "test-amd64-i386-libvirt",
        "test-amd64-amd64-pair",
        "test-armhf-armhf-xl-vhd",
    ]
    jobs = [Job(name, Status.PASS, ()) for name in reversed(order)]
    assert [job.name for job in jobs_in_order(jobs)] == order
    assert job_order("build-amd64-xsm") == "build _xsm-amd64 build-amd64-_xsm"
    assert job_order("standalone") == "standalone"


def test_osstest_pads_the_jobs_table_to_60_and_8_columns_keeping_trailing_spaces():
    body = _lines(render_text(FLIGHT, JUDGEMENT))
    jobs = body[body.index("jobs:") + 1 : body.index("jobs:") + 12]
    assert jobs[0] == " build-amd64-xsm" + " " * 45 + " broken  "
    assert {len(line) for line in jobs} == {70}
    assert body[body.index("jobs:") + 12 : body.index("jobs:") + 15] == ["", "", "-" * 60]


@pytest.mark.parametrize(
    ("push", "closing"),
    [
        (Push.PUSHED, ["", "Pushing revision :", "", f" xen                  {TIP}", ""]),
        (Push.NOT_PUSHING, ["", "Not pushing.", "", ""]),
        (Push.UP_TO_DATE, ["", "Published tested tree is already up to date.", "", ""]),
        (Push.BASELINE_UNTESTED, ["", "Published tested tree is already up to date.", "", ""]),
        (Push.NO_BASELINE, ["", "Published tested tree is already up to date.", "", ""]),
        (Push.NO_TESTS, ["", "Published tested tree is already up to date.", "", ""]),
        (Push.NOT_A_PUSH_FLIGHT, ["", "Published tested tree is already up to date.", "", ""]),
    ],
)
def test_cr_daily_branch_closes_with_what_it_did_about_the_push(push, closing):
    body = _lines(render_text(FLIGHT, replace(JUDGEMENT, push=push)))
    assert body[body.index("-" * 60) + 1 :] == closing


def test_report_find_push_age_info_counts_flights_after_the_basis_and_of_the_tip():
    assert CONTEXT.push_age == PushAge(
        tree="xen",
        basis=FlightAge(17002, datetime(2013, 2, 10, 4, 5, 6, tzinfo=UTC), 12),
        failing_since=FlightAge(17010, datetime(2013, 2, 12, 9, 30, tzinfo=UTC), 10),
        failing_attempts=3,  # 17010, 17040 and this flight; not the retest, not the newer one
        same_since=FlightAge(17040, datetime(2013, 2, 17, 23, 59, 59, tzinfo=UTC), 4),
        same_attempts=2,
    )


def test_osstest_prints_push_age_only_when_one_tree_is_compared():
    two = replace(JUDGEMENT, tested={"xen": TIP, "qemuu": OTHER})
    for judged in (two, replace(JUDGEMENT, baseline={}), replace(JUDGEMENT, tested={"linux": TIP})):
        age = _age(FLIGHT, judged, PRIORS, NOW)
        assert age.tree is None
        assert age_lines(age) == []
        assert "Last test of basis" not in render_text(FLIGHT, judged, ReportContext(push_age=age))
    assert "Last test of basis" not in render_text(FLIGHT, JUDGEMENT)


def test_osstest_says_not_found_and_omits_failing_since_for_a_test_of_the_basis_itself():
    itself = replace(JUDGEMENT, tested={"xen": BASE}, push=Push.BASELINE_UNTESTED)
    flight = replace(FLIGHT, revisions={"xen": BASE})
    age = _age(flight, itself, [], NOW)
    assert age is not None
    assert age_lines(age) == [
        "Last test of basis    17085  2013-02-21 03:04:05 Z    1 days",
        "Testing same since                          (not found)         0 attempts",
    ]


def test_osstest_omits_failing_since_when_the_tip_is_the_first_flight_after_the_basis():
    priors = [p for p in PRIORS if p.number != 17010]
    age = _age(FLIGHT, JUDGEMENT, priors, NOW)
    assert age is not None
    assert [line.split()[0] for line in age_lines(age)] == ["Last", "Testing"]


def test_osstest_shows_start_times_in_utc():
    east = timezone(timedelta(hours=2))
    priors = [
        _prior(17002, "real", BASE, datetime(2013, 2, 10, 6, 5, 6, tzinfo=east)),
        _prior(17040, "real", TIP, None),
    ]
    age = _age(FLIGHT, JUDGEMENT, priors, datetime(2013, 2, 22, 12, 0))
    assert age is not None
    lines = age_lines(age)
    assert lines[0] == "Last test of basis    17002  2013-02-10 04:05:06 Z   12 days"
    assert (
        lines[-1] == "Testing same since    17040  1970-01-01 00:00:00 Z 15758 days    2 attempts"
    )


def test_without_a_context_the_report_has_no_push_age_and_no_retest_lines():
    body = _lines(render_text(FLIGHT, JUDGEMENT))
    assert body[2:5] == ["flight 17085 xen-unstable real [real]", f"{LOGS}/17085/", ""]
    assert not any(line.startswith(("Last test", "Testing same")) for line in body)


def test_sg_report_flight_info_headers():
    assert headers(FLIGHT, JUDGEMENT) == (
        "X-Osstest-Failures:\n"
        "    xen-unstable:build-amd64-xsm:<none executed>:broken:regression\n"
        "    xen-unstable:build-i386-oldkern:host-build-prep:fail:regression\n"
        "    xen-unstable:test-amd64-amd64-pair:guest-migrate/src_host/dst_host:fail:heisenbug\n"
        "    xen-unstable:test-amd64-i386-xl-qemuu-win7-amd64:guest-localmigrate.2:fail:heisenbug\n"
        "    xen-unstable:test-amd64-i386-libvirt:build-check(1):blocked:nonblocking\n"
        "    xen-unstable:test-armhf-armhf-xl-rtds:guest-start/debian.repeat:fail:nonblocking\n"
        "    xen-unstable:test-amd64-amd64-xl-qemut-debianhvm-amd64-xsm:guest-localmigrate/x10:fail:nonblocking\n"
        "    xen-unstable:test-amd64-amd64-libvirt:migrate-support-check:fail:nonblocking\n"
        "X-Osstest-Versions-This:\n"
        f"    xen={TIP}\n"
        "X-Osstest-Versions-That:\n"
        f"    xen={BASE}\n"
    )
    flight, judgement = _perfect()
    assert headers(flight, replace(judgement, baseline={})) == (
        f"X-Osstest-Versions-This:\n    xen={TIP}\n"
    )
    assert headers(flight, replace(JUDGEMENT, findings=()))[:2] == "X-"


def test_the_people_who_touched_the_revisions_come_after_the_versions_as_in_osstest_mails():
    people = ("Ian Jackson <ian.jackson@xen.example>", "Jan Beulich <jan.beulich@xen.example>")
    text = render_text(FLIGHT, JUDGEMENT, replace(CONTEXT, people=people))
    before, _, after = GOLDEN.partition("\njobs:\n")
    assert text == (
        before
        + "\n"
        + "-" * 60
        + "\nPeople who touched revisions under test:\n"
        + "  Ian Jackson <ian.jackson@xen.example>\n"
        + "  Jan Beulich <jan.beulich@xen.example>\n"
        + "\njobs:\n"
        + after
    )


def test_without_known_histories_the_report_has_no_people_section():
    assert render_text(FLIGHT, JUDGEMENT, CONTEXT) == GOLDEN
    empty = render_text(FLIGHT, JUDGEMENT, replace(CONTEXT, people=()))
    assert "People who touched revisions under test:\n\njobs:" in empty
