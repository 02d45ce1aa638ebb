"""Reading JUnit documents: the osstest convention, other producers, and hostile input."""

from __future__ import annotations

import gzip
import io

import pytest

from gate.model import Flight, Job, Status, Step, TestKey
from ingest.junit import Overrides, derive_testid, parse_duration, parse_flight
from ingest.osstest_junit import write_flight
from ingest.source import IngestError, open_capped

OSSTEST = b"""<?xml version="1.0" encoding="utf-8"?>
<testsuites name="osstest xen-unstable flight 17080">
 <testsuite name="test-amd64-amd64-xl" hostname="italia0" timestamp="2013-03-01T10:00:00">
  <properties>
   <property name="osstest.flight" value="17080"/>
   <property name="osstest.branch" value="xen-unstable"/>
   <property name="osstest.revision.xen" value="aaaa"/>
   <property name="osstest.revision.linux" value="llll"/>
   <property name="osstest.baseline.xen" value="bbbb"/>
   <property name="osstest.job.status" value="fail"/>
  </properties>
  <testcase classname="xen-unstable.test-amd64-amd64-xl" name="host-install(3)" time="1,234.5">
   <properties><property name="osstest.stepno" value="3"/></properties>
  </testcase>
  <testcase classname="test-amd64-amd64-xl" name="9 guest-start" time="12.5">
   <failure type="regression" message="REGR. vs. 17079">guest did not come up</failure>
   <system-out>console: panic</system-out>
  </testcase>
  <testcase classname="test-amd64-amd64-xl" name="10 guest-saverestore"><error message="host died"/></testcase>
 </testsuite>
 <testsuite name="test-amd64-i386-xl">
  <properties><property name="osstest.flight" value="17080"/></properties>
  <testcase classname="test-amd64-i386-xl" name="xen-build-check(1)"><skipped message="blocked n/a"/></testcase>
  <testcase classname="test-amd64-i386-xl" name="xen-install"><skipped type="blocked"/></testcase>
  <testcase classname="test-amd64-i386-xl" name="leak-check/check"><skipped/></testcase>
 </testsuite>
</testsuites>
"""


def parse(data: bytes, overrides: Overrides | None = None, **kw: object):
    return parse_flight(open_capped(io.BytesIO(data), 10_000_000), overrides, **kw)


def test_the_osstest_convention_maps_suites_to_jobs_and_cases_to_steps():
    flight = parse(OSSTEST)
    assert flight.number == 17080
    assert flight.branch == "xen-unstable"
    assert flight.blessing == "real"
    assert dict(flight.revisions) == {"xen": "aaaa", "linux": "llll"}
    assert dict(flight.baseline) == {"xen": "bbbb"}
    assert flight.started is not None and flight.started.isoformat().startswith("2013-03-01T10")
    xl, i386 = flight.jobs
    assert (xl.name, xl.status, xl.host) == ("test-amd64-amd64-xl", Status.FAIL, "italia0")
    assert [(s.stepno, s.key.testid, s.status) for s in xl.steps] == [
        (3, "host-install(3)", Status.PASS),
        (9, "guest-start", Status.FAIL),
        (10, "guest-saverestore", Status.BROKEN),
    ]
    assert xl.steps[0].duration == 1234.5
    assert xl.steps[1].message == "REGR. vs. 17079"
    assert "guest did not come up" in xl.steps[1].output
    assert "console: panic" in xl.steps[1].output
    assert i386.status is Status.BLOCKED  # derived from its steps: it declares none
    assert [(s.stepno, s.status) for s in i386.steps] == [
        (1, Status.BLOCKED),
        (2, Status.BLOCKED),
        (3, Status.SKIP),
    ]


def test_options_override_what_the_document_says():
    overrides = Overrides(
        branch="staging",
        flight=5,
        blessing="play",
        revisions={"xen": "cccc"},
        baseline={"qemu": "qqqq"},
    )
    flight = parse(OSSTEST, overrides)
    assert (flight.number, flight.branch, flight.blessing) == (5, "staging", "play")
    assert dict(flight.revisions) == {"xen": "cccc", "linux": "llll"}
    assert dict(flight.baseline) == {"xen": "bbbb", "qemu": "qqqq"}


