"""What each page shows: one function per page builds the JSON-ready dict its twin returns.

The pages render these dicts; the API returns them as they are. No function here commits.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from gate.model import (
    Classification,
    Finding,
    Flight,
    Judgement,
    Status,
    TestKey,
    Verdict,
    flight_label,
)
from gate.policy import Policy
from gate.readiness import Observation, feature_dict, freeze_dict, freeze_view
from gate.report import (
    Analysis,
    FlightLine,
    ReportContext,
    headers,
    render_text,
    report_dict,
    summary,
    summary_of,
)
from gate.roadmap import Release, linked_tests
from gate.store.flights import (
    count_flights,
    findings_elsewhere,
    list_flights,
    load_flight,
    summary_dict,
)
from gate.store.records import BranchRecord, FlightRecord, JobRecord, StepRecord, TestRecord, as_utc
from gate.store.roadmap import (
    UnknownRelease,
    catalogue,
    happened_by,
    load_roadmap,
    observed,
    readiness,
    release_record,
)
from gate.trends import (
    FlightAge,
    FlightMark,
    StepRecordView,
    flaky,
    pass_rate_of,
    push_age,
    test_health,
)

GRID_FLIGHTS = 30
HISTORY_FLIGHTS = 100


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


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


def _marks(session: Session, branch: str, now: datetime) -> list[FlightMark]:
    rows = session.execute(
        select(*_MARK_COLUMNS)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(BranchRecord.name == branch, happened_by(now))
        .order_by(FlightRecord.id)
    )
    return [_mark(row) for row in rows]


def _marks_of(session: Session, branch: str, upto: int) -> list[FlightMark]:
    rows = session.execute(
        select(*_MARK_COLUMNS)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(BranchRecord.name == branch, FlightRecord.id <= upto)
        .order_by(FlightRecord.id)
    )
    return [_mark(row) for row in rows]


def _mark_dict(mark: FlightMark | None) -> dict[str, Any] | None:
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
    marks = _marks(session, branch, now)
    newest = marks[-1] if marks else None
    if newest is None:
        age = None
    else:
        age = push_age(newest.number, newest.tested, newest.baseline, marks, now, blessing="real")
    by_number = {m.number: m for m in marks}

    def mark(found: FlightAge | None) -> dict[str, Any] | None:
        return _mark_dict(by_number[found.number]) if found else None

    basis = age.basis if age else None
    return {
        "branch": branch,
        "newest": _mark_dict(newest),
        "basis": mark(basis),
        "days_since_push": round((now - basis.started).total_seconds() / 86400, 1)
        if basis and basis.started
        else None,
        "failing_since": mark(age.failing_since) if age else None,
        "attempts": age.failing_attempts or 0 if age else 0,
        "same_since": mark(age.same_since) if age else None,
        "same_attempts": age.same_attempts if age else 0,
    }


def overview(session: Session, policy: Policy, now: datetime) -> dict[str, Any]:
    """The overview: the release's dates, its branch's gate, every feature, what blocks the push."""
    try:
        release, judged = readiness(session, policy, now)
    except UnknownRelease:
        return {"release": None, "gate": None, "features": [], "blockers": []}
    features = [feature_dict(j) for j in judged]
    blockers: list[dict[str, Any]] = [
        {
            "slug": j.feature.slug,
            "title": j.feature.title,
            "readiness": j.readiness.value,
            "reasons": [o.sentence() for o in (*j.blocking, *j.failures)],
        }
        for j in judged
        if j.blocking or j.failures
    ]
    blockers.sort(key=lambda b: (not any("regressed" in r for r in b["reasons"]), b["slug"]))
    gate = gate_status(session, release.branch, now)
    served = {key for j in judged for key in j.tests}
    if gate["newest"] is not None:
        orphans = [
            o.sentence()
            for o in _blocking_in(session, gate["newest"]["flight"])
            if o.key not in served
        ]
        if orphans:
            blockers.append(
                {"slug": None, "title": "No feature", "readiness": "blocked", "reasons": orphans}
            )
    return {
        "release": freeze_dict(freeze_view(release, now)),
        "gate": gate,
        "features": features,
        "blockers": blockers,
    }


def _blocking_in(session: Session, flight: int) -> list[Observation]:
    """Return the blocking findings of one flight's judgement, its heisenbug flights' included."""
    rows = session.execute(
        select(
            TestRecord.job,
            TestRecord.testid,
            StepRecord.status,
            StepRecord.classification,
            StepRecord.ref_flight,
            StepRecord.ref_status,
            StepRecord.ref_blessing,
        )
        .join(StepRecord, StepRecord.test_id == TestRecord.id)
        .where(
            StepRecord.flight_id == flight,
            StepRecord.classification.in_([c.value for c in Classification if c.blocking]),
        )
        .order_by(StepRecord.position)
    )
    found = [
        Observation(
            flight,
            TestKey(job, testid),
            Status(status),
            Classification(str(cls)),
            ref,
            Status(ref_status) if ref_status else None,
            ref_blessing,
        )
        for job, testid, status, cls, ref, ref_status, ref_blessing in rows
    ]
    elsewhere = findings_elsewhere(session, [flight]).get(flight, [])
    return found + [observed(flight, f) for f in elsewhere if f.blocking]


def features(session: Session, policy: Policy, now: datetime) -> list[dict[str, Any]]:
    """Every feature of the latest release with its readiness; none without a roadmap."""
    try:
        _release, judged = readiness(session, policy, now)
    except UnknownRelease:
        return []
    return [feature_dict(j) for j in judged]


def release_dates(session: Session, now: datetime) -> dict[str, Any] | None:
    """The latest release's milestones and the days left to each, or None without a roadmap."""
    try:
        record = release_record(session, None)
    except UnknownRelease:
        return None
    release = Release(
        record.name, record.branch, record.feature_freeze, record.code_freeze, record.release_date
    )
    return freeze_dict(freeze_view(release, now))


