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

from gate.policy import Policy
from gate.read.features import ReleaseDates
from gate.read.readiness import readiness
from gate.readiness import freeze_view
from gate.roadmap import Update
from gate.status_mail import (
    LAST_UPDATE,
    Changes,
    FeatureLine,
    OutlookGroup,
    StatusMail,
    compose,
    render_text,
)


class SinceNotBefore(ValueError):
    """The last update's moment is not before this update's."""


@dataclass(frozen=True)
class StatusReport:
    """A release's status update: its dates and countdown, each feature by outlook with what
    the tests show, what changed since the last update, the features that need an owner, and
    the whole as the mail's text."""

    release: ReleaseDates
    update: Update | None  # the roadmap's update in force: its date and prose
    as_of: datetime
    since: datetime
    window_flights: int
    groups: tuple[OutlookGroup, ...]
    changes: Changes
    unowned: tuple[FeatureLine, ...]
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
            text=render_text(mail),
        )


def status_mail(
    session: Session,
    policy: Policy,
    now: datetime,
    release: str | None = None,
    *,
    since: datetime | None = None,
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
    return compose(freeze_view(found, now), judged, before, as_of=now, since=since, policy=policy)


def status(
    session: Session,
    policy: Policy,
    now: datetime,
    release: str | None = None,
    *,
    since: datetime | None = None,
) -> StatusReport:
    """A release's status update as the page, its twin and the command show it."""
    return StatusReport.of(status_mail(session, policy, now, release, since=since))
