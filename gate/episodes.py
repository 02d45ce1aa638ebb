"""Regression episodes: a (job, testid) that starts to block opens one, at the first flight of
the branch where the gate's finding on it blocks (`gate.model.Classification.blocking`); it
closes at the first later flight where the step passes, whose revisions fixed it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from gate.model import TestKey

RECENT_DAYS = 14  # how long a closed episode stays listed after it closed


@dataclass(frozen=True)
class BlockedStep:
    """A blocking step of one flight, and the first later flight of the branch in which the
    same test passed (None: none yet)."""

    test_id: int
    flight: int
    next_pass: int | None


@dataclass(frozen=True)
class Span:
    """One episode of one test, by flight numbers: opened, closed (None: still open), and in
    how many flights it blocked."""

    test_id: int
    opened: int
    closed: int | None
    blocked: int


def spans(steps: Iterable[BlockedStep]) -> list[Span]:
    """Work out the episodes of each test from its blocking steps: each opens at a blocking
    step with none open, and closes at that step's next pass; the blocking steps before it
    belong to it. Ordered by test, then flight."""
    by_test: dict[int, list[BlockedStep]] = defaultdict(list)
    for step in steps:
        by_test[step.test_id].append(step)
    found: list[Span] = []
    for test_id in sorted(by_test):
        opening: BlockedStep | None = None
        blocked = 0
        for step in sorted(by_test[test_id], key=lambda s: s.flight):
            if opening is not None and (
                opening.next_pass is None or step.flight < opening.next_pass
            ):
                blocked += 1
                continue
            if opening is not None:
                found.append(Span(test_id, opening.flight, opening.next_pass, blocked))
            opening, blocked = step, 1
        if opening is not None:
            found.append(Span(test_id, opening.flight, opening.next_pass, blocked))
    return found


@dataclass(frozen=True)
class FlightMark:
    """A flight as an episode names it: its number, when it happened, its revisions."""

    number: int
    at: datetime
    revisions: Mapping[str, str]


@dataclass(frozen=True)
class Episode:
    """A regression episode: where it came in (the first blocking flight and its revisions),
    its cause (the failure cluster's digest), the features its test serves, and where it was
    fixed (the first flight that passed again), if it was."""

    key: TestKey
    opened: FlightMark
    closed: FlightMark | None
    blocked: int  # flights in which it blocked
    cluster: str | None
    features: tuple[str, ...]

    @property
    def open(self) -> bool:
        return self.closed is None

    def duration(self, now: datetime) -> timedelta:
        """How long it lasted: to its closing flight, or to `now` while it is open."""
        return (self.closed.at if self.closed is not None else now) - self.opened.at

    def recent(self, now: datetime, days: int = RECENT_DAYS) -> bool:
        """Tell whether it is open, or closed within the last `days` before `now`."""
        return self.closed is None or self.closed.at >= now - timedelta(days=days)
