"""Readiness: what a feature's owner declares, checked against what the push gate observes."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from gate.acceptance import Acceptance
from gate.model import (
    JOB_STATUS,
    NONE_EXECUTED,
    PSEUDO_TESTIDS,
    Blocker,
    Classification,
    Status,
    TestKey,
    flight_label,
)
from gate.numbers import percent
from gate.policy import Policy
from gate.report import summary_of
from gate.roadmap import Declared, Feature, Phase, Release
from gate.trends import pass_rate_of

# The edition of the rules below: kept judgements of days (`gate.keep.days`) made under
# another are judged anew. Raise it with any change that can change a feature's state.
RULES = 3


class Readiness(StrEnum):
    """Where a feature stands, checked against the gate; `severity` orders them, worst first."""

    DROPPED = "dropped"
    UNTESTED = "untested"
    STALE = "stale"
    BLOCKED = "blocked"
    AT_RISK = "at_risk"
    MISSED_FREEZE = "missed_freeze"
    READY = "ready"
    ON_TRACK = "on_track"

    @property
    def severity(self) -> int:
        """Return the state's place when features are listed worst first (blocked is 0)."""
        return _SEVERITY.index(self)

    @property
    def words(self) -> str:
        """Name the state as people read it: `at risk`, `on track`, `missed the freeze`."""
        if self is Readiness.MISSED_FREEZE:
            return "missed the freeze"
        return self.value.replace("_", " ")

    def said_of(self, count: int) -> str:
        """Say the state of `count` features as a sentence's verb: `are blocked`, `has missed
        the freeze`."""
        if self is Readiness.MISSED_FREEZE:
            return f"{'has' if count == 1 else 'have'} {self.words}"
        return f"{'is' if count == 1 else 'are'} {self.words}"

    @property
    def heading(self) -> str:
        """Name the state as a heading: `At risk`, `On track`."""
        return self.words.capitalize()

    @property
    def wants_owner(self) -> bool:
        """Tell whether a feature in this state needs somebody named for it: all but the ready
        and the dropped."""
        return self not in (Readiness.READY, Readiness.DROPPED)

    @property
    def good(self) -> bool:
        """Tell whether the state says all is well: ready or on track."""
        return self in (Readiness.READY, Readiness.ON_TRACK)

    @property
    def needs_attention(self) -> bool:
        """Tell whether a feature in this state shows the reason for it next to its name."""
        return self in (
            Readiness.BLOCKED,
            Readiness.AT_RISK,
            Readiness.MISSED_FREEZE,
            Readiness.STALE,
            Readiness.UNTESTED,
        )

    @classmethod
    def by_severity(cls) -> tuple[Readiness, ...]:
        """Return every state, worst first."""
        return _SEVERITY

    @classmethod
    def in_phase(cls, phase: Phase) -> tuple[Readiness, ...]:
        """Return the states a feature can be in during a phase of its release, worst first:
        none misses the freeze before it."""
        return tuple(s for s in _SEVERITY if phase.frozen or s is not Readiness.MISSED_FREEZE)


_SEVERITY = (
    Readiness.BLOCKED,
    Readiness.AT_RISK,
    Readiness.MISSED_FREEZE,
    Readiness.STALE,
    Readiness.UNTESTED,
    Readiness.ON_TRACK,
    Readiness.READY,
    Readiness.DROPPED,
)


