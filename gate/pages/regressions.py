"""A branch's regression episodes as of a moment, fetched, worked out and shaped."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gate.episodes import spans
from gate.policy import Policy
from gate.read.regressions import RegressionsPage, episodes_of, regressions_page
from gate.store.episodes import (
    blocked_steps,
    branch_of_newest_flight,
    features_of_tests,
    flight_marks,
    opening_clusters,
    release_on,
)
from gate.store.keys import keys_of
from gate.store.roadmap import release_branch, release_record


def regressions(
    session: Session,
    policy: Policy,
    now: datetime,
    *,
    branch: str | None = None,
    release: str | None = None,
) -> RegressionsPage:
    """The open and recently closed regression episodes of a branch (of a release's branch,
    by default the newest release's, else the newest flight's), the features named being the
    release's."""
    if branch is None and release is None and release_branch(session) is None:
        branch = branch_of_newest_flight(session, now)
        if branch is None:
            return regressions_page("", None, now, [])
    if branch is None:
        record = release_record(session, release)
        branch, release = record.branch, record.name
    elif release is None:
        release = release_on(session, branch)
    found = spans(blocked_steps(session, branch, now, policy.evidence_blessings))
    tests = {s.test_id for s in found}
    flights = {s.opened for s in found} | {s.closed for s in found if s.closed is not None}
    episodes = episodes_of(
        found,
        keys_of(session, tests),
        flight_marks(session, flights),
        opening_clusters(session, [(s.test_id, s.opened) for s in found]),
        features_of_tests(session, release, tests),
    )
    return regressions_page(branch, release, now, episodes)
