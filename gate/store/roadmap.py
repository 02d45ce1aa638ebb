"""Releases and features in the store, and the evidence that feature readiness is judged from."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gate.roadmap import Declaration, Declared, Feature, Release, TestPattern, Update
from gate.roadmap_import import ImportPlan, RoadmapUpdate, plan_import
from gate.store.records import (
    DeclarationRecord,
    FeatureRecord,
    ReleaseRecord,
    SnapshotRecord,
    UpdateRecord,
    as_utc,
)
from gate.store.summaries import relink
from gate.store.timeline import start_keeping


class UnknownRelease(LookupError):
    """No release of that name, or no release at all."""


def release_of(record: ReleaseRecord) -> Release:
    return Release(
        record.name, record.branch, record.feature_freeze, record.code_freeze, record.release_date
    )


def release_record(session: Session, name: str | None) -> ReleaseRecord:
    """Return the named release, or the one with the latest release date when no name is given."""
    query = select(ReleaseRecord)
    query = (
        query.where(ReleaseRecord.name == name)
        if name
        else query.order_by(ReleaseRecord.release_date.desc(), ReleaseRecord.id.desc())
    )
    record = session.scalars(query).first()
    if record is None:
        raise UnknownRelease(
            f"no release {name!r}" if name else "no release yet: run `pushgate roadmap import FILE`"
        )
    return record


def stored_roadmaps(session: Session) -> dict[str, tuple[Release, list[Feature]]]:
    """Load every release with its features, by name: what an import is planned against."""
    records = session.scalars(select(ReleaseRecord).order_by(ReleaseRecord.id)).all()
    return {record.name: roadmap_of(session, record) for record in records}


def plan_update(
    session: Session,
    update: RoadmapUpdate,
    as_of: datetime,
    *,
    new_release: bool = False,
    drop_missing: bool = False,
) -> ImportPlan:
    """Plan the import of one update of a release's roadmap against the store
    (`gate.roadmap_import.plan_import`)."""
    return plan_import(
        update, as_of, stored_roadmaps(session), new_release=new_release, drop_missing=drop_missing
    )


def save_roadmap(
    session: Session, release: Release, features: Sequence[Feature], at: datetime, summary: str = ""
) -> ImportPlan:
    """Store a whole roadmap as its release's update of `at`: the features it does not name are
    declared dropped."""
    update = RoadmapUpdate("roadmap", release, tuple(features), at, summary)
    plan = plan_update(session, update, at, new_release=True, drop_missing=True)
    save_plan(session, plan, at)
    return plan


def save_plan(session: Session, plan: ImportPlan, now: datetime) -> None:
    """Store what an import plan says: the release, its updates, its features and their
    declarations; work out the roadmap's links again."""
    rel = plan.release
    record = session.scalars(select(ReleaseRecord).where(ReleaseRecord.name == rel.name)).first()
    if record is None or plan.newest:
        if record is None:
            record = ReleaseRecord(name=rel.name)
            session.add(record)
        record.branch = rel.branch
        record.feature_freeze = rel.feature_freeze
        record.code_freeze = rel.code_freeze
        record.release_date = rel.release
    session.flush()
    start_keeping(session, record.id)
    updates = _save_updates(session, record.id, plan, now)
    features = _save_features(session, record.id, plan)
    declared = {
        (d.update_id, d.feature_id): d
        for d in session.scalars(
            select(DeclarationRecord).where(
                DeclarationRecord.feature_id.in_([f.id for f in features.values()])
            )
        )
    }
    for slug, declaration in plan.declarations:
        key = (updates[declaration.at].id, features[slug].id)
        row = declared.get(key)
        if row is None:
            row = DeclarationRecord(update_id=key[0], feature_id=key[1])
            session.add(row)
            declared[key] = row
        row.status = declaration.status.value
        row.notes = declaration.notes
        row.exception = declaration.exception
    session.flush()
    relink(session)


def _save_updates(
    session: Session, release_id: int, plan: ImportPlan, now: datetime
) -> dict[datetime, UpdateRecord]:
    """Store the plan's updates; return every update of the release by its moment."""
    updates = {
        as_utc(u.at): u
        for u in session.scalars(select(UpdateRecord).where(UpdateRecord.release_id == release_id))
    }
    for update in plan.updates:
        row = updates.get(update.at)
        if row is None:
            row = UpdateRecord(release_id=release_id, at=update.at, summary="", imported=now)
            session.add(row)
            updates[update.at] = row
        elif row.summary != update.summary:
            row.imported = now
        row.summary = update.summary
    session.flush()
    return updates


def _save_features(session: Session, release_id: int, plan: ImportPlan) -> dict[str, FeatureRecord]:
    """Store the plan's features; return every feature of the release by its slug."""
    features = {
        f.slug: f
        for f in session.scalars(
            select(FeatureRecord).where(FeatureRecord.release_id == release_id)
        )
    }
    last = max((f.position for f in features.values()), default=-1)
    for position, feature in enumerate(plan.features):
        row = features.get(feature.slug)
        if row is None:
            row = FeatureRecord(slug=feature.slug, release_id=release_id)
            session.add(row)
            features[feature.slug] = row
            if not plan.newest:  # an older update's feature goes after those there
                last += 1
                position = last
        if plan.newest or row.id is None:
            row.position = position
        row.title = feature.title
        row.owners = list(feature.owners)
        row.links = list(feature.links)
        row.tests = [str(p) for p in feature.tests]
        row.carried_from = feature.carried_from
    session.flush()
    return features


def load_roadmap(session: Session, name: str | None = None) -> tuple[Release, list[Feature]]:
    """Load a release with its features in roadmap order, each with its declarations."""
    return roadmap_of(session, release_record(session, name))


