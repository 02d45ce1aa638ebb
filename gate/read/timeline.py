"""Readiness over time: each feature's readiness as of every day of the release's cycle, and the
count of features in each state per day (a burn-down up to the freeze).

A day's readiness is the feature's readiness as judged at the end of that day (`readiness` at
that moment): over the newest evidence flights that had happened by then, as it was declared
then. The days up to the branch's newest stored flight are judged once and kept
(`gate.store.timeline`); `keep_days` judges those the store forgot, and is called by whatever
stores flights or the roadmap. The pages read the kept days and judge only the rest: the
current day, and the days after the newest flight, which all share one window of flights.
"""

from __future__ import annotations

import hashlib
import heapq
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gate.pages.readiness import readiness
from gate.policy import Policy
from gate.read.release import ReleaseDates
from gate.readiness import RULES, FeatureReadiness, FlightPoint, Readiness, judge_feature
from gate.roadmap import Feature, Release
from gate.store.flights import flight_span, happened_by
from gate.store.readiness import flight_window, last_ran, material
from gate.store.records import BranchRecord, FlightRecord, ReleaseRecord, as_utc
from gate.store.roadmap import release_of, release_record, roadmap_of
from gate.store.timeline import Kept, keep, kept, kept_counts, kept_days, start_keeping

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


