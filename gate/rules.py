"""Judge a flight the way osstest's push gate does: classify each non-pass step, then decide."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from gate.allow import AllowList
from gate.model import (
    Classification,
    Finding,
    Flight,
    Judgement,
    PriorFlight,
    Status,
    Step,
    Verdict,
)
from gate.policy import Policy

_OTHER_FAILING = {Status.FAIL: Status.BROKEN, Status.BROKEN: Status.FAIL}


def evidence(flight: Flight, prior: Iterable[PriorFlight], policy: Policy) -> list[PriorFlight]:
    """Return the lower flights that count as evidence for this flight, newest first."""
    assert flight.number is not None, "a flight is numbered before it is judged"
    usable = [
        p for p in prior if p.number < flight.number and p.blessing in policy.evidence_blessings
    ]
    usable.sort(key=lambda p: p.number, reverse=True)
    return usable[: policy.history_flights]


def baseline_of(flight: Flight, lower: Sequence[PriorFlight]) -> Mapping[str, str]:
    """Return the flight's baseline revisions: declared, or those of the newest pushed flight."""
    if flight.baseline:
        return flight.baseline
    pushed = next((p for p in lower if p.pushed), None)
    return pushed.revisions if pushed else {}


def tested(revisions: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    """Tell whether a flight that tested `revisions` tested every tree of `wanted` at its revision."""
    return bool(wanted) and all(revisions.get(tree) == sha for tree, sha in wanted.items())


def _first(flights: Sequence[PriorFlight], step: Step, status: Status) -> PriorFlight | None:
    return next((p for p in flights if status in p.results.get(step.key, ())), None)


def classify(
    step: Step,
    lower: Sequence[PriorFlight],
    baseline_flights: Sequence[PriorFlight],
    same_revision_flights: Sequence[PriorFlight],
    allow: AllowList,
) -> Finding:
    """Classify one non-pass step; every sequence of flights is newest first."""
    if step.status is Status.BLOCKED:
        return Finding(step, Classification.BLOCKED)
    if step.status is Status.SKIP:
        return Finding(step, Classification.SKIPPED)
    if _first(lower, step, Status.PASS) is None:
        return Finding(step, Classification.NEVER_PASS)
    if like := _first(baseline_flights, step, step.status):
        return Finding(step, Classification.LIKE, like.number)
    if other := _first(baseline_flights, step, _OTHER_FAILING[step.status]):
        return Finding(step, Classification.FAILED_IN, other.number)
    passed = _first(baseline_flights, step, Status.PASS)
    if passed is None:
        newest = baseline_flights[0].number if baseline_flights else None
        return Finding(step, Classification.BASELINE_UNTESTED, newest)
    if heisen := _first(same_revision_flights, step, Status.PASS):
        return Finding(step, Classification.PASS_IN, heisen.number)
    if allow.allows(step.key):
        return Finding(step, Classification.ALLOWABLE, passed.number)
    return Finding(step, Classification.REGRESSION, passed.number)


def verdict_of(findings: Sequence[Finding]) -> Verdict:
    """Decide the verdict from the findings, as osstest's report headline does."""
    blocking = [f for f in findings if f.blocking]
    if not findings:
        return Verdict.PERFECT
    if any(f.step.status is Status.FAIL for f in blocking):
        return Verdict.REGRESSIONS
    if blocking:
        return Verdict.TROUBLE
    return Verdict.TOLERABLE


def judge(
    flight: Flight,
    prior: Iterable[PriorFlight],
    allow: AllowList | None = None,
    policy: Policy | None = None,
) -> Judgement:
    """Classify each non-pass step of a flight against the lower flights of its branch."""
    allow = allow or AllowList()
    policy = policy or Policy()
    lower = evidence(flight, prior, policy)
    baseline = baseline_of(flight, lower)
    baseline_flights = [p for p in lower if tested(p.revisions, baseline)]
    same_revision = [p for p in lower if tested(p.revisions, flight.revisions)]
    findings = tuple(
        classify(step, lower, baseline_flights, same_revision, allow)
        for step in flight.steps()
        if step.status is not Status.PASS
    )
    verdict = verdict_of(findings)
    return Judgement(
        verdict=verdict,
        pushed=flight.blessing == policy.push_blessing and verdict.pushable,
        findings=findings,
        baseline=dict(baseline),
        baseline_flights=tuple(p.number for p in baseline_flights),
    )
