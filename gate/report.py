"""The flight report: osstest's report mail as text and its X-Osstest headers.

The text follows what osstest's `sg-report-flight` prints for a push-gate flight and the closing
lines `cr-daily-branch` adds. Where osstest changed over the years, the report reads like a
modern (2017 and later) one: `like N`, `failed in N`, `blocked in N` and `baseline untested`
lines are not blocking (section P), and the allowable section (M) holds only the regressions an
allow list excuses. Everything is a pure function of its arguments, so two renderings of the
same facts are byte-for-byte the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from gate.changes import PEOPLE_HEADING
from gate.model import (
    Classification,
    Finding,
    Flight,
    Job,
    Judgement,
    Push,
    Status,
    TestKey,
    Verdict,
)
from gate.trends import EPOCH, FlightAge, PushAge, utc

HEADLINES = {
    Verdict.PERFECT: "Perfect :-)",
    Verdict.REGRESSIONS: "Regressions :-(",
    Verdict.TOLERABLE: "Failures :-/ but no regressions.",
    Verdict.TROUBLE: "Failures and problems with tests :-(",
}

BLOCKING = "Tests which did not succeed and are blocking,\nincluding tests which could not be run:"
NO_BASELINE = "Tests which did not succeed,\nincluding tests which could not be run:"
INTERMITTENT = "Tests which are failing intermittently (not blocking):"
ALLOWABLE = "Regressions which are regarded as allowable (not blocking):"
NOT_BLOCKING = "Tests which did not succeed, but are not blocking:"

ALL_PASSED = "All tests in this flight passed"
BASELINE_NOTE = (
    "The baseline revision had not been tested yet, so this flight tests it\n"
    "instead of a new candidate, and nothing is pushed."
)
RULE = "-" * 60
WIDTH = 79  # a failure line is squeezed to this many columns when it can be
JOB_WIDTH, TESTID_WIDTH, STATUS_WIDTH = 28, 28, 8
TREE_WIDTH = 20
JOBS_WIDTH = 60


def summary(finding: Finding) -> str:
    """Return osstest's summary text for a finding, e.g. `REGR. vs. 17002` or `pass in 17086-retest`."""
    return summary_of(
        finding.classification,
        finding.ref_label,
        ref_status=finding.ref_status,
        status=finding.step.status,
    )


def described(finding: Finding) -> str:
    """Return the summary as a report line shows it: `in 101 REGR. vs. 100` for another flight's."""
    said = summary(finding)
    return f"in {finding.in_flight} {said}".rstrip() if finding.in_flight is not None else said


def summary_of(
    classification: Classification,
    ref: int | str | None,
    *,
    ref_status: Status | None = None,
    status: Status | None = None,
) -> str:
    """Return the summary text for a classification and the flight it refers to."""
    match classification:
        case Classification.REGRESSION | Classification.ALLOWABLE:
            return f"REGR. vs. {ref}"
        case Classification.LIKE:
            return f"like {ref}"
        case Classification.FAILED_IN:
            return f"failed in {ref}"
        case Classification.OTHER_IN:
            return f"{ref_status.value if ref_status else 'other'} in {ref}"
        case Classification.BLOCKED_IN:
            return f"blocked in {ref}"
        case Classification.PASS_IN:
            return f"pass in {ref}"
        case Classification.NEVER_PASS:
            return "never pass"
        case Classification.BASELINE_UNTESTED:
            return "baseline untested"
        case Classification.BLOCKED | Classification.STARVED | Classification.SKIPPED:
            return "n/a"
        case Classification.NONE_EXECUTED | Classification.BROKEN_JOB | Classification.UNFINISHED:
            return ""
        case Classification.UNEXPECTED:
            return f"[st={status.value if status else '?'}!]"
    raise AssertionError(classification)


class Analysis(StrEnum):
    """A section of the report, named as the X-Osstest-Failures header names its failures."""

    REGRESSION = "regression"  # blocking
    FAIL = "fail"  # every failure, when no baseline was compared at all
    HEISENBUG = "heisenbug"
    ALLOWABLE = "allowable"
    NONBLOCKING = "nonblocking"

    @property
    def heading(self) -> str:
        return _HEADINGS[self]

    @property
    def rank(self) -> int:
        """Return the section's place in the report (osstest's A, K, M, P)."""
        return _RANKS[self]


_HEADINGS = {
    Analysis.REGRESSION: BLOCKING,
    Analysis.FAIL: NO_BASELINE,
    Analysis.HEISENBUG: INTERMITTENT,
    Analysis.ALLOWABLE: ALLOWABLE,
    Analysis.NONBLOCKING: NOT_BLOCKING,
}
_RANKS = {
    Analysis.REGRESSION: 0,
    Analysis.FAIL: 0,
    Analysis.HEISENBUG: 1,
    Analysis.ALLOWABLE: 2,
    Analysis.NONBLOCKING: 3,
}


