"""What readiness reads from the store: a release branch's window of evidence flights, the kept
links and counts of its features, the steps of the window that did not pass, and the tests
that ran on the branch."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gate.model import Classification, Status, TestKey
from gate.policy import Policy
from gate.read.readiness import Material, observed
from gate.readiness import FlightPoint, Observation
from gate.roadmap import Feature
from gate.store.bulk import in_chunks
from gate.store.findings import findings_elsewhere
from gate.store.flights import job_hosts
from gate.store.records import (
    BranchRecord,
    FeatureRecord,
    FeatureStatusRecord,
    FlightRecord,
    ReleaseRecord,
    StepRecord,
    TestFeatureRecord,
    TestRecord,
    as_utc,
    happened_by,
)
from gate.store.steps import not_passing_since, notable_steps


def flight_window(
    session: Session,
    branch: str,
    policy: Policy,
    now: datetime,
    *,
    every: bool = False,
    since: int = 0,
) -> list[FlightPoint]:
    """Return the branch's newest evidence flights by `now` (all of them numbered `since` or
    more, when `every`), oldest first."""
    query = (
        select(FlightRecord.id, FlightRecord.started, FlightRecord.ingested)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(
            BranchRecord.name == branch,
            FlightRecord.blessing.in_(policy.evidence_blessings),
            happened_by(now),
            FlightRecord.id >= since,
        )
        .order_by(FlightRecord.id.desc())
    )
    rows = session.execute(query if every else query.limit(policy.window_flights)).all()
    return [FlightPoint(n, as_utc(started or ingested)) for n, started, ingested in reversed(rows)]


def _features_of(release: str, slugs: Sequence[str]) -> Any:
    """Select the ids and slugs of these features of a release."""
    return (
        select(FeatureRecord.id, FeatureRecord.slug)
        .join(ReleaseRecord, ReleaseRecord.id == FeatureRecord.release_id)
        .where(ReleaseRecord.name == release, FeatureRecord.slug.in_(slugs))
    )


def links(
    session: Session, release: str, slugs: Sequence[str]
) -> tuple[dict[str, list[int]], dict[int, TestKey]]:
    """Return the tests linked to each feature of a release (from the kept links), and each
    test's key."""
    linked: dict[str, list[int]] = {slug: [] for slug in slugs}
    key_of: dict[int, TestKey] = {}
    for chunk in in_chunks(sorted(slugs)):
        # One joined read: the links and their tests' keys (raw rows, no ORM objects).
        rows = session.connection().execute(
            select(TestFeatureRecord.test_id, FeatureRecord.slug, TestRecord.job, TestRecord.testid)
            .join(TestRecord, TestRecord.id == TestFeatureRecord.test_id)
            .join(FeatureRecord, FeatureRecord.id == TestFeatureRecord.feature_id)
            .join(ReleaseRecord, ReleaseRecord.id == FeatureRecord.release_id)
            .where(ReleaseRecord.name == release, FeatureRecord.slug.in_(chunk))
            .order_by(TestFeatureRecord.test_id)
        )
        for test_id, slug, job, testid in rows:
            linked[slug].append(test_id)
            if test_id not in key_of:
                key_of[test_id] = TestKey(job, testid)
    return linked, key_of


def feature_counts(
    session: Session, release: str, flights: Sequence[int], slugs: Sequence[str]
) -> dict[str, dict[int, dict[Status, int]]]:
    """Return, from the kept counts, each feature's linked steps by flight and status."""
    found: dict[str, dict[int, dict[Status, int]]] = {slug: {} for slug in slugs}
    if not flights or not slugs:
        return found
    slug_of: dict[int, str] = {i: s for i, s in session.execute(_features_of(release, slugs))}
    for feature_id, flight, status, steps in session.execute(
        select(
            FeatureStatusRecord.feature_id,
            FeatureStatusRecord.flight_id,
            FeatureStatusRecord.status,
            FeatureStatusRecord.steps,
        ).where(
            FeatureStatusRecord.flight_id.in_(flights),
            FeatureStatusRecord.feature_id.in_(sorted(slug_of)),
        )
    ):
        found[slug_of[feature_id]].setdefault(flight, {})[Status(status)] = steps
    return found


