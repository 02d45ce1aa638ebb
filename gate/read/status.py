"""The release's status update: the page, its text, its JSON twin and `pushgate roadmap status`.

The features are judged twice, as of this update and as of the last one (`since`, a week
earlier by default), by the same `readiness` function over the flights started by each
moment; what changed is the difference, and the declared statuses that changed in between
come from each feature's history. Both judgements read the roadmap as it is stored now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from gate.pages.branch import gate_status
from gate.pages.readiness import readiness
from gate.policy import Policy
from gate.read.release import ReleaseDates
from gate.readiness import freeze_view
from gate.roadmap import Update
from gate.status_mail import (
    LAST_UPDATE,
    Changes,
    FeatureLine,
    PushGate,
    ReadinessGroup,
    StatusMail,
    compose,
    render_text,
)
from gate.store.flights import revisions_of
from gate.store.readiness import blocking_in


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
        )


def status_mail(
    session: Session,
    policy: Policy,
    now: datetime,
    release: str | None = None,
    *,
    since: datetime | None = None,
    base_url: str = "",
) -> StatusMail:
    """Write a release's status update (the latest release's by default) as of `now`, with
    what changed since `since` (by default `LAST_UPDATE` earlier)."""
    since = now - LAST_UPDATE if since is None else since
    if since >= now:
        raise SinceNotBefore(
            f"the last update ({since:%Y-%m-%d %H:%M}) must be before this one "
            f"({now:%Y-%m-%d %H:%M})"
        )
    found, judged = readiness(session, policy, now, release)
    _same, before = readiness(session, policy, since, found.name)
    return compose(
        freeze_view(found, now),
        judged,
        before,
        as_of=now,
        since=since,
        policy=policy,
        gate=push_gate(session, found.branch, policy, now),
        base_url=base_url,
    )


def push_gate(session: Session, branch: str, policy: Policy, now: datetime) -> PushGate:
    """The branch's push gate as of `now`, for the mail: the last push and what blocks now."""
    found = gate_status(session, branch, policy, now)
    newest = found.newest.flight if found.newest else None
    blocking = tuple(blocking_in(session, branch, newest, policy)) if newest else ()
    came_in = {o.since or o.flight for o in blocking if o.in_flight is None}
    return PushGate(
        branch=branch,
        last_push=found.last_push.flight if found.last_push else None,
        last_push_at=found.last_push.started if found.last_push else None,
        days_since_push=found.days_since_push,
        flights_since=found.flights_since_push,
        newest=newest,
        blocking=blocking,
        revisions=revisions_of(session, came_in) if came_in else {},
    )


def status(
    session: Session,
    policy: Policy,
    now: datetime,
    release: str | None = None,
    *,
    since: datetime | None = None,
    base_url: str = "",
) -> StatusReport:
    """A release's status update as the page, its twin and the command show it; with a
    `base_url`, its text links each feature and flight to its page."""
    return StatusReport.of(
        status_mail(session, policy, now, release, since=since, base_url=base_url)
    )
