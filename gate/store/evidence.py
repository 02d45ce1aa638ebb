"""The evidence for judging a flight: the branch's other flights, with the results that matter."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gate.model import (
    Flight,
    PriorFlight,
    Status,
    Step,
    TestKey,
)
from gate.policy import Policy, is_retest
from gate.rules import built, failures_of, specs
from gate.store.bulk import JOB, STEP, in_chunks
from gate.store.keys import test_ids
from gate.store.passes import passed_before
from gate.store.records import (
    FlightRecord,
    JobRecord,
    StepRecord,
    TestRecord,
    as_utc,
)


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


@dataclass(frozen=True)
class Evidence:
    """What judging a flight reads: the branch's other flights (results loaded for those that
    built the revisions compared), and the failing tests that ever passed on the branch."""

    flights: list[PriorFlight]
    passed: frozenset[TestKey]


def prior_flights(
    session: Session,
    branch: int,
    flight: Flight,
    policy: Policy,
    known: Mapping[TestKey, int] | None = None,
) -> Evidence:
    """Load the evidence for judging a flight, in time that does not grow with the history.

    Only the flights that built the baseline or the revisions under test can change a finding
    (as baseline flights, or as heisenbug flights whose own failures are judged in turn): their
    results for the failing tests are read, the rest are headers. Whether a failing test ever
    passed on the branch comes from the first passes kept at ingest, not from a scan.
    """
    assert flight.number is not None
    headers = _prior_headers(session, branch, flight, policy)
    lower = [h for h in headers if h.number < flight.number]
    tested, baseline = specs(flight, lower, policy)
    heisen = [h.number for h in headers if built(h.revisions, tested)]
    heisen_set = set(heisen)
    relevant = sorted(heisen_set | {h.number for h in headers if built(h.revisions, baseline)})
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
    results: dict[int, dict[TestKey, set[Status]]] = defaultdict(lambda: defaultdict(set))
    ran: dict[int, dict[str, Status]] = defaultdict(dict)
    for flights in in_chunks(relevant):
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
    blessings = policy.blessings(flight.branch)
    passed = passed_before(session, branch, flight.number, list(key_of), blessings)
    return Evidence(
        [
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
        ],
        frozenset(key_of[t] for t in passed),
    )
