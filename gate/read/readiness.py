"""Readiness of every feature over the release branch's newest flights, and test coverage."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gate.model import NONE_EXECUTED, Classification, Finding, Status, TestKey
from gate.policy import Policy
from gate.readiness import (
    Evidence,
    FeatureReadiness,
    FlightPoint,
    Observation,
    judge_feature,
)
from gate.roadmap import Feature, Release, linked_tests
from gate.store.bulk import in_chunks
from gate.store.findings import findings_elsewhere
from gate.store.flights import happened_by
from gate.store.keys import catalogue
from gate.store.records import (
    BranchRecord,
    FlightRecord,
    StepRecord,
    as_utc,
)
from gate.store.roadmap import load_roadmap


def flight_window(
    session: Session, branch: str, policy: Policy, now: datetime
) -> list[FlightPoint]:
    rows = session.execute(
        select(FlightRecord.id, FlightRecord.started, FlightRecord.ingested)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(
            BranchRecord.name == branch,
            FlightRecord.blessing.in_(policy.evidence_blessings),
            happened_by(now),
        )
        .order_by(FlightRecord.id.desc())
        .limit(policy.window_flights)
    ).all()
    return [FlightPoint(n, as_utc(started or ingested)) for n, started, ingested in reversed(rows)]


def observed(flight: int, finding: Finding) -> Observation:
    """Return a finding of a flight's judgement as readiness observes it."""
    return Observation(
        flight,
        finding.step.key,
        finding.step.status,
        finding.classification,
        finding.ref_flight,
        finding.ref_status,
        finding.ref_blessing,
        finding.in_flight,
    )


def readiness(
    session: Session, policy: Policy, now: datetime, release: str | None = None
) -> tuple[Release, list[FeatureReadiness]]:
    """Judge the readiness of every feature of a release over its branch's newest flights."""
    rel, features = load_roadmap(session, release)
    known = catalogue(session)
    linked = {f.slug: linked_tests(f, known.ids, known.tags) for f in features}
    wanted = sorted({known.ids[k] for keys in linked.values() for k in keys})
    key_of = {test_id: key for key, test_id in known.ids.items()}
    window = flight_window(session, rel.branch, policy, now)
    observations: dict[TestKey, list[Observation]] = defaultdict(list)
    last_seen: dict[TestKey, int] = {}
    branch_flights = (
        select(FlightRecord.id)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(BranchRecord.name == rel.branch, happened_by(now))
    )
    for chunk in in_chunks(wanted):
        for test_id, newest in session.execute(
            select(StepRecord.test_id, func.max(StepRecord.flight_id))
            .where(StepRecord.test_id.in_(chunk), StepRecord.flight_id.in_(branch_flights))
            .group_by(StepRecord.test_id)
        ):
            last_seen[key_of[test_id]] = newest
        if not window:
            continue
        rows = session.execute(
            select(
                StepRecord.flight_id,
                StepRecord.test_id,
                StepRecord.status,
                StepRecord.classification,
                StepRecord.ref_flight,
                StepRecord.ref_status,
                StepRecord.ref_blessing,
            )
            .where(
                StepRecord.test_id.in_(chunk),
                StepRecord.flight_id.in_([p.number for p in window]),
            )
            .order_by(StepRecord.flight_id, StepRecord.position)
        )
        for flight, test_id, status, classification, ref, ref_status, ref_blessing in rows:
            key = key_of[test_id]
            observations[key].append(
                Observation(
                    flight,
                    key,
                    Status(status),
                    Classification(classification) if classification else None,
                    ref,
                    Status(ref_status) if ref_status else None,
                    ref_blessing,
                )
            )
    broken_jobs: dict[str, list[Observation]] = defaultdict(list)
    for flight, found in findings_elsewhere(session, [p.number for p in window]).items():
        for finding in found:
            seen_as = observed(flight, finding)
            if finding.step.key.testid == NONE_EXECUTED:
                broken_jobs[finding.step.key.job].append(seen_as)
            else:
                observations[finding.step.key].append(seen_as)
    judged = []
    for feature in features:
        keys = linked[feature.slug]
        seen = [last_seen[k] for k in keys if k in last_seen]
        jobs = {k.job for k in keys}
        evidence = Evidence(
            tests=tuple(keys),
            window=tuple(window),
            observations=tuple(
                sorted(
                    [
                        *(o for k in keys for o in observations[k]),
                        *(o for job in sorted(jobs) for o in broken_jobs[job]),
                    ],
                    key=lambda o: o.flight,
                )
            ),
            last_seen=max(seen) if seen else None,
        )
        judged.append(judge_feature(feature, evidence, policy, now))
    return rel, judged


@dataclass(frozen=True)
class Coverage:
    """Tests of the release branch that serve no feature, and features no test that ran serves."""

    unlinked_tests: list[TestKey]
    untested_features: list[Feature]


def coverage(session: Session, release: str | None = None) -> Coverage:
    """Find the tests that ran on the release branch linked to no feature, and the reverse."""
    rel, features = load_roadmap(session, release)
    known = catalogue(session)
    key_of = {test_id: key for key, test_id in known.ids.items()}
    ran = {
        key_of[test_id]
        for (test_id,) in session.execute(
            select(StepRecord.test_id)
            .join(FlightRecord, FlightRecord.id == StepRecord.flight_id)
            .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
            .where(BranchRecord.name == rel.branch)
            .distinct()
        )
    }
    served: set[TestKey] = set()
    untested = []
    for feature in features:
        linked = set(linked_tests(feature, ran, known.tags))
        served |= linked
        if not linked:
            untested.append(feature)
    return Coverage(sorted(ran - served, key=str), untested)