@dataclass(frozen=True)
class Observation:
    """One linked step in one flight of the window, with the gate's finding on it.

    `in_flight` is set for a failure of another flight that this flight's judgement counts (the
    flight that excused one of its heisenbugs); `key` is `(job, <none executed>)` for a job that
    did not pass and has no failing step.
    """

    flight: int
    key: TestKey
    status: Status
    classification: Classification | None = None
    ref_flight: int | None = None
    ref_status: Status | None = None
    ref_blessing: str | None = None
    in_flight: int | None = None
    # The run of flights of the branch in which the step has not passed, up to this one: the
    # first of them and how many there are (None and 0 when nobody counted).
    since: int | None = None
    attempts: int = 0
    host: str | None = None  # the host the job ran on, where it is known

    @property
    def trouble(self) -> bool:
        """Tell whether the test infrastructure, not the feature, failed here: a broken or
        blocked status, or a step that prepares the test (`gate.model.TestKey.preparation`).
        Such a step is evidence missing, never evidence against the feature."""
        return self.status.trouble or (self.status is not Status.PASS and self.key.preparation)

    @property
    def blocking(self) -> bool:
        return self.classification is not None and self.classification.blocking

    @property
    def regressed(self) -> bool:
        """Tell whether osstest's blocker kind of the step is `regression`
        (`Classification.blocker`): never a `<none executed>` line, which blocks as broken."""
        return (
            self.classification is not None
            and self.classification.blocker(self.status) is Blocker.REGRESSION
        )

    def summary(self) -> str:
        """Return the gate's summary of this step, e.g. `REGR. vs. 17079` or `in 17081 like 17060`."""
        if self.classification is None:
            return ""
        said = summary_of(
            self.classification,
            flight_label(self.ref_flight, self.ref_blessing),
            ref_status=self.ref_status,
            status=self.status,
        )
        return f"in {self.in_flight} {said}".rstrip() if self.in_flight is not None else said

    def sentence(self) -> str:
        """Say what happened, e.g. `test-amd64-amd64-pair guest-start regressed in 17080 (REGR. vs. 17079)`."""
        return sentences([self])[0]

    @property
    def what(self) -> str:
        return "regressed" if self.regressed else self.status.value

    def age(self) -> str:
        """Say since when the step has not passed, e.g. `not passing since 17071, 4 flights`."""
        if self.since is None or self.since == self.flight:
            return ""
        return f"not passing since {self.since}, {self.attempts} flights"


def explained(observations: Sequence[Observation]) -> list[Observation]:
    """Leave out a broken job's `<job status>` line where a step of the job in the same flight
    is listed too: it says no more than the step that broke."""
    steps = {(o.flight, o.key.job) for o in observations if not o.key.pseudo}
    return [
        o
        for o in observations
        if not (o.key.testid == JOB_STATUS and (o.flight, o.key.job) in steps)
    ]


def trouble_sentences(observations: Sequence[Observation]) -> list[str]:
    """Say what got in the way of the evidence, one line per step, outcome and host, e.g.
    `host-install(3) broken on gall-mite in 16296: test-amd64-amd64-xl-qemuu-win7-amd64`."""
    observations = explained(observations)
    groups: dict[tuple[str, str, str | None, int], set[str]] = {}
    # The cause before what it held up: what broke, then what was blocked by it.
    for o in sorted(observations, key=lambda o: (o.flight, o.status is Status.BLOCKED)):
        groups.setdefault((o.key.testid, o.status.value, o.host, o.flight), set()).add(o.key.job)
    said = []
    for (testid, status, host, flight), jobs in groups.items():
        where = f" on {host}" if host else ""
        what = f"{status} (the job ran no step)" if testid == NONE_EXECUTED else status
        step = "job" if testid in PSEUDO_TESTIDS else testid
        said.append(f"{step} {what}{where} in {flight}: {', '.join(sorted(jobs))}")
    return said


def sentences(observations: Sequence[Observation]) -> list[str]:
    """Say what happened, one line per testid and outcome, its jobs together, e.g.
    `guest-start regressed in 17080 (REGR. vs. 17079) in 3 jobs: test-a, test-b, test-c;
    not passing since 17071, 4 flights`."""
    groups: dict[tuple[str, str, int, str], list[Observation]] = {}
    for o in explained(observations):
        groups.setdefault((o.key.testid, o.what, o.flight, o.summary()), []).append(o)
    said = []
    for (testid, what, flight, summary), found in groups.items():
        jobs = sorted({o.key.job for o in found})
        where = f" ({summary})" if summary else ""
        if len(jobs) == 1:
            line = f"{found[0].key} {what} in {flight}{where}"
        else:
            line = f"{testid} {what} in {flight}{where} in {len(jobs)} jobs: {', '.join(jobs)}"
        oldest = min(found, key=lambda o: (o.since is None, o.since or 0, -o.attempts))
        if oldest.age():
            line += f"; {oldest.age()}"
        said.append(line)
    return said