def test_a_bare_testsuite_is_one_job_of_one_flight_on_the_default_branch():
    data = b'<testsuite name="unit"><testcase classname="unit" name="a"/></testsuite>'
    flight = parse(data, default_branch="main")
    assert (flight.number, flight.branch, [j.name for j in flight.jobs]) == (None, "main", ["unit"])


@pytest.mark.parametrize(
    ("classname", "name", "job", "testid"),
    [
        ("test-amd64-amd64-xl", "guest-start", "test-amd64-amd64-xl", "guest-start"),
        ("xen-unstable.test-amd64-amd64-xl", "guest-start", "test-amd64-amd64-xl", "guest-start"),
        ("", "TestFoo", "pkg", "TestFoo"),
        ("tests.test_api.TestFlights", "test_get", "pytest", "tests.test_api.TestFlights.test_get"),
        ("Suite › case", "Suite › case works", "jest", "Suite › case works"),
    ],
)
def test_the_testid_rule(classname, name, job, testid):
    assert derive_testid(classname, name, job) == testid


def test_nested_suites_make_jobs_of_the_suites_that_hold_cases():
    data = b"""<testsuites><testsuite name="all">
      <testsuite name="unit"><testcase name="a"/></testsuite>
      <testsuite name=""><testcase name="b"><failure/></testcase></testsuite>
    </testsuite></testsuites>"""
    flight = parse(data)
    assert [(s.key, s.status) for s in flight.steps()] == [
        (TestKey("unit", "a"), Status.PASS),
        (TestKey("all", "b"), Status.FAIL),
    ]


def test_the_most_severe_result_wins_and_status_disabled_is_a_skip():
    data = b"""<testsuite name="s">
      <testcase name="a"><skipped/><failure/><error/></testcase>
      <testcase name="b"><skipped/><failure/></testcase>
      <testcase name="c" status="disabled"/>
      <testcase name="d"><flakyFailure message="once"/></testcase>
    </testsuite>"""
    assert [s.status for s in parse(data).steps()] == [
        Status.BROKEN,
        Status.FAIL,
        Status.SKIP,
        Status.PASS,
    ]


def test_namespaced_documents_are_read_by_local_names():
    data = b"""<testsuites xmlns="urn:example"><testsuite name="s">
      <testcase name="a"><failure message="m"/></testcase></testsuite></testsuites>"""
    [step] = parse(data).steps()
    assert (step.key, step.status, step.message) == (TestKey("s", "a"), Status.FAIL, "m")


def test_gzip_is_read_transparently():
    flight = parse(gzip.compress(OSSTEST))
    assert flight.number == 17080


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<testsuites><testsuite name='x'>", "not well-formed XML"),
        (b"<suites/>", r"not a JUnit XML document \(root element <suites>\)"),
        (b"", "not well-formed XML"),
        (
            b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa">]><testsuites>&a;</testsuites>',
            "DOCTYPE",
        ),
        (
            b'<!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<testsuite name="s"><testcase name="a"><failure>&x;</failure></testcase></testsuite>',
            "DOCTYPE",
        ),
        (
            b'<testsuite><properties><property name="osstest.flight" value="standalone"/>'
            b"</properties><testcase name='a'/></testsuite>",
            "osstest.flight must be a whole number",
        ),
        (
            b'<testsuites><testsuite name="a"><properties><property name="osstest.flight" value="1"/>'
            b'</properties></testsuite><testsuite name="b"><properties>'
            b'<property name="osstest.flight" value="2"/></properties></testsuite></testsuites>',
            "suites disagree on osstest.flight",
        ),
        (b"\x1f\x8b\x08\x00garbage", "cannot read the document"),
    ],
)
def test_bad_documents_are_refused_with_a_reason(data, reason):
    with pytest.raises(IngestError, match=reason):
        parse(data)


def test_the_size_cap_applies_after_decompression():
    big = b"<testsuite name='s'>" + b"<testcase name='a'/>" * 100_000 + b"</testsuite>"
    packed = gzip.compress(big)
    assert len(packed) < 100_000
    with pytest.raises(IngestError, match="larger than the limit of 1000000 bytes"):
        parse_flight(open_capped(io.BytesIO(packed), 1_000_000))


