"""Readiness over time, as the pages and the day-by-day command read it: the kept days read,
the others judged (`gate.read.timeline` has the values and the pure steps)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from gate.pages.readiness import readiness
from gate.policy import Policy
from gate.read.timeline import (
    BurnDown,
    Cycle,
    Judged,
    ReadinessTimeline,
    burn_down_of,
    cycle_days,
    day_windows,
    declared_on,
    end_of,
    judge_on,
    merge_judged,
    policy_key,
    timeline_of,
)
from gate.readiness import FeatureReadiness
from gate.roadmap import Feature, Release
from gate.store.acceptance import acceptances
from gate.store.flights import flight_span
from gate.store.readiness import flight_moments, flight_window, last_ran, material
from gate.store.roadmap import release_of, release_record, roadmap_of
from gate.store.timeline import kept, kept_counts, kept_days


def judge_days(
    session: Session,
    policy: Policy,
    rel: Release,
    features: Sequence[Feature],
    days: Sequence[date],
    now: datetime,
) -> dict[str, list[Judged]]:
    """Judge each feature as of the end of each of these days (no later than `now`), as
    `readiness` would at that moment, from the flights loaded once.

    Days that see the same flights and the same declaration share one judgement."""
    if not days or not features:
        return {f.slug: [] for f in features}
    moments = [min(end_of(day), now) for day in days]
    # Every day's window holds flights numbered at least as high as the first day's lowest:
    # the flights that happen later only push the window up.
    first = flight_window(session, rel.branch, policy, moments[0])
    lowest = first[0].number if len(first) >= policy.window_flights else 0
    points = flight_window(session, rel.branch, policy, moments[-1], every=True, since=lowest)
    times, windows = day_windows(points, moments, policy.window_flights)
    # The flights of any blessing that happened since the first day: a feature's last run
    # counts them all, and two days between which none happened see the same last runs.
    every = flight_moments(session, rel.branch, moments[0], moments[-1])
    wanted = sorted({p.number for window in windows.values() for p in window})
    loaded = material(session, rel.branch, features, wanted)

    def ran(ids: list[int], moment: datetime) -> int | None:
        return last_ran(session, rel.branch, ids, moment)

    accepted = acceptances(session, rel.name)
    return judge_on(policy, rel, features, moments, times, windows, every, loaded, ran, accepted)


def read_cycle(
    session: Session,
    policy: Policy,
    now: datetime,
    release: str | None,
    only: str | None,
    today: Sequence[FeatureReadiness],
) -> Cycle:
    """Read what a reader starts from. The cycle is the whole roadmap's, even for one feature;
    the features are those of `today` when the caller has judged them all (each keeps its
    status history), else the roadmap's."""
    record = release_record(session, release)
    if today and only is None:
        rel, every = release_of(record), [j.feature for j in today]
    else:
        rel, every = roadmap_of(session, record)
    features = every if only is None else [f for f in every if f.slug == only]
    span = flight_span(session, rel.branch, now)
    days = cycle_days(rel, every, span, now)
    found = kept(session, record.id)
    key = policy_key(policy)
    held = [d for d in days if found is not None and end_of(d) <= now and found.holds(d, key)]
    return Cycle(rel, features, days, found, held, span, key)


def _judged(
    session: Session,
    policy: Policy,
    cycle: Cycle,
    now: datetime,
    today: Sequence[FeatureReadiness],
) -> dict[str, list[Judged]]:
    """Each feature's readiness on each day of the cycle: the kept ones read, the others judged
    (the current day, the days after the newest flight, any day not kept under this policy)."""
    features, held = cycle.features, cycle.held
    stored = (
        kept_days(session, cycle.found, cycle.policy, held[0], held[-1], (f.slug for f in features))
        if cycle.found is not None and held
        else {}
    )
    held_set = {
        d for d in held if all(d in stored.get(f.slug, {}) for f in features if declared_on(f, d))
    }
    missing = [d for d in cycle.days if d not in held_set]
    fresh = _fresh(session, policy, cycle, missing, now, today)
    return merge_judged(cycle, missing, fresh, stored)


