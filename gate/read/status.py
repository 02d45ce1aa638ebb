"""The release's status update: the page, its text, its JSON twin and `pushgate roadmap status`.

The features are judged twice, as of this update and as of the last one (`since`, a week
earlier by default), by the same `readiness` function over the flights started by each
moment; what changed is the difference, and the declared statuses that changed in between
come from each feature's history. Both judgements read the roadmap as it is stored now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from gate.acceptance import Acceptance
from gate.read.branch import GateStatus
from gate.read.release import ReleaseDates
from gate.readiness import Observation
from gate.roadmap import Update
from gate.status_mail import (
    LAST_UPDATE,
    Changes,
    FeatureLine,
    PushGate,
    ReadinessGroup,
    StatusMail,
    render_text,
)


class SinceNotBefore(ValueError):
    """The last update's moment is not before this update's."""


@dataclass(frozen=True)
class StatusReport:
    """A release's status update: its dates and countdown, each feature by readiness with what
    the tests show, what changed since the last update, the features that need an owner, and
    the whole as the mail's text."""

    release: ReleaseDates
    update: Update | None  # the roadmap's update in force: its date and prose
    as_of: datetime
    since: datetime
    window_flights: int
    groups: tuple[ReadinessGroup, ...]
    changes: Changes
    unowned: tuple[FeatureLine, ...]
    gate: PushGate | None
    text: str
    accepted: tuple[Acceptance, ...] = ()  # blocking steps accepted for the release by then

    @classmethod
    def of(cls, mail: StatusMail) -> StatusReport:
        return cls(
            release=ReleaseDates.of(mail.freeze.release, mail.as_of),
            update=mail.update,
            as_of=mail.as_of,
            since=mail.since,
            window_flights=mail.window_flights,
            groups=mail.groups,
            changes=mail.changes,
            unowned=mail.unowned,
            gate=mail.gate,
            text=render_text(mail),
            accepted=mail.accepted,
        )


def last_update(now: datetime, since: datetime | None) -> datetime:
    """Return the moment of the last update: `since`, by default `LAST_UPDATE` before `now`;
    raise SinceNotBefore when it is not before `now`."""
    since = now - LAST_UPDATE if since is None else since
    if since >= now:
        raise SinceNotBefore(
            f"the last update ({since:%Y-%m-%d %H:%M}) must be before this one "
            f"({now:%Y-%m-%d %H:%M})"
        )
    return since


def came_in(blocking: Sequence[Observation]) -> set[int]:
    """Return the flights where the blocking steps of the newest flight came in (its own)."""
    return {o.since or o.flight for o in blocking if o.in_flight is None}


def push_gate_of(
    found: GateStatus,
    blocking: tuple[Observation, ...],
    revisions: Mapping[int, Mapping[str, str]],
) -> PushGate:
    """The branch's push gate for the mail: the last push, and what blocks its newest flight
    with the revisions of the flights where it came in."""
    return PushGate(
        branch=found.branch,
        last_push=found.last_push.flight if found.last_push else None,
        last_push_at=found.last_push.started if found.last_push else None,
        days_since_push=found.days_since_push,
        flights_since=found.flights_since_push,
        newest=found.newest.flight if found.newest else None,
        blocking=blocking,
        revisions=dict(revisions),
    )
