"""The freeze, frozen: every feature's readiness kept at its release's feature and code freezes,
and a release's readiness as of any day beside today's.

A milestone's snapshot is taken when the first flight of the release's branch that started
after the milestone is stored (`freeze_due`), and taken again when a flight that started
before the milestone arrives later: so it is the readiness of the flights started by then,
whatever order they came in. A day that is no kept milestone is judged as of then from the
flights stored now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from gate.model import Flight
from gate.pages.readiness import readiness
from gate.policy import Policy
from gate.read.release import ReleaseDates
from gate.readiness import FeatureReadiness, Readiness
from gate.roadmap import Declared
from gate.store.flights import flight_span
from gate.store.records import ReleaseRecord, SnapshotRecord, as_utc
from gate.store.roadmap import release_of, release_record

MILESTONES = ("feature_freeze", "code_freeze")  # the milestones whose readiness is kept


def freeze_due(
    session: Session, policy: Policy, taken: datetime, *, arrived: Flight | None = None
) -> list[tuple[str, str]]:
    """Keep the snapshots of the milestones that a stored flight has passed and that have none
    yet, and take again those that `arrived` (a flight just stored) started before; return the
    (release, milestone) pairs kept now."""
    kept = []
    for record in session.scalars(select(ReleaseRecord).order_by(ReleaseRecord.id)):
        release = release_of(record)
        span = flight_span(session, release.branch)
        for milestone in MILESTONES:
            moment = release.milestone_moment(milestone)
            if span is None or span[1] < moment:
                continue
            done = session.scalar(
                select(func.count())
                .select_from(SnapshotRecord)
                .where(
                    SnapshotRecord.release_id == record.id, SnapshotRecord.milestone == milestone
                )
            )
            if done and not _before(arrived, release.branch, moment):
                continue
            if done:  # a flight of before the milestone came late: what it says counts
                session.execute(
                    delete(SnapshotRecord).where(
                        SnapshotRecord.release_id == record.id,
                        SnapshotRecord.milestone == milestone,
                    )
                )
            _rel, judged = readiness(session, policy, moment, release.name)
            session.add_all(
                SnapshotRecord(
                    release_id=record.id,
                    milestone=milestone,
                    slug=j.feature.slug,
                    at=moment,
                    taken=taken,
                    title=j.feature.title,
                    declared=j.feature.status.value,
                    readiness=j.readiness.value,
                    pass_rate=j.pass_rate,
                    reasons=list(j.reasons),
                )
                for j in judged
            )
            session.flush()
            kept.append((release.name, milestone))
    return kept


def _before(flight: Flight | None, branch: str, moment: datetime) -> bool:
    """Tell whether a flight of the branch started before a moment."""
    return (
        flight is not None
        and flight.branch == branch
        and flight.started is not None
        and as_utc(flight.started) < moment
    )


@dataclass(frozen=True)
class Seen:
    """A feature's readiness at one moment."""

    declared: Declared
    readiness: Readiness
    pass_rate: float | None
    reason: str

    @classmethod
    def of(cls, judged: FeatureReadiness) -> Seen:
        return cls(
            judged.feature.status,
            judged.readiness,
            judged.pass_rate,
            judged.reasons[0] if judged.reasons else "",
        )


@dataclass(frozen=True)
class SideBySide:
    """A feature then and now; `then` is None for a feature added since."""

    slug: str
    title: str
    then: Seen | None
    now: Seen | None

    @property
    def changed(self) -> bool:
        """Tell whether its readiness then and now differ (or it was added or removed)."""
        then = self.then.readiness if self.then else None
        now = self.now.readiness if self.now else None
        return then != now


@dataclass(frozen=True)
class FrozenView:
    """A release as of a day (kept: the snapshot of the milestone of that day) beside today."""

    release: ReleaseDates
    day: date
    at: datetime
    milestone: str | None
    kept: bool  # read from a snapshot, not judged now
    taken: datetime | None
    features: tuple[SideBySide, ...]
    changed: int
    ahead: bool = False  # the day is after the moment shown: nothing is known of it yet


def frozen_view(
    session: Session, policy: Policy, now: datetime, name: str, day: date
) -> FrozenView:
    """A release as of `day`: its kept snapshot when the day is a milestone that has one, else
    its readiness judged as of then; beside it, its readiness as of `now`."""
    record = release_record(session, name)
    release = release_of(record)
    milestone = next((m for m in MILESTONES if getattr(release, m) == day), None)
    at = datetime.combine(day, time(), tzinfo=UTC)
    if at > now:  # a moment after the one shown: it has not happened yet
        _rel, current = readiness(session, policy, now, name)
        ahead = tuple(
            SideBySide(j.feature.slug, j.feature.title, None, Seen.of(j)) for j in current
        )
        return FrozenView(
            ReleaseDates.of(release, now), day, at, milestone, False, None, ahead, 0, ahead=True
        )
    rows = (
        session.scalars(
            select(SnapshotRecord).where(
                SnapshotRecord.release_id == record.id, SnapshotRecord.milestone == milestone
            )
        ).all()
        if milestone
        else []
    )
    then: dict[str, tuple[str, Seen]] = {}
    if rows:
        for row in rows:
            reason = row.reasons[0] if row.reasons else ""
            seen = Seen(Declared(row.declared), Readiness(row.readiness), row.pass_rate, reason)
            then[row.slug] = (row.title, seen)
    else:
        _rel, judged = readiness(session, policy, at, name)
        then = {j.feature.slug: (j.feature.title, Seen.of(j)) for j in judged}
    _rel, current = readiness(session, policy, now, name)
    today = {j.feature.slug: (j.feature.title, Seen.of(j)) for j in current}
    slugs = [*then, *(s for s in today if s not in then)]
    features = tuple(
        SideBySide(
            slug,
            (today.get(slug) or then[slug])[0],
            then[slug][1] if slug in then else None,
            today[slug][1] if slug in today else None,
        )
        for slug in slugs
    )
    return FrozenView(
        ReleaseDates.of(release, now),
        day,
        at,
        milestone,
        bool(rows),
        as_utc(rows[0].taken) if rows else None,
        features,
        sum(f.changed for f in features),
    )
