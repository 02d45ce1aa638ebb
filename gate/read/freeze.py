"""The freeze, frozen: every feature's readiness kept at its release's feature and code freezes,
and a release's readiness as of any day beside today's.

A milestone's snapshot is taken when the first flight of the release's branch that started
after the milestone is stored (`gate.keep.freeze.freeze_due`), and taken again when a flight
that started before the milestone arrives later: so it is the readiness of the flights started
by then, whatever order they came in. A day that is no kept milestone is judged as of then from
the flights stored now (`gate.pages.freeze`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from gate.read.release import ReleaseDates
from gate.readiness import FeatureReadiness, Readiness
from gate.roadmap import Declared, Release

MILESTONES = ("feature_freeze", "code_freeze")  # the milestones whose readiness is kept


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


@dataclass(frozen=True)
class Snapshot:
    """A milestone's kept readiness: when it was taken, and each feature's title and state."""

    taken: datetime
    features: Mapping[str, tuple[str, Seen]]


def milestone_of(release: Release, day: date) -> str | None:
    """Return the kept milestone that falls on a day, if one does."""
    return next((m for m in MILESTONES if getattr(release, m) == day), None)


def start_of(day: date) -> datetime:
    """Return the moment a day begins (UTC): the moment a view of that day is as of."""
    return datetime.combine(day, time(), tzinfo=UTC)


def seen_by_slug(judged: Sequence[FeatureReadiness]) -> dict[str, tuple[str, Seen]]:
    """Return each judged feature's title and readiness, by slug."""
    return {j.feature.slug: (j.feature.title, Seen.of(j)) for j in judged}


def frozen_ahead(
    release: Release, day: date, now: datetime, current: Sequence[FeatureReadiness]
) -> FrozenView:
    """A day after the moment shown: nothing is known of it yet, beside today."""
    ahead = tuple(SideBySide(j.feature.slug, j.feature.title, None, Seen.of(j)) for j in current)
    return FrozenView(
        ReleaseDates.of(release, now),
        day,
        start_of(day),
        milestone_of(release, day),
        False,
        None,
        ahead,
        0,
        ahead=True,
    )


def frozen(
    release: Release,
    day: date,
    now: datetime,
    then: Mapping[str, tuple[str, Seen]],
    today: Mapping[str, tuple[str, Seen]],
    kept: Snapshot | None,
) -> FrozenView:
    """A release as of `day` (`then`: its kept snapshot, or its readiness judged as of then)
    beside its readiness as of `now` (`today`); features added since come last."""
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
        start_of(day),
        milestone_of(release, day),
        kept is not None,
        kept.taken if kept else None,
        features,
        sum(f.changed for f in features),
    )
