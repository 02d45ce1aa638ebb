"""Readiness as the pages read it: a finding observed, the material of a window of flights and
each feature's evidence in it, the features as declared, and test coverage (`gate.pages.readiness`
fetches them)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from gate.model import Finding, Status, TestKey
from gate.readiness import Evidence, FlightPoint, Observation
from gate.roadmap import Feature, declared_by, linked_tests


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


@dataclass(frozen=True)
class Material:
    """What readiness reads of some flights of a release's branch, loaded once
    (`gate.store.readiness.material`): the features' links, their steps' counts by flight, and
    the steps that did not pass."""

    branch: str
    linked: dict[str, list[int]]
    key_of: dict[int, TestKey]
    counts: dict[str, dict[int, dict[Status, int]]]
    observations: dict[int, list[Observation]]  # by test id
    broken_jobs: dict[str, list[Observation]]  # `<none executed>` jobs, by job
    elsewhere: dict[TestKey, list[Observation]]  # failures of other flights a judgement counts

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


def as_declared(features: Sequence[Feature], moment: datetime) -> list[Feature]:
    """Return the features as they were declared at `moment`, without those not declared yet
    (`gate.roadmap.declared_by`)."""
    return declared_by(features, moment)


@dataclass(frozen=True)
class Coverage:
    """Tests of the release branch that serve no feature, and features no test that ran serves."""

    unlinked_tests: list[TestKey]
    untested_features: list[Feature]


def coverage_of(
    features: Sequence[Feature], ran: Collection[TestKey], tags: Mapping[TestKey, frozenset[str]]
) -> Coverage:
    """Find the tests that ran linked to no feature, and the features no test that ran serves."""
    served: set[TestKey] = set()
    untested = []
    for feature in features:
        linked = set(linked_tests(feature, ran, tags))
        served |= linked
        if not linked:
            untested.append(feature)
    return Coverage(sorted(set(ran) - served, key=str), untested)
