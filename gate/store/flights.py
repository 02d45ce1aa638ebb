"""Save a flight with its judgement, load flights back, and re-judge later flights when history changes.

Every function takes a Session and never commits: the entrypoint owns the transaction.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, null, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gate.allow import AllowList
from gate.model import (
    MAX_NUMBER,
    Classification,
    Counts,
    Finding,
    Flight,
    Job,
    Judgement,
    Push,
    Status,
    Step,
    TestKey,
    Verdict,
)
from gate.policy import Policy, is_retest
from gate.read.flights import FlightRow
from gate.rules import built, judge
from gate.store.bulk import JOB, STEP, TAG, bulk_insert, in_chunks, insert_ignoring_duplicates
from gate.store.evidence import prior_flights
from gate.store.failures import record_failures
from gate.store.findings import finding_at, finding_of_row, judgement_columns
from gate.store.keys import branch_id, test_ids
from gate.store.locks import share_flights
from gate.store.passes import forget_passes, record_passes
from gate.store.records import (
    BranchRecord,
    FlightRecord,
    JobRecord,
    StepRecord,
    TestRecord,
    as_utc,
    happened_by,
)
from gate.store.summaries import forget_flight, record_flight
from gate.store.timeline import forget_days

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
    "attempts",
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


def _judge(
    session: Session,
    branch: int,
    flight: Flight,
    allow: AllowList,
    policy: Policy,
    known: Mapping[TestKey, int] | None = None,
) -> Judgement:
    assert flight.number is not None
    found = prior_flights(session, branch, flight, policy, known)
    return judge(flight, found.flights, allow, policy, passed=found.passed)


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
    texts: Iterable[tuple[str, str]] | None = None,
) -> Saved:
    """Judge a flight and store it whole; the same content again is `unchanged`.

    `texts` gives each step's (message, output) in `flight.steps()` order when the steps do not
    carry their own (a big flight keeps them out of memory): it is read once per attempt, while
    the step rows are written. Another writer may store the same flight at the same moment: the
    loser's savepoint is rolled back and it tries once more, when it finds the winner's flight
    (unchanged, or a conflict). On PostgreSQL it first waits for any prune's batch under way
    (`gate.store.locks`).
    """
    share_flights(session)  # before the savepoint: the lock is the transaction's
    for attempt in (1, 2):
        try:
            with session.begin_nested():
                return _save_flight(
                    session,
                    flight,
                    texts=texts,
                    digest=digest,
                    source=source,
                    now=now,
                    replace=replace,
                    allow=allow,
                    policy=policy,
                )
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _save_flight(
    session: Session,
    flight: Flight,
    *,
    texts: Iterable[tuple[str, str]] | None,
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
        forget_passes(session, existing.branch_id, existing.id)
        forget_flight(session, existing.id)
        session.execute(delete(StepRecord).where(StepRecord.flight_id == existing.id))
        session.execute(delete(JobRecord).where(JobRecord.flight_id == existing.id))
        session.delete(existing)
        session.flush()
        status = SaveStatus.REPLACED
    branch = branch_id(session, flight.branch, create=True)
    assert branch is not None
    number = flight.number if flight.number is not None else _next_number(session)
    flight = dataclasses.replace(flight, number=number)
    created: list[int] = []  # a list: a big flight's new tests are many, each just once
    # No set of the keys here: test_ids makes the one dict a big flight's tests need.
    keys = (step.key for job in flight.jobs for step in job.steps)
    tests = test_ids(session, keys, create=True, created=created)
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
            **judgement_columns(flight, judgement),
        )
    )
    session.flush()
    tagged = _insert_jobs_and_steps(session, flight, judgement, tests, texts)
    record_failures(session, number)
    record_passes(session, branch, flight)
    record_flight(session, number, [*created, *tagged.difference(created)])
    first = _first_affected(session, branch, flight, judgement)
    changes = rejudge_from(session, branch, first, allow, policy, skip=number)
    if old_branch is not None and old_branch != branch:
        changes += rejudge_from(session, old_branch, _after(number), allow, policy, skip=number)
    rejudged = len(changes)
    # The readiness kept of the days this flight and those judged again show evidence for is
    # out of date (the flight it replaced forgot its own days).
    forget_days(session, branch, _earliest(session, branch, first, flight.started or now, number))
    if old_branch is not None and old_branch != branch:
        moved = _earliest(session, old_branch, _after(number), None, number)
        if moved is not None:
            forget_days(session, old_branch, moved)
    return Saved(
        status,
        number,
        judgement.verdict,
        judgement.pushed,
        rejudged,
        judgement,
        tuple(c for c in changes if c.changed),
    )


def _earliest(
    session: Session, branch: int, first: int, moment: datetime | None, but: int
) -> datetime | None:
    """Return the earliest of `moment` and the moments of the branch's flights from `first` on
    but one (the flights a save judged again)."""
    found = session.scalar(
        select(func.min(func.coalesce(FlightRecord.started, FlightRecord.ingested))).where(
            FlightRecord.branch_id == branch, FlightRecord.id >= first, FlightRecord.id != but
        )
    )
    moments = [as_utc(m) for m in (moment, found) if m is not None]
    return min(moments, default=None)


def _first_affected(session: Session, branch: int, flight: Flight, judgement: Judgement) -> int:
    """Return the lowest flight whose judgement a new flight may change.

    Every later flight may (it is their evidence); a retest also changes the earlier flights of
    the revisions it retested, whose heisenbugs it may excuse.
    """
    assert flight.number is not None
    if not is_retest(flight.blessing) or not judgement.tested:
        return _after(flight.number)
    earlier = session.execute(
        select(FlightRecord.id, FlightRecord.revisions).where(
            FlightRecord.branch_id == branch, FlightRecord.id < flight.number
        )
    ).all()
    retested = [n for n, revisions in earlier if built(revisions, judgement.tested)]
    return min(retested, default=_after(flight.number))


def _after(number: int) -> int:
    """The number after a flight's, as a bound of the flights from it on: the store's integers
    end at `MAX_NUMBER`, and the last flight there can be stands for the one after it (each
    caller skips the flight itself)."""
    return min(number + 1, MAX_NUMBER)


def _insert_jobs_and_steps(
    session: Session,
    flight: Flight,
    judgement: Judgement,
    tests: Mapping[TestKey, int],
    texts: Iterable[tuple[str, str]] | None,
) -> set[int]:
    """Store the flight's jobs, steps and tags; return the tests that gained a tag."""
    assert flight.number is not None
    if not flight.jobs:
        return set()
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
    if texts is None:
        texts = ((step.message, step.output) for step in flight.steps())
    bulk_insert(session, STEP, STEP_COLUMNS, _step_rows(flight, judgement, tests, job_ids, texts))
    tags = {(tests[s.key], slug) for s in flight.steps() for slug in s.features}
    if not tags:
        return set()
    for chunk in in_chunks(sorted({test_id for test_id, _slug in tags})):
        known = session.execute(select(TAG.c.test_id, TAG.c.slug).where(TAG.c.test_id.in_(chunk)))
        tags -= {(test_id, slug) for test_id, slug in known}
    if tags:
        insert_ignoring_duplicates(
            session, TAG, [{"test_id": t, "slug": s} for t, s in sorted(tags)]
        )
    return {test_id for test_id, _slug in tags}


