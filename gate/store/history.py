"""A test's history in the store: its runs over the newest flights, with the gate's findings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gate.model import Classification, Status
from gate.store.records import (
    BranchRecord,
    FlightRecord,
    JobRecord,
    StepRecord,
    TestRecord,
    as_utc,
    happened_by,
)

HISTORY_FLIGHTS = 100  # runs of a test its page shows


@dataclass(frozen=True)
class TestRun:
    """A test in one flight as stored: where and when it ran, its status, and the finding on it
    with its baseline's status and blessing."""

    __test__ = False  # not a pytest class

    flight: int
    branch: str
    at: datetime
    host: str | None
    status: Status
    attempts: int
    classification: Classification | None
    ref_flight: int | None
    ref_status: Status | None
    ref_blessing: str | None


def runs_of_test(
    session: Session, job: str, testid: str, now: datetime | None = None
) -> tuple[TestRun, ...] | None:
    """Return the test's runs in its newest HISTORY_FLIGHTS flights (of those that had happened
    by `now`, when given), oldest first; None when no such test is stored."""
    test_id = session.scalar(
        select(TestRecord.id).where(TestRecord.job == job, TestRecord.testid == testid)
    )
    if test_id is None:
        return None
    rows = session.execute(
        select(
            StepRecord.flight_id,
            BranchRecord.name,
            FlightRecord.started,
            FlightRecord.ingested,
            JobRecord.host,
            StepRecord.status,
            StepRecord.attempts,
            StepRecord.classification,
            StepRecord.ref_flight,
            StepRecord.ref_status,
            StepRecord.ref_blessing,
        )
        .join(FlightRecord, FlightRecord.id == StepRecord.flight_id)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .join(JobRecord, JobRecord.id == StepRecord.job_id)
        .where(StepRecord.test_id == test_id, *([] if now is None else [happened_by(now)]))
        .order_by(StepRecord.flight_id.desc())
        .limit(HISTORY_FLIGHTS)
    ).all()
    return tuple(
        TestRun(
            flight=r.flight_id,
            branch=r.name,
            at=as_utc(r.started or r.ingested),
            host=r.host,
            status=Status(r.status),
            attempts=r.attempts,
            classification=Classification(r.classification) if r.classification else None,
            ref_flight=r.ref_flight,
            ref_status=Status(r.ref_status) if r.ref_status else None,
            ref_blessing=r.ref_blessing,
        )
        for r in reversed(rows)
    )
