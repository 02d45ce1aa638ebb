"""The branch page and a branch's gate status, fetched and shaped."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gate.pages.triage import branch_triage
from gate.policy import Policy
from gate.read.branch import (
    BranchPage,
    GateStatus,
    flaky_tests,
    gate_status_of,
    never_pass_candidates,
    never_passed,
    timeline,
)
from gate.read.release import ReleaseDates
from gate.store.branch import branch_marks, flight_counts, last_push, runs_among
from gate.store.keys import keys_of
from gate.store.roadmap import branch_release
from gate.store.steps import notable_steps
from gate.trends import FlightMark, PushAge, push_age

BRANCH_FLIGHTS = 100  # the newest flights the branch page shows


def flight_age(
    session: Session,
    branch: str,
    number: int,
    policy: Policy,
    now: datetime,
    *,
    seen_by: datetime | None = None,
) -> PushAge:
    """Return flight `number`'s push-gate age (`gate.trends.push_age`) as of `now`, among the
    flights that happened by `seen_by` (all when None)."""
    return aged(session, branch, number, policy, now, seen_by)[0]


def aged(
    session: Session,
    branch: str,
    number: int,
    policy: Policy,
    now: datetime,
    seen_by: datetime | None,
) -> tuple[PushAge, list[FlightMark]]:
    """Return a flight's push-gate age and the flights it was read from.

    The last test of the basis is, but for a baseline declared from elsewhere, at or after the
    last push up to the flight: the flights from that push on are read, and all of them only
    when no basis is among those.
    """
    pushed = last_push(session, branch, seen_by, policy.push_blessing, upto=number)
    since = pushed.flight if pushed else None
    while True:
        marks = branch_marks(session, branch, seen_by, since=since, upto=number)
        flight = next(m for m in reversed(marks) if m.number == number)
        age = push_age(
            number, flight.tested, flight.baseline, marks, now, blessing=policy.push_blessing
        )
        if age.basis is not None or since is None:
            return age, marks
        since = None


def gate_status(session: Session, branch: str, policy: Policy, now: datetime) -> GateStatus:
    """Summarise a branch's gate as osstest's report does for its newest flight: the last test
    of the basis, the flights since, and those of the revision under test."""
    newest_only = branch_marks(session, branch, now, newest=1)
    newest = newest_only[-1] if newest_only else None
    age, marks = (
        (None, []) if newest is None else aged(session, branch, newest.number, policy, now, now)
    )
    pushed = last_push(session, branch, now, policy.push_blessing)
    return gate_status_of(branch, newest, age, marks, pushed, now)


def branch_detail(
    session: Session, branch: str, policy: Policy, now: datetime
) -> BranchPage | None:
    """A branch's gate over its newest flights (`BRANCH_FLIGHTS`): pass rate, blockers,
    verdicts, pushes, and the steps that never passed or were flaky in them."""
    marks = branch_marks(session, branch, now, newest=BRANCH_FLIGHTS)
    if not marks:
        return None
    numbers = [m.number for m in marks]
    earlier = last_push(session, branch, now, policy.push_blessing, upto=numbers[0] - 1)
    notable = notable_steps(session, numbers)
    keys = keys_of(session, {row.test_id for row in notable})
    candidates = never_pass_candidates(notable)
    release = branch_release(session, branch)
    shown = BranchPage(
        branch=branch,
        gate=gate_status(session, branch, policy, now),
        flights=timeline(marks, flight_counts(session, numbers), earlier),
        never_pass=never_passed(candidates, runs_among(session, candidates, numbers), keys),
        flaky=flaky_tests(notable, keys),
        release=None if release is None else ReleaseDates.of(release, now),
    )
    return branch_triage(session, shown, now)
