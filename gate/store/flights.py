"""Save a flight with its judgement, load flights back, and re-judge later flights when history changes.

Every function takes a Session and never commits: the entrypoint owns the transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from gate.allow import AllowList
from gate.model import (
    Classification,
    Counts,
    Finding,
    Flight,
    Job,
    Judgement,
    PriorFlight,
    Status,
    Step,
    TestKey,
    Verdict,
)
from gate.policy import Policy
from gate.rules import judge
from gate.store.records import (
    BranchRecord,
    FlightRecord,
    JobRecord,
    StepRecord,
    TestRecord,
    TestTagRecord,
    as_utc,
)

CHUNK = 500
BRANCH = cast(Table, BranchRecord.__table__)
JOB = cast(Table, JobRecord.__table__)
TEST = cast(Table, TestRecord.__table__)
STEP = cast(Table, StepRecord.__table__)
TAG = cast(Table, TestTagRecord.__table__)
STEP_COLUMNS = (
    "flight_id",
    "job_id",
    "test_id",
    "position",
    "stepno",
    "status",
    "duration",
    "message",
    "output",
    "classification",
    "ref_flight",
)


class SaveStatus(StrEnum):
    CREATED = "created"
    UNCHANGED = "unchanged"
    REPLACED = "replaced"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class Saved:
    """What saving a flight did, with the flight's number and its (stored) verdict."""

    status: SaveStatus
    number: int
    verdict: Verdict
    pushed: bool
    rejudged: int = 0
    judgement: Judgement | None = None  # when the flight was judged now (created or replaced)


@dataclass(frozen=True)
class FlightSummary:
    """One row of the flight list."""

    number: int
    branch: str
    blessing: str
    revisions: dict[str, str]
    verdict: Verdict
    pushed: bool
    counts: Counts
    blocking: int
    started: datetime | None
    ingested: datetime


def in_chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """Yield the items a bounded slice at a time, for IN lists every database accepts."""
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _insert_ignoring_duplicates(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(table).on_conflict_do_nothing(), rows)
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(table).on_conflict_do_nothing(), rows)
    else:
        session.execute(insert(table), rows)


