"""The search box: the features, jobs, tests and flight a few words name.

Features are matched on their slug, title and owners; jobs and testids with a LIKE over the
test table (one row per (job, testid), thousands of rows, never the steps); a number (`16631`,
`flight 16631`, `#16631`) names a flight exactly. Only what had happened by `now` is found,
and each kind of result is bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Exists, exists, func, or_, select
from sqlalchemy.orm import Session

from gate.model import Verdict
from gate.roadmap import Declared, declared_by
from gate.store.flights import happened_by
from gate.store.records import BranchRecord, FlightRecord, StepRecord, TestRecord, as_utc
from gate.store.roadmap import releases, roadmap_of

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


def search(session: Session, query: str, now: datetime, *, limit: int = LIMIT) -> SearchResults:
    """Find the features, jobs, tests and flight that `query` names, as of `now`."""
    words = " ".join(query.split())
    jobs, more_jobs = _jobs(session, words, now, limit)
    tests, more_tests = _tests(session, words, now, limit)
    return SearchResults(
        query=words,
        flight=_flight(session, words, now),
        features=_features(session, words, now),
        jobs=jobs,
        tests=tests,
        more_jobs=more_jobs,
        more_tests=more_tests,
        limit=limit,
    )


def _flight(session: Session, words: str, now: datetime) -> FlightHit | None:
    match = NUMBER.fullmatch(words)
    if match is None or int(match[1]) > LARGEST:
        return None
    row = session.execute(
        select(
            FlightRecord.id,
            BranchRecord.name,
            FlightRecord.verdict,
            FlightRecord.pushed,
            func.coalesce(FlightRecord.started, FlightRecord.ingested),
        )
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(FlightRecord.id == int(match[1]), happened_by(now))
    ).first()
    if row is None:
        return None
    number, branch, verdict, pushed, started = row
    return FlightHit(number, branch, Verdict(verdict), pushed, as_utc(started))


def _features(session: Session, words: str, now: datetime) -> tuple[FeatureHit, ...]:
    """Find the features of every release, as declared at `now` (the latest release first)."""
    needle = words.lower()
    return tuple(
        FeatureHit(f.slug, f.title, tuple(f.owners), f.status, f.release)
        for record in releases(session)
        for f in declared_by(roadmap_of(session, record)[1], now)
        if needle and needle in f"{f.slug} {f.title} {' '.join(f.owners)}".lower()
    )


def _ran_by(now: datetime) -> Exists:
    """Select the tests that ran in a flight that had happened by `now`."""
    return exists(
        select(StepRecord.id)
        .join(FlightRecord, FlightRecord.id == StepRecord.flight_id)
        .where(StepRecord.test_id == TestRecord.id, happened_by(now))
    )


def _jobs(
    session: Session, words: str, now: datetime, limit: int
) -> tuple[tuple[JobHit, ...], bool]:
    if not words:
        return (), False
    rows = session.execute(
        select(TestRecord.job, func.count())
        .where(TestRecord.job.icontains(words, autoescape=True), _ran_by(now))
        .group_by(TestRecord.job)
        .order_by(TestRecord.job)
        .limit(limit + 1)
    ).all()
    return tuple(JobHit(job, n) for job, n in rows[:limit]), len(rows) > limit


def _tests(
    session: Session, words: str, now: datetime, limit: int
) -> tuple[tuple[TestHit, ...], bool]:
    """Find the tests whose testid holds the words, or whose job they name exactly, or that
    they name as `JOB TESTID` (the way the pages and reports write a step)."""
    if not words:
        return (), False
    named = [TestRecord.testid.icontains(words, autoescape=True), TestRecord.job == words]
    if " " in words:
        named.append((TestRecord.job + " " + TestRecord.testid).icontains(words, autoescape=True))
    rows = session.execute(
        select(TestRecord.job, TestRecord.testid)
        .where(or_(*named), _ran_by(now))
        .order_by(TestRecord.job, TestRecord.testid)
        .limit(limit + 1)
    ).all()
    return tuple(TestHit(job, testid) for job, testid in rows[:limit]), len(rows) > limit
