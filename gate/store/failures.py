"""The failing steps' signatures, kept at ingest (`record_failures`), and the failure clusters
they make: each signature's occurrences, flights, jobs, hosts and tests by a moment."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from gate.model import Classification, Status
from gate.read.failures import Cluster, Occurrence, Seen
from gate.signature import digest, normalise, signature
from gate.store.bulk import in_chunks, insert_ignoring_duplicates
from gate.store.records import (
    FailureRecord,
    FeatureRecord,
    FlightRecord,
    JobRecord,
    SignatureRecord,
    StepRecord,
    TestFeatureRecord,
    TestRecord,
    as_utc,
    happened_by,
    started_at,
)

FAILURE = cast(Table, FailureRecord.__table__)
SIGNATURE = cast(Table, SignatureRecord.__table__)
FAILING = [s.value for s in Status if s.failing]
OUTPUT_READ = 2000  # characters of a step's output a signature is read from: its first lines


def failure_signature(
    testid: str, status: str, message: str | None, output: str | None, host: str | None
) -> str:
    """Return a failing step's signature; one that said nothing is known by its step."""
    found = signature(message, output, [host] if host else [])
    return found or normalise(f"{testid}: {status} without a message")


def record_failures(session: Session, flight: int) -> int:
    """Keep the signature of each failing step of a stored flight; return how many there are."""
    rows = session.execute(
        select(
            StepRecord.id,
            StepRecord.test_id,
            TestRecord.testid,
            StepRecord.status,
            StepRecord.message,
            func.substr(StepRecord.output, 1, OUTPUT_READ),
            JobRecord.host,
        )
        .join(TestRecord, TestRecord.id == StepRecord.test_id)
        .join(JobRecord, JobRecord.id == StepRecord.job_id)
        .where(StepRecord.flight_id == flight, StepRecord.status.in_(FAILING))
    ).all()
    if not rows:
        return 0
    said = {
        step: failure_signature(testid, status, message, output, host)
        for step, _test, testid, status, message, output, host in rows
    }
    texts = {digest(text): text for text in said.values()}
    insert_ignoring_duplicates(
        session, SIGNATURE, [{"digest": d, "text": t} for d, t in sorted(texts.items())]
    )
    ids: dict[str, int] = {}
    for chunk in in_chunks(sorted(texts)):
        found = session.execute(
            select(SignatureRecord.digest, SignatureRecord.id).where(
                SignatureRecord.digest.in_(chunk)
            )
        )
        ids |= {key: signature_id for key, signature_id in found}
    session.execute(
        FAILURE.insert(),
        [
            {
                "step_id": step,
                "flight_id": flight,
                "test_id": test,
                "signature_id": ids[digest(said[step])],
                "host": host,
            }
            for step, test, _testid, _status, _message, _output, host in rows
        ],
    )
    return len(rows)


def clusters(
    session: Session, now: datetime, *, signature_id: int | None = None
) -> list[tuple[int, Cluster]]:
    """Return each signature's cluster of the failures in flights that happened by `now` (of
    one signature, when given), with the store's id of the signature."""
    started = started_at()
    query = (
        select(
            FailureRecord.signature_id,
            SignatureRecord.digest,
            SignatureRecord.text,
            func.count(),
            func.count(func.distinct(FailureRecord.flight_id)),
            func.count(func.distinct(TestRecord.job)),
            func.count(func.distinct(FailureRecord.host)),
            func.count(func.distinct(FailureRecord.test_id)),
            func.min(FailureRecord.flight_id),
            func.max(FailureRecord.flight_id),
        )
        .join(SignatureRecord, SignatureRecord.id == FailureRecord.signature_id)
        .join(FlightRecord, FlightRecord.id == FailureRecord.flight_id)
        .join(TestRecord, TestRecord.id == FailureRecord.test_id)
        .where(happened_by(now))
        .group_by(FailureRecord.signature_id, SignatureRecord.digest, SignatureRecord.text)
    )
    if signature_id is not None:
        query = query.where(FailureRecord.signature_id == signature_id)
    rows = session.execute(query).all()
    ends = {n for row in rows for n in (row[8], row[9])}
    at: dict[int, datetime] = {}
    for chunk in in_chunks(sorted(ends)):
        found = session.execute(select(FlightRecord.id, started).where(FlightRecord.id.in_(chunk)))
        at |= {number: as_utc(moment) for number, moment in found}
    return [
        (
            sig,
            Cluster(
                key,
                text,
                count,
                flights,
                jobs,
                hosts,
                tests,
                Seen(first, at[first]),
                Seen(last, at[last]),
            ),
        )
        for sig, key, text, count, flights, jobs, hosts, tests, first, last in rows
    ]