def analysis(finding: Finding, *, compared: bool = True) -> Analysis:
    """Return the section a finding is printed in; `compared` is False when there is no baseline.

    Modern osstest: only an allow-listed regression is `allowable`; every other failure that is
    neither blocking nor a heisenbug (`like N`, `never pass`, `n/a`, ...) is `nonblocking`.
    """
    if not compared:
        return Analysis.FAIL
    if finding.blocking:
        return Analysis.REGRESSION
    if finding.classification.heisenbug:
        return Analysis.HEISENBUG
    if finding.classification is Classification.ALLOWABLE:
        return Analysis.ALLOWABLE
    return Analysis.NONBLOCKING


def section(finding: Finding, *, compared: bool = True) -> str:
    """Return the heading of the report section a finding is printed in."""
    return analysis(finding, compared=compared).heading


def squeeze(text: str, width: int = WIDTH) -> str:
    """Drop trailing spaces, then one space of the last double space at a time until it fits."""
    text = text.rstrip(" ")
    while len(text) > width:
        at = text.rfind("  ")
        if at < 0:
            break
        text = text[: at + 1] + text[at + 2 :]
    return text


def failure_line(finding: Finding) -> str:
    """Return a finding's line in the report: job, stepno, testid, status and summary."""
    step = finding.step
    stepno = "" if step.key.pseudo else str(step.stepno)
    return squeeze(
        f" {step.key.job:<{JOB_WIDTH}} {stepno:>2} {step.key.testid:<{TESTID_WIDTH}}"
        f" {step.status.value:<{STATUS_WIDTH}} {described(finding)}"
    )


class _Reported(NamedTuple):
    analysis: Analysis
    order: str
    text: str
    header: str


def _reported(branch: str, judgement: Judgement) -> list[_Reported]:
    """Return the failure lines in report order, each (job, testid) once per section.

    A step already printed in the same or a later section is not printed again (as osstest's
    report does for the failures of a flight that excused a heisenbug); each section is sorted by
    status and summary, in a stable sort.
    """
    compared = bool(judgement.baseline)
    printed: dict[TestKey, int] = {}
    lines: list[_Reported] = []
    for finding in judgement.findings:
        where = analysis(finding, compared=compared)
        step = finding.step
        if printed.get(step.key, -1) >= where.rank:
            continue
        printed[step.key] = where.rank
        lines.append(
            _Reported(
                where,
                f"{step.status.value} {described(finding)}",
                failure_line(finding),
                f"{branch}:{step.key.job}:{step.key.testid}:{step.status.value}:{where.value}",
            )
        )
    return sorted(lines, key=lambda line: (line.analysis.rank, line.order))


_LAST_X_WORD = re.compile(r"\bx\w+$", re.ASCII)
_KIND_AND_REST = re.compile(r"^(\w+)-(.*)$", re.ASCII)


def job_order(name: str) -> str:
    """Return the key osstest sorts jobs by: the kind, then the other words last first.

    A last word that starts with `x` (`xsm`, `xl`, `xtf`) sorts before the others, so
    `build-amd64-xsm` comes before `build-amd64`.
    """
    name = _LAST_X_WORD.sub(lambda m: "_" + m.group(0), name, count=1)
    match = _KIND_AND_REST.match(name)
    if match is None:
        return name
    words = match.group(2).split("-")
    while words and not words[-1]:
        words.pop()  # as Perl's split, which drops trailing empty fields
    return f"{match.group(1)} {'-'.join(reversed(words))} {name}"


def jobs_in_order(jobs: Iterable[Job]) -> list[Job]:
    """Return a flight's jobs in the order osstest's report lists them."""
    return sorted(jobs, key=lambda job: job_order(job.name))


_FAIL_ONLY = re.compile(r"(?:blocked/)?(?:fail/)?pass")


def outcome(flight: Flight, judgement: Judgement) -> str:
    """Return the subject's outcome, e.g. `regressions - FAIL` or `tolerable trouble: broken/pass`."""
    statuses = "/".join(sorted({job.status.value for job in flight.jobs}))
    if statuses == "pass":
        jobs = "all pass"
    elif statuses == "fail":
        jobs = "ALL FAIL"
    elif _FAIL_ONLY.fullmatch(statuses):
        jobs = "FAIL"
    else:
        jobs = f"trouble: {statuses}"
    if judgement.verdict is Verdict.REGRESSIONS:
        return f"regressions - {jobs}"
    if judgement.verdict is Verdict.TOLERABLE:
        return f"tolerable {jobs}"
    return jobs


def _name(flight: Flight) -> str:
    return "standalone" if flight.number is None else str(flight.number)


def baseline_test(judgement: Judgement) -> bool:
    """Tell whether the flight tested its own untested baseline (`[<branch> baseline test]`)."""
    return (
        judgement.push is Push.BASELINE_UNTESTED
        and bool(judgement.tested)
        and dict(judgement.tested) == dict(judgement.baseline)
    )


def subject(flight: Flight, judgement: Judgement) -> str:
    """Return the report e-mail's subject line."""
    kind = "baseline test" if baseline_test(judgement) else "test"
    pushed = " - PUSHED" if judgement.pushed else ""
    return f"[{flight.branch} {kind}] {_name(flight)}: {outcome(flight, judgement)}{pushed}"


