"""The branch page and the gate status: push-gate age, trends, never-pass and flaky steps,
shaped from what the store read (`gate.pages.branch` fetches it)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from gate.model import Classification, Status, TestKey, Verdict
from gate.read.release import ReleaseDates
from gate.store.branch import FlightCounts, Push
from gate.store.steps import NotableRow
from gate.trends import FlightAge, FlightMark, PushAge, flaky, is_heisenbug, pass_rate_of
from gate.triage import Known, Tally


@dataclass(frozen=True)
class Mark:
    """A flight as the gate status names it."""

    flight: int
    started: datetime
    verdict: Verdict
    pushed: bool


def mark_of(mark: FlightMark | None) -> Mark | None:
    if mark is None:
        return None
    return Mark(mark.number, mark.at, mark.verdict, mark.pushed)


@dataclass(frozen=True)
class GateStatus:
    """A branch's push gate, as osstest's report sums it up for its newest flight."""

    branch: str
    newest: Mark | None
    basis: Mark | None  # the last test of the basis (osstest's words): it need not be pushed
    days_since_push: float | None  # from the start of `last_push`
    failing_since: Mark | None
    attempts: int
    same_since: Mark | None
    same_attempts: int
    last_push: Mark | None = None  # the newest pushed flight by the moment shown
    flights_since_push: int = 0  # flights of the branch after it, by then


def days_between(earlier: datetime, later: datetime) -> float:
    """Return the days from one moment to another, to a tenth."""
    return round((later - earlier).total_seconds() / 86400, 1)


def gate_status_of(
    branch: str,
    newest: FlightMark | None,
    age: PushAge | None,
    marks: Sequence[FlightMark],
    pushed: Push | None,
    now: datetime,
) -> GateStatus:
    """Sum up a branch's gate from its newest flight's push-gate age, the flights that age was
    read from, and its last push by `now`."""
    read = {m.number: m for m in marks}

    def mark(found: FlightAge | None) -> Mark | None:
        # Every flight the age names is among those it was read from.
        return mark_of(read[found.number]) if found else None

    return GateStatus(
        branch=branch,
        newest=mark_of(newest),
        basis=mark(age.basis) if age else None,
        days_since_push=days_between(pushed.at, now) if pushed else None,
        failing_since=mark(age.failing_since) if age else None,
        attempts=age.failing_attempts or 0 if age else 0,
        same_since=mark(age.same_since) if age else None,
        same_attempts=age.same_attempts if age else 0,
        last_push=Mark(pushed.flight, pushed.at, pushed.verdict, True) if pushed else None,
        flights_since_push=sum(1 for m in read.values() if pushed and m.number > pushed.flight),
    )


@dataclass(frozen=True)
class TimelinePoint:
    """One flight of the branch over time."""

    flight: int
    started: datetime
    verdict: Verdict
    pushed: bool
    pass_rate: float | None
    blocking: int
    days_without_push: float | None


@dataclass(frozen=True)
class NeverPassed:
    job: str
    testid: str
    runs: int
    newest_flight: int
    known: Known | None = None  # what a known issue says its newest failure is


@dataclass(frozen=True)
class Flaky:
    job: str
    testid: str
    heisenbugs: int


@dataclass(frozen=True)
class BranchPage:
    """A branch's gate over time: pass rate, blockers, verdicts, pushes, never-pass and flaky steps."""

    branch: str
    gate: GateStatus
    flights: tuple[TimelinePoint, ...]
    never_pass: tuple[NeverPassed, ...]
    flaky: tuple[Flaky, ...]
    release: ReleaseDates | None = None  # the milestones of the release made from this branch
    triage: Tally | None = None  # how many of its never-passing steps known issues explain


def timeline(
    marks: Sequence[FlightMark], counts: FlightCounts, earlier: Push | None
) -> tuple[TimelinePoint, ...]:
    """Return each flight's point: its pass rate, blockers, and the days since the last push
    (`earlier`: the last push before the first of these flights)."""
    last_push = earlier.at if earlier else None
    points = []
    for mark in marks:
        if mark.pushed:
            last_push = mark.at
        points.append(
            TimelinePoint(
                flight=mark.number,
                started=mark.at,
                verdict=mark.verdict,
                pushed=mark.pushed,
                pass_rate=pass_rate_of(counts.statuses.get(mark.number, {})),
                blocking=counts.blocking.get(mark.number, 0),
                days_without_push=days_between(last_push, mark.at) if last_push else None,
            )
        )
    return tuple(points)


def never_pass_candidates(notable: Sequence[NotableRow]) -> dict[int, NotableRow]:
    """Return each test's newest notable row, of the tests it judged `never pass`."""
    newest: dict[int, NotableRow] = {row.test_id: row for row in notable}  # rows: oldest first
    return {
        t: row for t, row in newest.items() if row.classification == Classification.NEVER_PASS.value
    }


def never_passed(
    candidates: Mapping[int, NotableRow],
    runs: Mapping[int, tuple[int, int]],
    keys: Mapping[int, TestKey],
) -> tuple[NeverPassed, ...]:
    """Return the candidates that no pass came after: their newest run is the never pass."""
    found = [
        NeverPassed(keys[test_id].job, keys[test_id].testid, count, last)
        for test_id, (last, count) in runs.items()
        if test_id in candidates and last == candidates[test_id].flight
    ]
    return tuple(sorted(found, key=lambda n: (n.job, n.testid)))


def flaky_tests(notable: Sequence[NotableRow], keys: Mapping[int, TestKey]) -> tuple[Flaky, ...]:
    """Return the tests with the most heisenbugs in these flights (`gate.trends.is_heisenbug`)."""
    counts: Counter[TestKey] = Counter(
        keys[row.test_id]
        for row in notable
        if is_heisenbug(
            Status(row.status),
            Classification(row.classification) if row.classification else None,
            row.attempts,
        )
    )
    return tuple(Flaky(k.job, k.testid, n) for k, n in flaky(counts))