def release_updates(session: Session, release_id: int) -> tuple[Update, ...]:
    """Return a release's updates, oldest first."""
    return tuple(
        Update(as_utc(u.at), u.summary)
        for u in session.scalars(
            select(UpdateRecord)
            .where(UpdateRecord.release_id == release_id)
            .order_by(UpdateRecord.at)
        )
    )


def roadmap_of(session: Session, record: ReleaseRecord) -> tuple[Release, list[Feature]]:
    """Load the features of a release already read (`release_record`), as `load_roadmap`;
    a feature's status and notes are those of its newest declaration."""
    rows = session.scalars(
        select(FeatureRecord)
        .where(FeatureRecord.release_id == record.id)
        .order_by(FeatureRecord.position, FeatureRecord.id)
    ).all()
    history: dict[int, list[Declaration]] = defaultdict(list)
    declarations = session.execute(
        select(
            DeclarationRecord.feature_id,
            UpdateRecord.at,
            DeclarationRecord.status,
            DeclarationRecord.notes,
            DeclarationRecord.exception,
        )
        .join(UpdateRecord, UpdateRecord.id == DeclarationRecord.update_id)
        .where(UpdateRecord.release_id == record.id)
        .order_by(UpdateRecord.at)
    )
    for feature_id, at, status, notes, exception in declarations:
        history[feature_id].append(
            Declaration(as_utc(at), Declared(status), notes, exception or "")
        )
    features = []
    for r in rows:
        declared = history[r.id]
        newest = declared[-1] if declared else Declaration(datetime.min, Declared.OK, "")
        features.append(
            Feature(
                slug=r.slug,
                title=r.title,
                status=newest.status,
                release=record.name,
                owners=tuple(r.owners),
                notes=newest.notes,
                exception=newest.exception,
                links=tuple(r.links),
                tests=tuple(TestPattern.parse(t) for t in r.tests),
                history=tuple(declared),
                carried_from=r.carried_from,
            )
        )
    updates = release_updates(session, record.id)
    return replace(release_of(record), updates=updates), features


def carried_to(session: Session, release: str, slug: str | None = None) -> dict[str, list[str]]:
    """Return, for each feature of a release (or the one of `slug`), the releases that carried
    it on, oldest first; in one query."""
    query = (
        select(FeatureRecord.slug, ReleaseRecord.name)
        .join(ReleaseRecord, ReleaseRecord.id == FeatureRecord.release_id)
        .where(FeatureRecord.carried_from == release)
        .order_by(ReleaseRecord.release_date, ReleaseRecord.id)
    )
    if slug is not None:
        query = query.where(FeatureRecord.slug == slug)
    found: dict[str, list[str]] = {}
    for carried, name in session.execute(query):
        found.setdefault(carried, []).append(name)
    return found


def release_with(session: Session, slug: str) -> str | None:
    """Return the latest release that has a feature of this slug (None when none has)."""
    return session.scalars(
        select(ReleaseRecord.name)
        .join(FeatureRecord, FeatureRecord.release_id == ReleaseRecord.id)
        .where(FeatureRecord.slug == slug)
        .order_by(ReleaseRecord.release_date.desc(), ReleaseRecord.id.desc())
    ).first()


def releases(session: Session) -> list[ReleaseRecord]:
    """Return every release, the latest release date first."""
    return list(
        session.scalars(
            select(ReleaseRecord).order_by(
                ReleaseRecord.release_date.desc(), ReleaseRecord.id.desc()
            )
        )
    )


def roadmaps(session: Session) -> list[tuple[Release, list[Feature]]]:
    """Load every release with its features (`roadmap_of`), the latest release date first."""
    return [roadmap_of(session, record) for record in releases(session)]


def release_names(session: Session, now: datetime) -> list[str]:
    """Return the releases whose roadmap had an update by `now`, the latest release first."""
    written = (
        select(UpdateRecord.id)
        .where(UpdateRecord.release_id == ReleaseRecord.id, UpdateRecord.at <= now)
        .exists()
    )
    return list(
        session.scalars(
            select(ReleaseRecord.name)
            .where(written)
            .order_by(ReleaseRecord.release_date.desc(), ReleaseRecord.id.desc())
        )
    )


def states_kept_at(session: Session, milestone: str, now: datetime) -> dict[str, list[str]]:
    """Return, by release name, the readiness of each feature kept at a milestone of the release
    by `now` (a release with nothing kept by then is not named)."""
    kept: dict[str, list[str]] = {}
    for name, readiness in session.execute(
        select(ReleaseRecord.name, SnapshotRecord.readiness)
        .join(ReleaseRecord, ReleaseRecord.id == SnapshotRecord.release_id)
        .where(SnapshotRecord.milestone == milestone, SnapshotRecord.at <= now)
    ):
        kept.setdefault(name, []).append(readiness)
    return kept


def branch_release(session: Session, branch: str) -> Release | None:
    """Return the release made from a branch (the one with the latest release date), or None."""
    record = session.scalars(
        select(ReleaseRecord)
        .where(ReleaseRecord.branch == branch)
        .order_by(ReleaseRecord.release_date.desc(), ReleaseRecord.id.desc())
        .limit(1)
    ).first()
    return None if record is None else release_of(record)


def release_branch(session: Session) -> str | None:
    """Return the branch of the latest release (the one the overview shows), or None."""
    return session.scalar(
        select(ReleaseRecord.branch)
        .order_by(ReleaseRecord.release_date.desc(), ReleaseRecord.id.desc())
        .limit(1)
    )
