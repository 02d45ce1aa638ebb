"""A release's milestones as the pages show them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from gate.readiness import freeze_view
from gate.roadmap import Phase, Release


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