SORT_KEYS = ("slug", "readiness", "declared_status", "pass_rate", "blocking", "mismatch")
READINESS_ORDER = ("blocked", "at_risk", "stale", "untested", "on_track", "ready", "dropped")


def select_features(
    rows: list[dict[str, Any]],
    *,
    readiness: str | None = None,
    query: str | None = None,
    sort: str | None = None,
    descending: bool = False,
) -> list[dict[str, Any]]:
    """Filter features by readiness and text, and sort them, as a shared link asks."""
    chosen = [r for r in rows if not readiness or r["readiness"] == readiness]
    if query:
        needle = query.lower()
        chosen = [
            r
            for r in chosen
            if needle in f"{r['slug']} {r['title']} {' '.join(r['owners'])}".lower()
        ]
    key = sort if sort in SORT_KEYS else "readiness"

    def order(row: dict[str, Any]) -> Any:
        value = row[key]
        if key == "readiness":
            return READINESS_ORDER.index(value)
        if key == "blocking":
            return len(value)
        if key == "pass_rate":
            return -1.0 if value is None else value
        return value

    return sorted(chosen, key=order, reverse=descending)


def feature_detail(
    session: Session, slug: str, policy: Policy, now: datetime
) -> dict[str, Any] | None:
    """One feature: readiness, reasons, history, and the grid of its steps over recent flights."""
    try:
        release, judged = readiness(session, policy, now)
    except UnknownRelease:
        return None
    found = next((j for j in judged if j.feature.slug == slug), None)
    if found is None:
        return None
    every = _marks(session, release.branch, now)
    when = {m.number: m.at.isoformat() for m in every}
    marks = every[-GRID_FLIGHTS:]
    data = feature_dict(found)
    data["series"] = [{**point, "started": when.get(point["flight"])} for point in data["series"]]
    return {
        **data,
        "release": freeze_dict(freeze_view(release, now)),
        "grid": {
            "flights": [_mark_dict(m) for m in marks],
            "rows": _grid(session, list(found.tests), [m.number for m in marks]),
        },
    }


def _grid(session: Session, keys: list[TestKey], flights: list[int]) -> list[dict[str, Any]]:
    if not keys or not flights:
        return []
    known = catalogue(session).ids
    ids = {known[k]: k for k in keys if k in known}
    cells: dict[TestKey, dict[int, dict[str, Any]]] = defaultdict(dict)
    rows = session.execute(
        select(
            StepRecord.test_id,
            StepRecord.flight_id,
            StepRecord.status,
            StepRecord.classification,
            StepRecord.ref_flight,
            StepRecord.ref_status,
            StepRecord.ref_blessing,
        ).where(StepRecord.test_id.in_(list(ids)), StepRecord.flight_id.in_(flights))
    )
    for test_id, flight, status, cls, ref, ref_status, ref_blessing in rows:
        cells[ids[test_id]][flight] = _stored_cell(status, cls, ref, ref_status, ref_blessing)
    grid: list[dict[str, Any]] = [
        {"job": k.job, "testid": k.testid, "cells": [cells[k].get(n) for n in flights]}
        for k in sorted(ids.values(), key=str)
    ]
    # Steps that did not pass somewhere in the grid first: they are what the page is for.
    return sorted(
        grid, key=lambda row: all(c is None or c["status"] == "pass" for c in row["cells"])
    )


