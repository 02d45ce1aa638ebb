"""Failure clusters: the failing steps grouped by signature (`gate.signature`), newest and
biggest first, and one cluster's page with its occurrences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from gate.model import Classification, Status
from gate.triage import Known, Tally

CLUSTERS = 200  # clusters the list shows
OCCURRENCES = 200  # occurrences a cluster's page lists, the newest first
TREND_FLIGHTS = 30  # the newest flights a cluster's sparkline counts its failures in


@dataclass(frozen=True)
class Seen:
    """A flight where a cluster's failure was seen, and when it started."""

    flight: int
    at: datetime


@dataclass(frozen=True)
class Cluster:
    """A signature and what failed with it, by the moment shown."""

    digest: str
    signature: str
    occurrences: int
    flights: int
    jobs: int
    hosts: int
    tests: int
    first_seen: Seen
    last_seen: Seen
    features: tuple[str, ...] = ()  # the features its tests are linked to
    trend: tuple[int, ...] = ()  # its failures in each of the newest flights, oldest first
    triage: Tally | None = None  # how many of its failures known issues explain


@dataclass(frozen=True)
class Occurrence:
    """One failing step of a cluster."""

    flight: int
    started: datetime
    job: str
    testid: str
    host: str | None
    status: Status
    classification: Classification | None
    known: Known | None = None  # what a known issue's rule says it is


@dataclass(frozen=True)
class ClusterList:
    """The clusters, newest and biggest first, and how many there were in all."""

    clusters: tuple[Cluster, ...]
    total: int
    limit: int = CLUSTERS


@dataclass(frozen=True)
class ClusterPage:
    """One cluster: its counts and the newest of its occurrences."""

    cluster: Cluster
    occurrences: tuple[Occurrence, ...]
    shown: int  # the occurrences listed (the newest `OCCURRENCES`)
    triage: Tally | None = None  # how many of its failures are known; None without rules


def ordered(clusters: Sequence[Cluster]) -> list[Cluster]:
    """Return the clusters newest first (by the flight they were last seen in), the biggest
    first among those seen last in the same flight, then by signature."""
    return sorted(clusters, key=lambda c: (-c.last_seen.flight, -c.occurrences, c.signature))


def with_context(
    cluster: Cluster,
    features: Mapping[int, Sequence[str]],
    trend: Mapping[int, Mapping[int, int]],
    window: Sequence[int],
    signature_id: int,
) -> Cluster:
    """Give a cluster the features of its tests and its failures in each flight of `window`."""
    per_flight = trend.get(signature_id, {})
    return Cluster(
        cluster.digest,
        cluster.signature,
        cluster.occurrences,
        cluster.flights,
        cluster.jobs,
        cluster.hosts,
        cluster.tests,
        cluster.first_seen,
        cluster.last_seen,
        tuple(sorted(features.get(signature_id, ()))),
        tuple(per_flight.get(n, 0) for n in window),
    )