@dataclass(frozen=True)
class FlightPoint:
    number: int
    at: datetime


@dataclass(frozen=True)
class Evidence:
    """What the branch shows about one feature's linked tests.

    window: the branch's newest flights, oldest first; observations: the linked steps in them
    that did not pass (passes may be among them: they are not counted twice); last_seen: the
    newest flight of the branch in which any linked test had a result; counts: how many linked
    steps of each window flight ended in each status, passes included (by default, counted from
    the observations).
    """

    tests: tuple[TestKey, ...]
    window: tuple[FlightPoint, ...]
    observations: tuple[Observation, ...]
    last_seen: int | None
    counts: Mapping[int, Mapping[Status, int]] | None = None

    def tally(self) -> dict[int, Counter[Status]]:
        """Return the linked steps of each window flight by status (worked out once)."""
        return self._tally

    @functools.cached_property
    def _tally(self) -> dict[int, Counter[Status]]:
        """Return the linked steps of each window flight by status."""
        found = {flight: Counter(seen) for flight, seen in (self.counts or {}).items()}
        for o in self.observations:
            # A job that executed nothing, and another flight's failure that this flight's
            # judgement counts, have no step row: each counts as one step.
            if self.counts is None or o.in_flight is not None or o.key.pseudo:
                found.setdefault(o.flight, Counter())[o.status] += 1
        return found

    @functools.cached_property
    def failing(self) -> tuple[Observation, ...]:
        """The observations of steps that did not pass, infrastructure trouble left out."""
        return tuple(o for o in self.observations if o.status is not Status.PASS and not o.trouble)

    @functools.cached_property
    def trouble(self) -> tuple[Observation, ...]:
        """The observations of the infrastructure getting in the way (`Observation.trouble`)."""
        return tuple(o for o in self.observations if o.trouble)

    def results(self) -> dict[int, Counter[Status]]:
        """Return the tally without what infrastructure trouble left: the passes and failures
        of the steps that test (a preparation step's failure is taken out of the fails),
        worked out once."""
        return self._results

    @functools.cached_property
    def _results(self) -> dict[int, Counter[Status]]:
        found = {n: Counter(c) for n, c in self.tally().items()}
        for o in self.trouble:
            if o.status is Status.FAIL and o.flight in found:
                found[o.flight][Status.FAIL] -= 1
        return {
            n: kept
            for n, c in found.items()
            if (kept := Counter({s: c[s] for s in RESULTS if c[s] > 0}))
        }


RESULTS = (Status.PASS, Status.FAIL)  # what counts as evidence for or against a feature
NO_RATE_WORDS = "no rate"  # a reason's words for a rate nobody could count


class Strength(StrEnum):
    """How closely the tests that ran touch a feature, strongest first."""

    DIRECT = "direct"  # a step linked to the feature by name (its testid, or a tag) ran
    INDIRECT = "indirect"  # only whole jobs that pass through the feature ran
    BUILD_ONLY = "build_only"  # only build jobs ran
    NONE = "none"  # nothing linked ran to a result in the window

    @property
    def words(self) -> str:
        """Name the strength as people read it: `direct`, `build only`."""
        return self.value.replace("_", " ")

    @property
    def meaning(self) -> str:
        """Say what the strength means, as a feature's page writes it under its name."""
        return _STRENGTH_MEANING[self]

    @property
    def short(self) -> str:
        """Name the strength in a few words, as the mail's evidence line adds it."""
        return _STRENGTH_SHORT[self]


_STRENGTH_MEANING = {
    Strength.DIRECT: "steps linked to the feature by name ran",
    Strength.INDIRECT: "only whole jobs that pass through the feature ran",
    Strength.BUILD_ONLY: "only the feature's build jobs ran",
    Strength.NONE: "no linked step ran to a result in the window",
}


_STRENGTH_SHORT = {
    Strength.DIRECT: "direct evidence",
    Strength.INDIRECT: "indirect: whole jobs only",
    Strength.BUILD_ONLY: "build jobs only",
    Strength.NONE: "no evidence",
}