def _bulk_insert(
    session: Session, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert many rows; on SQLite straight through the driver, skipping per-row processing."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    # The table and column names are this module's constants, never input.
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    connection.exec_driver_sql(sql, rows)


def branch_id(session: Session, name: str, *, create: bool) -> int | None:
    """Return the id of a branch, creating it when asked; None for an unknown branch."""
    if create:
        _insert_ignoring_duplicates(session, BRANCH, [{"name": name}])
    return session.scalars(select(BranchRecord.id).where(BranchRecord.name == name)).first()


def test_ids(session: Session, keys: Iterable[TestKey], *, create: bool) -> dict[TestKey, int]:
    """Return the ids of these test identities, creating the missing ones when asked."""
    wanted = set(keys)
    jobs = sorted({key.job for key in wanted})

    def lookup() -> dict[TestKey, int]:
        found: dict[TestKey, int] = {}
        for names in in_chunks(jobs):
            # Core rows through the connection: no ORM result machinery for bulk reads.
            rows = session.connection().execute(
                select(TEST.c.id, TEST.c.job, TEST.c.testid).where(TEST.c.job.in_(names))
            )
            for test_id, job, testid in rows.all():
                key = TestKey(job, testid)
                if key in wanted:
                    found[key] = test_id
        return found

    found = lookup()
    missing = wanted - found.keys()
    if create and missing:
        rows = [{"job": k.job, "testid": k.testid} for k in sorted(missing, key=str)]
        _insert_ignoring_duplicates(session, TEST, rows)
        found = lookup()
    return found


def prior_flights(
    session: Session, branch: int, number: int, ids: Mapping[TestKey, int], policy: Policy
) -> list[PriorFlight]:
    """Load the evidence for judging flight `number`: lower flights with their results for `keys`."""
    headers = session.execute(
        select(FlightRecord.id, FlightRecord.blessing, FlightRecord.revisions, FlightRecord.pushed)
        .where(
            FlightRecord.branch_id == branch,
            FlightRecord.id < number,
            FlightRecord.blessing.in_(policy.evidence_blessings),
        )
        .order_by(FlightRecord.id.desc())
        .limit(policy.history_flights)
    ).all()
    if not headers:
        return []
    key_of = {test_id: key for key, test_id in ids.items()}
    results: dict[int, dict[TestKey, set[Status]]] = defaultdict(lambda: defaultdict(set))
    lowest = headers[-1].id
    for chunk in in_chunks(sorted(key_of)):
        rows = session.connection().execute(
            select(StepRecord.flight_id, StepRecord.test_id, StepRecord.status)
            .join(FlightRecord, FlightRecord.id == StepRecord.flight_id)
            .where(
                StepRecord.test_id.in_(chunk),
                StepRecord.flight_id >= lowest,
                StepRecord.flight_id < number,
                FlightRecord.branch_id == branch,
            )
        )
        for flight_id, test_id, status in rows:
            results[flight_id][key_of[test_id]].add(Status(status))
    return [
        PriorFlight(
            number=h.id,
            blessing=h.blessing,
            revisions=h.revisions,
            pushed=h.pushed,
            results={k: frozenset(v) for k, v in results.get(h.id, {}).items()},
        )
        for h in headers
    ]


def _judge(
    session: Session,
    branch: int,
    flight: Flight,
    allow: AllowList,
    policy: Policy,
    ids: Mapping[TestKey, int] | None = None,
) -> Judgement:
    assert flight.number is not None
    keys = {s.key for s in flight.steps() if s.status is not Status.PASS}
    if ids is None:
        ids = test_ids(session, keys, create=False)
    relevant = {key: ids[key] for key in keys if key in ids}
    prior = prior_flights(session, branch, flight.number, relevant, policy)
    return judge(flight, prior, allow, policy)


def _finding_at(flight: Flight, judgement: Judgement) -> dict[int, Finding]:
    findings = iter(judgement.findings)
    return {
        position: next(findings)
        for position, step in enumerate(flight.steps())
        if step.status is not Status.PASS
    }


def _judgement_columns(judgement: Judgement) -> dict[str, Any]:
    return {
        "verdict": judgement.verdict.value,
        "pushed": judgement.pushed,
        "judged_baseline": dict(judgement.baseline),
        "baseline_flights": list(judgement.baseline_flights),
    }


def _next_number(session: Session) -> int:
    return (session.scalar(select(func.max(FlightRecord.id))) or 0) + 1


def _existing(session: Session, flight: Flight, digest: str) -> FlightRecord | None:
    if flight.number is not None:
        return session.get(FlightRecord, flight.number)
    return session.scalars(
        select(FlightRecord)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(FlightRecord.digest == digest, BranchRecord.name == flight.branch)
    ).first()


def save_flight(
    session: Session,
    flight: Flight,
    *,
    digest: str,
    source: str,
    now: datetime,
    replace: bool = False,
    allow: AllowList | None = None,
    policy: Policy | None = None,
) -> Saved:
    """Judge a flight and store it whole; the same content again is `unchanged`."""
    allow = allow or AllowList()
    policy = policy or Policy()
    existing = _existing(session, flight, digest)
    status = SaveStatus.CREATED
    old_branch: int | None = None
    if existing is not None:
        if existing.digest == digest:
            return Saved(
                SaveStatus.UNCHANGED, existing.id, Verdict(existing.verdict), existing.pushed
            )
        if not replace:
            return Saved(
                SaveStatus.CONFLICT, existing.id, Verdict(existing.verdict), existing.pushed
            )
        old_branch = existing.branch_id
        session.execute(delete(StepRecord).where(StepRecord.flight_id == existing.id))
        session.execute(delete(JobRecord).where(JobRecord.flight_id == existing.id))
        session.delete(existing)
        session.flush()
        status = SaveStatus.REPLACED
    branch = branch_id(session, flight.branch, create=True)
    assert branch is not None
    number = flight.number if flight.number is not None else _next_number(session)
    flight = Flight(
        number=number,
        branch=flight.branch,
        jobs=flight.jobs,
        blessing=flight.blessing,
        revisions=flight.revisions,
        baseline=flight.baseline,
        started=flight.started,
    )
    tests = test_ids(session, {s.key for s in flight.steps()}, create=True)
    judgement = _judge(session, branch, flight, allow, policy, tests)
    counts = Counts.of(flight.steps())
    session.add(
        FlightRecord(
            id=number,
            branch_id=branch,
            blessing=flight.blessing,
            revisions=dict(flight.revisions),
            baseline=dict(flight.baseline),
            started=flight.started,
            ingested=now,
            source=source,
            digest=digest,
            tests=counts.tests,
            failures=counts.failures,
            errors=counts.errors,
            skipped=counts.skipped,
            **_judgement_columns(judgement),
        )
    )
    session.flush()
    _insert_jobs_and_steps(session, flight, judgement, tests)
    rejudged = rejudge_after(session, branch, number, allow, policy)
    if old_branch is not None and old_branch != branch:
        rejudged += rejudge_after(session, old_branch, number, allow, policy)
    return Saved(status, number, judgement.verdict, judgement.pushed, rejudged, judgement)


def _insert_jobs_and_steps(
    session: Session, flight: Flight, judgement: Judgement, tests: Mapping[TestKey, int]
) -> None:
    assert flight.number is not None
    if not flight.jobs:
        return
    session.execute(
        insert(JOB),
        [
            {"flight_id": flight.number, "name": j.name, "status": j.status.value, "host": j.host}
            for j in flight.jobs
        ],
    )
    job_ids = dict(
        session.execute(
            select(JobRecord.name, JobRecord.id).where(JobRecord.flight_id == flight.number)
        ).all()
    )
    finding_at = _finding_at(flight, judgement)
    number = flight.number
    rows = []
    for position, step in enumerate(flight.steps()):
        finding = finding_at.get(position)
        rows.append(
            (
                number,
                job_ids[step.key.job],
                tests[step.key],
                position,
                step.stepno,
                step.status.value,
                step.duration,
                step.message or None,
                step.output or None,
                finding.classification.value if finding else None,
                finding.ref_flight if finding else None,
            )
        )
    if rows:
        _bulk_insert(session, STEP, STEP_COLUMNS, rows)
    tags = sorted({(tests[s.key], slug) for s in flight.steps() for slug in s.features})
    if tags:
        _insert_ignoring_duplicates(session, TAG, [{"test_id": t, "slug": s} for t, s in tags])


def rejudge_after(
    session: Session, branch: int, number: int, allow: AllowList, policy: Policy
) -> int:
    """Judge again, in order, every flight of the branch above `number`; return how many."""
    later = session.scalars(
        select(FlightRecord.id)
        .where(FlightRecord.branch_id == branch, FlightRecord.id > number)
        .order_by(FlightRecord.id)
    ).all()
    for later_number in later:
        loaded = load_flight(session, later_number)
        assert loaded is not None
        flight, _old, step_ids = loaded
        judgement = _judge(session, branch, flight, allow, policy)
        session.execute(
            update(FlightRecord)
            .where(FlightRecord.id == later_number)
            .values(**_judgement_columns(judgement))
        )
        rows = [
            {"step_id": step_ids[pos], "cls": f.classification.value, "ref": f.ref_flight}
            for pos, f in _finding_at(flight, judgement).items()
        ]
        if rows:
            session.connection().execute(
                update(STEP)
                .where(STEP.c.id == bindparam("step_id"))
                .values(classification=bindparam("cls"), ref_flight=bindparam("ref")),
                rows,
            )
    return len(later)


def load_flight(session: Session, number: int) -> tuple[Flight, Judgement, list[int]] | None:
    """Load a stored flight with its stored judgement and its step ids in document order."""
    record = session.get(FlightRecord, number)
    if record is None:
        return None
    branch = session.get_one(BranchRecord, record.branch_id).name
    jobs = session.execute(
        select(JobRecord.id, JobRecord.name, JobRecord.status, JobRecord.host)
        .where(JobRecord.flight_id == number)
        .order_by(JobRecord.id)
    ).all()
    rows = session.execute(
        select(StepRecord, TestRecord.testid)
        .join(TestRecord, TestRecord.id == StepRecord.test_id)
        .where(StepRecord.flight_id == number)
        .order_by(StepRecord.position)
    ).all()
    job_name = {j.id: j.name for j in jobs}
    steps_of: dict[int, list[Step]] = defaultdict(list)
    ordered: list[tuple[Step, StepRecord]] = []
    for step_record, testid in rows:
        step = Step(
            key=TestKey(job_name[step_record.job_id], testid),
            stepno=step_record.stepno,
            status=Status(step_record.status),
            duration=step_record.duration,
            message=step_record.message or "",
            output=step_record.output or "",
        )
        steps_of[step_record.job_id].append(step)
        ordered.append((step, step_record))
    flight = Flight(
        number=number,
        branch=branch,
        jobs=tuple(Job(j.name, Status(j.status), tuple(steps_of[j.id]), j.host) for j in jobs),
        blessing=record.blessing,
        revisions=record.revisions,
        baseline=record.baseline,
        started=as_utc(record.started),
    )
    # Positions were given job by job, so position order is the order of flight.steps().
    findings = tuple(
        Finding(step, Classification(r.classification), r.ref_flight)
        for step, r in ordered
        if r.classification is not None
    )
    judgement = Judgement(
        verdict=Verdict(record.verdict),
        pushed=record.pushed,
        findings=findings,
        baseline=record.judged_baseline,
        baseline_flights=tuple(record.baseline_flights),
    )
    return flight, judgement, [r.id for _step, r in ordered]


def _flight_filter(branch: str | None, verdict: Verdict | None) -> list[Any]:
    conditions: list[Any] = []
    if branch is not None:
        conditions.append(BranchRecord.name == branch)
    if verdict is not None:
        conditions.append(FlightRecord.verdict == verdict.value)
    return conditions


def count_flights(
    session: Session, *, branch: str | None = None, verdict: Verdict | None = None
) -> int:
    """Count the flights that list_flights would page through."""
    query = (
        select(func.count())
        .select_from(FlightRecord)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(*_flight_filter(branch, verdict))
    )
    return int(session.scalar(query) or 0)


def list_flights(
    session: Session,
    *,
    branch: str | None = None,
    verdict: Verdict | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[FlightSummary]:
    """List flights, newest first, optionally of one branch or one verdict."""
    blocking = (
        select(func.count())
        .where(
            StepRecord.flight_id == FlightRecord.id,
            StepRecord.classification == Classification.REGRESSION.value,
        )
        .correlate(FlightRecord)
        .scalar_subquery()
    )
    query = (
        select(FlightRecord, BranchRecord.name, blocking)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(*_flight_filter(branch, verdict))
        .order_by(FlightRecord.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [
        FlightSummary(
            number=r.id,
            branch=name,
            blessing=r.blessing,
            revisions=r.revisions,
            verdict=Verdict(r.verdict),
            pushed=r.pushed,
            counts=Counts(r.tests, r.failures, r.errors, r.skipped),
            blocking=n_blocking,
            started=as_utc(r.started),
            ingested=as_utc(r.ingested),
        )
        for r, name, n_blocking in session.execute(query)
    ]


def summary_dict(summary: FlightSummary) -> dict[str, Any]:
    """Return one row of the flight list as the JSON object the CLI and the API share."""
    return {
        "flight": summary.number,
        "branch": summary.branch,
        "blessing": summary.blessing,
        "revision": summary.revisions,
        "verdict": summary.verdict.value,
        "pushed": summary.pushed,
        "tests": summary.counts.tests,
        "failures": summary.counts.failures,
        "errors": summary.counts.errors,
        "skipped": summary.counts.skipped,
        "blocking": summary.blocking,
        "started": summary.started.isoformat() if summary.started else None,
        "ingested": summary.ingested.isoformat(),
    }
