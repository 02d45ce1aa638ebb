"""An acceptance kept: made, stored, and the kept days it changes judged again, in the writer's
unit of work (the command, the API and the form all keep one this way)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from gate.acceptance import Acceptance, acceptance
from gate.keep.days import keep_days
from gate.model import TestKey
from gate.policy import Policy
from gate.store.acceptance import save_acceptance
from gate.store.roadmap import release_record


def keep_acceptance(
    session: Session,
    policy: Policy,
    release: str | None,
    key: TestKey,
    by: str,
    reason: str,
    until: date,
    at: datetime,
    *,
    withdrawn: bool = False,
) -> Acceptance:
    """Accept (or withdraw) a blocking step for a release, the newest by default, and judge the
    days it holds again. Raises UnknownRelease, AcceptanceError or NotAccepted."""
    name = release_record(session, release).name
    made = acceptance(name, key, by, reason, until, at, withdrawn=withdrawn)
    save_acceptance(session, made)
    keep_days(session, policy)  # the days it holds, judged again
    return made