def strength_of(feature: Feature, evidence: Evidence) -> Strength:
    """Return how closely the evidence touches the feature: by the links of its tests (a
    testid pattern or a tag names a step; a job pattern takes every step of a job) when any
    step that tests had a result in the window."""
    if not evidence.results():
        return Strength.NONE
    tests = [k for k in evidence.tests if not k.preparation]
    if any(not k.build and _named(feature, k) for k in tests):
        return Strength.DIRECT
    if any(not k.build for k in tests):
        return Strength.INDIRECT
    return Strength.BUILD_ONLY if tests else Strength.NONE


def _named(feature: Feature, key: TestKey) -> bool:
    """Tell whether a test is linked to the feature by its step: a pattern with a testid, or a
    tag (a linked test no pattern matches)."""
    matched = [p for p in feature.tests if p.matches(key)]
    return not matched or any(p.testid is not None for p in matched)


@dataclass(frozen=True)
class Projection:
    """When the feature would meet the ready conditions at the current rate, if ever."""

    on: date | None
    text: str


@dataclass(frozen=True)
class FeatureReadiness:
    feature: Feature
    readiness: Readiness
    pass_rate: float | None
    series: tuple[tuple[int, float | None], ...]
    blocking: tuple[Observation, ...]
    failures: tuple[Observation, ...]
    reasons: tuple[str, ...]
    mismatch: bool
    projection: Projection
    tests: tuple[TestKey, ...]
    strength: Strength = Strength.NONE
    trouble: tuple[Observation, ...] = ()  # what the infrastructure kept from the newest flights
    # At risk on its owner's word (`Declared.at_risk`): no linked test ran to say otherwise.
    # The calendar may still overrule the state: `readiness` is the state.
    on_owners_word: bool = False
    # Blocking steps of the newest flight accepted for the release: they do not block.
    debt: tuple[Debt, ...] = ()


@dataclass(frozen=True)
class Debt:
    """Readiness debt: a blocking step that is accepted for the release (`gate.acceptance`),
    so that it does not block its features while the acceptance holds."""

    observation: Observation
    acceptance: Acceptance

    def sentence(self) -> str:
        """Say what blocks and who accepted it, e.g. `test-a guest-start regressed in 17080
        (REGR. vs. 17079); accepted by Ian until 2013-04-01: known bug`."""
        return f"{self.observation.sentence()}; {self.acceptance.words}"


def pass_rate(counts: Iterable[Mapping[Status, int]]) -> float | None:
    """Return the pass rate of these counts together: passes over passes and fails (a broken or
    blocked step is evidence missing, not a failure of the feature)."""
    total: dict[Status, int] = {}
    for found in counts:
        for status, n in found.items():
            if status in RESULTS:
                total[status] = total.get(status, 0) + n
    return pass_rate_of(total)


def _series(evidence: Evidence) -> tuple[tuple[int, float | None], ...]:
    tally = evidence.results()
    return tuple(
        (point.number, pass_rate([tally.get(point.number, {})])) for point in evidence.window
    )


def _blocking_streaks(
    evidence: Evidence, accepted: Collection[TestKey] = ()
) -> list[tuple[datetime, datetime | None]]:
    """Return (first blocked, first clear) for each run of flights with a blocking linked step
    that is not `accepted`."""
    blocked = {o.flight for o in evidence.failing if o.blocking and o.key not in accepted}
    streaks: list[tuple[datetime, datetime | None]] = []
    start: datetime | None = None
    for point in evidence.window:
        if point.number in blocked and start is None:
            start = point.at
        elif point.number not in blocked and start is not None:
            streaks.append((start, point.at))
            start = None
    if start is not None:
        streaks.append((start, None))
    return streaks


