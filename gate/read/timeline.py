"""Readiness over time: each feature's readiness as of every day of the release's cycle, and the
count of features in each state per day (a burn-down up to the freeze).

A day's readiness is the feature's readiness as judged at the end of that day (`readiness` at
that moment): over the newest evidence flights that had happened by then, as it was declared
then. The days up to the branch's newest stored flight are judged once and kept
(`gate.store.timeline`, by `gate.keep.days.keep_days` whenever flights or the roadmap change).
The pages (`gate.pages.timeline`) read the kept days and judge only the rest: the current day,
and the days after the newest flight, which all share one window of flights. This module holds
the values and the pure steps of that work.
"""

from __future__ import annotations

import hashlib
import heapq
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from gate.acceptance import Acceptance, in_force
from gate.policy import Policy
from gate.read.readiness import Material
from gate.read.release import ReleaseDates
from gate.readiness import RULES, FlightPoint, Readiness, judge_feature
from gate.roadmap import Feature, Release
from gate.store.timeline import Kept

# A feature's readiness as of one day, and its pass rate; None before it was declared.
Judged = tuple[Readiness, float | None] | None
CYCLE_DAYS = 366  # the most days of a release's cycle: the year up to its release day


@dataclass(frozen=True)
class DayReadiness:
    """A feature as of the end of one day."""

    day: date
    readiness: Readiness
    pass_rate: float | None


@dataclass(frozen=True)
class FeatureTimeline:
    slug: str
    title: str
    days: tuple[DayReadiness, ...]


@dataclass(frozen=True)
class DayCount:
    """How many features were in each readiness state as of the end of one day."""

    day: date
    counts: dict[Readiness, int]


@dataclass(frozen=True)
class ReadinessTimeline:
    """Every day of the cycle from the roadmap's first declaration to today (or the release)."""

    release: ReleaseDates
    features: tuple[FeatureTimeline, ...]
    days: tuple[DayCount, ...]
    readiness_states: tuple[Readiness, ...] = Readiness.by_severity()


@dataclass(frozen=True)
class BurnDown:
    """The count of features in each readiness state on every day of the cycle so far."""

    release: ReleaseDates
    days: tuple[DayCount, ...]
    readiness_states: tuple[Readiness, ...] = Readiness.by_severity()


def end_of(day: date) -> datetime:
    """The moment a day's readiness is judged at: its end (the next midnight, UTC)."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def policy_key(policy: Policy) -> str:
    """Name the policy and the rules that kept days were judged under: another policy, or a
    pushgate whose readiness rules changed (`gate.readiness.RULES`), judges them anew."""
    return hashlib.sha256(f"{RULES} {policy!r}".encode()).hexdigest()[:32]


def first_day(
    rel: Release, features: Sequence[Feature], span: tuple[datetime, datetime] | None
) -> date | None:
    """The cycle's first day: that of the roadmap's first declaration or of the branch's first
    flight (`span`, from `flight_span`), whichever is earlier (a roadmap imported late still
    says what was planned), but no more than CYCLE_DAYS before the release."""
    starts = [change.at.date() for f in features for change in f.history]
    if span is not None and features:
        starts.append(span[0].date())
    if not starts:
        return None
    return max(min(starts), rel.release - timedelta(days=CYCLE_DAYS - 1))


def cycle_days(
    rel: Release,
    features: Sequence[Feature],
    span: tuple[datetime, datetime] | None,
    now: datetime,
) -> list[date]:
    """The days a timeline shows: from the cycle's first day to today or the release."""
    first = first_day(rel, features, span)
    return days_from(first, min(now.date(), rel.release)) if first is not None else []


