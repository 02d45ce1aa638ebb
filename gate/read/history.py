"""A test's page: one (job, testid) over the newest flights."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from gate.model import Classification, Status, TestKey
from gate.read.cells import stored_cell
from gate.roadmap import Feature, linked_tests
from gate.store.history import TestRun
from gate.trends import StepRecordView, test_health
from gate.triage import Known, Tally


@dataclass(frozen=True)
class HistoryEntry:
    """The test in one flight: where and when it ran, and how it was judged."""

    flight: int
    branch: str
    started: datetime
    host: str | None
    status: Status
    classification: Classification | None
    ref_flight: int | None
    summary: str
    blocking: bool
    known: Known | None = None  # what a known issue's rule says its failure is
    triaged: bool = False  # a failing run the rules were asked about (`known` None: untriaged)


@dataclass(frozen=True)
class TestPage:
    """One test's page: its health over the newest flights and its history, oldest first."""

    __test__ = False  # not a pytest class

    job: str
    testid: str
    runs: int
    heisenbugs: int
    flake_rate: float | None
    streak_since: int | None
    streak_length: int
    failed_on: tuple[str, ...]
    features: tuple[str, ...]
    history: tuple[HistoryEntry, ...]
    triage: Tally | None = None  # how many of its failures shown a known issue explains


def history_page(
    job: str, testid: str, runs: Sequence[TestRun], features: Iterable[str]
) -> TestPage:
    """Return a test's page from its runs (oldest first) and the features it serves: its
    history, flake rate, streak and hosts."""
    health = test_health(
        [
            StepRecordView(
                flight=r.flight,
                at=r.at,
                status=r.status,
                classification=r.classification,
                ref_flight=r.ref_flight,
                host=r.host,
                attempts=r.attempts,
            )
            for r in runs
        ]
    )
    return TestPage(
        job=job,
        testid=testid,
        runs=health.runs,
        heisenbugs=health.heisenbugs,
        flake_rate=health.flake_rate,
        streak_since=health.streak_since,
        streak_length=health.streak_length,
        failed_on=tuple(health.failed_on),
        features=tuple(features),
        history=tuple(history_entry(r) for r in runs),
    )


def history_entry(run: TestRun) -> HistoryEntry:
    """Return a run of the test as its history shows it, the gate's finding in words."""
    seen = stored_cell(
        run.status.value,
        run.classification.value if run.classification else None,
        run.ref_flight,
        run.ref_status.value if run.ref_status else None,
        run.ref_blessing,
    )
    return HistoryEntry(
        run.flight,
        run.branch,
        run.at,
        run.host,
        seen.status,
        seen.classification,
        seen.ref_flight,
        seen.summary,
        seen.blocking,
    )


def features_served(
    key: TestKey, roadmap: Iterable[Feature], tags: Mapping[TestKey, frozenset[str]]
) -> list[str]:
    """Return the slugs of the features of a roadmap that a test serves, in roadmap order."""
    return [f.slug for f in roadmap if linked_tests(f, [key], tags)]


def triaged_test(page: TestPage, known: Mapping[int, Known | None]) -> TestPage:
    """Give each failing run of a test's page what the rules say it is (`known`, by flight,
    holds each failing run), and the page its tally."""
    history = tuple(
        dataclasses.replace(h, known=known[h.flight], triaged=True) if h.flight in known else h
        for h in page.history
    )
    tally = Tally(sum(k is not None for k in known.values()), len(known))
    return dataclasses.replace(page, history=history, triage=tally)