def _fresh(
    session: Session,
    policy: Policy,
    cycle: Cycle,
    days: Sequence[date],
    now: datetime,
    today: Sequence[FeatureReadiness],
) -> dict[str, list[Judged]]:
    """Judge each feature on these days (not kept): a day that sees the flights `now` sees,
    with a feature declared as it is now, takes its judgement at `now` from `today` when the
    caller has it; the other days are judged (`judge_days`)."""
    features = cycle.features
    judged: dict[str, list[Judged]] = {f.slug: [] for f in features}
    known = {j.feature.slug: (j.readiness, j.pass_rate) for j in today}

    def as_now(day: date) -> bool:
        moment = min(end_of(day), now)
        return (cycle.span is None or cycle.span[1] <= moment) and all(
            f.slug in known and f.declared_at(moment) == f.declared_at(now) for f in features
        )

    same = {day for day in days if known and as_now(day)}
    rest = [day for day in days if day not in same]
    others = judge_days(session, policy, cycle.rel, features, rest, now)
    at = {day: n for n, day in enumerate(rest)}
    for feature in features:
        judged[feature.slug] = [
            known[feature.slug] if day in same else others[feature.slug][at[day]] for day in days
        ]
    return judged


def readiness_timeline(
    session: Session,
    policy: Policy,
    now: datetime,
    release: str | None = None,
    *,
    only: str | None = None,
    today: Sequence[FeatureReadiness] = (),
) -> ReadinessTimeline:
    """Read every feature's (or the one named `only`) readiness as of the end of each day of
    the cycle up to `now`, each as it was declared that day; `today` (the features shown, judged
    at `now`, when the caller has them) spares judging them again."""
    cycle = read_cycle(session, policy, now, release, only, today)
    return timeline_of(cycle, _judged(session, policy, cycle, now, today), now)


def burn_down(
    session: Session,
    policy: Policy,
    now: datetime,
    release: str | None = None,
    *,
    today: Sequence[FeatureReadiness] = (),
) -> BurnDown:
    """Count the features in each readiness state on each day of the cycle up to `now`: the kept
    days counted in the store, the others judged (`today` as in `readiness_timeline`)."""
    cycle = read_cycle(session, policy, now, release, None, today)
    held, features = cycle.held, cycle.features
    stored = (
        kept_counts(session, cycle.found, cycle.policy, held[0], held[-1])
        if cycle.found is not None and held
        else {}
    )
    # A day is read from the store when every feature of the roadmap is kept on it.
    held_set = {
        d
        for d in held
        if sum(stored.get(d, {}).values()) == sum(1 for f in features if declared_on(f, d))
    }
    missing = [d for d in cycle.days if d not in held_set]
    fresh = _fresh(session, policy, cycle, missing, now, today)
    return burn_down_of(cycle, held_set, stored, missing, fresh, now)


def release_readiness(
    session: Session,
    policy: Policy,
    now: datetime,
    release: str | None = None,
    *,
    feature: str | None = None,
) -> ReadinessTimeline:
    """The readiness page's model (its twin's, the day-by-day command's): how many features were
    in each state on each day, and with `feature` that feature's readiness each day (every
    feature's is on its own page)."""
    _rel, today = readiness(session, policy, now, release)  # judged once, for both readers
    counts = burn_down(session, policy, now, release, today=today)
    if feature is None:
        return ReadinessTimeline(counts.release, (), counts.days, counts.readiness_states)
    chosen = [j for j in today if j.feature.slug == feature]
    one = readiness_timeline(session, policy, now, release, only=feature, today=chosen)
    return ReadinessTimeline(counts.release, one.features, counts.days, counts.readiness_states)
