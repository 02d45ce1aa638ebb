"""Save a flight with its judgement, load flights back, and re-judge later flights when history changes.

Every function takes a Session and never commits: the entrypoint owns the transaction.
"""

from __future__ import annotations

import dataclasses
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
    NONE_EXECUTED,
    Classification,
    Counts,
    Finding,
    Flight,
    Job,
    Judgement,
    PriorFlight,
    Push,
    Status,
    Step,
    TestKey,
    Verdict,
)
from gate.policy import Policy, is_retest
from gate.rules import built, failures_of, judge, specs
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
    "ref_status",
    "ref_blessing",
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
    changes: tuple[Change, ...] = ()  # the other flights whose verdict or push it changed


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


def _prior_headers(
    session: Session, branch: int, flight: Flight, policy: Policy
) -> list[PriorFlight]:
    """Return the branch's flights that may be evidence for this one, without their results."""
    assert flight.number is not None
    blessings = sorted(policy.blessings(flight.branch))
    columns = (
        FlightRecord.id,
        FlightRecord.blessing,
        FlightRecord.revisions,
        FlightRecord.pushed,
        FlightRecord.started,
        FlightRecord.baseline,
    )
    lower = session.execute(
        select(*columns)
        .where(
            FlightRecord.branch_id == branch,
            FlightRecord.id < flight.number,
            FlightRecord.blessing.in_(blessings),
        )
        .order_by(FlightRecord.id.desc())
        .limit(policy.history_flights)
    ).all()
    retests = session.execute(
        select(*columns).where(
            FlightRecord.branch_id == branch,
            FlightRecord.id > flight.number,
            FlightRecord.blessing.in_([b for b in blessings if is_retest(b)]),
        )
    ).all()
    return [
        PriorFlight(
            h.id,
            h.blessing,
            h.revisions,
            h.pushed,
            {},
            started=as_utc(h.started),
            baseline=h.baseline,
        )
        for h in (*lower, *retests)
    ]


def prior_flights(
    session: Session,
    branch: int,
    flight: Flight,
    policy: Policy,
    known: Mapping[TestKey, int] | None = None,
) -> list[PriorFlight]:
    """Load the evidence for judging a flight: the flights that may count, with the results of
    the steps that matter, and the failures of the flights that may excuse a heisenbug."""
    headers = _prior_headers(session, branch, flight, policy)
    if not headers:
        return []
    lower = [h for h in headers if h.number < (flight.number or 0)]
    tested, _baseline = specs(flight, lower, policy)
    heisen = [h.number for h in headers if built(h.revisions, tested)]
    heisen_set = set(heisen)
    failures: dict[int, list[Step]] = defaultdict(list)
    all_jobs: dict[int, dict[str, Status]] = defaultdict(dict)
    for chunk in in_chunks(heisen):
        rows = session.execute(
            select(
                StepRecord.flight_id,
                TestRecord.job,
                TestRecord.testid,
                StepRecord.stepno,
                StepRecord.status,
            )
            .join(TestRecord, TestRecord.id == StepRecord.test_id)
            .where(StepRecord.flight_id.in_(chunk), StepRecord.status != Status.PASS.value)
            .order_by(StepRecord.flight_id, StepRecord.position)
        )
        for number, job, testid, stepno, status in rows:
            failures[number].append(Step(TestKey(job, testid), stepno, Status(status)))
        jobs = session.execute(
            select(JobRecord.flight_id, JobRecord.name, JobRecord.status).where(
                JobRecord.flight_id.in_(chunk)
            )
        )
        for number, name, status in jobs:
            all_jobs[number][name] = Status(status)
    keys = {s.key for s in failures_of(flight)}
    keys |= {s.key for steps in failures.values() for s in steps}
    known = known or {}
    ids = {key: known[key] for key in keys if key in known}
    ids |= test_ids(session, keys - ids.keys(), create=False) if keys - ids.keys() else {}
    key_of = {test_id: key for key, test_id in ids.items()}
    wanted_jobs = sorted({key.job for key in keys})
    numbers = [h.number for h in headers]
    results: dict[int, dict[TestKey, set[Status]]] = defaultdict(lambda: defaultdict(set))
    ran: dict[int, dict[str, Status]] = defaultdict(dict)
    for flights in in_chunks(numbers):
        for tests in in_chunks(sorted(key_of)):
            rows = session.connection().execute(
                select(STEP.c.flight_id, STEP.c.test_id, STEP.c.status).where(
                    STEP.c.flight_id.in_(flights), STEP.c.test_id.in_(tests)
                )
            )
            for number, test_id, status in rows:
                results[number][key_of[test_id]].add(Status(status))
        for names in in_chunks(wanted_jobs):
            jobs = session.connection().execute(
                select(JOB.c.flight_id, JOB.c.name, JOB.c.status).where(
                    JOB.c.flight_id.in_(flights), JOB.c.name.in_(names)
                )
            )
            for number, name, status in jobs:
                ran[number][name] = Status(status)
    return [
        PriorFlight(
            number=h.number,
            blessing=h.blessing,
            revisions=h.revisions,
            pushed=h.pushed,
            results={k: frozenset(v) for k, v in results.get(h.number, {}).items()},
            jobs={**ran.get(h.number, {}), **all_jobs.get(h.number, {})},
            failures=tuple(failures[h.number]) if h.number in heisen_set else None,
            started=h.started,
            baseline=h.baseline,
        )
        for h in headers
    ]


