"""Readiness over time: each feature's readiness as of every day of the release's cycle, and the
count of features in each state per day (a burn-down up to the freeze)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from gate.policy import Policy
from gate.read.features import ReleaseDates
from gate.read.readiness import Material, as_declared, flight_window
from gate.readiness import Readiness, judge_feature
from gate.store.roadmap import load_roadmap

CYCLE_DAYS = 366  # the most days a timeline shows, the newest ones


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


def end_of(day: date) -> datetime:
    """The moment a day's readiness is judged at: its end (the next midnight, UTC)."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def readiness_timeline(
    session: Session,
    policy: Policy,
    now: datetime,
    release: str | None = None,
    *,
    only: str | None = None,
) -> ReadinessTimeline:
    """Judge every feature (or the one named `only`) as of the end of each day of the cycle,
    up to `now`, each as it was declared that day, from flights loaded once."""
    rel, features = load_roadmap(session, release)
    if only is not None:
        features = [f for f in features if f.slug == only]
    declared = [change.at for f in features for change in f.history]
    first = min(declared, default=now).date()
    last = min(now.date(), rel.release)
    first = max(first, last - timedelta(days=CYCLE_DAYS - 1))
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    points = flight_window(session, rel.branch, policy, now, every=True)
    # The flights of every day's window: the cycle's, and the window before its first day.
    before = [p for p in points if days and p.at < end_of(days[0])]
    start = before[-policy.window_flights].number if len(before) >= policy.window_flights else 0
    points = [p for p in points if p.number >= start]
    material = Material.load(session, rel.branch, features, [p.number for p in points])
    timelines: dict[str, list[DayReadiness]] = {f.slug: [] for f in features}
    counts = []
    for day in days:
        moment = min(end_of(day), now)
        window = [p for p in points if p.at <= moment][-policy.window_flights :]
        ran_by = {p.number for p in points if p.at <= moment}
        tally: Counter[Readiness] = Counter()
        for feature in as_declared(features, moment):
            seen = [n for n in material.counts[feature.slug] if n in ran_by]

            def last_seen(seen: list[int] = seen) -> int | None:
                return max(seen, default=None)

            judged = judge_feature(
                feature, material.evidence(feature, window, last_seen), policy, moment
            )
            timelines[feature.slug].append(DayReadiness(day, judged.readiness, judged.pass_rate))
            tally[judged.readiness] += 1
        counts.append(DayCount(day, {state: tally[state] for state in Readiness.by_severity()}))
    return ReadinessTimeline(
        ReleaseDates.of(rel, now),
        tuple(FeatureTimeline(f.slug, f.title, tuple(timelines[f.slug])) for f in features),
        tuple(counts),
    )
