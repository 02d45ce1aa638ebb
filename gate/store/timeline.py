"""The kept readiness of every day of a release's cycle (`readiness_day`, with each day's counts
of each state in `readiness_count`) and which days it holds (`readiness_kept`): a cache of the
judgements that `gate.keep.days` works out and `gate.pages.timeline` reads.

A day's readiness depends only on the flights that had happened by its end and on the roadmap, so
the store forgets the days a change can alter: from the day of a stored, replaced, re-judged or
deleted flight on, for the releases of its branch; every day of every release when the roadmap
or the summaries change. `gate.keep.days.keep_days` judges the forgotten days again.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, delete, func, insert, select, update
from sqlalchemy.orm import Session

from gate.store.records import (
    BranchRecord,
    FlightRecord,
    ReadinessCountRecord,
    ReadinessDayRecord,
    ReadinessKeptRecord,
    ReleaseRecord,
    as_utc,
)

DAY = cast(Table, ReadinessDayRecord.__table__)
COUNT = cast(Table, ReadinessCountRecord.__table__)
KEPT = cast(Table, ReadinessKeptRecord.__table__)


@dataclass(frozen=True)
class Kept:
    """The days of a release that are kept, judged under `policy`: `first` to `through`."""

    release_id: int
    policy: str
    first: date | None
    through: date | None

    def holds(self, day: date, policy: str) -> bool:
        """Tell whether `day` is kept, as judged under `policy`."""
        return (
            self.policy == policy
            and self.first is not None
            and self.through is not None
            and self.first <= day <= self.through
        )


def first_day_seeing(moment: datetime) -> date:
    """Return the first day whose end a flight that happened at `moment` had happened by (a day
    ends at the next midnight, UTC, and a flight of that very moment counts)."""
    return (as_utc(moment).astimezone(UTC) - timedelta(microseconds=1)).date()


def start_keeping(session: Session, release_id: int) -> None:
    """Make a release's (empty) record of kept days, if it has none yet: when the release is
    made, so that two writers keeping its days later meet at the record's lock, not its key."""
    if session.get(ReadinessKeptRecord, release_id) is None:
        session.add(ReadinessKeptRecord(release_id=release_id, policy="", first=None, through=None))
        session.flush()


def kept(session: Session, release_id: int, *, lock: bool = False) -> Kept | None:
    """Return which days of a release are kept; with `lock`, hold its record until the commit, so
    that two writers keep its days one after the other."""
    query = select(ReadinessKeptRecord).where(ReadinessKeptRecord.release_id == release_id)
    record = session.scalars(query.with_for_update() if lock else query).first()
    if record is None:
        return None
    return Kept(record.release_id, record.policy, record.first, record.through)


def forget_days(
    session: Session, branch_id: int | None = None, moment: datetime | None = None
) -> None:
    """Forget the kept days that a change of the branch's flights at `moment` may alter (those
    from its day on); with no branch, every kept day of every release."""
    releases = select(ReleaseRecord.id)
    if branch_id is not None:
        releases = releases.join(BranchRecord, BranchRecord.name == ReleaseRecord.branch).where(
            BranchRecord.id == branch_id
        )
    ids = list(session.scalars(releases))
    if not ids:
        return
    if moment is None:
        for table in (DAY, COUNT):
            session.execute(delete(table).where(table.c.release_id.in_(ids)))
        session.execute(
            update(KEPT).where(KEPT.c.release_id.in_(ids)).values(first=None, through=None)
        )
        return
    day = first_day_seeing(moment)
    for table in (DAY, COUNT):
        session.execute(delete(table).where(table.c.release_id.in_(ids), table.c.day >= day))
    before = day - timedelta(days=1)
    session.execute(
        update(KEPT)
        .where(KEPT.c.release_id.in_(ids), KEPT.c.through > before)
        .values(through=before)
    )


def forget_flight_days(session: Session, number: int) -> None:
    """Forget the kept days that a stored flight shows evidence for (it is about to change)."""
    found = session.execute(
        select(
            FlightRecord.branch_id, func.coalesce(FlightRecord.started, FlightRecord.ingested)
        ).where(FlightRecord.id == number)
    ).first()
    if found is not None:
        forget_days(session, found[0], found[1])


def keep(
    session: Session,
    release_id: int,
    policy: str,
    first: date | None,
    through: date | None,
    start: date | None,
    rows: Iterable[tuple[date, str, str, float | None]],
) -> None:
    """Keep these (day, feature, readiness, pass rate) rows of a release in place of its kept
    days from `start` on (of all of them when `start` is None), and record that `first` to
    `through` are kept, judged under `policy`."""
    for table in (DAY, COUNT):
        gone = delete(table).where(table.c.release_id == release_id)
        session.execute(gone if start is None else gone.where(table.c.day >= start))
    kept_rows = list(rows)
    if kept_rows:
        session.execute(
            insert(DAY),
            [
                {"release_id": release_id, "day": d, "slug": f, "readiness": r, "pass_rate": p}
                for d, f, r, p in kept_rows
            ],
        )
        counts: dict[date, Counter[str]] = defaultdict(Counter)
        for day, _slug, state, _rate in kept_rows:
            counts[day][state] += 1
        session.execute(
            insert(COUNT),
            [
                {"release_id": release_id, "day": day, "counts": dict(sorted(found.items()))}
                for day, found in sorted(counts.items())
            ],
        )
    session.execute(
        update(KEPT)
        .where(KEPT.c.release_id == release_id)
        .values(policy=policy, first=first, through=through)
    )


def kept_days(
    session: Session, found: Kept, policy: str, first: date, last: date, slugs: Iterable[str]
) -> dict[str, dict[date, tuple[str, float | None]]]:
    """Read the kept readiness of these features from `first` to `last` (the days kept of them)."""
    wanted = sorted(set(slugs))
    days: dict[str, dict[date, tuple[str, float | None]]] = defaultdict(dict)
    if found.policy != policy or found.first is None or found.through is None or not wanted:
        return days
    query = select(DAY.c.slug, DAY.c.day, DAY.c.readiness, DAY.c.pass_rate).where(
        DAY.c.release_id == found.release_id,
        and_(DAY.c.day >= max(first, found.first), DAY.c.day <= min(last, found.through)),
        DAY.c.slug.in_(wanted),
    )
    for slug, day, state, rate in session.execute(query):
        days[slug][day] = (state, rate)
    return days


def kept_counts(
    session: Session, found: Kept, policy: str, first: date, last: date
) -> dict[date, dict[str, int]]:
    """Read the kept count of features in each readiness state on each day from `first` to
    `last` (the days kept)."""
    if found.policy != policy or found.first is None or found.through is None:
        return {}
    query = select(COUNT.c.day, COUNT.c.counts).where(
        COUNT.c.release_id == found.release_id,
        and_(COUNT.c.day >= max(first, found.first), COUNT.c.day <= min(last, found.through)),
    )
    return {day: counts for day, counts in session.execute(query)}