def _judge(
    session: Session,
    branch: int,
    flight: Flight,
    allow: AllowList,
    policy: Policy,
    known: Mapping[TestKey, int] | None = None,
) -> Judgement:
    assert flight.number is not None
    return judge(flight, prior_flights(session, branch, flight, policy, known), allow, policy)


def _finding_at(flight: Flight, judgement: Judgement) -> dict[int, Finding]:
    """Return the findings of the flight's own steps by position; the rest have no step row."""
    others = _other_findings(judgement)
    own = [f for f in judgement.findings if f not in others]
    positions = [p for p, s in enumerate(flight.steps()) if s.status is not Status.PASS]
    return dict(zip(positions, own, strict=True))


def _other_findings(judgement: Judgement) -> list[Finding]:
    return [
        f
        for f in judgement.findings
        if f.in_flight is not None or f.step.key.testid == NONE_EXECUTED
    ]


def finding_row(finding: Finding) -> dict[str, Any]:
    """Return a finding that has no step row of its flight as a JSON object."""
    step = finding.step
    return {
        "job": step.key.job,
        "testid": step.key.testid,
        "stepno": step.stepno,
        "status": step.status.value,
        "classification": finding.classification.value,
        "ref_flight": finding.ref_flight,
        "ref_status": finding.ref_status.value if finding.ref_status else None,
        "ref_blessing": finding.ref_blessing,
        "in_flight": finding.in_flight,
    }


def finding_of_row(row: Mapping[str, Any]) -> Finding:
    """Read back a finding stored by `finding_row`."""
    return Finding(
        Step(TestKey(row["job"], row["testid"]), row["stepno"], Status(row["status"])),
        Classification(row["classification"]),
        row["ref_flight"],
        Status(row["ref_status"]) if row["ref_status"] else None,
        row["ref_blessing"],
        row["in_flight"],
    )


def findings_elsewhere(session: Session, numbers: Sequence[int]) -> dict[int, list[Finding]]:
    """Return, per flight, its findings without a step row: `<none executed>` jobs, and the
    failures of the flights that excused its heisenbugs."""
    found: dict[int, list[Finding]] = {}
    for chunk in in_chunks(list(numbers)):
        rows = session.execute(
            select(FlightRecord.id, FlightRecord.other_findings).where(FlightRecord.id.in_(chunk))
        )
        for number, others in rows:
            if others:
                found[number] = [finding_of_row(row) for row in others]
    return found


