"""Readiness of every feature over the release branch's newest flights, and test coverage:
fetched, judged and shaped."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gate.policy import Policy
from gate.read.readiness import Coverage, as_declared, coverage_of
from gate.readiness import FeatureReadiness, judge_feature
from gate.roadmap import Release
from gate.store.acceptance import accepted_at
from gate.store.keys import catalogue
from gate.store.readiness import flight_window, last_ran, material, tests_ran_on
from gate.store.roadmap import load_roadmap
from gate.store.steps import not_passing_since


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

    found = material(session, rel.branch, features, [p.number for p in window], since_of=since_of)
    accepted = accepted_at(session, rel.name, now)
    judged = []
    for feature in features:
        ids = found.linked[feature.slug]

        def last_seen(ids: list[int] = ids) -> int | None:
            return last_ran(session, rel.branch, ids, now)

        evidence = found.evidence(feature, window, last_seen)
        judged.append(judge_feature(feature, evidence, policy, now, rel, accepted))
    return rel, judged


def coverage(session: Session, release: str | None = None) -> Coverage:
    """Find the tests that ran on the release branch linked to no feature, and the reverse."""
    rel, features = load_roadmap(session, release)
    known = catalogue(session)
    key_of = {test_id: key for key, test_id in known.ids.items()}
    ran = {key_of[test_id] for test_id in tests_ran_on(session, rel.branch)}
    return coverage_of(features, ran, known.tags)
