"""Readiness of every feature over the release branch's newest flights, and test coverage."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gate.model import Finding, Status, TestKey
from gate.policy import Policy
from gate.readiness import (
    Evidence,
    FeatureReadiness,
    FlightPoint,
    Observation,
    judge_feature,
)
from gate.roadmap import Feature, Release, declared_by, linked_tests
from gate.store.bulk import in_chunks
from gate.store.findings import findings_elsewhere
from gate.store.flights import happened_by, job_hosts
from gate.store.keys import catalogue
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
)
from gate.store.roadmap import load_roadmap
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


@dataclass(frozen=True)
class Material:
    """What readiness reads of some flights of a release's branch, loaded once: the features'
    links, their steps' counts by flight, and the steps that did not pass."""

    branch: str
    linked: dict[str, list[int]]
    key_of: dict[int, TestKey]
    counts: dict[str, dict[int, dict[Status, int]]]
    observations: dict[int, list[Observation]]  # by test id
    broken_jobs: dict[str, list[Observation]]  # `<none executed>` jobs, by job
    elsewhere: dict[TestKey, list[Observation]]  # failures of other flights a judgement counts

    @classmethod
    def load(
        cls,
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
        _name_hosts(session, observations, broken_jobs, elsewhere)
        return cls(branch, linked, key_of, counts, observations, broken_jobs, elsewhere)

    def evidence(
        self, feature: Feature, window: Sequence[FlightPoint], last_seen: Callable[[], int | None]
    ) -> Evidence:
        """The evidence of a feature over a window of the loaded flights; `last_seen` is asked
        only when no linked step ran in it."""
        ids = self.linked[feature.slug]
        keys = [self.key_of[t] for t in ids]
        jobs = sorted({k.job for k in keys})
        shown = {p.number for p in window}
        seen = [
            o
            for o in (
                *(o for t in ids for o in self.observations[t]),
                *(o for k in keys for o in self.elsewhere[k]),
                *(o for job in jobs for o in self.broken_jobs[job]),
            )
            if o.flight in shown
        ]
        tally = {n: c for n, c in self.counts[feature.slug].items() if n in shown}
        return Evidence(
            tests=tuple(sorted(keys, key=str)),
            window=tuple(window),
            observations=tuple(sorted(seen, key=lambda o: o.flight)),
            last_seen=max(tally) if tally else last_seen() if ids else None,
            counts=tally,
        )


def _name_hosts(session: Session, *groups: dict[Any, list[Observation]]) -> None:
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


def as_declared(features: Sequence[Feature], moment: datetime) -> list[Feature]:
    """Return the features as they were declared at `moment`, without those not declared yet
    (`gate.roadmap.declared_by`)."""
    return declared_by(features, moment)


def readiness(
    session: Session,
    policy: Policy,
    now: datetime,
    release: str | None = None,
    *,
    only: str | None = None,
) -> tuple[Release, list[FeatureReadiness]]:
    """Judge the readiness of every feature of a release (or of the one named `only`) over its
    branch's newest flights, each feature as it was declared by `now`.

    It reads the kept summaries (links, counts per feature and flight) and the steps of the
    window that did not pass: nothing that grows with the branch's history.
    """
    rel, features = load_roadmap(session, release)
    if only is not None:
        features = [f for f in features if f.slug == only]
    features = as_declared(features, now)
    window = flight_window(session, rel.branch, policy, now)

    def since_of(test_id: int, flight: int) -> tuple[int | None, int]:
        return not_passing_since(session, rel.branch, test_id, flight, policy.evidence_blessings)

    material = Material.load(
        session, rel.branch, features, [p.number for p in window], since_of=since_of
    )
    judged = []
    for feature in features:
        ids = material.linked[feature.slug]

        def last_seen(ids: list[int] = ids) -> int | None:
            return last_ran(session, rel.branch, ids, now)

        evidence = material.evidence(feature, window, last_seen)
        judged.append(judge_feature(feature, evidence, policy, now, rel))
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
