"""The release's status update, fetched and judged: the features as of this update and as of
the last, and the branch's push gate (`gate.read.status` and `gate.status_mail` shape it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gate.pages.branch import gate_status
from gate.pages.readiness import readiness
from gate.policy import Policy
from gate.read.status import StatusReport, came_in, last_update, push_gate_of
from gate.readiness import freeze_view
from gate.status_mail import PushGate, StatusMail, compose
from gate.store.acceptance import accepted_at
from gate.store.flights import revisions_of
from gate.store.readiness import blocking_in


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
    since = last_update(now, since)
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
        accepted=tuple(accepted_at(session, found.name, now).values()),
    )


def push_gate(session: Session, branch: str, policy: Policy, now: datetime) -> PushGate:
    """The branch's push gate as of `now`, for the mail: the last push and what blocks now."""
    found = gate_status(session, branch, policy, now)
    newest = found.newest.flight if found.newest else None
    blocking = tuple(blocking_in(session, branch, newest, policy)) if newest else ()
    flights = came_in(blocking)
    return push_gate_of(found, blocking, revisions_of(session, flights) if flights else {})


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
