"""Prune the store as `gate.retention` decides: clear old flights' outputs, delete older flights.

Each batch of flights is a transaction of its own, committed through `write_retrying`, so that the
dashboard's readers and the other writers wait for one batch at most, never for the whole prune;
a batch and the saving of a flight wait for one another whole (`gate.store.locks`), so a prune
may run beside ingest.
A deleted flight takes its jobs, steps and summaries (`summaries.forget_flight`) with it, but not
its first passes: a test that passed in it still passed before the flights after it
(`gate.store.passes`). No flight is judged again, so every kept flight keeps its verdict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import cast

from sqlalchemy import Engine, Table, delete, func, select, update
from sqlalchemy.orm import Session

from gate.retention import FlightHeader, Plan, Protection, Retention, plan, protected
from gate.store.bulk import JOB, STEP, in_chunks
from gate.store.db import analyze, write_retrying
from gate.store.locks import hold_flights
from gate.store.records import BranchRecord, FlightRecord, as_utc
from gate.store.summaries import forget_flight

FLIGHT = cast(Table, FlightRecord.__table__)
MB = 1_000_000
# Flights per transaction: a batch of osstest-sized flights (some 2,000 steps each) takes well
# under a second to delete, all that another writer waits for.
BATCH = 20


class Stage(StrEnum):
    """The two stages of a prune, in the order they run."""

    OUTPUTS = "outputs"
    FLIGHTS = "flights"


@dataclass(frozen=True)
class Outputs:
    """Step output excerpts: how many steps had one, in how many flights, of how many characters."""

    steps: int = 0
    flights: int = 0
    characters: int = 0

    def __add__(self, other: Outputs) -> Outputs:
        return Outputs(
            self.steps + other.steps,
            self.flights + other.flights,
            self.characters + other.characters,
        )


@dataclass(frozen=True)
class Deleted:
    """Flights deleted whole (with their steps), and those of a batch found protected after all."""

    flights: int = 0
    steps: int = 0
    characters: int = 0  # of their steps' outputs
    spared: Mapping[int, Protection] = field(default_factory=dict)

    def __add__(self, other: Deleted) -> Deleted:
        return Deleted(
            self.flights + other.flights,
            self.steps + other.steps,
            self.characters + other.characters,
            {**self.spared, **other.spared},
        )


@dataclass(frozen=True)
class Pruned:
    """What a prune did, or with `dry_run` would do."""

    cleared: Outputs
    deleted: Deleted
    kept: Mapping[Protection, int]  # flights old enough to delete, kept, by why
    dry_run: bool = False

    def sentence(self) -> str:
        """Say it on one line, e.g. `deleted 3 flights (120 steps); kept 2 ...; ... 0.4 MB`."""
        deleted, cleared = self.deleted, self.cleared
        verbs = ("deleted", "kept", "cleared")
        if self.dry_run:
            verbs = ("would delete", "would keep", "would clear")
        kept = sum(self.kept.values())
        why = ", ".join(f"{self.kept[p]} as {p}" for p in Protection if self.kept.get(p))
        megabytes = (cleared.characters + deleted.characters) / MB
        return "; ".join(
            [
                f"{verbs[0]} {deleted.flights} flights ({deleted.steps} steps)",
                f"{verbs[1]} {kept} old flights" + (f" ({why})" if why else ""),
                f"{verbs[2]} the outputs of {cleared.steps} steps in {cleared.flights} flights",
                f"{megabytes:.1f} MB of output {'to free' if self.dry_run else 'freed'}",
            ]
        )


Progress = Callable[[Stage, int, int], None]


def read_headers(session: Session, *, since: int = 0) -> list[FlightHeader]:
    """Read what retention needs of every flight numbered `since` or more: flight rows only."""
    rows = session.execute(
        select(
            FlightRecord.id,
            BranchRecord.name,
            FlightRecord.started,
            FlightRecord.ingested,
            FlightRecord.pushed,
            FlightRecord.baseline_flights,
            FlightRecord.retests,
        )
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(FlightRecord.id >= since)
        .order_by(FlightRecord.id)
    )
    return [
        FlightHeader(
            number,
            branch,
            as_utc(started or ingested),
            pushed,
            tuple(baseline_flights),
            tuple(retests),
        )
        for number, branch, started, ingested, pushed, baseline_flights, retests in rows
    ]


def count_outputs(session: Session, numbers: Sequence[int]) -> Outputs:
    """Count the output excerpts the steps of these flights still hold."""
    found = Outputs()
    for chunk in in_chunks(numbers):
        steps, flights, characters = session.execute(
            select(
                func.count(),
                func.count(STEP.c.flight_id.distinct()),
                func.coalesce(func.sum(func.length(STEP.c.output)), 0),
            ).where(STEP.c.flight_id.in_(chunk), STEP.c.output.is_not(None))
        ).one()
        found += Outputs(steps, flights, int(characters))
    return found


def clear_outputs(session: Session, numbers: Sequence[int]) -> Outputs:
    """Clear the output excerpts of these flights' steps; their messages stay."""
    hold_flights(session)  # a save judging these flights again writes their steps too
    found = count_outputs(session, numbers)
    if found.steps:
        for chunk in in_chunks(numbers):
            session.execute(
                update(STEP)
                .where(STEP.c.flight_id.in_(chunk), STEP.c.output.is_not(None))
                .values(output=None)
            )
    return found


