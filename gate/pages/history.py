"""A test's page: one (job, testid) over the newest flights."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gate.model import TestKey
from gate.pages.triage import test_triage
from gate.read.history import TestPage, features_served, history_page
from gate.store.history import runs_of_test
from gate.store.keys import catalogue
from gate.store.roadmap import UnknownRelease, load_roadmap


def test_detail(
    session: Session, job: str, testid: str, now: datetime | None = None
) -> TestPage | None:
    """One test: its history over the newest flights (those that happened by `now`, when
    given), flake rate, streak, hosts and features."""
    runs = runs_of_test(session, job, testid, now)
    if runs is None:
        return None
    page = history_page(job, testid, runs, _features_of(session, TestKey(job, testid)))
    return test_triage(session, page, now)


def _features_of(session: Session, key: TestKey) -> list[str]:
    try:
        _release, roadmap = load_roadmap(session)
    except UnknownRelease:
        return []
    return features_served(key, roadmap, catalogue(session).tags)
