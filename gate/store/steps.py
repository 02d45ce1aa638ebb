"""The steps of some flights worth a second look, read through the partial index
`ix_step_notable`: the ones that did not pass, and the passes after retries."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gate.model import Classification, Status, TestKey
from gate.readiness import Observation
from gate.store.bulk import in_chunks
from gate.store.records import NOTABLE_STEP, BranchRecord, FlightRecord, StepRecord


def notable_steps(
    session: Session, flights: Sequence[int], test_ids: Collection[int] | None = None
) -> list[NotableRow]:
    """Return the steps of these flights that did not pass or were rerun (the partial index),
    of these tests only when given, in flight then document order."""
    wanted = None if test_ids is None else set(test_ids)
    found = []
    for chunk in in_chunks(sorted(flights)):
        rows = session.execute(
            select(
                StepRecord.flight_id,
                StepRecord.test_id,
                StepRecord.status,
                StepRecord.classification,
                StepRecord.ref_flight,
                StepRecord.ref_status,
                StepRecord.ref_blessing,
                StepRecord.attempts,
            )
            .where(StepRecord.flight_id.in_(chunk), NOTABLE_STEP)
            .order_by(StepRecord.flight_id, StepRecord.position)
        )
        found += [NotableRow(*row) for row in rows if wanted is None or row[1] in wanted]
    return found


@dataclass(frozen=True)
class NotableRow:
    """A step that did not pass, or passed after retries, as `notable_steps` reads it."""

    flight: int
    test_id: int
    status: str
    classification: str | None
    ref_flight: int | None
    ref_status: str | None
    ref_blessing: str | None
    attempts: int

    def observed(self, key: TestKey) -> Observation:
        return Observation(
            self.flight,
            key,
            Status(self.status),
            Classification(self.classification) if self.classification else None,
            self.ref_flight,
            Status(self.ref_status) if self.ref_status else None,
            self.ref_blessing,
        )


def not_passing_since(
    session: Session, branch: str, test_id: int, upto: int, blessings: Sequence[str]
) -> tuple[int | None, int]:
    """Return the first flight of the run of the branch's flights (of these blessings), up to
    `upto`, in which a test ran and did not pass, and how many flights that run has."""
    on_branch = (
        select(FlightRecord.id)
        .join(BranchRecord, BranchRecord.id == FlightRecord.branch_id)
        .where(BranchRecord.name == branch, FlightRecord.blessing.in_(blessings))
    )
    # Walked back from `upto` by the (test, flight) index, up to the newest pass.
    last_pass = session.scalar(
        select(StepRecord.flight_id)
        .where(
            StepRecord.test_id == test_id,
            StepRecord.flight_id < upto,
            StepRecord.status == Status.PASS.value,
            StepRecord.flight_id.in_(on_branch),
        )
        .order_by(StepRecord.flight_id.desc())
        .limit(1)
    )
    since, runs = session.execute(
        select(
            func.min(StepRecord.flight_id), func.count(func.distinct(StepRecord.flight_id))
        ).where(
            StepRecord.test_id == test_id,
            StepRecord.flight_id <= upto,
            StepRecord.flight_id > (last_pass or 0),
            StepRecord.flight_id.in_(on_branch),
        )
    ).one()
    return since, int(runs or 0)


def step_cells(
    session: Session, test_ids: Sequence[int], flights: Sequence[int]
) -> list[tuple[int, int, str, str | None, int | None, str | None, str | None]]:
    """Return, for these tests in these flights, each step's test, flight, status,
    classification and reference (flight, status, blessing), as the grid's cells show them."""
    found: list[tuple[int, int, str, str | None, int | None, str | None, str | None]] = []
    for chunk in in_chunks(list(test_ids)):
        rows = session.execute(
            select(
                StepRecord.test_id,
                StepRecord.flight_id,
                StepRecord.status,
                StepRecord.classification,
                StepRecord.ref_flight,
                StepRecord.ref_status,
                StepRecord.ref_blessing,
            ).where(StepRecord.test_id.in_(chunk), StepRecord.flight_id.in_(flights))
        )
        found += [(t, f, status, cls, ref, rs, rb) for t, f, status, cls, ref, rs, rb in rows]
    return found
