"""What regression episodes read: a branch's blocking steps (through the partial index
`ix_step_notable`), each with the first later pass of its test on the branch, and the flights,
tests, failure signatures and features the episodes name."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from gate.episodes import BlockedStep, FlightMark
from gate.model import Classification, Status
from gate.store.bulk import in_chunks
from gate.store.records import (
    NOTABLE_STEP,
    BranchRecord,
    FailureRecord,
    FeatureRecord,
    FlightRecord,
    ReleaseRecord,
    SignatureRecord,
    StepRecord,
    TestFeatureRecord,
    as_utc,
    happened_by,
)
from gate.store.roadmap import branch_release

BLOCKING = [c.value for c in Classification if c.blocking]


def blocked_steps(
    session: Session, branch: str, now: datetime, blessings: Sequence[str]
) -> list[BlockedStep]:
    """Return the blocking steps of the branch's flights (of these blessings) that happened by
    `now`, each with the first later such flight in which its test passed."""
    branch_id = session.scalar(select(BranchRecord.id).where(BranchRecord.name == branch))
    if branch_id is None:
        return []
    later = aliased(StepRecord)
    later_flight = aliased(FlightRecord)
    # The next pass, walked forward by the (test, flight) index from the blocking step: the
    # first row in flight order, not the least of all (which PostgreSQL would gather first).
    next_pass = (
        select(later.flight_id)
        .join(later_flight, later_flight.id == later.flight_id)
        .where(
            later.test_id == StepRecord.test_id,
            later.flight_id > StepRecord.flight_id,
            later.status == Status.PASS.value,
            later_flight.branch_id == branch_id,
            later_flight.blessing.in_(blessings),
            func.coalesce(later_flight.started, later_flight.ingested) <= now,
        )
        .order_by(later.flight_id)
        .limit(1)
        .correlate(StepRecord)
        .scalar_subquery()
    )
    rows = session.execute(
        select(StepRecord.test_id, StepRecord.flight_id, next_pass)
        .join(FlightRecord, FlightRecord.id == StepRecord.flight_id)
        .where(
            FlightRecord.branch_id == branch_id,
            FlightRecord.blessing.in_(blessings),
            happened_by(now),
            NOTABLE_STEP,
            StepRecord.classification.in_(BLOCKING),
        )
    )
    return [BlockedStep(test_id, flight, passed) for test_id, flight, passed in rows]


def flight_marks(session: Session, flights: Collection[int]) -> dict[int, FlightMark]:
    """Return when each of these flights happened and the revisions it tested."""
    found: dict[int, FlightMark] = {}
    for chunk in in_chunks(sorted(set(flights))):
        rows = session.execute(
            select(
                FlightRecord.id,
                FlightRecord.started,
                FlightRecord.ingested,
                FlightRecord.revisions,
            ).where(FlightRecord.id.in_(chunk))
        )
        for number, started, ingested, revisions in rows:
            found[number] = FlightMark(number, as_utc(started or ingested), dict(revisions or {}))
    return found


def opening_clusters(
    session: Session, steps: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], str]:
    """Return the failure signature's digest of each of these (test, flight) steps that has one."""
    wanted = set(steps)
    found: dict[tuple[int, int], str] = {}
    for chunk in in_chunks(sorted({flight for _test, flight in wanted})):
        rows = session.execute(
            select(FailureRecord.test_id, FailureRecord.flight_id, SignatureRecord.digest)
            .join(SignatureRecord, SignatureRecord.id == FailureRecord.signature_id)
            .where(FailureRecord.flight_id.in_(chunk))
        )
        found |= {(t, f): d for t, f, d in rows if (t, f) in wanted}
    return found


def features_of_tests(
    session: Session, release: str | None, test_ids: Collection[int]
) -> dict[int, list[str]]:
    """Return the slugs of the features of a release that each of these tests is linked to."""
    found: dict[int, list[str]] = defaultdict(list)
    if release is None:
        return found
    for chunk in in_chunks(sorted(set(test_ids))):
        rows = session.execute(
            select(TestFeatureRecord.test_id, FeatureRecord.slug)
            .join(FeatureRecord, FeatureRecord.id == TestFeatureRecord.feature_id)
            .join(ReleaseRecord, ReleaseRecord.id == FeatureRecord.release_id)
            .where(ReleaseRecord.name == release, TestFeatureRecord.test_id.in_(chunk))
            .order_by(FeatureRecord.slug)
        )
        for test_id, slug in rows:
            found[test_id].append(slug)
    return found


def release_on(session: Session, branch: str) -> str | None:
    """Return the name of the newest release (by release date) made on a branch, if any."""
    found = branch_release(session, branch)
    return found.name if found is not None else None


def branch_of_newest_flight(session: Session, now: datetime) -> str | None:
    """Return the branch of the newest flight that had happened by `now`, if any."""
    return session.scalar(
        select(BranchRecord.name)
        .join(FlightRecord, FlightRecord.branch_id == BranchRecord.id)
        .where(happened_by(now))
        .order_by(FlightRecord.id.desc())
        .limit(1)
    )
