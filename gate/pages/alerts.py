"""What a stored flight changed that the webhooks are told of once (`gate.alerts`): the state of
its branch's episodes and of its release's features, read before and after it is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from gate.alerts import EpisodeChange, ReadinessChange, episode_changes, readiness_changes
from gate.episodes import Span, spans
from gate.model import TestKey
from gate.pages.readiness import readiness
from gate.policy import Policy
from gate.readiness import Readiness
from gate.store.episodes import blocked_steps, release_on
from gate.store.keys import keys_of


@dataclass(frozen=True)
class AlertState:
    """A branch's episodes and its release's features' readiness, at one moment of an ingest."""

    branch: str
    release: str | None
    episodes: tuple[Span, ...]
    readiness: dict[str, Readiness]
    order: tuple[str, ...]  # the features, in the roadmap's order


def alert_state(session: Session, branch: str, policy: Policy, now: datetime) -> AlertState:
    """Read a branch's episodes and its release's features' readiness as of `now`."""
    found = tuple(spans(blocked_steps(session, branch, now, policy.evidence_blessings)))
    release = release_on(session, branch)
    judged = readiness(session, policy, now, release)[1] if release is not None else []
    return AlertState(
        branch,
        release,
        found,
        {j.feature.slug: j.readiness for j in judged},
        tuple(j.feature.slug for j in judged),
    )


@dataclass(frozen=True)
class Alerts:
    """What changed from one state to the next: the episodes opened and closed, with their
    tests, and the features whose readiness changed."""

    branch: str
    release: str | None
    episodes: tuple[tuple[EpisodeChange, TestKey], ...]
    readiness: tuple[ReadinessChange, ...]


def alerts_between(session: Session, before: AlertState, after: AlertState) -> Alerts:
    """Return what changed between two states of the same branch."""
    changes = episode_changes(before.episodes, after.episodes)
    keys = keys_of(session, {c.test_id for c in changes})
    return Alerts(
        after.branch,
        after.release,
        tuple((c, keys[c.test_id]) for c in changes if c.test_id in keys),
        tuple(readiness_changes(before.readiness, after.readiness, after.order)),
    )
