"""Push-gate trends: how long since the last push, how many attempts, which steps are flaky."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gate.model import Classification, Status, TestKey, Verdict
from gate.rules import built


@dataclass(frozen=True)
class FlightMark:
    """What the trends need of one flight of a branch."""

    number: int
    at: datetime
    verdict: Verdict
    pushed: bool
    revisions: Mapping[str, str]
    baseline: Mapping[str, str] = field(default_factory=dict)  # as judged: the trees compared
    tested: Mapping[str, str] = field(default_factory=dict)
    blessing: str = "real"


@dataclass(frozen=True)
class FlightAge:
    """A flight the push-gate summary names, with its start and its age in whole days."""

    number: int
    started: datetime | None
    days: int


@dataclass(frozen=True)
class PushAge:
    """How long a branch's push gate has been waiting, after osstest's `report_find_push_age_info`.

    `basis` is the newest flight that tested the baseline revision ("last test of basis");
    `failing_since` the first flight after it and `failing_attempts` how many flights came after
    it (both None without a basis); `same_since` the first flight of the tested revision after the
    basis and `same_attempts` how many flights tested that revision since. `tree` is the one tree
    compared, or None when several are (osstest prints the summary only for one).
    """

    tree: str | None
    basis: FlightAge | None
    failing_since: FlightAge | None
    failing_attempts: int | None
    same_since: FlightAge | None
    same_attempts: int


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # osstest's start time of a flight that has none
DAY = 86400.0


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def push_age(
    number: int,
    tested: Mapping[str, str],
    baseline: Mapping[str, str],
    flights: Iterable[FlightMark],
    now: datetime,
    *,
    blessing: str = "real",
) -> PushAge:
    """Find the last test of the basis and the tests since, for flight `number`, as of `now`.

    `flights` are the branch's flights, the judged one included; only those blessed `blessing`
    (the push blessing) and none newer than the judged flight count.
    """
    seen = {p.number: p for p in flights if p.blessing == blessing and p.number <= number}
    numbers = sorted(seen)

    def age(found: int | None) -> FlightAge | None:
        if found is None:
            return None
        started = seen[found].at
        days = math.floor((utc(now) - utc(started)).total_seconds() / DAY)
        return FlightAge(found, started, days)

    basis = max((n for n in numbers if built(seen[n].revisions, baseline)), default=None)
    after = [n for n in numbers if basis is None or n > basis]
    tip = [n for n in after if built(seen[n].revisions, tested)]
    trees = sorted(tested)
    return PushAge(
        tree=trees[0] if len(trees) == 1 and trees == sorted(baseline) else None,
        basis=age(basis),
        failing_since=age(min(after, default=None)) if basis is not None else None,
        failing_attempts=len(after) if basis is not None else None,
        same_since=age(min(tip, default=None)),
        same_attempts=len(tip),
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
    attempts: int = 1  # runs in this flight, the final one included

    @property
    def heisenbug(self) -> bool:
        return is_heisenbug(self.status, self.classification, self.attempts)


def is_heisenbug(status: Status, classification: Classification | None, attempts: int) -> bool:
    """Whether a test both failed and passed: a pass found elsewhere, or a pass on a retry."""
    if classification is not None and classification.heisenbug:
        return True
    return status is Status.PASS and attempts > 1


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
    heisenbugs = sum(1 for h in history if h.heisenbug)
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
