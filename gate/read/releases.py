"""Every release, past ones too, and one release's page: its dates, its updates with their prose,
and its features as declared, each with its notes and the releases it was carried between."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from gate.read.release import ReleaseDates
from gate.readiness import Readiness
from gate.roadmap import Declared, Feature, Release, Update, declared_by


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


def release_list_of(
    roadmaps: Iterable[tuple[Release, Sequence[Feature]]],
    at_feature_freeze: Mapping[str, Sequence[str]],
    now: datetime,
) -> ReleaseList:
    """List every release that had an update by `now`, in the order given (the latest release
    date first), from each one's roadmap and the readiness kept at its feature freeze, by name."""
    lines = (
        release_line(rel, features, at_feature_freeze.get(rel.name, ()), now)
        for rel, features in roadmaps
    )
    return ReleaseList(tuple(line for line in lines if line is not None))


def release_line(
    rel: Release, features: Sequence[Feature], at_feature_freeze: Sequence[str], now: datetime
) -> ReleaseLine | None:
    """Return a release as the list shows it at `now`, counting the readiness kept at its
    feature freeze once the freeze has passed; None when its roadmap was written after `now`."""
    updates = [u for u in rel.updates if u.at <= now]
    if rel.updates and not updates:
        return None
    counts = None
    if rel.milestone_moment("feature_freeze") <= now and at_feature_freeze:
        tally = Counter(Readiness(state) for state in at_feature_freeze)
        counts = {state: tally[state] for state in Readiness.by_severity()}
    return ReleaseLine(
        ReleaseDates.of(rel, now),
        len(declared_by(features, now)),
        len(updates),
        updates[-1].at if updates else None,
        counts,
    )


def release_page_of(
    rel: Release, features: Iterable[Feature], carried: Mapping[str, Sequence[str]], now: datetime
) -> ReleasePage:
    """Show a release as of `now`: the update in force, the earlier ones, and every feature as
    declared then, each with the releases that carried it on (`carried`, by slug)."""
    written = [u for u in rel.updates if u.at <= now]
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
                carried_to=tuple(carried.get(feature.slug, ())),
            )
        )
    return ReleasePage(
        release=ReleaseDates.of(rel, now),
        update=rel.update_at(now),
        updates=tuple(reversed(written)),
        features=tuple(shown),
        later_updates=len(rel.updates) - len(written),
    )