def test_long_output_keeps_head_and_tail():
    text = "HEAD " + "x" * 50_000 + " TAIL"
    data = (
        f'<testsuite name="s"><testcase name="a"><failure>{text}</failure></testcase></testsuite>'
    )
    [step] = parse(data.encode(), excerpt_limit=1000).steps()
    assert step.output.startswith("HEAD ")
    assert step.output.endswith(" TAIL")
    assert len(step.output) < 1100


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1.5", 1.5),
        ("2,503.1", 2503.1),
        ("1.7e-05", 1.7e-05),
        ("0,5", None),
        ("-3", None),
        ("", None),
    ],
)
def test_durations_are_read_leniently(text, seconds):
    assert parse_duration(text) == seconds


NAMESPACED = b"""<testsuites xmlns="urn:x"><testsuite name="job" hostname="h">
  <properties>
   <property name="osstest.flight" value="42"/>
   <property name="osstest.branch" value="xen-unstable"/>
  </properties>
  <testcase name="1 a"><properties><property name="osstest.stepno" value="7"/></properties>
   <failure message="m">trace</failure><system-out>console</system-out></testcase>
  <testcase name="b"><skipped/></testcase>
  <properties><property name="osstest.job.status" value="fail"/></properties>
 </testsuite></testsuites>"""


def test_a_namespaced_document_is_read_in_full():
    flight = parse(NAMESPACED)
    plain = parse(NAMESPACED.replace(b' xmlns="urn:x"', b""))
    assert (flight.number, flight.branch) == (42, "xen-unstable")
    assert flight == plain
    [job] = flight.jobs
    assert job.status is Status.FAIL
    assert [(s.stepno, s.status, s.message, s.output) for s in job.steps] == [
        (7, Status.FAIL, "m", "trace\nconsole"),
        (2, Status.SKIP, "", ""),
    ]


def test_a_namespaced_testcase_under_a_plain_root_is_read():
    data = b'<testsuite name="s"><testcase xmlns="urn:x" name="a"><error/></testcase></testsuite>'
    [step] = parse(data).steps()
    assert (step.key, step.status) == (TestKey("s", "a"), Status.BROKEN)


@pytest.mark.parametrize(
    "prop",
    [
        '<property name="osstest.flight" value="123456789012345678901234"/>',
        '<property name="osstest.flight" value="2147483648"/>',
    ],
)
def test_a_flight_number_out_of_range_is_refused(prop):
    data = f"<testsuite name='s'><properties>{prop}</properties><testcase name='a'/></testsuite>"
    with pytest.raises(IngestError, match=r"osstest.flight must be at most 2147483647, got '"):
        parse(data.encode())


def test_a_step_number_property_out_of_range_is_refused():
    data = b"""<testsuite name="s"><testcase name="a"><properties>
      <property name="osstest.stepno" value="123456789012345678901234"/></properties>
      </testcase></testsuite>"""
    with pytest.raises(IngestError, match="osstest.stepno must be at most 2147483647"):
        parse(data)


def test_a_leading_number_too_large_for_a_step_is_part_of_the_name():
    big = "123456789012345678901234 big step"
    huge = "9" * 5000 + " huge step"
    data = f'<testsuite name="s"><testcase name="{big}"/><testcase name="{huge}"/></testsuite>'
    steps = parse(data.encode()).steps()
    assert [(s.stepno, s.key.testid) for s in steps] == [(1, big), (2, huge)]


def test_nested_testcases_are_each_counted_and_the_outer_keeps_its_result():
    data = b"""<testsuite name="s">
      <testcase name="outer"><failure message="outer failed"/>
        <testcase name="inner"><skipped/></testcase>
        <system-out>after</system-out>
      </testcase>
      <testcase name="next"/>
    </testsuite>"""
    steps = parse(data).steps()
    assert [(s.stepno, s.key, s.status, s.message) for s in steps] == [
        (1, TestKey("s", "outer"), Status.FAIL, "outer failed"),
        (2, TestKey("s", "inner"), Status.SKIP, ""),
        (3, TestKey("s", "next"), Status.PASS, ""),
    ]
    assert steps[0].output == "after"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("12,345,678.25", 12345678.25),
        ("1E3", 1000.0),
        (" 2.5 ", 2.5),
        ("1.2s", None),
        ("PT1S", None),
        ("1_000", None),
        ("0,123", None),
        ("NaN", None),
        ("1e999", None),
        ("garbage", None),
        ("1,2,3", None),
        (None, None),
    ],
)
def test_unreadable_durations_are_unknown(text, seconds):
    assert parse_duration(text) == seconds