def _judgement_columns(judgement: Judgement) -> dict[str, Any]:
    return {
        "verdict": judgement.verdict.value,
        "pushed": judgement.pushed,
        "push": judgement.push.value,
        "blocking": len(judgement.blocking()),
        "judged_baseline": dict(judgement.baseline),
        "judged_tested": dict(judgement.tested),
        "baseline_flights": list(judgement.baseline_flights),
        "retests": list(judgement.retests),
        "other_findings": [finding_row(f) for f in _other_findings(judgement)],
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
    flight = dataclasses.replace(flight, number=number)
    tests = test_ids(session, {s.key for s in flight.steps()}, create=True)
    judgement = _judge(session, branch, flight, allow, policy, tests)
    counts = Counts.of(flight.steps())
    session.add(
        FlightRecord(
            id=number,
            branch_id=branch,
            blessing=flight.blessing,
            intended=flight.intended,
            log_url=flight.log_url,
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
    first = _first_affected(session, branch, flight, judgement)
    changes = rejudge_from(session, branch, first, allow, policy, skip=number)
    if old_branch is not None and old_branch != branch:
        changes += rejudge_from(session, old_branch, number + 1, allow, policy, skip=number)
    rejudged = len(changes)
    return Saved(
        status,
        number,
        judgement.verdict,
        judgement.pushed,
        rejudged,
        judgement,
        tuple(c for c in changes if c.changed),
    )


def _first_affected(session: Session, branch: int, flight: Flight, judgement: Judgement) -> int:
    """Return the lowest flight whose judgement a new flight may change.

    Every later flight may (it is their evidence); a retest also changes the earlier flights of
    the revisions it retested, whose heisenbugs it may excuse.
    """
    assert flight.number is not None
    if not is_retest(flight.blessing) or not judgement.tested:
        return flight.number + 1
    earlier = session.execute(
        select(FlightRecord.id, FlightRecord.revisions).where(
            FlightRecord.branch_id == branch, FlightRecord.id < flight.number
        )
    ).all()
    retested = [n for n, revisions in earlier if built(revisions, judgement.tested)]
    return min(retested, default=flight.number + 1)


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
                finding.ref_status.value if finding and finding.ref_status else None,
                finding.ref_blessing if finding else None,
            )
        )
    if rows:
        _bulk_insert(session, STEP, STEP_COLUMNS, rows)
    tags = sorted({(tests[s.key], slug) for s in flight.steps() for slug in s.features})
    if tags:
        _insert_ignoring_duplicates(session, TAG, [{"test_id": t, "slug": s} for t, s in tags])


@dataclass(frozen=True)
class Change:
    """A stored flight judged again: its verdict and push before and after."""

    number: int
    verdict_before: Verdict
    verdict: Verdict
    push_before: Push
    push: Push

    @property
    def changed(self) -> bool:
        return (self.verdict_before, self.push_before) != (self.verdict, self.push)

    def sentence(self) -> str:
        """Say what changed, e.g. `flight 101 judged again: regressions -> tolerable, now pushed`."""
        said = f"flight {self.number} judged again: {self.verdict_before} -> {self.verdict}"
        if self.push_before != self.push:
            said += ", now pushed" if self.push.pushed else f", {self.push.value.replace('_', ' ')}"
        return said


def rejudge_from(
    session: Session,
    branch: int,
    first: int,
    allow: AllowList,
    policy: Policy,
    *,
    skip: int | None = None,
) -> list[Change]:
    """Judge again, in order, every flight of the branch from `first` on; return what it did."""
    later = session.scalars(
        select(FlightRecord.id)
        .where(FlightRecord.branch_id == branch, FlightRecord.id >= first)
        .order_by(FlightRecord.id)
    ).all()
    changes: list[Change] = []
    for later_number in later:
        if later_number == skip:
            continue
        loaded = load_flight(session, later_number)
        assert loaded is not None
        flight, old, step_ids = loaded
        judgement = _judge(session, branch, flight, allow, policy)
        changes.append(
            Change(later_number, old.verdict, judgement.verdict, old.push, judgement.push)
        )
        session.execute(
            update(FlightRecord)
            .where(FlightRecord.id == later_number)
            .values(**_judgement_columns(judgement))
        )
        rows = [
            {
                "step_id": step_ids[pos],
                "cls": f.classification.value,
                "ref": f.ref_flight,
                "ref_st": f.ref_status.value if f.ref_status else None,
                "ref_bl": f.ref_blessing,
            }
            for pos, f in _finding_at(flight, judgement).items()
        ]
        if rows:
            session.connection().execute(
                update(STEP)
                .where(STEP.c.id == bindparam("step_id"))
                .values(
                    classification=bindparam("cls"),
                    ref_flight=bindparam("ref"),
                    ref_status=bindparam("ref_st"),
                    ref_blessing=bindparam("ref_bl"),
                ),
                rows,
            )
    return changes


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
        intended=record.intended,
        log_url=record.log_url,
    )
    # Positions were given job by job, so position order is the order of flight.steps().
    findings = tuple(
        Finding(
            step,
            Classification(r.classification),
            r.ref_flight,
            Status(r.ref_status) if r.ref_status else None,
            r.ref_blessing,
        )
        for step, r in ordered
        if r.classification is not None
    )
    judgement = Judgement(
        verdict=Verdict(record.verdict),
        push=Push(record.push),
        findings=findings + tuple(finding_of_row(row) for row in record.other_findings),
        baseline=record.judged_baseline,
        baseline_flights=tuple(record.baseline_flights),
        tested=record.judged_tested,
        retests=tuple(record.retests),
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
    query = (
        select(FlightRecord, BranchRecord.name)
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
            blocking=r.blocking,
            started=as_utc(r.started),
            ingested=as_utc(r.ingested),
        )
        for r, name in session.execute(query)
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
