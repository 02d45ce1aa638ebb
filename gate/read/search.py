"""The search box: the features, jobs, tests and flight a few words name.

Features are matched on their slug, title and owners; jobs and testids by `gate.store.search`;
a number (`16631`, `flight 16631`, `#16631`) names a flight exactly. Only what had happened by
`now` is found, and each kind of result is bounded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from gate.model import Verdict
from gate.roadmap import Declared, Feature, declared_by

LIMIT = 50  # results of each kind
LARGEST = 2**31 - 1  # the largest flight number the store holds
NUMBER = re.compile(r"(?:flight\s*)?#?(\d{1,10})", re.IGNORECASE)


@dataclass(frozen=True)
class FeatureHit:
    slug: str
    title: str
    owners: tuple[str, ...]
    declared_status: Declared  # as declared at the moment searched
    release: str


@dataclass(frozen=True)
class JobHit:
    job: str
    tests: int  # its testids that had run by then


@dataclass(frozen=True)
class TestHit:
    __test__ = False  # not a pytest class

    job: str
    testid: str


@dataclass(frozen=True)
class FlightHit:
    flight: int
    branch: str
    verdict: Verdict
    pushed: bool
    started: datetime


@dataclass(frozen=True)
class SearchResults:
    """What a search found: the flight the query numbers, features, jobs and tests, each kind
    at most `limit` (`more_*` says that there were more)."""

    query: str
    flight: FlightHit | None
    features: tuple[FeatureHit, ...]
    jobs: tuple[JobHit, ...]
    tests: tuple[TestHit, ...]
    more_jobs: bool = False
    more_tests: bool = False
    limit: int = LIMIT

    @property
    def found(self) -> int:
        """How many results there are, of every kind."""
        return (self.flight is not None) + len(self.features) + len(self.jobs) + len(self.tests)


def words_of(query: str) -> str:
    """Return the words of a query, one space between each."""
    return " ".join(query.split())


def flight_number(words: str) -> int | None:
    """Return the flight number the words name (`16631`, `flight 16631`, `#16631`), if any."""
    match = NUMBER.fullmatch(words)
    if match is None or int(match[1]) > LARGEST:
        return None
    return int(match[1])


def feature_hits(words: str, features: Iterable[Feature], now: datetime) -> tuple[FeatureHit, ...]:
    """Return the features, as declared at `now`, whose slug, title or owners hold the words."""
    needle = words.lower()
    return tuple(
        FeatureHit(f.slug, f.title, tuple(f.owners), f.status, f.release)
        for f in declared_by(features, now)
        if needle and needle in f"{f.slug} {f.title} {' '.join(f.owners)}".lower()
    )