@dataclass(frozen=True)
class FlightLine:
    """A retest flight of the same revisions, listed under the flight's own line."""

    number: int
    blessing: str
    intended: str | None = None  # the blessing it was made for, when it differs
    log_url: str | None = None


@dataclass(frozen=True)
class ReportContext:
    """What a report shows beyond the flight and its judgement: retest flights, push age and,
    when the trees' histories are known, the people who touched the revisions under test (None:
    not known, and the report has no such section)."""

    retests: tuple[FlightLine, ...] = ()
    push_age: PushAge | None = None
    people: tuple[str, ...] | None = None


def _abs_time(moment: datetime | None) -> str:
    return utc(moment or EPOCH).strftime("%Y-%m-%d %H:%M:%S Z")


def _age_line(what: str, seen: FlightAge | None, attempts: int | None) -> str:
    text = f"{what:<20}"
    if seen is None:
        text += f" {'(not found)':>34}     "
    else:
        text += f" {seen.number:>6}  {_abs_time(seen.started)} {seen.days:>4} days"
    if attempts is not None:
        text += f" {attempts:>4} attempts"
    return text


def age_lines(age: PushAge) -> list[str]:
    """Return the push-gate summary lines; `Failing since` only when it differs from the tip's.

    osstest prints them only when one tree is compared: none otherwise.
    """
    if age.tree is None:
        return []
    lines = [_age_line("Last test of basis", age.basis, None)]
    since = age.failing_since.number if age.failing_since else None
    if since != (age.same_since.number if age.same_since else None):
        lines.append(_age_line("Failing since", age.failing_since, age.failing_attempts))
    lines.append(_age_line("Testing same since", age.same_since, age.same_attempts))
    return lines


def _flight_heading(number: str | int, branch: str, blessing: str, intended: str | None) -> str:
    return f"flight {number} {branch} {blessing} [{intended or blessing}]"


def _versions(revisions: Mapping[str, str]) -> list[str]:
    return [f" {tree:<{TREE_WIDTH}} {revision}" for tree, revision in sorted(revisions.items())]


def _closing(judgement: Judgement) -> list[str]:
    if judgement.push is Push.PUSHED:
        return ["", "Pushing revision :", "", *_versions(judgement.tested)]
    if judgement.push is Push.NOT_PUSHING:
        return ["", "Not pushing.", ""]
    return ["", "Published tested tree is already up to date.", ""]


def _body(flight: Flight, judgement: Judgement, context: ReportContext) -> list[str]:
    lines = [*BASELINE_NOTE.split("\n"), ""] if baseline_test(judgement) else []
    retests = sorted(context.retests, key=lambda line: line.number)
    lines.append(_flight_heading(_name(flight), flight.branch, flight.blessing, flight.intended))
    lines += [_flight_heading(r.number, flight.branch, r.blessing, r.intended) for r in retests]
    lines += [url for url in (flight.log_url, *(r.log_url for r in retests)) if url]
    lines += ["", HEADLINES[judgement.verdict]]
    reported = _reported(flight.branch, judgement)
    for where in sorted({line.analysis for line in reported}, key=lambda a: a.rank):
        lines += ["", *where.heading.split("\n")]
        lines += [line.text for line in reported if line.analysis is where]
    lines.append(ALL_PASSED if not judgement.findings else "")
    if judgement.tested:
        lines += ["version targeted for testing:", *_versions(judgement.tested)]
    if judgement.baseline:
        lines += ["baseline version:", *_versions(judgement.baseline)]
    if context.push_age is not None and context.push_age.tree is not None:
        lines += ["", *age_lines(context.push_age)]
    if context.people is not None:
        lines += ["", RULE, PEOPLE_HEADING, *(f"  {person}" for person in context.people)]
    lines += ["", "jobs:"]
    lines += [
        f" {job.name:<{JOBS_WIDTH}} {job.status.value:<{STATUS_WIDTH}}"
        for job in jobs_in_order(flight.jobs)
    ]
    return [*lines, "", "", RULE, *_closing(judgement)]


def render_text(flight: Flight, judgement: Judgement, context: ReportContext | None = None) -> str:
    """Render the report as osstest's mail: its subject line, a blank line, then the body.

    Without a context the report shows what the flight and its judgement alone give: no retest
    flights, no push-gate age and no people. The host, log and harness footer osstest prints after
    the jobs is left out (the gate has none of it), and so is the revision log.
    """
    body = _body(flight, judgement, context or ReportContext())
    return "\n".join([f"Subject: {subject(flight, judgement)}", "", *body]) + "\n"


def headers(flight: Flight, judgement: Judgement) -> str:
    """Return the X-Osstest-Failures and X-Osstest-Versions headers of the report mail."""
    lines: list[str] = []
    reported = _reported(flight.branch, judgement)
    if reported:
        lines += ["X-Osstest-Failures:", *(f"    {line.header}" for line in reported)]
    for side, revisions in (("This", judgement.tested), ("That", judgement.baseline)):
        if revisions:
            lines.append(f"X-Osstest-Versions-{side}:")
            lines += [f"    {tree}={revision}" for tree, revision in sorted(revisions.items())]
    return "".join(f"{line}\n" for line in lines)