def _count_steps(session: Session, numbers: Sequence[int]) -> tuple[int, int]:
    """Count the steps of these flights, and the characters of their outputs."""
    steps = characters = 0
    for chunk in in_chunks(numbers):
        n, chars = session.execute(
            select(func.count(), func.coalesce(func.sum(func.length(STEP.c.output)), 0)).where(
                STEP.c.flight_id.in_(chunk)
            )
        ).one()
        steps, characters = steps + n, characters + int(chars)
    return steps, characters


def _still_older(session: Session, numbers: Sequence[int], cutoff: datetime) -> set[int]:
    """Return the flights of these that are still stored and older than `cutoff` (a replaced
    flight may have another start)."""
    older: set[int] = set()
    at = func.coalesce(FlightRecord.started, FlightRecord.ingested)
    for chunk in in_chunks(numbers):
        older |= set(
            session.scalars(select(FlightRecord.id).where(FlightRecord.id.in_(chunk), at < cutoff))
        )
    return older


def delete_flights(
    session: Session, numbers: Sequence[int], cutoff: datetime, since: int
) -> Deleted:
    """Delete these flights whole, but those that the flights numbered `since` or more protect
    now: a flight stored or judged again since the plan protects its baselines too."""
    hold_flights(session)  # no save under way beside it: it would not see what that protects
    spared = protected(read_headers(session, since=since), cutoff)
    older = _still_older(session, numbers, cutoff)
    doomed = [n for n in numbers if n in older and n not in spared]
    steps, characters = _count_steps(session, doomed)
    for number in doomed:
        forget_flight(session, number)
    for chunk in in_chunks(doomed):
        session.execute(delete(STEP).where(STEP.c.flight_id.in_(chunk)))
        session.execute(delete(JOB).where(JOB.c.flight_id.in_(chunk)))
        session.execute(delete(FLIGHT).where(FLIGHT.c.id.in_(chunk)))
    kept = {n: spared[n] for n in numbers if n in older and n in spared}
    return Deleted(len(doomed), steps, characters, kept)


def _since(headers: Sequence[FlightHeader], decided: Plan) -> int:
    """Return the lowest flight kept in its own right for its age: the batches read again from
    there on (with the flights stored after the plan)."""
    young = [h.number for h in headers if decided.cutoff is None or h.at >= decided.cutoff]
    return min(young, default=max((h.number for h in headers), default=0) + 1)


def prune(
    engine: Engine,
    retention: Retention,
    now: datetime,
    *,
    batch: int = BATCH,
    attempts: int = 1,
    dry_run: bool = False,
    progress: Progress | None = None,
    retrying: Callable[[int], None] | None = None,
) -> Pruned:
    """Clear the outputs of the old flights, then delete the older ones that are not protected,
    `batch` flights per transaction; with `dry_run`, only count what that would do."""
    with Session(engine) as session:
        headers = read_headers(session)
        decided = plan(headers, retention, now)
        if dry_run:
            steps, characters = _count_steps(session, decided.delete)
            return Pruned(
                count_outputs(session, decided.clear),
                Deleted(len(decided.delete), steps, characters),
                Counter(decided.protected.values()),
                dry_run=True,
            )
    since = _since(headers, decided)
    cleared = Outputs()
    for done, numbers in _batches(decided.clear, batch):
        cleared += write_retrying(
            engine, partial(clear_outputs, numbers=numbers), attempts=attempts, retrying=retrying
        )
        if progress is not None:
            progress(Stage.OUTPUTS, done, len(decided.clear))
    deleted = Deleted()
    for done, numbers in _batches(decided.delete, batch):
        assert decided.cutoff is not None  # else no flight is old enough to delete
        work = partial(delete_flights, numbers=numbers, cutoff=decided.cutoff, since=since)
        deleted += write_retrying(engine, work, attempts=attempts, retrying=retrying)
        if progress is not None:
            progress(Stage.FLIGHTS, done, len(decided.delete))
    if cleared.steps or deleted.flights:
        analyze(engine)
    kept = Counter({**decided.protected, **deleted.spared}.values())
    return Pruned(cleared, deleted, kept)


def _batches(numbers: Sequence[int], size: int) -> Iterator[tuple[int, Sequence[int]]]:
    """Yield each batch of `size` flights with how many flights are done once it is."""
    for start in range(0, len(numbers), size):
        chunk = numbers[start : start + size]
        yield start + len(chunk), chunk
