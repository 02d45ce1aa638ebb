"""The search box's page: what a few words name, as of a moment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gate.read.search import LIMIT, SearchResults, feature_hits, flight_number, words_of
from gate.store.roadmap import roadmaps
from gate.store.search import flight_hit, jobs_holding, tests_named


def search(session: Session, query: str, now: datetime, *, limit: int = LIMIT) -> SearchResults:
    """Find the features, jobs, tests and flight that `query` names, as of `now`."""
    words = words_of(query)
    if not words:
        return SearchResults(query=words, flight=None, features=(), jobs=(), tests=(), limit=limit)
    number = flight_number(words)
    jobs, more_jobs = jobs_holding(session, words, now, limit)
    tests, more_tests = tests_named(session, words, now, limit)
    every = (feature for _release, features in roadmaps(session) for feature in features)
    return SearchResults(
        query=words,
        flight=None if number is None else flight_hit(session, number, now),
        features=feature_hits(words, every, now),
        jobs=jobs,
        tests=tests,
        more_jobs=more_jobs,
        more_tests=more_tests,
        limit=limit,
    )