def _step_rows(
    flight: Flight,
    judgement: Judgement,
    tests: Mapping[TestKey, int],
    job_ids: Mapping[str, int],
    texts: Iterable[tuple[str, str]],
) -> Iterator[tuple[Any, ...]]:
    """Yield the step rows one at a time, each with its texts and its finding's columns."""
    judged_at = finding_at(flight, judgement)
    number = flight.number
    steps = flight.steps()
    for position, (step, (message, output)) in enumerate(zip(steps, texts, strict=True)):
        finding = judged_at.get(position)
        yield (
            number,
            job_ids[step.key.job],
            tests[step.key],
            position,
            step.stepno,
            step.status.value,
            step.duration,
            message or None,
            output or None,
            finding.classification.value if finding else None,
            finding.ref_flight if finding else None,
            finding.ref_status.value if finding and finding.ref_status else None,
            finding.ref_blessing if finding else None,
            step.attempts,
        )


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
    return rejudge(session, branch, [n for n in later if n != skip], allow, policy)


def rejudge(
    session: Session, branch: int, numbers: Iterable[int], allow: AllowList, policy: Policy
) -> list[Change]:
    """Judge again, in this order, these flights of the branch; return what it did.

    A flight no longer stored is passed over: a prune deleted it since it was listed (a save
    holds off prunes with `gate.store.locks`; a caller that does not may meet one), and a
    flight that is gone is the basis of no judgement.
    """
    changes: list[Change] = []
    for later_number in numbers:
        loaded = load_flight(session, later_number, texts=False)
        if loaded is None:
            continue
        flight, old, step_ids = loaded
        judgement = _judge(session, branch, flight, allow, policy)
        changes.append(
            Change(later_number, old.verdict, judgement.verdict, old.push, judgement.push)
        )
        session.execute(
            update(FlightRecord)
            .where(FlightRecord.id == later_number)
            .values(**judgement_columns(flight, judgement))
        )
        rows = [
            {
                "step_id": step_ids[pos],
                "cls": f.classification.value,
                "ref": f.ref_flight,
                "ref_st": f.ref_status.value if f.ref_status else None,
                "ref_bl": f.ref_blessing,
            }
            for pos, f in finding_at(flight, judgement).items()
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


def load_flight(
    session: Session, number: int, *, texts: bool = True
) -> tuple[Flight, Judgement, list[int]] | None:
    """Load a stored flight with its stored judgement and its step ids in document order;
    without the steps' messages and output when `texts` is false (judging reads neither)."""
    record = session.get(FlightRecord, number)
    if record is None:
        return None
    branch = session.get_one(BranchRecord, record.branch_id).name
    jobs = session.execute(
        select(JobRecord.id, JobRecord.name, JobRecord.status, JobRecord.host)
        .where(JobRecord.flight_id == number)
        .order_by(JobRecord.id)
    ).all()
    texts_or_none = (StepRecord.message, StepRecord.output) if texts else (null(), null())
    # Plain rows, not ORM objects: a flight has thousands of steps.
    rows = session.execute(
        select(
            StepRecord.id,
            StepRecord.job_id,
            TestRecord.testid,
            StepRecord.stepno,
            StepRecord.status,
            StepRecord.duration,
            *texts_or_none,
            StepRecord.attempts,
            StepRecord.classification,
            StepRecord.ref_flight,
            StepRecord.ref_status,
            StepRecord.ref_blessing,
        )
        .join(TestRecord, TestRecord.id == StepRecord.test_id)
        .where(StepRecord.flight_id == number)
        .order_by(StepRecord.position)
    ).all()
    job_name = {j.id: j.name for j in jobs}
    steps_of: dict[int, list[Step]] = defaultdict(list)
    ordered: list[tuple[Step, Any]] = []
    for r in rows:
        step = Step(
            key=TestKey(job_name[r.job_id], r.testid),
            stepno=r.stepno,
            status=Status(r.status),
            duration=r.duration,
            message=r[6] or "",
            output=r[7] or "",
            attempts=r.attempts,
        )
        steps_of[r.job_id].append(step)
        ordered.append((step, r))
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


def _flight_filter(
    branch: str | None, verdict: Verdict | None, now: datetime | None = None
) -> list[Any]:
    conditions: list[Any] = [] if now is None else [happened_by(now)]
    if branch is not None:
        conditions.append(BranchRecord.name == branch)
    if verdict is not None:
        conditions.append(FlightRecord.verdict == verdict.value)
    return conditions


def count_flights(
    session: Session,
    *,
    branch: str | None = None,
    verdict: Verdict | None = None,
    now: datetime | None = None,
) -> int:
    """Count the flights that list_flights would page through."""
    query = (
        select(func.count())
        .select_from(FlightRecord)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(*_flight_filter(branch, verdict, now))
    )
    return int(session.scalar(query) or 0)


def list_flights(
    session: Session,
    *,
    branch: str | None = None,
    verdict: Verdict | None = None,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> list[FlightRow]:
    """List flights, newest first, optionally of one branch or one verdict, and only those that
    happened by `now` when given."""
    query = (
        select(FlightRecord, BranchRecord.name)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(*_flight_filter(branch, verdict, now))
        .order_by(FlightRecord.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [
        FlightRow(
            flight=r.id,
            branch=name,
            blessing=r.blessing,
            revision=r.revisions,
            verdict=Verdict(r.verdict),
            pushed=r.pushed,
            tests=r.tests,
            failures=r.failures,
            errors=r.errors,
            skipped=r.skipped,
            blocking=r.blocking,
            started=as_utc(r.started),
            ingested=as_utc(r.ingested),
            subject=r.subject,
        )
        for r, name in session.execute(query)
    ]


def flight_span(
    session: Session, branch: str, now: datetime | None = None
) -> tuple[datetime, datetime] | None:
    """Return when the branch's first and newest flights happened (of those that had by `now`,
    when given), or None when it has none."""
    at = func.coalesce(FlightRecord.started, FlightRecord.ingested)
    query = (
        select(func.min(at), func.max(at))
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(BranchRecord.name == branch)
    )
    first, newest = session.execute(query if now is None else query.where(happened_by(now))).one()
    return None if first is None else (as_utc(first), as_utc(newest))


def flight_stored(session: Session, number: int) -> bool:
    """Tell whether flight `number` is stored, whenever it happened."""
    return session.scalar(select(FlightRecord.id).where(FlightRecord.id == number)) is not None


def flight_happened(session: Session, number: int, now: datetime) -> bool:
    """Tell whether flight `number` is stored and had happened by `now` (`happened_by`)."""
    found = session.scalar(
        select(FlightRecord.id).where(FlightRecord.id == number, happened_by(now))
    )
    return found is not None


def job_hosts(session: Session, jobs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """Return the host each of these (flight, job) pairs ran on, where the flight says it."""
    wanted = set(jobs)
    found: dict[tuple[int, str], str] = {}
    for chunk in in_chunks(sorted({flight for flight, _ in wanted})):
        rows = session.execute(
            select(JobRecord.flight_id, JobRecord.name, JobRecord.host).where(
                JobRecord.flight_id.in_(chunk),
                JobRecord.name.in_(sorted({job for _, job in wanted})),
                JobRecord.host.is_not(None),
            )
        )
        found |= {(f, n): h for f, n, h in rows if (f, n) in wanted and h}
    return found


def revisions_of(session: Session, flights: Iterable[int]) -> dict[int, dict[str, str]]:
    """Return the revisions each of these flights tested, by tree."""
    found: dict[int, dict[str, str]] = {}
    for chunk in in_chunks(sorted(set(flights))):
        rows = session.execute(
            select(FlightRecord.id, FlightRecord.revisions).where(FlightRecord.id.in_(chunk))
        )
        found |= {number: dict(revisions or {}) for number, revisions in rows}
    return found