def last_ran(session: Session, branch: str, test_ids: Sequence[int], now: datetime) -> int | None:
    """Return the newest flight of the branch, by `now`, in which one of these tests ran."""
    if not test_ids:
        return None
    newest = None
    for chunk in in_chunks(sorted(test_ids)):
        found = session.scalar(
            select(func.max(StepRecord.flight_id))
            .join(FlightRecord, FlightRecord.id == StepRecord.flight_id)
            .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
            .where(StepRecord.test_id.in_(chunk), BranchRecord.name == branch, happened_by(now))
        )
        if found is not None and (newest is None or found > newest):
            newest = found
    return newest


def material(
    session: Session,
    branch: str,
    features: Sequence[Feature],
    flights: Sequence[int],
    *,
    since_of: Callable[[int, int], tuple[int | None, int]] | None = None,
) -> Material:
    """Load what these flights show of these features; `since_of(test_id, flight)` says
    since when a blocking step of the newest flight has not passed, when given."""
    slugs = [f.slug for f in features]
    release = features[0].release if features else ""
    linked, key_of = links(session, release, slugs)
    observations: dict[int, list[Observation]] = defaultdict(list)
    newest = max(flights, default=None)
    for row in notable_steps(session, flights, key_of):
        if row.status != Status.PASS.value:
            step = row.observed(key_of[row.test_id])
            if since_of is not None and row.flight == newest and step.blocking:
                since, runs = since_of(row.test_id, row.flight)
                step = dataclasses.replace(step, since=since, attempts=runs)
            observations[row.test_id].append(step)
    broken_jobs: dict[str, list[Observation]] = defaultdict(list)
    elsewhere: dict[TestKey, list[Observation]] = defaultdict(list)
    for flight, found in findings_elsewhere(session, list(flights)).items():
        for finding in found:
            seen_as = observed(flight, finding)
            if finding.step.key.pseudo:
                broken_jobs[finding.step.key.job].append(seen_as)
            else:
                elsewhere[finding.step.key].append(seen_as)
    counts = feature_counts(session, release, list(flights), slugs)
    name_hosts(session, observations, broken_jobs, elsewhere)
    return Material(branch, linked, key_of, counts, observations, broken_jobs, elsewhere)


def name_hosts(session: Session, *groups: dict[Any, list[Observation]]) -> None:
    """Give each observation of infrastructure trouble the host its job ran on, in place."""
    hosts = job_hosts(
        session,
        {(o.flight, o.key.job) for g in groups for found in g.values() for o in found if o.trouble},
    )
    if not hosts:
        return
    for group in groups:
        for name, found in group.items():
            group[name] = [
                dataclasses.replace(o, host=hosts[o.flight, o.key.job])
                if o.trouble and (o.flight, o.key.job) in hosts
                else o
                for o in found
            ]


def tests_ran_on(session: Session, branch: str) -> list[int]:
    """Return the id of every test that ran on a branch."""
    return list(
        session.scalars(
            select(StepRecord.test_id)
            .join(FlightRecord, FlightRecord.id == StepRecord.flight_id)
            .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
            .where(BranchRecord.name == branch)
            .distinct()
        )
    )


def blocking_in(
    session: Session, branch: str, flight: int, policy: Policy, but: Collection[TestKey] = ()
) -> list[Observation]:
    """Return the blocking findings of one flight's judgement, its heisenbug flights' included,
    but those of the tests `but`; each of its own steps says since when it has not passed
    (`not_passing_since`)."""
    rows = session.execute(
        select(
            TestRecord.id,
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
    found = []
    for test_id, job, testid, status, cls, ref, ref_status, ref_blessing in rows:
        if TestKey(job, testid) in but:
            continue
        since, runs = not_passing_since(session, branch, test_id, flight, policy.evidence_blessings)
        found.append(
            Observation(
                flight,
                TestKey(job, testid),
                Status(status),
                Classification(str(cls)),
                ref,
                Status(ref_status) if ref_status else None,
                ref_blessing,
                since=since,
                attempts=runs,
            )
        )
    elsewhere = findings_elsewhere(session, [flight]).get(flight, [])
    return found + [observed(flight, f) for f in elsewhere if f.blocking and f.step.key not in but]


def flight_moments(
    session: Session, branch: str, after: datetime, upto: datetime
) -> list[datetime]:
    """Return when each of the branch's flights (of any blessing) happened after `after` and by
    `upto`, in order."""
    at = func.coalesce(FlightRecord.started, FlightRecord.ingested)
    return sorted(
        as_utc(moment)
        for moment in session.scalars(
            select(at)
            .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
            .where(BranchRecord.name == branch, at > after, happened_by(upto))
        )
    )