def test_retries_are_counted_as_attempts_and_the_final_result_decides():
    data = b"""<testsuite name="s">
      <testcase name="flaky-failure"><flakyFailure message="1"/><flakyFailure message="2"/></testcase>
      <testcase name="flaky-error">
        <flakyError message="x"><stackTrace>boom</stackTrace><system-out>run 1</system-out></flakyError>
      </testcase>
      <testcase name="rerun-failure">
        <failure message="built to fail"/><rerunFailure message="again"/><rerunFailure/>
      </testcase>
      <testcase name="rerun-error"><error message="crashed"/><rerunError message="again"/></testcase>
      <testcase name="once"/>
    </testsuite>"""
    steps = parse(data).steps()
    assert [(s.key.testid, s.status, s.attempts, s.message) for s in steps] == [
        ("flaky-failure", Status.PASS, 3, ""),
        ("flaky-error", Status.PASS, 2, ""),
        ("rerun-failure", Status.FAIL, 3, "built to fail"),
        ("rerun-error", Status.BROKEN, 2, "crashed"),
        ("once", Status.PASS, 1, ""),
    ]


def test_namespaced_retries_are_counted_too():
    data = b"""<testsuite xmlns="urn:x" name="s">
      <testcase name="t"><flakyFailure/></testcase>
    </testsuite>"""
    [step] = parse(data).steps()
    assert (step.status, step.attempts) == (Status.PASS, 2)


def test_attempts_written_in_the_osstest_convention_read_back():
    steps = [
        Step(TestKey("j", name), n, status, attempts=attempts)
        for n, (name, status, attempts) in enumerate(
            [
                ("a", Status.PASS, 3),
                ("b", Status.FAIL, 2),
                ("c", Status.BROKEN, 2),
                ("d", Status.PASS, 1),
            ],
            start=1,
        )
    ]
    out = io.BytesIO()
    write_flight(Flight(number=1, branch="b", jobs=(Job("j", Status.FAIL, tuple(steps)),)), out)
    assert out.getvalue().count(b"<flakyFailure") == 2
    read = parse(out.getvalue()).steps()
    assert [(s.status, s.attempts) for s in read] == [(s.status, s.attempts) for s in steps]


STARVED = b"""<testsuites>
 <testsuite name="build-armhf">
  <properties>
   <property name="osstest.flight" value="180253"/>
   <property name="osstest.job.status" value="starved"/>
  </properties>
  <testcase name="2 hosts-allocate"><skipped message="starved n/a"/></testcase>
 </testsuite>
 <testsuite name="test-armhf-armhf-xl">
  <testcase name="1 build-check(1)"><skipped type="starved"/></testcase>
  <testcase name="8 xen-boot">
   <properties><property name="osstest.status" value=" Aborted "/></properties>
   <failure/>
  </testcase>
 </testsuite>
</testsuites>
"""


def test_starved_reads_from_a_skipped_result_and_any_status_from_the_status_property():
    build, test = parse(STARVED).jobs
    assert (build.status, [s.status for s in build.steps]) == (Status.STARVED, [Status.STARVED])
    # A starved step never ran, as a blocked one: the job's status, when not declared, is the
    # worst of its steps, and the `osstest.status` property wins over the result element.
    assert [(s.key.testid, s.status) for s in test.steps] == [
        ("build-check(1)", Status.STARVED),
        ("xen-boot", Status.ABORTED),
    ]
    assert test.status is Status.STARVED


def test_a_status_property_osstest_does_not_know_is_refused_naming_it():
    bad = STARVED.replace(b" Aborted ", b"hungry")
    with pytest.raises(
        IngestError, match=r"property osstest\.status must be one of .*got 'hungry'"
    ):
        parse(bad)


def test_every_status_survives_the_osstest_writer_and_the_reader():
    steps = tuple(
        Step(TestKey("test-amd64-amd64-xl", f"step-{n}"), n, status)
        for n, status in enumerate(Status, 1)
    )
    made = Flight(17001, "xen-unstable", (Job("test-amd64-amd64-xl", Status.FAIL, steps),))
    out = io.BytesIO()
    write_flight(made, out)
    (job,) = parse(out.getvalue()).jobs
    assert [s.status for s in job.steps] == list(Status)
