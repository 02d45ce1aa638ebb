"""The regressions page: a branch's open and recently closed regression episodes
(`gate.episodes`), with their durations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from gate.episodes import RECENT_DAYS, Episode, FlightMark, Span
from gate.model import TestKey


@dataclass(frozen=True)
class EpisodeRow:
    """One episode as the page, its twin and the CSV list it: `fixed_by` is the revisions of
    the flight that passed again (empty while it is open); `hours` its duration."""

    job: str
    testid: str
    open: bool
    opened_flight: int
    opened_at: datetime
    came_in: Mapping[str, str]  # the revisions of the first blocking flight
    closed_flight: int | None
    closed_at: datetime | None
    fixed_by: Mapping[str, str]
    blocked_flights: int
    hours: float
    cluster: str | None
    features: tuple[str, ...]


@dataclass(frozen=True)
class RegressionsPage:
    """A branch's regression episodes as of `now`: the open ones (the oldest first), then
    those closed in the last `recent_days` (the newest first)."""

    branch: str
    release: str | None
    now: datetime
    recent_days: int
    open: tuple[EpisodeRow, ...]
    closed: tuple[EpisodeRow, ...]


def episodes_of(
    found: Iterable[Span],
    keys: Mapping[int, TestKey],
    marks: Mapping[int, FlightMark],
    clusters: Mapping[tuple[int, int], str],
    features: Mapping[int, list[str]],
) -> list[Episode]:
    """Name the flights, the test, the cluster and the features of each episode."""
    return [
        Episode(
            keys[span.test_id],
            marks[span.opened],
            marks[span.closed] if span.closed is not None else None,
            span.blocked,
            clusters.get((span.test_id, span.opened)),
            tuple(features.get(span.test_id, ())),
        )
        for span in found
    ]


def row_of(episode: Episode, now: datetime) -> EpisodeRow:
    """Flatten an episode into the page's row."""
    closed = episode.closed
    return EpisodeRow(
        episode.key.job,
        episode.key.testid,
        episode.open,
        episode.opened.number,
        episode.opened.at,
        dict(episode.opened.revisions),
        closed.number if closed is not None else None,
        closed.at if closed is not None else None,
        dict(closed.revisions) if closed is not None else {},
        episode.blocked,
        round(episode.duration(now).total_seconds() / 3600, 1),
        episode.cluster,
        episode.features,
    )


def regressions_page(
    branch: str,
    release: str | None,
    now: datetime,
    episodes: Iterable[Episode],
    recent_days: int = RECENT_DAYS,
) -> RegressionsPage:
    """Keep the open and recently closed episodes, each list in the page's order."""
    shown = [e for e in episodes if e.recent(now, recent_days)]
    still = sorted((e for e in shown if e.open), key=lambda e: (e.opened.at, str(e.key)))
    closed = sorted(
        (e for e in shown if not e.open),
        key=lambda e: (-e.closed.at.timestamp() if e.closed else 0, str(e.key)),
    )
    return RegressionsPage(
        branch,
        release,
        now,
        recent_days,
        tuple(row_of(e, now) for e in still),
        tuple(row_of(e, now) for e in closed),
    )