def _least_squares(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Return (slope, intercept) of the least-squares line through the points."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    return slope, mean_y - slope * mean_x


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def project(
    evidence: Evidence,
    state: Readiness,
    policy: Policy,
    now: datetime,
    series: tuple[tuple[int, float | None], ...] | None = None,
    accepted: Collection[TestKey] = (),
) -> Projection:
    """Extrapolate the pass-rate trend to the threshold, and the blockers' usual time to clear.

    The trend is a least-squares line of the per-flight pass rate against time over the window;
    blockers are expected to clear after the median time earlier blocking runs took to clear.
    """
    if state is Readiness.READY:
        return Projection(now.date(), "meets the ready conditions now")
    if state is Readiness.ON_TRACK:
        return Projection(now.date(), "the linked steps pass; ready once declared done")
    if state is Readiness.MISSED_FREEZE:
        return Projection(None, "missed the feature freeze: not for this release")
    if state in (Readiness.DROPPED, Readiness.UNTESTED, Readiness.STALE) or not evidence.results():
        return Projection(None, "no recent evidence to project from")
    points = [
        ((p.at - now).total_seconds() / 86400, rate)
        for p, (_n, rate) in zip(
            evidence.window, _series(evidence) if series is None else series, strict=True
        )
        if rate is not None
    ]
    newest = evidence.window[-1].number
    # Blocking regressions are projected from how long blockers took to clear, below.
    failing_now = any(o.flight == newest and not o.blocking for o in evidence.failing)
    ready_on = now
    rate = pass_rate(evidence.results().values())
    if (rate is not None and rate < policy.at_risk_below) or failing_now:
        if len(points) < 3 or len({x for x, _ in points}) < 2:
            return Projection(None, "not converging (too few flights to see a trend)")
        slope, intercept = _least_squares(points)
        if slope <= 0:
            return Projection(None, "not converging (the pass rate is not rising)")
        days = max(0.0, (policy.at_risk_below - intercept) / slope)
        ready_on = max(ready_on, now + timedelta(days=days))
    streaks = _blocking_streaks(evidence, accepted)
    if streaks and streaks[-1][1] is None:
        cleared = [(end - start).total_seconds() for start, end in streaks if end is not None]
        if not cleared:
            return Projection(None, "not converging (no blocking regression has cleared yet)")
        clear_at = streaks[-1][0] + timedelta(seconds=_median(cleared))
        ready_on = max(ready_on, clear_at)
    return Projection(
        ready_on.date(), f"ready by {ready_on.date().isoformat()} at the current rate"
    )


def _in_the_way(evidence: Evidence) -> str:
    return (
        f"no linked step ran to a result in the last {len(evidence.window)} flights: "
        "the test infrastructure got in the way"
    )


def judge_feature(
    feature: Feature,
    evidence: Evidence,
    policy: Policy,
    now: datetime,
    release: Release | None = None,
    accepted: Mapping[TestKey, Acceptance] | None = None,
) -> FeatureReadiness:
    """Decide a feature's readiness from its declaration, its linked tests and its release's
    calendar at `now`, in the rules' order.

    A blocking step `accepted` for the release (the acceptances in force at `now`, by test)
    does not block: it is the feature's readiness debt.

    Infrastructure trouble (`Observation.trouble`) is evidence missing: it never blocks a
    feature nor puts it at risk; when nothing else ran, the feature's evidence is stale. From
    the day of the feature freeze on, a feature neither done nor dropped has missed the freeze,
    unless the roadmap grants it an exception; what its tests show is said after that.
    """
    tally = evidence.results()
    series = _series(evidence)
    newest = evidence.window[-1].number if evidence.window else None
    in_newest = [o for o in evidence.failing if o.flight == newest]
    accepted = accepted or {}
    debt = tuple(Debt(o, accepted[o.key]) for o in in_newest if o.blocking and o.key in accepted)
    blocking = tuple(o for o in in_newest if o.blocking and o.key not in accepted)
    failures = tuple(o for o in in_newest if not o.blocking)
    trouble = tuple(o for o in evidence.trouble if o.flight == newest)
    rate = pass_rate(tally.values())
    reasons: list[str] = []
    on_owners_word = False
    low_rate = rate is not None and rate < policy.at_risk_below
    tests_at_risk = low_rate or bool(failures)
    declared_risk = feature.status.at_risk
    ran = bool(tally) or bool(evidence.failing)
    if feature.status is Declared.DROPPED:
        state = Readiness.DROPPED
        reasons.append("declared dropped: not for this release")
    elif declared_risk and not ran:
        # Its owner says it is at risk, and no test says otherwise: at risk on their word.
        state = Readiness.AT_RISK
        on_owners_word = True
        if evidence.trouble:
            why = _in_the_way(evidence)
        elif evidence.last_seen is not None:
            why = f"no linked test ran in the last {len(evidence.window)} flights"
        elif feature.tests or evidence.tests:
            why = "no linked test has ever run on the branch"
        else:
            why = "no test is linked to this feature"
        reasons.append(
            f"declared {feature.status.value} by its owner, and no test says otherwise: {why}"
        )
    elif evidence.last_seen is None:
        state = Readiness.UNTESTED
        reasons.append(
            f"declared {feature.status.value}, and nothing checks the claim: "
            + (
                "no linked test has ever run on the branch"
                if feature.tests or evidence.tests
                else "no test is linked to this feature"
            )
        )
    elif not ran:
        state = Readiness.STALE
        if evidence.trouble:
            reasons.append(_in_the_way(evidence))
        else:
            reasons.append(
                f"no linked test ran in the last {len(evidence.window)} flights "
                f"(newest result in flight {evidence.last_seen})"
            )
    elif blocking:
        state = Readiness.BLOCKED
        reasons += sentences(blocking)
    elif tests_at_risk or declared_risk:
        state = Readiness.AT_RISK
    elif feature.status is Declared.DONE:
        state = Readiness.READY
        reasons.append("declared done and every linked step passes")
    else:
        state = Readiness.ON_TRACK
        said = percent(rate, NO_RATE_WORDS)
        reasons.append(f"linked steps pass ({said}) and declared {feature.status.value}")
    if state in (Readiness.BLOCKED, Readiness.AT_RISK):
        if low_rate:
            reasons.append(
                f"pass rate {percent(rate, NO_RATE_WORDS)} over the last "
                f"{len(evidence.window)} flights "
                f"is below {percent(policy.at_risk_below)}"
            )
        reasons += sentences(failures)
        if declared_risk and ran:
            reasons.append(f"declared {feature.status.value}")
    if debt and state is not Readiness.DROPPED:
        reasons += [f"readiness debt: {d.sentence()}" for d in debt]
    if trouble and state is not Readiness.DROPPED:
        reasons += [f"evidence missing: {said}" for said in trouble_sentences(trouble)]
    tested = state  # what the declaration and the tests say, before the calendar
    if (
        release is not None
        and state is not Readiness.DROPPED
        and feature.status is not Declared.DONE
    ):
        frozen = release.phase_at(now).frozen
        if frozen and not feature.exception:
            state = Readiness.MISSED_FREEZE
            reasons.insert(0, missed_freeze(release))
        elif frozen:
            reasons.insert(0, f"granted a freeze exception: {feature.exception}")
    counted = evidence.tally()  # every status: a step that did not pass is no proof of passing
    all_pass = bool(counted) and all(
        status is Status.PASS for found in counted.values() for status, n in found.items() if n
    )
    mismatch = (
        feature.status.all_well
        and (tested is Readiness.BLOCKED or (tested is Readiness.AT_RISK and tests_at_risk))
    ) or (feature.status.in_trouble and all_pass)
    return FeatureReadiness(
        feature=feature,
        readiness=state,
        pass_rate=rate,
        series=series,
        blocking=blocking,
        failures=failures,
        reasons=tuple(reasons),
        mismatch=mismatch,
        projection=project(evidence, state, policy, now, series, accepted),
        tests=evidence.tests,
        strength=strength_of(feature, evidence),
        trouble=trouble,
        on_owners_word=on_owners_word,
        debt=debt,
    )


def missed_freeze(release: Release) -> str:
    """Say why a feature has missed its release's feature freeze."""
    return (
        f"not done by the feature freeze of {release.feature_freeze}: carry it to the next "
        "release, or grant it a freeze exception"
    )


@dataclass(frozen=True)
class FreezeView:
    """Days left to a release's milestones, from the `now` the caller passes."""

    release: Release
    days_to_feature_freeze: int
    days_to_code_freeze: int
    days_to_release: int
    phase: Phase


def freeze_view(release: Release, now: datetime) -> FreezeView:
    """Count the days from `now` to each milestone (negative once it has passed)."""
    today = now.date()
    return FreezeView(
        release,
        (release.feature_freeze - today).days,
        (release.code_freeze - today).days,
        (release.release - today).days,
        release.phase_at(now),
    )
