"""Every release, past ones too, and one release's page: its dates, its updates with their prose,
and its features as declared, each with its notes and the releases it was carried between."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from gate.read.release import ReleaseDates
from gate.readiness import Readiness
from gate.roadmap import Declared, Update, declared_by
from gate.store.roadmap import (
    carried_to,
    release_record,
    releases,
    roadmap_of,
    snapshot_states,
)


@dataclass(frozen=True)
class ReleaseLine:
    """One release in the list of releases."""

    release: ReleaseDates
    features: int  # declared by the moment shown
    updates: int  # written by then
    newest_update: datetime | None
    # How many features were in each readiness state at the feature freeze, as kept then (None
    # before the freeze, or when no flight after it was stored by then).
    at_feature_freeze: dict[Readiness, int] | None


@dataclass(frozen=True)
class ReleaseList:
    releases: tuple[ReleaseLine, ...]  # the latest release date first
    readiness_states: tuple[Readiness, ...] = Readiness.by_severity()


@dataclass(frozen=True)
class ReleaseFeature:
    """A feature of the release as declared at the moment shown."""

    slug: str
    title: str
    owners: tuple[str, ...]
    declared_status: Declared
    notes: str
    declared_at: datetime  # when the declaration in force was made
    carried_from: str | None
    carried_to: tuple[str, ...]


@dataclass(frozen=True)
class ReleasePage:
    """A release: its dates, the update in force and the earlier ones, and its features."""

    release: ReleaseDates
    update: Update | None  # the newest update written by the moment shown
    updates: tuple[Update, ...]  # every update written by then, newest first
    features: tuple[ReleaseFeature, ...]
    later_updates: int  # updates written after the moment shown: not shown


def release_list(session: Session, now: datetime) -> ReleaseList:
    """List every release that had an update by `now`, the latest release date first."""
    lines = []
    for record in releases(session):
        rel, features = roadmap_of(session, record)
        updates = [u for u in rel.updates if u.at <= now]
        if rel.updates and not updates:
            continue  # its roadmap was written after `now`
        counts = None
        if rel.milestone_moment("feature_freeze") <= now:
            kept = snapshot_states(session, record.id, "feature_freeze", now)
            if kept:
                tally = Counter(Readiness(state) for state in kept)
                counts = {state: tally[state] for state in Readiness.by_severity()}
        lines.append(
            ReleaseLine(
                ReleaseDates.of(rel, now),
                len(declared_by(features, now)),
                len(updates),
                updates[-1].at if updates else None,
                counts,
            )
        )
    return ReleaseList(tuple(lines))


def release_page(session: Session, now: datetime, name: str) -> ReleasePage:
    """Show a release as of `now`: the update in force, the earlier ones, and every feature as
    declared then (`UnknownRelease` when there is none of that name)."""
    record = release_record(session, name)
    rel, features = roadmap_of(session, record)
    written = [u for u in rel.updates if u.at <= now]
    onward = carried_to(session, rel.name)
    shown = []
    for feature in features:
        declared = feature.declared_at(now)
        if declared is None:
            continue
        shown.append(
            ReleaseFeature(
                slug=feature.slug,
                title=feature.title,
                owners=feature.owners,
                declared_status=declared.status,
                notes=declared.notes,
                declared_at=declared.at,
                carried_from=feature.carried_from,
                carried_to=tuple(onward.get(feature.slug, ())),
            )
        )
    return ReleasePage(
        release=ReleaseDates.of(rel, now),
        update=rel.update_at(now),
        updates=tuple(reversed(written)),
        features=tuple(shown),
        later_updates=len(rel.updates) - len(written),
    )