def _stored_cell(
    status: str,
    classification: str | None,
    ref: int | None,
    ref_status: str | None,
    ref_blessing: str | None,
) -> dict[str, Any]:
    """Return a grid cell from a step row's stored finding."""
    if classification is None:
        return _cell(status, None)
    said = summary_of(
        Classification(classification),
        flight_label(ref, ref_blessing),
        ref_status=Status(ref_status) if ref_status else None,
        status=Status(status),
    )
    return {
        "status": status,
        "classification": classification,
        "ref_flight": ref,
        "summary": said,
        "blocking": Classification(classification).blocking,
    }


def _cell(status: str, finding: Finding | None) -> dict[str, Any]:
    return {
        "status": status,
        "classification": finding.classification.value if finding else None,
        "ref_flight": finding.ref_flight if finding else None,
        "summary": summary(finding) if finding else "",
        "blocking": finding.blocking if finding else False,
    }


def flights_page(
    session: Session,
    *,
    branch: str | None,
    verdict: Verdict | None,
    page: int,
    per_page: int = 50,
) -> dict[str, Any]:
    """A page of the flight list, newest first, filtered by branch and verdict."""
    total = count_flights(session, branch=branch, verdict=verdict)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = list_flights(
        session, branch=branch, verdict=verdict, limit=per_page, offset=(page - 1) * per_page
    )
    branches = session.scalars(select(BranchRecord.name).order_by(BranchRecord.name)).all()
    return {
        "flights": [summary_dict(r) for r in rows],
        "page": page,
        "pages": pages,
        "total": total,
        "branch": branch,
        "verdict": verdict.value if verdict else None,
        "branches": list(branches),
    }


@dataclass(frozen=True)
class FlightReport:
    """A stored flight with its judgement and what its report shows beyond them."""

    flight: Flight
    judgement: Judgement
    context: ReportContext


def flight_report(
    session: Session, number: int, policy: Policy, now: datetime
) -> FlightReport | None:
    """Load a flight for its report: the retests of its revisions and its push-gate age."""
    loaded = load_flight(session, number)
    if loaded is None:
        return None
    flight, judgement, _ids = loaded
    if flight.log_url is None:
        flight = dataclasses.replace(flight, log_url=policy.log_url(flight.branch, number))
    rows = session.execute(
        select(
            FlightRecord.id,
            FlightRecord.blessing,
            FlightRecord.intended,
            FlightRecord.log_url,
        ).where(FlightRecord.id.in_(list(judgement.retests)))
    ).all()
    retests = tuple(
        FlightLine(r.id, r.blessing, r.intended, r.log_url or policy.log_url(flight.branch, r.id))
        for r in rows
    )
    marks = _marks_of(session, flight.branch, number)
    age = push_age(
        number, judgement.tested, judgement.baseline, marks, now, blessing=policy.push_blessing
    )
    return FlightReport(flight, judgement, ReportContext(retests=retests, push_age=age))


def flight_detail(
    session: Session, number: int, policy: Policy, now: datetime
) -> dict[str, Any] | None:
    """A flight: its report, its osstest sections, and the scoreboard of jobs by testids."""
    found = flight_report(session, number, policy, now)
    if found is None:
        return None
    flight, judgement, context = found.flight, found.judgement, found.context
    report = report_dict(flight, judgement, context)
    sections = [
        {
            "analysis": where.value,
            "heading": where.heading.replace("\n", " "),
            "failures": [f for f in report["failures"] if f["section"] == where.value],
        }
        for where in sorted(Analysis, key=lambda a: a.rank)
        if any(f["section"] == where.value for f in report["failures"])
    ]
    jobs = [job.name for job in flight.jobs]
    testids: list[str] = []
    board: dict[tuple[str, str], dict[str, Any]] = {}
    findings = {f.step: f for f in judgement.own()}
    for step in flight.steps():
        if step.key.testid not in testids:
            testids.append(step.key.testid)
        finding = findings.get(step)
        board[(step.key.testid, step.key.job)] = {
            **_cell(step.status.value, finding),
            "stepno": step.stepno,
        }
    return {
        **report,
        "started": _iso(flight.started),
        "baseline_flight": max(judgement.baseline_flights, default=None),
        "sections": sections,
        "scoreboard": {
            "jobs": jobs,
            "rows": [{"testid": t, "cells": [board.get((t, j)) for j in jobs]} for t in testids],
        },
        "text": render_text(flight, judgement, context),
        "headers": headers(flight, judgement),
    }


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
                **_stored_cell(
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


def branch_detail(session: Session, branch: str, now: datetime) -> dict[str, Any] | None:
    """A branch's gate over time: pass rate, blockers, verdicts, pushes, never-pass and flaky steps."""
    marks = _marks(session, branch, now)
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
