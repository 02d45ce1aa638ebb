"""The search box's queries: a flight by its number, and the jobs and tests whose names hold
some words, among what had run by a moment.

Jobs and testids are matched with a LIKE over the test table (one row per (job, testid),
thousands of rows, never the steps); each answer is bounded.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Exists, exists, func, or_, select
from sqlalchemy.orm import Session

from gate.model import Verdict
from gate.read.search import FlightHit, JobHit, TestHit
from gate.store.records import (
    BranchRecord,
    FlightRecord,
    StepRecord,
    TestRecord,
    as_utc,
    happened_by,
)


def flight_hit(session: Session, number: int, now: datetime) -> FlightHit | None:
    """Return flight `number` as the search shows it, if it had happened by `now`."""
    row = session.execute(
        select(
            FlightRecord.id,
            BranchRecord.name,
            FlightRecord.verdict,
            FlightRecord.pushed,
            func.coalesce(FlightRecord.started, FlightRecord.ingested),
        )
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(FlightRecord.id == number, happened_by(now))
    ).first()
    if row is None:
        return None
    found, branch, verdict, pushed, started = row
    return FlightHit(found, branch, Verdict(verdict), pushed, as_utc(started))


def _ran_by(now: datetime) -> Exists:
    """Select the tests that ran in a flight that had happened by `now`."""
    return exists(
        select(StepRecord.id)
        .join(FlightRecord, FlightRecord.id == StepRecord.flight_id)
        .where(StepRecord.test_id == TestRecord.id, happened_by(now))
    )


def jobs_holding(
    session: Session, words: str, now: datetime, limit: int
) -> tuple[tuple[JobHit, ...], bool]:
    """Return the first `limit` jobs whose name holds the words, by name, with how many of their
    tests had run by `now`, and whether there were more."""
    rows = session.execute(
        select(TestRecord.job, func.count())
        .where(TestRecord.job.icontains(words, autoescape=True), _ran_by(now))
        .group_by(TestRecord.job)
        .order_by(TestRecord.job)
        .limit(limit + 1)
    ).all()
    return tuple(JobHit(job, n) for job, n in rows[:limit]), len(rows) > limit


def tests_named(
    session: Session, words: str, now: datetime, limit: int
) -> tuple[tuple[TestHit, ...], bool]:
    """Return the first `limit` tests that had run by `now` whose testid holds the words, or
    whose job they name exactly, or that they name as `JOB TESTID` (the way the pages and
    reports write a step), and whether there were more."""
    named = [TestRecord.testid.icontains(words, autoescape=True), TestRecord.job == words]
    if " " in words:
        named.append((TestRecord.job + " " + TestRecord.testid).icontains(words, autoescape=True))
    rows = session.execute(
        select(TestRecord.job, TestRecord.testid)
        .where(or_(*named), _ran_by(now))
        .order_by(TestRecord.job, TestRecord.testid)
        .limit(limit + 1)
    ).all()
    return tuple(TestHit(job, testid) for job, testid in rows[:limit]), len(rows) > limit
