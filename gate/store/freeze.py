"""The freeze snapshots: each feature's readiness kept at a release's milestone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from gate.read.freeze import Seen, Snapshot
from gate.readiness import FeatureReadiness, Readiness
from gate.roadmap import Declared
from gate.store.records import SnapshotRecord, as_utc


def has_snapshot(session: Session, release_id: int, milestone: str) -> bool:
    """Tell whether a release's milestone has a snapshot kept."""
    found = session.scalar(
        select(func.count())
        .select_from(SnapshotRecord)
        .where(SnapshotRecord.release_id == release_id, SnapshotRecord.milestone == milestone)
    )
    return bool(found)


def keep_snapshot(
    session: Session,
    release_id: int,
    milestone: str,
    at: datetime,
    taken: datetime,
    judged: Sequence[FeatureReadiness],
) -> None:
    """Keep these judgements as the milestone's snapshot, in place of any kept before."""
    session.execute(
        delete(SnapshotRecord).where(
            SnapshotRecord.release_id == release_id, SnapshotRecord.milestone == milestone
        )
    )
    session.add_all(
        SnapshotRecord(
            release_id=release_id,
            milestone=milestone,
            slug=j.feature.slug,
            at=at,
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


def snapshot(session: Session, release_id: int, milestone: str) -> Snapshot | None:
    """Return a milestone's kept snapshot, or None when none is kept."""
    rows = session.scalars(
        select(SnapshotRecord).where(
            SnapshotRecord.release_id == release_id, SnapshotRecord.milestone == milestone
        )
    ).all()
    if not rows:
        return None
    features = {
        row.slug: (
            row.title,
            Seen(
                Declared(row.declared),
                Readiness(row.readiness),
                row.pass_rate,
                row.reasons[0] if row.reasons else "",
            ),
        )
        for row in rows
    }
    return Snapshot(as_utc(rows[0].taken), features)