def signature_numbered(session: Session, key: str) -> int | None:
    """Return the store's id of the signature with this digest, if one is kept."""
    return session.scalar(select(SignatureRecord.id).where(SignatureRecord.digest == key))


def cluster_features(session: Session, signature_ids: Sequence[int]) -> dict[int, list[str]]:
    """Return the slugs of the features linked to the tests of each of these signatures."""
    found: dict[int, list[str]] = {}
    for chunk in in_chunks(sorted(signature_ids)):
        rows = session.execute(
            select(FailureRecord.signature_id, FeatureRecord.slug)
            .join(TestFeatureRecord, TestFeatureRecord.test_id == FailureRecord.test_id)
            .join(FeatureRecord, FeatureRecord.id == TestFeatureRecord.feature_id)
            .where(FailureRecord.signature_id.in_(chunk))
            .distinct()
        )
        for sig, slug in rows:
            found.setdefault(sig, []).append(slug)
    return found


def newest_flights(session: Session, now: datetime, size: int) -> list[int]:
    """Return the newest `size` flights (by number) that happened by `now`, oldest first."""
    rows = session.scalars(
        select(FlightRecord.id).where(happened_by(now)).order_by(FlightRecord.id.desc()).limit(size)
    ).all()
    return sorted(rows)


def cluster_trend(
    session: Session, signature_ids: Sequence[int], flights: Sequence[int]
) -> dict[int, dict[int, int]]:
    """Return each signature's failures in each of these flights."""
    found: dict[int, dict[int, int]] = {}
    if not flights:
        return found
    for chunk in in_chunks(sorted(signature_ids)):
        rows = session.execute(
            select(FailureRecord.signature_id, FailureRecord.flight_id, func.count())
            .where(FailureRecord.signature_id.in_(chunk), FailureRecord.flight_id.in_(flights))
            .group_by(FailureRecord.signature_id, FailureRecord.flight_id)
        )
        for sig, flight, count in rows:
            found.setdefault(sig, {})[flight] = count
    return found


def occurrences(session: Session, signature_id: int, now: datetime, limit: int) -> list[Occurrence]:
    """Return the newest failures of a signature in flights that happened by `now`."""
    started = started_at()
    rows = session.execute(
        select(
            FailureRecord.flight_id,
            started,
            TestRecord.job,
            TestRecord.testid,
            FailureRecord.host,
            StepRecord.status,
            StepRecord.classification,
        )
        .join(FlightRecord, FlightRecord.id == FailureRecord.flight_id)
        .join(TestRecord, TestRecord.id == FailureRecord.test_id)
        .join(StepRecord, StepRecord.id == FailureRecord.step_id)
        .where(FailureRecord.signature_id == signature_id, happened_by(now))
        .order_by(FailureRecord.flight_id.desc(), StepRecord.position)
        .limit(limit)
    )
    return [
        Occurrence(
            flight,
            as_utc(at),
            job,
            testid,
            host,
            Status(status),
            Classification(cls) if cls else None,
        )
        for flight, at, job, testid, host, status, cls in rows
    ]


def clusters_of_flight(session: Session, flight: int) -> dict[tuple[str, str], str]:
    """Return the signature's digest of each failing step of a flight, by (job, testid)."""
    rows = session.execute(
        select(TestRecord.job, TestRecord.testid, SignatureRecord.digest)
        .select_from(FailureRecord)
        .join(TestRecord, TestRecord.id == FailureRecord.test_id)
        .join(SignatureRecord, SignatureRecord.id == FailureRecord.signature_id)
        .where(FailureRecord.flight_id == flight)
    )
    return {(job, testid): key for job, testid, key in rows}
