"""The branch page and the gate status: push-gate age, trends, never-pass and flaky steps."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from gate.model import (
    Classification,
    Status,
    TestKey,
    Verdict,
)
from gate.store.records import BranchRecord, FlightRecord, StepRecord, TestRecord, as_utc
from gate.store.roadmap import (
    happened_by,
)
from gate.trends import (
    FlightAge,
    FlightMark,
    flaky,
    pass_rate_of,
    push_age,
)

_MARK_COLUMNS = (
    FlightRecord.id,
    FlightRecord.started,
    FlightRecord.ingested,
    FlightRecord.verdict,
    FlightRecord.pushed,
    FlightRecord.revisions,
    FlightRecord.judged_baseline,
    FlightRecord.judged_tested,
    FlightRecord.blessing,
)


def _mark(row: Any) -> FlightMark:
    n, started, ingested, verdict, pushed, revisions, baseline, tested, blessing = row
    at = as_utc(started or ingested)
    return FlightMark(n, at, Verdict(verdict), pushed, revisions, baseline, tested, blessing)


def branch_marks(session: Session, branch: str, now: datetime) -> list[FlightMark]:
    rows = session.execute(
        select(*_MARK_COLUMNS)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(BranchRecord.name == branch, happened_by(now))
        .order_by(FlightRecord.id)
    )
    return [_mark(row) for row in rows]


def marks_of(session: Session, branch: str, upto: int) -> list[FlightMark]:
    rows = session.execute(
        select(*_MARK_COLUMNS)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(BranchRecord.name == branch, FlightRecord.id <= upto)
        .order_by(FlightRecord.id)
    )
    return [_mark(row) for row in rows]


def mark_dict(mark: FlightMark | None) -> dict[str, Any] | None:
    if mark is None:
        return None
    return {
        "flight": mark.number,
        "started": mark.at.isoformat(),
        "verdict": mark.verdict.value,
        "pushed": mark.pushed,
    }


def gate_status(session: Session, branch: str, now: datetime) -> dict[str, Any]:
    """Summarise a branch's gate as osstest's report does for its newest flight: the last test
    of the basis, the flights since, and those of the revision under test."""
    marks = branch_marks(session, branch, now)
    newest = marks[-1] if marks else None
    if newest is None:
        age = None
    else:
        age = push_age(newest.number, newest.tested, newest.baseline, marks, now, blessing="real")
    by_number = {m.number: m for m in marks}

    def mark(found: FlightAge | None) -> dict[str, Any] | None:
        return mark_dict(by_number[found.number]) if found else None

    basis = age.basis if age else None
    return {
        "branch": branch,
        "newest": mark_dict(newest),
        "basis": mark(basis),
        "days_since_push": round((now - basis.started).total_seconds() / 86400, 1)
        if basis and basis.started
        else None,
        "failing_since": mark(age.failing_since) if age else None,
        "attempts": age.failing_attempts or 0 if age else 0,
        "same_since": mark(age.same_since) if age else None,
        "same_attempts": age.same_attempts if age else 0,
    }


def branch_detail(session: Session, branch: str, now: datetime) -> dict[str, Any] | None:
    """A branch's gate over time: pass rate, blockers, verdicts, pushes, never-pass and flaky steps."""
    marks = branch_marks(session, branch, now)
    if not marks:
        return None
    in_branch = (
        select(FlightRecord.id)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(BranchRecord.name == branch, happened_by(now))
    )
    counts: dict[int, dict[Status, int]] = defaultdict(dict)
    blocking: dict[int, int] = defaultdict(int)
    for flight, status, classification, n in session.execute(
        select(StepRecord.flight_id, StepRecord.status, StepRecord.classification, func.count())
        .where(StepRecord.flight_id.in_(in_branch))
        .group_by(StepRecord.flight_id, StepRecord.status, StepRecord.classification)
    ):
        counts[flight][Status(status)] = counts[flight].get(Status(status), 0) + n
        if classification == Classification.REGRESSION.value:
            blocking[flight] += n
    last_push: datetime | None = None
    timeline = []
    for mark in marks:
        if mark.pushed:
            last_push = mark.at
        timeline.append(
            {
                "flight": mark.number,
                "started": mark.at.isoformat(),
                "verdict": mark.verdict.value,
                "pushed": mark.pushed,
                "pass_rate": pass_rate_of(counts[mark.number]),
                "blocking": blocking[mark.number],
                "days_without_push": round((mark.at - last_push).total_seconds() / 86400, 1)
                if last_push
                else None,
            }
        )
    return {
        "branch": branch,
        "gate": gate_status(session, branch, now),
        "flights": timeline,
        "never_pass": _never_passed(session, in_branch),
        "flaky": _flaky(session, in_branch),
    }


def _never_passed(session: Session, in_branch: Any) -> list[dict[str, Any]]:
    passes = func.sum(case((StepRecord.status == Status.PASS.value, 1), else_=0))
    rows = session.execute(
        select(TestRecord.job, TestRecord.testid, func.count(), func.max(StepRecord.flight_id))
        .join(StepRecord, StepRecord.test_id == TestRecord.id)
        .where(StepRecord.flight_id.in_(in_branch))
        .group_by(TestRecord.id, TestRecord.job, TestRecord.testid)
        .having(passes == 0)
        .order_by(TestRecord.job, TestRecord.testid)
    )
    return [
        {"job": job, "testid": testid, "runs": runs, "newest_flight": newest}
        for job, testid, runs, newest in rows
    ]


def _flaky(session: Session, in_branch: Any) -> list[dict[str, Any]]:
    rows = session.execute(
        select(TestRecord.job, TestRecord.testid, func.count())
        .join(StepRecord, StepRecord.test_id == TestRecord.id)
        .where(
            StepRecord.flight_id.in_(in_branch),
            StepRecord.classification == Classification.PASS_IN.value,
        )
        .group_by(TestRecord.id, TestRecord.job, TestRecord.testid)
    )
    counts = {TestKey(job, testid): n for job, testid, n in rows}
    return [{"job": k.job, "testid": k.testid, "heisenbugs": n} for k, n in flaky(counts)]
