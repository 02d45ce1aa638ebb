"""What a prune may take from the store: old flights' output excerpts first, old flights later.

A flight is *old* when it started (or, lacking a start, was ingested) more than the given number
of days before now. Every old flight loses its steps' output; an old flight is deleted whole when
it is older still, unless it is *protected*:

- it is kept in its own right: it is not old enough to delete, or it is its branch's last push
  (the master later flights are judged against), or its branch's newest flight (so a branch
  never disappears, and the numbers given to flights that bring none never go back);
- or it is a baseline flight, or a retest, of a flight kept in its own right: that flight's
  stored findings and report name it.

Protection goes no further: a baseline of a flight that is kept only as a baseline may go, else
every flight would be a baseline of a baseline back to the first one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# Without a --delete-after, a flight is deleted this many times as old as its outputs go.
DELETE_FACTOR = 4


class RetentionError(ValueError):
    """Ages that cannot make a prune."""


class Protection(StrEnum):
    """Why a flight old enough to delete is kept, strongest first."""

    LAST_PUSH = "last push"
    NEWEST = "newest of its branch"
    BASELINE = "baseline or retest of a kept flight"


@dataclass(frozen=True)
class Retention:
    """How long the store keeps what, in days.

    outputs_days: a flight older than this loses its steps' output excerpts; their messages
        (the one-line failure reasons, at most 500 characters) stay.
    flights_days: a flight older than this is deleted unless protected; None keeps every flight.
    """

    outputs_days: int
    flights_days: int | None

    def __post_init__(self) -> None:
        if self.outputs_days < 1:
            raise RetentionError(f"outputs go after at least 1 day, not {self.outputs_days}")
        if self.flights_days is not None and self.flights_days < self.outputs_days:
            raise RetentionError(
                f"flights cannot be deleted after {self.flights_days} days but lose their "
                f"outputs after {self.outputs_days}: delete them after as many days or more"
            )

    @classmethod
    def default(cls, outputs_days: int) -> Retention:
        """Clear outputs after `outputs_days` and delete flights after DELETE_FACTOR times that."""
        return cls(outputs_days, outputs_days * DELETE_FACTOR)


@dataclass(frozen=True)
class FlightHeader:
    """What retention needs of one stored flight: no step of it."""

    number: int
    branch: str
    at: datetime  # started, or ingested when it has no start
    pushed: bool
    baseline_flights: tuple[int, ...] = ()
    retests: tuple[int, ...] = ()


@dataclass(frozen=True)
class Plan:
    """What a prune does, each tuple in flight order.

    clear: the old flights that stay but lose their outputs (protected ones included).
    delete: the flights that go whole.
    protected: the flights old enough to delete that stay, each with why.
    cutoff: flights before this moment may be deleted (None: none may).
    """

    clear: tuple[int, ...]
    delete: tuple[int, ...]
    protected: Mapping[int, Protection]
    cutoff: datetime | None


def _before(flights: Iterable[FlightHeader], cutoff: datetime | None) -> set[int]:
    return set() if cutoff is None else {f.number for f in flights if f.at < cutoff}


def protected(flights: Iterable[FlightHeader], cutoff: datetime | None) -> dict[int, Protection]:
    """Return the flights that stay whatever their age, with why (see the module): the newest
    and last push of each branch, and the flights that those and the flights from `cutoff` on
    name as baselines or retests, stored or not.

    Given only the flights from some number on, it names every flight that all of them would
    name because of those flights: a branch's newest flight and last push are among its newest.
    """
    flights = list(flights)
    newest: dict[str, int] = {}
    last_push: dict[str, int] = {}
    for f in flights:
        newest[f.branch] = max(newest.get(f.branch, f.number), f.number)
        if f.pushed:
            last_push[f.branch] = max(last_push.get(f.branch, f.number), f.number)
    why: dict[int, Protection] = {}
    for reason, numbers in (
        (Protection.LAST_PUSH, last_push.values()),
        (Protection.NEWEST, newest.values()),
    ):
        for number in numbers:
            why.setdefault(number, reason)
    own = set(why) | ({f.number for f in flights} - _before(flights, cutoff))
    for f in flights:
        if f.number in own:
            for number in (*f.baseline_flights, *f.retests):
                why.setdefault(number, Protection.BASELINE)
    return why


def plan(flights: Iterable[FlightHeader], retention: Retention, now: datetime) -> Plan:
    """Decide which flights lose their outputs and which go whole, as of `now`."""
    flights = list(flights)
    cutoff = (
        None if retention.flights_days is None else now - timedelta(days=retention.flights_days)
    )
    old = _before(flights, cutoff)
    spared = {n: why for n, why in protected(flights, cutoff).items() if n in old}
    doomed = old - set(spared)
    cleared = _before(flights, now - timedelta(days=retention.outputs_days)) - doomed
    return Plan(
        clear=tuple(sorted(cleared)),
        delete=tuple(sorted(doomed)),
        protected=dict(sorted(spared.items())),
        cutoff=cutoff,
    )
