"""Push-gate trends: how long since the last push, how many attempts, which steps are flaky."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from gate.model import Classification, Status, TestKey, Verdict


@dataclass(frozen=True)
class FlightMark:
    """What the trends need of one flight of a branch."""

    number: int
    at: datetime
    verdict: Verdict
    pushed: bool
    revisions: Mapping[str, str]


@dataclass(frozen=True)
class PushAge:
    """osstest's push-gate summary lines, for the newest flight of a branch.

    basis: the newest pushed flight; failing_since: the first flight after it (None when the
    newest flight was pushed), with the attempts since; same_since: the first of the newest run of
    flights that tested the newest flight's revisions, with their count.
    """

    newest: FlightMark | None
    basis: FlightMark | None
    days_since_push: float | None
    failing_since: FlightMark | None
    attempts: int
    same_since: FlightMark | None
    same_attempts: int


def push_age(flights: Sequence[FlightMark], now: datetime) -> PushAge:
    """Summarise a branch's gate from its flights (any order)."""
    ordered = sorted(flights, key=lambda f: f.number)
    if not ordered:
        return PushAge(None, None, None, None, 0, None, 0)
    newest = ordered[-1]
    pushed = [f for f in ordered if f.pushed]
    basis = pushed[-1] if pushed else None
    after = [f for f in ordered if basis is None or f.number > basis.number]
    same: list[FlightMark] = []
    for flight in reversed(ordered):
        if dict(flight.revisions) != dict(newest.revisions):
            break
        same.insert(0, flight)
    return PushAge(
        newest=newest,
        basis=basis,
        days_since_push=(now - basis.at).total_seconds() / 86400 if basis else None,
        failing_since=after[0] if after else None,
        attempts=len(after),
        same_since=same[0],
        same_attempts=len(same),
    )


def pass_rate_of(counts: Mapping[Status, int]) -> float | None:
    """Return passes / (passes + fails + brokens), or None when none of those ran."""
    ran = counts.get(Status.PASS, 0) + counts.get(Status.FAIL, 0) + counts.get(Status.BROKEN, 0)
    return counts.get(Status.PASS, 0) / ran if ran else None


@dataclass(frozen=True)
class StepRecordView:
    """One result of one test in one flight, as the history strip shows it."""

    flight: int
    at: datetime
    status: Status
    classification: Classification | None
    ref_flight: int | None
    host: str | None


@dataclass(frozen=True)
class TestHealth:
    """How one test has fared: its runs, flake rate, current failing streak and hosts."""

    __test__ = False

    runs: int
    heisenbugs: int
    flake_rate: float | None
    streak_since: int | None
    streak_length: int
    failed_on: tuple[str, ...]


def test_health(history: Sequence[StepRecordView]) -> TestHealth:
    """Summarise a test's history (newest last): flakes per run, the current streak, its hosts."""
    heisenbugs = sum(1 for h in history if h.classification is Classification.PASS_IN)
    streak: list[StepRecordView] = []
    for record in reversed(history):
        if not record.status.failing:
            break
        streak.insert(0, record)
    hosts = sorted({h.host for h in history if h.status.failing and h.host})
    return TestHealth(
        runs=len(history),
        heisenbugs=heisenbugs,
        flake_rate=heisenbugs / len(history) if history else None,
        streak_since=streak[0].flight if streak else None,
        streak_length=len(streak),
        failed_on=tuple(hosts),
    )


test_health.__test__ = False  # type: ignore[attr-defined]


def flaky(counts: Mapping[TestKey, int], limit: int = 20) -> list[tuple[TestKey, int]]:
    """Return the tests with the most heisenbugs first."""
    return sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))[:limit]
