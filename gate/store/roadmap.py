"""Releases and features in the store, and the evidence that feature readiness is judged from."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gate.roadmap import Declared, Feature, Release, StatusChange, TestPattern
from gate.store.records import (
    FeatureRecord,
    ReleaseRecord,
    StatusChangeRecord,
    as_utc,
)
from gate.store.summaries import relink
from gate.store.timeline import start_keeping


class UnknownRelease(LookupError):
    """No release of that name, or no release at all."""


@dataclass
class ImportSummary:
    """What importing a roadmap changed."""

    release: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    status_changed: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


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


def save_roadmap(
    session: Session, release: Release, features: Sequence[Feature], now: datetime, note: str = ""
) -> ImportSummary:
    """Upsert a release and its features; a feature missing from them is marked dropped."""
    record = session.scalars(
        select(ReleaseRecord).where(ReleaseRecord.name == release.name)
    ).first()
    if record is None:
        record = ReleaseRecord(name=release.name)
        session.add(record)
    record.branch = release.branch
    record.feature_freeze = release.feature_freeze
    record.code_freeze = release.code_freeze
    record.release_date = release.release
    session.flush()
    start_keeping(session, record.id)
    summary = ImportSummary(release.name)
    existing = {f.slug: f for f in session.scalars(select(FeatureRecord))}
    for position, feature in enumerate(features):
        found = existing.get(feature.slug)
        values = {
            "release_id": record.id,
            "title": feature.title,
            "owners": list(feature.owners),
            "notes": feature.notes,
            "links": list(feature.links),
            "tests": [str(p) for p in feature.tests],
            "position": position,
        }
        if found is None:
            found = FeatureRecord(slug=feature.slug, status=feature.status.value, **values)
            session.add(found)
            session.flush()
            _change(session, found, None, feature.status, now, note)
            summary.created.append(feature.slug)
            continue
        before = Declared(found.status)
        changed = any(getattr(found, k) != v for k, v in values.items())
        for key, value in values.items():
            setattr(found, key, value)
        if before is not feature.status:
            found.status = feature.status.value
            _change(session, found, before, feature.status, now, note)
            summary.status_changed.append(feature.slug)
        elif changed:
            summary.updated.append(feature.slug)
        else:
            summary.unchanged.append(feature.slug)
    named = {f.slug for f in features}
    for slug, found in existing.items():
        if found.release_id == record.id and slug not in named and found.status != Declared.DROPPED:
            _change(
                session, found, Declared(found.status), Declared.DROPPED, now, "not in the roadmap"
            )
            found.status = Declared.DROPPED.value
            summary.dropped.append(slug)
    session.flush()
    relink(session)
    return summary


def _change(
    session: Session,
    feature: FeatureRecord,
    before: Declared | None,
    after: Declared,
    now: datetime,
    note: str,
) -> None:
    session.add(
        StatusChangeRecord(
            feature_id=feature.id,
            at=now,
            before=before.value if before else None,
            after=after.value,
            note=note,
        )
    )


def load_roadmap(session: Session, name: str | None = None) -> tuple[Release, list[Feature]]:
    """Load a release with its features in roadmap order, each with its status history."""
    return roadmap_of(session, release_record(session, name))


def roadmap_of(session: Session, record: ReleaseRecord) -> tuple[Release, list[Feature]]:
    """Load the features of a release already read (`release_record`), as `load_roadmap`."""
    rows = session.scalars(
        select(FeatureRecord)
        .where(FeatureRecord.release_id == record.id)
        .order_by(FeatureRecord.position, FeatureRecord.id)
    ).all()
    history: dict[int, list[StatusChange]] = defaultdict(list)
    changes = session.scalars(
        select(StatusChangeRecord)
        .where(StatusChangeRecord.feature_id.in_([r.id for r in rows]))
        .order_by(StatusChangeRecord.at, StatusChangeRecord.id)
    )
    for change in changes:
        history[change.feature_id].append(
            StatusChange(
                at=as_utc(change.at),
                before=Declared(change.before) if change.before else None,
                after=Declared(change.after),
                note=change.note,
            )
        )
    features = [
        Feature(
            slug=r.slug,
            title=r.title,
            status=Declared(r.status),
            release=record.name,
            owners=tuple(r.owners),
            notes=r.notes,
            links=tuple(r.links),
            tests=tuple(TestPattern.parse(t) for t in r.tests),
            history=tuple(history[r.id]),
        )
        for r in rows
    ]
    return release_of(record), features
