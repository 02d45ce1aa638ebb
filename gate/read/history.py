"""A test's page: one (job, testid) over the newest flights."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gate.model import (
    Classification,
    Status,
    TestKey,
)
from gate.read.cells import stored_cell
from gate.roadmap import linked_tests
from gate.store.flights import happened_by
from gate.store.keys import catalogue
from gate.store.records import BranchRecord, FlightRecord, JobRecord, StepRecord, TestRecord, as_utc
from gate.store.roadmap import UnknownRelease, load_roadmap
from gate.trends import (
    StepRecordView,
    test_health,
)

HISTORY_FLIGHTS = 100


@dataclass(frozen=True)
class HistoryEntry:
    """The test in one flight: where and when it ran, and how it was judged."""

    flight: int
    branch: str
    started: datetime
    host: str | None
    status: Status
    classification: Classification | None
    ref_flight: int | None
    summary: str
    blocking: bool


@dataclass(frozen=True)
class TestPage:
    """One test's page: its health over the newest flights and its history, oldest first."""

    __test__ = False  # not a pytest class

    job: str
    testid: str
    runs: int
    heisenbugs: int
    flake_rate: float | None
    streak_since: int | None
    streak_length: int
    failed_on: tuple[str, ...]
    features: tuple[str, ...]
    history: tuple[HistoryEntry, ...]


def test_detail(
    session: Session, job: str, testid: str, now: datetime | None = None
) -> TestPage | None:
    """One test: its history over the newest flights (those that happened by `now`, when
    given), flake rate, streak, hosts and features."""
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
            StepRecord.attempts,
        )
        .join(FlightRecord, FlightRecord.id == StepRecord.flight_id)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .join(JobRecord, JobRecord.id == StepRecord.job_id)
        .where(StepRecord.test_id == test_id, *([] if now is None else [happened_by(now)]))
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
            attempts=attempts,
        )
        for n, started, ingested, _branch, status, cls, ref, host, _rs, _rb, attempts in reversed(
            rows
        )
    ]
    branch_of = {n: branch for n, _s, _i, branch, *_rest in rows}
    refs = {r[0]: (r.ref_status, r.ref_blessing) for r in rows}
    health = test_health(records)
    history = []
    for r in records:
        seen = stored_cell(
            r.status.value,
            r.classification.value if r.classification else None,
            r.ref_flight,
            *refs[r.flight],
        )
        history.append(
            HistoryEntry(
                r.flight,
                branch_of[r.flight],
                r.at,
                r.host,
                seen.status,
                seen.classification,
                seen.ref_flight,
                seen.summary,
                seen.blocking,
            )
        )
    return TestPage(
        job=job,
        testid=testid,
        runs=health.runs,
        heisenbugs=health.heisenbugs,
        flake_rate=health.flake_rate,
        streak_since=health.streak_since,
        streak_length=health.streak_length,
        failed_on=tuple(health.failed_on),
        features=tuple(_features_of(session, TestKey(job, testid))),
        history=tuple(history),
    )


def _features_of(session: Session, key: TestKey) -> list[str]:
    try:
        _release, roadmap = load_roadmap(session)
    except UnknownRelease:
        return []
    tags = catalogue(session).tags
    return [f.slug for f in roadmap if linked_tests(f, [key], tags)]
