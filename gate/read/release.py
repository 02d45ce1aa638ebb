"""A release's milestones as the pages show them, and the release a branch is heading for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gate.readiness import freeze_view
from gate.roadmap import Phase, Release
from gate.store.records import ReleaseRecord
from gate.store.roadmap import release_of


@dataclass(frozen=True)
class ReleaseDates:
    """The release's milestones and the days left to each."""

    release: str
    branch: str
    feature_freeze: date
    code_freeze: date
    release_date: date
    days_to_feature_freeze: int
    days_to_code_freeze: int
    days_to_release: int
    phase: Phase = Phase.OPEN

    @classmethod
    def of(cls, release: Release, now: datetime) -> ReleaseDates:
        view = freeze_view(release, now)
        return cls(
            release.name,
            release.branch,
            release.feature_freeze,
            release.code_freeze,
            release.release,
            view.days_to_feature_freeze,
            view.days_to_code_freeze,
            view.days_to_release,
            view.phase,
        )

    @property
    def next_freeze(self) -> date | None:
        """The freeze the release goes to next (that of today counts), if one is still ahead."""
        if self.days_to_feature_freeze >= 0:
            return self.feature_freeze
        if self.days_to_code_freeze >= 0:
            return self.code_freeze
        return None


def branch_release(session: Session, branch: str, now: datetime) -> ReleaseDates | None:
    """The milestones of the release made from a branch (the latest release date's), or None."""
    record = session.scalars(
        select(ReleaseRecord)
        .where(ReleaseRecord.branch == branch)
        .order_by(ReleaseRecord.release_date.desc(), ReleaseRecord.id.desc())
        .limit(1)
    ).first()
    return None if record is None else ReleaseDates.of(release_of(record), now)


def release_branch(session: Session) -> str | None:
    """The branch of the latest release (the one the overview shows), or None before a roadmap."""
    return session.scalar(
        select(ReleaseRecord.branch)
        .order_by(ReleaseRecord.release_date.desc(), ReleaseRecord.id.desc())
        .limit(1)
    )
