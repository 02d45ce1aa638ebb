"""The report: osstest's e-mail body and its JSON twin."""

from __future__ import annotations

from gate.model import (
    Classification,
    Finding,
    Flight,
    Job,
    Judgement,
    Status,
    Step,
    TestKey,
    Verdict,
)
from gate.report import outcome, render_text, report_dict, subject, summary


def _step(job: str, testid: str, stepno: int, status: Status) -> Step:
    return Step(TestKey(job, testid), stepno, status)


BUILD = _step("build-i386-oldkern", "host-build-prep", 3, Status.FAIL)
PROBE = _step("test-amd64-amd64-libvirt", "migrate-support-check", 13, Status.FAIL)
BLOCKED = _step("test-amd64-i386-libvirt", "build-check(1)", 1, Status.BLOCKED)
FLAKY = _step("test-amd64-i386-xl-qemuu-win7-amd64", "guest-localmigrate.2", 14, Status.FAIL)
FLIGHT = Flight(
    number=24870,
    branch="xen-unstable",
    revisions={"xen": "a" * 40},
    baseline={},
    jobs=(
        Job("build-i386-oldkern", Status.FAIL, (BUILD,)),
        Job("test-amd64-amd64-libvirt", Status.PASS, (PROBE,)),
        Job("test-amd64-i386-libvirt", Status.BLOCKED, (BLOCKED,)),
        Job("test-amd64-i386-xl-qemuu-win7-amd64", Status.PASS, (FLAKY,)),
    ),
)
JUDGEMENT = Judgement(
    verdict=Verdict.REGRESSIONS,
    pushed=False,
    findings=(
        Finding(BUILD, Classification.REGRESSION, 24862),
        Finding(FLAKY, Classification.PASS_IN, 24869),
        Finding(PROBE, Classification.NEVER_PASS),
        Finding(BLOCKED, Classification.BLOCKED),
    ),
    baseline={"xen": "b" * 40},
    baseline_flights=(24862,),
)


def test_summaries_use_osstests_words():
    assert [summary(f) for f in JUDGEMENT.findings] == [
        "REGR. vs. 24862",
        "pass in 24869",
        "never pass",
        "n/a",
    ]
    assert summary(Finding(BUILD, Classification.LIKE, 5)) == "like 5"
    assert summary(Finding(BUILD, Classification.FAILED_IN, 5)) == "failed in 5"
    assert summary(Finding(BUILD, Classification.BASELINE_UNTESTED, 5)) == "baseline untested"


def test_the_subject_says_regressions_and_the_job_headline():
    assert outcome(FLIGHT, JUDGEMENT) == "regressions - FAIL"
    assert subject(FLIGHT, JUDGEMENT) == "[xen-unstable test] 24870: regressions - FAIL"
    broken = Flight(24870, "xen-unstable", (*FLIGHT.jobs, Job("build-amd64", Status.BROKEN, ())))
    assert outcome(broken, JUDGEMENT) == "regressions - trouble: blocked/broken/fail/pass"
    all_fail = Flight(24870, "xen-unstable", (Job("build-amd64", Status.FAIL, ()),))
    assert outcome(all_fail, JUDGEMENT) == "regressions - ALL FAIL"


def test_a_tolerable_pushed_flight_says_so():
    ok = Judgement(Verdict.TOLERABLE, True, JUDGEMENT.findings[1:], {}, ())
    passing = Flight(24871, "xen-unstable", (Job("j", Status.PASS, ()), Job("k", Status.FAIL, ())))
    assert subject(passing, ok) == "[xen-unstable test] 24871: tolerable FAIL - PUSHED"


def test_the_text_report_has_osstests_sections_in_order():
    text = render_text(FLIGHT, JUDGEMENT)
    order = [
        "flight 24870 xen-unstable real [real]",
        "Regressions :-(",
        "Tests which did not succeed and are blocking,\nincluding tests which could not be run:",
        " build-i386-oldkern            3 host-build-prep              fail     REGR. vs. 24862",
        "Tests which are failing intermittently (not blocking):",
        "guest-localmigrate.2",
        "Tests which did not succeed, but are not blocking:",
        "migrate-support-check        fail     never pass",
        "build-check(1)               blocked  n/a",
        "version targeted for testing:\n xen                  " + "a" * 40,
        "baseline version:\n xen                  " + "b" * 40,
        "jobs:\n build-i386-oldkern",
        "Not pushing.",
    ]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
    assert "allowable" not in text


def test_the_json_report_carries_every_failure_with_its_reference():
    report = report_dict(FLIGHT, JUDGEMENT)
    assert report["flight"] == 24870
    assert report["verdict"] == "regressions"
    assert report["pushed"] is False
    assert report["revision"] == {"xen": "a" * 40}
    assert report["baseline"] == {"xen": "b" * 40}
    assert report["failures"][0] == {
        "job": "build-i386-oldkern",
        "testid": "host-build-prep",
        "stepno": 3,
        "status": "fail",
        "classification": "regression",
        "blocking": True,
        "ref_flight": 24862,
        "summary": "REGR. vs. 24862",
    }
    assert [f["blocking"] for f in report["failures"]] == [True, False, False, False]