def _first_day(
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


def _cycle(
    rel: Release,
    features: Sequence[Feature],
    span: tuple[datetime, datetime] | None,
    now: datetime,
) -> list[date]:
    """The days a timeline shows: from the cycle's first day to today or the release."""
    first = _first_day(rel, features, span)
    return _days(first, min(now.date(), rel.release)) if first is not None else []


def _days(first: date, last: date) -> list[date]:
    """Every day from `first` to `last`."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


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
    judged: dict[str, list[Judged]] = {f.slug: [] for f in features}
    if not days or not features:
        return judged
    moments = [min(end_of(day), now) for day in days]
    # Every day's window holds flights numbered at least as high as the first day's lowest:
    # the flights that happen later only push the window up.
    first = flight_window(session, rel.branch, policy, moments[0])
    lowest = first[0].number if len(first) >= policy.window_flights else 0
    points = flight_window(session, rel.branch, policy, moments[-1], every=True, since=lowest)
    by_time = sorted(points, key=lambda p: (p.at, p.number))
    times = [p.at for p in by_time]
    # The flights of any blessing that happened since the first day: a feature's last run
    # counts them all, and two days between which none happened see the same last runs.
    at = func.coalesce(FlightRecord.started, FlightRecord.ingested)
    every = sorted(
        as_utc(moment)
        for moment in session.scalars(
            select(at)
            .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
            .where(BranchRecord.name == rel.branch, at > moments[0], happened_by(moments[-1]))
        )
    )
    # Each day's window: the newest (by number) of the flights that had happened by its end,
    # kept in a heap as the days go by.
    windows: dict[int, tuple[FlightPoint, ...]] = {0: ()}
    newest: list[tuple[int, FlightPoint]] = []
    taken = 0
    for moment in moments:
        seen = bisect_right(times, moment)
        if seen in windows:
            continue
        for point in by_time[taken:seen]:
            heapq.heappush(newest, (point.number, point))
            if len(newest) > policy.window_flights:
                heapq.heappop(newest)
        taken = seen
        windows[seen] = tuple(point for _n, point in sorted(newest))
    wanted = sorted({p.number for window in windows.values() for p in window})
    loaded = material(session, rel.branch, features, wanted)
    memo: dict[tuple[str, str, str, str, int, int], tuple[Readiness, float | None]] = {}
    for moment in moments:
        seen, ran = bisect_right(times, moment), bisect_right(every, moment)
        phase = rel.phase_at(moment)
        for feature in features:
            as_then = feature.as_of(moment)
            if as_then is None:  # not declared yet: no judgement that day
                judged[feature.slug].append(None)
                continue
            key = (feature.slug, as_then.status.value, as_then.exception, phase.value, seen, ran)
            if key not in memo:
                ids = loaded.linked[feature.slug]

                def last_seen(ids: list[int] = ids, moment: datetime = moment) -> int | None:
                    return last_ran(session, rel.branch, ids, moment)

                evidence = loaded.evidence(as_then, windows[seen], last_seen)
                found = judge_feature(as_then, evidence, policy, moment, rel)
                memo[key] = (found.readiness, found.pass_rate)
            judged[feature.slug].append(memo[key])
    return judged


def keep_days(session: Session, policy: Policy) -> int:
    """Judge and keep the days of every release that the store does not keep, up to the day of
    its branch's newest stored flight; return how many days were judged."""
    judged = 0
    key = policy_key(policy)
    for record in session.scalars(select(ReleaseRecord).order_by(ReleaseRecord.id)).all():
        start_keeping(session, record.id)
        found = kept(session, record.id, lock=True)
        assert found is not None
        span = flight_span(session, record.branch)
        through = min(span[1].date(), record.release_date) if span is not None else None
        if found.policy == key and found.first is not None and found.through == through:
            continue  # every day is kept (the roadmap's changes forget the first)
        rel, features = roadmap_of(session, record)
        first = _first_day(rel, features, span)
        if first is None or through is None or through < first:
            keep(session, record.id, key, first, None, None, ())
            continue
        if found.policy == key and found.first == first and found.through is not None:
            start: date | None = max(first, found.through + timedelta(days=1))
        else:
            start = None  # every day judged anew
        if start is not None and start > through:
            continue
        days = _days(start or first, through)
        states = judge_days(session, policy, rel, features, days, end_of(through))
        keep(
            session,
            record.id,
            key,
            first,
            through,
            start,
            (
                (day, slug, state.value, rate)
                for slug, row in states.items()
                for day, found in zip(days, row, strict=True)
                if found is not None
                for state, rate in (found,)
            ),
        )
        judged += len(days)
    return judged


@dataclass(frozen=True)
class _Cycle:
    """What the readers start from: a release's features (all, or one), the days of its cycle
    up to `now`, those of them kept under the policy, and when its flights by `now` happened."""

    rel: Release
    features: list[Feature]
    days: list[date]
    found: Kept | None
    held: list[date]  # the days kept, each over by `now`
    span: tuple[datetime, datetime] | None
    policy: str


def _read_cycle(
    session: Session,
    policy: Policy,
    now: datetime,
    release: str | None,
    only: str | None,
    today: Sequence[FeatureReadiness],
) -> _Cycle:
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
    days = _cycle(rel, every, span, now)
    found = kept(session, record.id)
    key = policy_key(policy)
    held = [d for d in days if found is not None and end_of(d) <= now and found.holds(d, key)]
    return _Cycle(rel, features, days, found, held, span, key)


def _judged(
    session: Session,
    policy: Policy,
    cycle: _Cycle,
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
    judged: dict[str, list[Judged]] = {}
    for feature in features:
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


def declared_on(feature: Feature, day: date) -> bool:
    """Tell whether a feature had been declared by the end of a day."""
    return feature.declared_at(end_of(day)) is not None


def _fresh(
    session: Session,
    policy: Policy,
    cycle: _Cycle,
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
    cycle = _read_cycle(session, policy, now, release, only, today)
    features, days = cycle.features, cycle.days
    judged = _judged(session, policy, cycle, now, today)
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
    cycle = _read_cycle(session, policy, now, release, None, today)
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
    at = {day: n for n, day in enumerate(missing)}
    counts = []
    for day in cycle.days:
        if day in held_set:
            tally = Counter({Readiness(state): n for state, n in stored.get(day, {}).items()})
        else:
            tally = Counter(
                found[0] for f in features if (found := fresh[f.slug][at[day]]) is not None
            )
        counts.append(DayCount(day, {state: tally[state] for state in Readiness.by_severity()}))
    return BurnDown(
        ReleaseDates.of(cycle.rel, now), tuple(counts), Readiness.in_phase(cycle.rel.phase_at(now))
    )


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
