"""Write a flight as JUnit XML in the osstest convention that `ingest.junit` reads.

Used by the simulator, the benchmark and the tests; it streams, so a large flight costs no memory.
"""

from __future__ import annotations

from typing import IO

from lxml import etree

from gate.model import Counts, Flight, Job, Status, Step
from ingest.junit import STATUS_PROPERTY

_RESULT = {
    Status.FAIL: ("failure", "fail"),
    Status.BROKEN: ("error", "broken"),
    Status.BLOCKED: ("skipped", "blocked"),
    Status.STARVED: ("skipped", "starved"),
    Status.SKIP: ("skipped", "skip"),
    Status.RUNNING: ("error", "running"),
    Status.QUEUED: ("error", "queued"),
    Status.PREPARING: ("error", "preparing"),
}


def _property(xf: etree.xmlfile, name: str, value: str) -> None:
    xf.write(etree.Element("property", name=name, value=value))


def _flight_properties(xf: etree.xmlfile, flight: Flight) -> None:
    if flight.number is not None:
        _property(xf, "osstest.flight", str(flight.number))
    _property(xf, "osstest.branch", flight.branch)
    _property(xf, "osstest.blessing", flight.blessing)
    if flight.intended:
        _property(xf, "osstest.intended", flight.intended)
    if flight.log_url:
        _property(xf, "osstest.log_url", flight.log_url)
    if flight.started is not None:
        _property(xf, "osstest.flight.started", flight.started.isoformat())
    for tree, sha in sorted(flight.revisions.items()):
        _property(xf, f"osstest.revision.{tree}", sha)
    for tree, sha in sorted(flight.baseline.items()):
        _property(xf, f"osstest.baseline.{tree}", sha)


def _step(xf: etree.xmlfile, flight: Flight, step: Step) -> None:
    attrs = {"classname": f"{flight.branch}.{step.key.job}", "name": step.key.testid}
    if step.duration is not None:
        attrs["time"] = f"{step.duration:.3f}"
    with xf.element("testcase", attrs):
        with xf.element("properties"):
            _property(xf, "osstest.stepno", str(step.stepno))
            if step.status is not Status.PASS:
                _property(xf, STATUS_PROPERTY, step.status.value)
            if step.features:
                _property(xf, "roadmap.features", ",".join(sorted(step.features)))
        tag = ""
        if step.status in _RESULT:
            tag, kind = _RESULT[step.status]
            result = etree.Element(tag, type=kind, message=step.message or kind)
            result.text = step.output or None
            xf.write(result)
        # The earlier runs, as Surefire writes them: failed runs before a pass, reruns of a failure.
        retry = {"": "flakyFailure", "error": "rerunError"}.get(tag, "rerunFailure")
        for _ in range(step.attempts - 1):
            xf.write(etree.Element(retry))


def _job(xf: etree.xmlfile, flight: Flight, job: Job) -> None:
    counts = Counts.of(list(job.steps))
    attrs = {
        "name": job.name,
        "tests": str(counts.tests),
        "failures": str(counts.failures),
        "errors": str(counts.errors),
        "skipped": str(counts.skipped),
    }
    if job.host:
        attrs["hostname"] = job.host
    with xf.element("testsuite", attrs):
        with xf.element("properties"):
            _flight_properties(xf, flight)
            _property(xf, "osstest.job.status", job.status.value)
            if job.host:
                _property(xf, "osstest.host", job.host)
        for step in job.steps:
            _step(xf, flight, step)


def write_flight(flight: Flight, out: IO[bytes]) -> None:
    """Write one flight as a `<testsuites>` document to a binary stream."""
    counts = Counts.of(flight.steps())
    attrs = {
        "name": f"osstest {flight.branch} flight {flight.number}",
        "tests": str(counts.tests),
        "failures": str(counts.failures),
        "errors": str(counts.errors),
    }
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("testsuites", attrs):
            for job in flight.jobs:
                _job(xf, flight, job)
