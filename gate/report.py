"""The flight report: osstest's e-mail body as text, and the same facts as a JSON-ready dict."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gate.model import Classification, Finding, Flight, Judgement, Status, Verdict

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

RULE = "-" * 60


def summary(finding: Finding) -> str:
    """Return osstest's summary text for a finding, e.g. `REGR. vs. 17002` or `never pass`."""
    return summary_of(finding.classification, finding.ref_flight)


def summary_of(classification: Classification, ref: int | None) -> str:
    """Return the summary text for a classification and the flight it refers to."""
    match classification:
        case Classification.REGRESSION | Classification.ALLOWABLE:
            return f"REGR. vs. {ref}"
        case Classification.LIKE:
            return f"like {ref}"
        case Classification.FAILED_IN:
            return f"failed in {ref}"
        case Classification.PASS_IN:
            return f"pass in {ref}"
        case Classification.NEVER_PASS:
            return "never pass"
        case Classification.BASELINE_UNTESTED:
            return "baseline untested"
        case Classification.BLOCKED | Classification.SKIPPED:
            return "n/a"
    raise AssertionError(classification)


def outcome(flight: Flight, judgement: Judgement) -> str:
    """Return the subject's outcome, e.g. `regressions - FAIL` or `tolerable trouble: broken/pass`."""
    statuses = {job.status for job in flight.jobs}
    if statuses <= {Status.PASS, Status.SKIP}:
        headline = "all pass"
    elif statuses == {Status.FAIL}:
        headline = "ALL FAIL"
    elif Status.PASS in statuses and statuses <= {Status.BLOCKED, Status.FAIL, Status.PASS}:
        headline = "FAIL"
    else:
        headline = "trouble: " + "/".join(sorted(statuses))
    if judgement.verdict is Verdict.REGRESSIONS:
        return f"regressions - {headline}"
    if judgement.verdict.pushable and judgement.findings:
        return f"tolerable {headline}"
    return headline


def subject(flight: Flight, judgement: Judgement) -> str:
    """Return the report e-mail's subject line."""
    pushed = " - PUSHED" if judgement.pushed else ""
    return f"[{flight.branch} test] {flight.number}: {outcome(flight, judgement)}{pushed}"


def _section(finding: Finding) -> str:
    if finding.blocking:
        return BLOCKING
    if finding.classification is Classification.PASS_IN:
        return INTERMITTENT
    if finding.classification is Classification.ALLOWABLE:
        return ALLOWABLE
    return NOT_BLOCKING


def _line(finding: Finding) -> str:
    step = finding.step
    return (
        f" {step.key.job:<28}{step.stepno:>3} {step.key.testid:<28}"
        f" {step.status.value:<8} {summary(finding)}"
    )


def _revisions(revisions: Mapping[str, str]) -> list[str]:
    return [f" {tree:<20} {sha}" for tree, sha in sorted(revisions.items())] or [" (none)"]


def render_text(flight: Flight, judgement: Judgement) -> str:
    """Render the report as osstest's e-mail body (with its subject as the first line)."""
    lines = [
        f"Subject: {subject(flight, judgement)}",
        "",
        f"flight {flight.number} {flight.branch} {flight.blessing} [{flight.blessing}]",
        "",
        HEADLINES[judgement.verdict],
        "",
    ]
    blocking_heading = BLOCKING if judgement.baseline_flights else NO_BASELINE
    for heading in (BLOCKING, INTERMITTENT, ALLOWABLE, NOT_BLOCKING):
        found = [f for f in judgement.findings if _section(f) == heading]
        if found:
            lines.append(blocking_heading if heading == BLOCKING else heading)
            lines.extend(_line(f) for f in found)
    lines += ["", "version targeted for testing:", *_revisions(flight.revisions)]
    lines += ["baseline version:", *_revisions(judgement.baseline), "", RULE, "jobs:"]
    lines += [f" {job.name:<60}{job.status.value}" for job in flight.jobs]
    lines += ["", RULE]
    if judgement.pushed:
        lines.append("Pushing revision :")
        lines += _revisions(flight.revisions)
    else:
        lines.append("Not pushing.")
    return "\n".join(lines) + "\n"


def finding_dict(finding: Finding) -> dict[str, Any]:
    """Return one finding as the JSON object the report and the API share."""
    step = finding.step
    return {
        "job": step.key.job,
        "testid": step.key.testid,
        "stepno": step.stepno,
        "status": step.status.value,
        "classification": finding.classification.value,
        "blocking": finding.blocking,
        "ref_flight": finding.ref_flight,
        "summary": summary(finding),
    }


def report_dict(flight: Flight, judgement: Judgement) -> dict[str, Any]:
    """Return the report as a JSON-ready dict."""
    return {
        "flight": flight.number,
        "branch": flight.branch,
        "blessing": flight.blessing,
        "verdict": judgement.verdict.value,
        "pushed": judgement.pushed,
        "outcome": outcome(flight, judgement),
        "revision": dict(flight.revisions),
        "baseline": dict(judgement.baseline),
        "baseline_flights": list(judgement.baseline_flights),
        "jobs": [{"job": job.name, "status": job.status.value} for job in flight.jobs],
        "failures": [finding_dict(f) for f in judgement.findings],
    }
