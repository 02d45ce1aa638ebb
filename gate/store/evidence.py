"""The evidence for judging a flight: the branch's other flights, with the results that matter."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, and_, cast, or_, select, true
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

_HEADER = (
    FlightRecord.id,
    FlightRecord.blessing,
    FlightRecord.revisions,
    FlightRecord.pushed,
    FlightRecord.started,
    FlightRecord.baseline,
)


def _header(row: Any) -> PriorFlight:
    return PriorFlight(
        row.id,
        row.blessing,
        row.revisions,
        row.pushed,
        {},
        started=as_utc(row.started),
        baseline=row.baseline,
    )


def _prior_headers(
    session: Session, branch: int, flight: Flight, policy: Policy
) -> list[PriorFlight]:
    """Return the branch's flights that may be evidence for this one, without their results.

    Of the newest `history_flights` lower flights with an evidence blessing, and the retests,
    only those that can matter are read: the newest pushed one and the newest that declared a
    baseline (which tell the baseline), and those whose revisions name a revision compared (a
    baseline flight or a flight of the same revisions, or the flight that pushed the baseline).
    A header read costs the same at the 1,000th flight as at the 10th.
    """
    assert flight.number is not None
    blessings = sorted(policy.blessings(flight.branch))
    evidence = (FlightRecord.branch_id == branch, FlightRecord.blessing.in_(blessings))
    window = session.scalar(
        select(FlightRecord.id)
        .where(*evidence, FlightRecord.id < flight.number)
        .order_by(FlightRecord.id.desc())
        .offset(policy.history_flights - 1)
        .limit(1)
    )
    lower = [FlightRecord.id < flight.number, FlightRecord.id >= (window or 0)]
    newest = FlightRecord.id.desc()
    pushed = session.execute(
        select(*_HEADER).where(*evidence, *lower, FlightRecord.pushed).order_by(newest).limit(1)
    ).first()
    declared = session.execute(
        select(*_HEADER)
        .where(*evidence, *lower, cast(FlightRecord.baseline, Text) != NO_BASELINE)
        .order_by(newest)
        .limit(1)
    ).first()
    known = [_header(row) for row in (pushed, declared) if row is not None]
    tested, baseline = specs(flight, known, policy)
    shas = sorted({*tested.values(), *baseline.values()})
    found = {h.number: h for h in known}
    if shas:
        names = cast(FlightRecord.revisions, Text)
        named: Any = or_(*(names.contains(sha, autoescape=True) for sha in shas))
        if not all(_findable(sha) for sha in shas):
            named = true()  # JSON escapes it: read every header of the window instead
        retest = FlightRecord.blessing.in_([b for b in blessings if is_retest(b)])
        rows = session.execute(
            select(*_HEADER).where(
                *evidence, named, and_(*lower) | (retest & (FlightRecord.id > flight.number))
            )
        )
        found.update({row.id: _header(row) for row in rows})
    return sorted(found.values(), key=lambda h: -h.number)


NO_BASELINE = "{}"  # an empty declared baseline as the JSON column holds it, on both engines


def _findable(sha: str) -> bool:
    """Tell whether a revision appears as itself in the JSON text of the revisions column."""
    return sha.isascii() and not any(c in sha for c in '"\\') and sha.isprintable()


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
