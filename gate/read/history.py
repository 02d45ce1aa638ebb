"""A test's page: one (job, testid) over the newest flights."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gate.model import (
    Classification,
    Status,
    TestKey,
)
from gate.read.cells import stored_cell
from gate.roadmap import linked_tests
from gate.store.records import BranchRecord, FlightRecord, JobRecord, StepRecord, TestRecord, as_utc
from gate.store.roadmap import (
    UnknownRelease,
    catalogue,
    load_roadmap,
)
from gate.trends import (
    StepRecordView,
    test_health,
)

HISTORY_FLIGHTS = 100


def test_detail(session: Session, job: str, testid: str) -> dict[str, Any] | None:
    """One test: its history over the newest flights, flake rate, streak, hosts and features."""
    test_id = session.scalar(
        select(TestRecord.id).where(TestRecord.job == job, TestRecord.testid == testid)
    )
    if test_id is None:
        return None
    rows = session.execute(
        select(
            StepRecord.flight_id,
            FlightRecord.started,
            FlightRecord.ingested,
            BranchRecord.name,
            StepRecord.status,
            StepRecord.classification,
            StepRecord.ref_flight,
            JobRecord.host,
            StepRecord.ref_status,
            StepRecord.ref_blessing,
        )
        .join(FlightRecord, FlightRecord.id == StepRecord.flight_id)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .join(JobRecord, JobRecord.id == StepRecord.job_id)
        .where(StepRecord.test_id == test_id)
        .order_by(StepRecord.flight_id.desc())
        .limit(HISTORY_FLIGHTS)
    ).all()
    records = [
        StepRecordView(
            flight=n,
            at=as_utc(started or ingested),
            status=Status(status),
            classification=Classification(cls) if cls else None,
            ref_flight=ref,
            host=host,
        )
        for n, started, ingested, _branch, status, cls, ref, host, *_ref in reversed(rows)
    ]
    branch_of = {n: branch for n, _s, _i, branch, *_rest in rows}
    refs = {r[0]: (r[-2], r[-1]) for r in rows}
    health = test_health(records)
    return {
        "job": job,
        "testid": testid,
        "runs": health.runs,
        "heisenbugs": health.heisenbugs,
        "flake_rate": health.flake_rate,
        "streak_since": health.streak_since,
        "streak_length": health.streak_length,
        "failed_on": list(health.failed_on),
        "features": _features_of(session, TestKey(job, testid)),
        "history": [
            {
                "flight": r.flight,
                "branch": branch_of[r.flight],
                "started": r.at.isoformat(),
                "host": r.host,
                **stored_cell(
                    r.status.value,
                    r.classification.value if r.classification else None,
                    r.ref_flight,
                    *refs[r.flight],
                ),
            }
            for r in records
        ],
    }


def _features_of(session: Session, key: TestKey) -> list[str]:
    try:
        _release, roadmap = load_roadmap(session)
    except UnknownRelease:
        return []
    tags = catalogue(session).tags
    return [f.slug for f in roadmap if linked_tests(f, [key], tags)]
