"""Judge a flight the way osstest's push gate does: classify each non-pass step, then decide.

This follows `sg-report-flight` (how each failure is justified) and `cr-daily-branch` (whether
the flight is pushed). Where we had to choose, the choice is said where it is made.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from gate.allow import AllowList
from gate.model import (
    JOB_STATUS,
    NONE_EXECUTED,
    Blocker,
    Classification,
    Finding,
    Flight,
    Judgement,
    PriorFlight,
    Push,
    Status,
    Step,
    TestKey,
    Verdict,
)
from gate.policy import Policy, is_retest

BUILD_PREFIX = "build"  # osstest matches job names against /^build/
HEISEN_SEARCH_BELOW = 500  # a baseline outcome this strong is never excused as a heisenbug


@dataclass(frozen=True)
class Outcome:
    """What one baseline flight says about a failing step, with osstest's priority for it."""

    priority: int
    classification: Classification
    flight: PriorFlight | None = None
    status: Status | None = None


BASELINE_UNTESTED = Outcome(10, Classification.BASELINE_UNTESTED)


def failures_of(flight: Flight) -> list[Step]:
    """Return a flight's non-pass steps in document order, then a line for each job whose
    status its steps do not tell (osstest's `examineflight`)."""
    found = [s for s in flight.steps() if s.status is not Status.PASS]
    return found + _job_lines(found, ((job.name, job.status) for job in flight.jobs))


def _job_lines(found: Sequence[Step], jobs: Iterable[tuple[str, Status]]) -> list[Step]:
    """A `<job status>` line for each broken job, as today's osstest prints one whatever its
    steps say (the 2015 code did not), and a `<none executed>` line for any other non-pass job
    without a non-pass step: one that never ran, or ended before a step failed."""
    failing_jobs = {s.key.job for s in found}
    lines = []
    for job, status in jobs:
        if status is Status.BROKEN:
            lines.append(Step(TestKey(job, JOB_STATUS), 0, status))
        elif status is not Status.PASS and job not in failing_jobs:
            lines.append(Step(TestKey(job, NONE_EXECUTED), 0, status))
    return lines


def _failures_of_prior(prior: PriorFlight) -> list[Step]:
    assert prior.failures is not None, f"flight {prior.number}'s failures were not loaded"
    found = list(prior.failures)
    return found + _job_lines(found, (prior.jobs or {}).items())


def revision_matches(built: str | None, wanted: str) -> bool:
    """Tell whether a built revision is the wanted one: osstest accepts a prefix, after an
    optional `...: ` qualifier."""
    if built is None:
        return False
    if built.startswith(wanted):
        return True
    if ":" not in built:
        return False
    return any(built[i + 1 :].startswith(wanted) for i, c in enumerate(built) if c == ":")