def days_from(first: date, last: date) -> list[date]:
    """Every day from `first` to `last`."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def day_windows(
    points: Sequence[FlightPoint], moments: Sequence[datetime], size: int
) -> tuple[list[datetime], dict[int, tuple[FlightPoint, ...]]]:
    """Return when each of these flights happened, in order, and each day's window keyed by how
    many of them had happened by its moment: the newest `size` (by number) of those, kept in
    a heap as the days go by."""
    by_time = sorted(points, key=lambda p: (p.at, p.number))
    times = [p.at for p in by_time]
    windows: dict[int, tuple[FlightPoint, ...]] = {0: ()}
    newest: list[tuple[int, FlightPoint]] = []
    taken = 0
    for moment in moments:
        seen = bisect_right(times, moment)
        if seen in windows:
            continue
        for point in by_time[taken:seen]:
            heapq.heappush(newest, (point.number, point))
            if len(newest) > size:
                heapq.heappop(newest)
        taken = seen
        windows[seen] = tuple(point for _n, point in sorted(newest))
    return times, windows


def judge_on(
    policy: Policy,
    rel: Release,
    features: Sequence[Feature],
    moments: Sequence[datetime],
    times: Sequence[datetime],
    windows: Mapping[int, tuple[FlightPoint, ...]],
    every: Sequence[datetime],
    loaded: Material,
    last_ran: Callable[[list[int], datetime], int | None],
    accepted: Sequence[Acceptance] = (),
) -> dict[str, list[Judged]]:
    """Judge each feature at each moment over its window (`day_windows`), as declared then;
    `every` is when each of the branch's flights of any blessing happened (a feature's last run
    counts them all), `last_ran(test_ids, moment)` is asked only when no linked step ran in a
    window; `accepted` holds every version of the release's acceptances (`gate.acceptance`).
    Moments that see the same flights, declaration and acceptances share one judgement."""
    judged: dict[str, list[Judged]] = {f.slug: [] for f in features}
    memo: dict[
        tuple[str, str, str, str, int, int, frozenset[Acceptance]], tuple[Readiness, float | None]
    ] = {}
    for moment in moments:
        seen, ran = bisect_right(times, moment), bisect_right(every, moment)
        phase = rel.phase_at(moment)
        holding = in_force(accepted, moment)
        held = frozenset(holding.values())
        for feature in features:
            as_then = feature.as_of(moment)
            if as_then is None:  # not declared yet: no judgement that day
                judged[feature.slug].append(None)
                continue
            key = (
                feature.slug,
                as_then.status.value,
                as_then.exception,
                phase.value,
                seen,
                ran,
                held,
            )
            if key not in memo:
                ids = loaded.linked[feature.slug]

                def last_seen(ids: list[int] = ids, moment: datetime = moment) -> int | None:
                    return last_ran(ids, moment)

                evidence = loaded.evidence(as_then, windows[seen], last_seen)
                found = judge_feature(as_then, evidence, policy, moment, rel, holding)
                memo[key] = (found.readiness, found.pass_rate)
            judged[feature.slug].append(memo[key])
    return judged


@dataclass(frozen=True)
class Cycle:
    """What the readers start from: a release's features (all, or one), the days of its cycle
    up to `now`, those of them kept under the policy, and when its flights by `now` happened."""

    rel: Release
    features: list[Feature]
    days: list[date]
    found: Kept | None
    held: list[date]  # the days kept, each over by `now`
    span: tuple[datetime, datetime] | None
    policy: str


def declared_on(feature: Feature, day: date) -> bool:
    """Tell whether a feature had been declared by the end of a day."""
    return feature.declared_at(end_of(day)) is not None


def merge_judged(
    cycle: Cycle,
    missing: Sequence[date],
    fresh: Mapping[str, list[Judged]],
    stored: Mapping[str, Mapping[date, tuple[str, float | None]]],
) -> dict[str, list[Judged]]:
    """Return each feature's readiness on each day of the cycle: judged afresh on the `missing`
    days, read from the `stored` ones on the others."""
    judged: dict[str, list[Judged]] = {}
    for feature in cycle.features:
        by_day = dict(zip(missing, fresh[feature.slug], strict=True))
        kept_of = stored.get(feature.slug, {})
        judged[feature.slug] = [
            by_day[day]
            if day in by_day
            else (Readiness(kept_of[day][0]), kept_of[day][1])
            if day in kept_of
            else None
            for day in cycle.days
        ]
    return judged


def timeline_of(
    cycle: Cycle, judged: Mapping[str, list[Judged]], now: datetime
) -> ReadinessTimeline:
    """Shape each feature's days and the day's counts of each state into the timeline."""
    features, days = cycle.features, cycle.days
    counts = []
    for n, day in enumerate(days):
        tally = Counter(found[0] for f in features if (found := judged[f.slug][n]) is not None)
        counts.append(DayCount(day, {state: tally[state] for state in Readiness.by_severity()}))
    return ReadinessTimeline(
        ReleaseDates.of(cycle.rel, now),
        tuple(
            FeatureTimeline(
                f.slug,
                f.title,
                tuple(
                    DayReadiness(day, found[0], found[1])
                    for day, found in zip(days, judged[f.slug], strict=True)
                    if found is not None
                ),
            )
            for f in features
        ),
        tuple(counts),
        Readiness.in_phase(cycle.rel.phase_at(now)),
    )


def burn_down_of(
    cycle: Cycle,
    held: set[date],
    stored: Mapping[date, Mapping[str, int]],
    missing: Sequence[date],
    fresh: Mapping[str, list[Judged]],
    now: datetime,
) -> BurnDown:
    """Count the features in each state each day: the `held` days from the `stored` counts,
    the `missing` ones from their `fresh` judgements."""
    at = {day: n for n, day in enumerate(missing)}
    counts = []
    for day in cycle.days:
        if day in held:
            tally = Counter({Readiness(state): n for state, n in stored.get(day, {}).items()})
        else:
            tally = Counter(
                found[0] for f in cycle.features if (found := fresh[f.slug][at[day]]) is not None
            )
        counts.append(DayCount(day, {state: tally[state] for state in Readiness.by_severity()}))
    return BurnDown(
        ReleaseDates.of(cycle.rel, now), tuple(counts), Readiness.in_phase(cycle.rel.phase_at(now))
    )


@dataclass(frozen=True)
class DayChange:
    """A feature whose readiness at the end of a day differs from the day before's."""

    slug: str
    title: str
    day: date
    before: Readiness
    after: Readiness


def day_changes(features: Iterable[FeatureTimeline]) -> list[DayChange]:
    """Return each change of a feature's readiness from one day to the next, in day order: the
    feed's readiness events (a feature's first judged day is no change)."""
    found = [
        DayChange(f.slug, f.title, today.day, yesterday.readiness, today.readiness)
        for f in features
        for yesterday, today in zip(f.days, f.days[1:], strict=False)
        if today.readiness is not yesterday.readiness
    ]
    return sorted(found, key=lambda c: (c.day, c.slug))