def built(revisions: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    """Tell whether a flight that built `revisions` built every tree of `wanted` at its revision."""
    return bool(wanted) and all(revision_matches(revisions.get(t), v) for t, v in wanted.items())


def specs(
    flight: Flight, lower: Sequence[PriorFlight], policy: Policy
) -> tuple[dict[str, str], dict[str, str]]:
    """Return the revisions under test and the baseline, on the trees that are compared.

    A flight that declares `osstest.baseline.*` is compared on exactly those trees. Otherwise
    the branch's own tree (osstest's branch naming, or the `branch_trees` setting) is compared
    with master: the revision of the newest pushed flight (osstest's `OLD_REVISION`), or, before
    any push, the baseline the newest flight declared. A branch whose name gives no tree compares
    every tree.
    """
    if flight.baseline:
        trees: Sequence[str] = sorted(flight.baseline)
        baseline = dict(flight.baseline)
    else:
        trees = policy.trees(flight.branch) or sorted(flight.revisions)
        pushed = next((p for p in lower if p.pushed), None)
        declared = next((p for p in lower if p.baseline), None)
        master = pushed.revisions if pushed else declared.baseline if declared else {}
        baseline = {t: master[t] for t in trees if t in master}
    tested = {t: flight.revisions[t] for t in trees if t in flight.revisions}
    return tested, baseline


class _Justifier:
    """osstest's `justifyfailures`, for one judged flight and the evidence available to it."""

    def __init__(
        self,
        flight: Flight,
        available: Sequence[PriorFlight],
        tested: Mapping[str, str],
        baseline: Mapping[str, str],
        allow: AllowList,
        policy: Policy,
        passed: Collection[TestKey] | None = None,
    ) -> None:
        self.flight = flight
        self.passed = passed
        # osstest orders candidates by blessing, then newest first; Python's sort is stable.
        self.available = sorted(
            sorted(available, key=lambda p: p.number, reverse=True), key=lambda p: p.blessing
        )
        self.tested = tested
        self.baseline = baseline
        self.allow = allow
        self.policy = policy
        self.justified: set[int] = set()
        self._ran: dict[str, list[PriorFlight]] = {}
        assert flight.number is not None
        self.number = flight.number

    def candidates(self, job: str, excluding: int) -> list[PriorFlight]:
        """Return the flights examined for a job: the newest that ran it, in osstest's order."""
        if job not in self._ran:
            ran = [p for p in self.available if p.ran(job)]
            limit = self.policy.history_flights
            if len(ran) > limit:
                newest = set(sorted((p.number for p in ran), reverse=True)[:limit])
                ran = [p for p in ran if p.number in newest]
            self._ran[job] = ran
        return [p for p in self._ran[job] if p.number != excluding]

    def ever_passed(self, key: TestKey) -> bool:
        """Tell whether an evidence flight ever passed the step (osstest's `anypassq`)."""
        if self.passed is not None and key in self.passed:
            return True
        return any(Status.PASS in p.results.get(key, ()) for p in self.available)

    def outcomes(self, step: Step, excluding: int) -> list[Outcome]:
        found = [BASELINE_UNTESTED]
        if not self.baseline:
            return found
        for p in self.candidates(step.key.job, excluding):
            if not built(p.revisions, self.baseline):
                continue
            statuses = p.results.get(step.key)
            if not statuses:
                # A step a starved job never reached was starved there (`fail starved in N`, as
                # today's osstest says); any other step absent there did not run (`blocked in`).
                starved = (p.jobs or {}).get(step.key.job) is Status.STARVED
                found.append(self.outcome(step, p, Status.STARVED if starved else None))
            found += [self.outcome(step, p, status) for status in sorted(statuses or ())]
        return found

    def outcome(self, step: Step, there: PriorFlight, status: Status | None) -> Outcome:
        if status is None:
            return Outcome(50, Classification.BLOCKED_IN, there)
        if status is step.status:
            return Outcome(190, Classification.LIKE, there)
        if status is Status.FAIL:
            return Outcome(180, Classification.FAILED_IN, there)
        if status is Status.PASS:
            priority = 600 if step.key.job.startswith(BUILD_PREFIX) else 100
            return Outcome(priority, Classification.REGRESSION, there)
        return Outcome(170, Classification.OTHER_IN, there, status)

    def heisen_flight(self, step: Step, excluding: int) -> PriorFlight | None:
        if not self.tested:
            return None
        return next(
            (
                p
                for p in self.candidates(step.key.job, excluding)
                if built(p.revisions, self.tested) and Status.PASS in p.results.get(step.key, ())
            ),
            None,
        )

    def classify(self, step: Step, in_flight: int | None) -> tuple[Finding, PriorFlight | None]:
        """Classify one failure; return it with the flight that excused it as a heisenbug."""
        excluding = self.number if in_flight is None else in_flight

        def found(cls: Classification, outcome: Outcome | None = None) -> Finding:
            there = outcome.flight if outcome else None
            return Finding(
                step,
                cls,
                there.number if there else None,
                outcome.status if outcome else None,
                there.blessing if there else None,
                in_flight,
            )

        if step.status is Status.STARVED:  # no host to be had: never blocks (osstest since 2020)
            return found(Classification.STARVED), None
        if step.key.testid == JOB_STATUS:
            return found(Classification.BROKEN_JOB), None
        if step.key.testid == NONE_EXECUTED:
            return found(Classification.NONE_EXECUTED), None
        if step.status is Status.BLOCKED:
            return found(Classification.BLOCKED), None
        if step.status is Status.SKIP:
            return found(Classification.SKIPPED), None
        if step.status is Status.RUNNING:
            return found(Classification.UNFINISHED), None
        if not step.status.failing:
            return found(Classification.UNEXPECTED), None
        if not self.ever_passed(step.key):
            return found(Classification.NEVER_PASS), None
        outcomes = self.outcomes(step, excluding)
        best = max(outcomes, key=lambda o: o.priority)  # the first of the strongest
        if best.classification is not Classification.REGRESSION:
            return found(best.classification, best), None
        if best.priority < HEISEN_SEARCH_BELOW:
            heisen = self.heisen_flight(step, excluding)
            if heisen is not None:
                return found(
                    Classification.PASS_IN, Outcome(20, Classification.PASS_IN, heisen)
                ), heisen
        if self.allow.allows(step.key):
            return found(Classification.ALLOWABLE, best), None
        return found(Classification.REGRESSION, best), None

    def justify(self, failures: Iterable[Step], in_flight: int | None) -> list[Finding]:
        """Classify failures, then justify in turn each flight that excused a heisenbug."""
        findings: list[Finding] = []
        heisen: list[PriorFlight] = []
        for step in failures:
            finding, excused_by = self.classify(step, in_flight)
            findings.append(finding)
            if excused_by is not None:
                heisen.append(excused_by)
        for other in heisen:
            if other.number == self.number or other.number in self.justified:
                continue
            self.justified.add(other.number)
            findings += self.justify(_failures_of_prior(other), other.number)
        return findings


def evidence(flight: Flight, others: Iterable[PriorFlight], policy: Policy) -> list[PriorFlight]:
    """Return the other flights of the branch that count as evidence for this flight.

    osstest reports a flight as soon as it ends, so its evidence is the flights before it with
    an evidence blessing, and the retests of its revisions that run after it.
    """
    assert flight.number is not None, "a flight is numbered before it is judged"
    blessings = policy.blessings(flight.branch)
    return [
        p
        for p in others
        if p.number != flight.number
        and p.blessing in blessings
        and (p.number < flight.number or is_retest(p.blessing))
    ]


def verdict_of(findings: Sequence[Finding]) -> Verdict:
    """Decide the verdict from the findings, as osstest's report headline does."""
    if not findings:
        return Verdict.PERFECT
    blockers = {f.blocker for f in findings} - {None}
    if Blocker.REGRESSION in blockers:
        return Verdict.REGRESSIONS
    if blockers:
        return Verdict.TROUBLE
    return Verdict.TOLERABLE


def push_of(
    flight: Flight,
    verdict: Verdict,
    tested: Mapping[str, str],
    baseline: Mapping[str, str],
    available: Sequence[PriorFlight],
    policy: Policy,
) -> Push:
    """Decide the push as `cr-daily-branch` does: a tolerable flight of new revisions whose
    baseline some evidence flight has built."""
    if not flight.steps():
        return Push.NO_TESTS
    if flight.blessing != policy.push_blessing:
        return Push.NOT_A_PUSH_FLIGHT
    if not baseline or not tested:
        return Push.NO_BASELINE
    if not any(built(p.revisions, baseline) for p in available if not is_retest(p.blessing)):
        return Push.BASELINE_UNTESTED
    if all(tested.get(tree) == sha for tree, sha in baseline.items()):
        return Push.UP_TO_DATE
    return Push.PUSHED if verdict.pushable else Push.NOT_PUSHING


def judge(
    flight: Flight,
    others: Iterable[PriorFlight],
    allow: AllowList | None = None,
    policy: Policy | None = None,
    *,
    passed: Collection[TestKey] | None = None,
) -> Judgement:
    """Classify each failure of a flight against the other flights of its branch, then decide.

    `passed` names the failing tests that passed in some evidence flight, when the caller keeps
    that (the store does); without it, the results of `others` tell.
    """
    allow = allow or AllowList()
    policy = policy or Policy()
    available = evidence(flight, others, policy)
    lower = sorted(
        (p for p in available if p.number < (flight.number or 0)), key=lambda p: -p.number
    )
    tested, baseline = specs(flight, lower, policy)
    failures = failures_of(flight)
    wanted = {s.key for s in failures} | {s.key for p in available for s in p.failures or ()}
    own = PriorFlight.of(flight, pushed=False, keys=wanted)
    universe = [*available, own] if own.blessing in policy.blessings(flight.branch) else available
    justifier = _Justifier(flight, universe, tested, baseline, allow, policy, passed)
    findings = tuple(justifier.justify(failures, None))
    verdict = verdict_of(findings)
    baseline_flights = tuple(
        p.number for p in justifier.available if p is not own and built(p.revisions, baseline)
    )
    retests = tuple(
        sorted(p.number for p in available if is_retest(p.blessing) and built(p.revisions, tested))
    )
    return Judgement(
        verdict=verdict,
        push=push_of(flight, verdict, tested, baseline, available, policy),
        findings=findings,
        baseline=baseline,
        baseline_flights=tuple(sorted(baseline_flights, reverse=True)),
        tested=tested,
        retests=retests,
    )
