"""The first pass of each test on each branch, by blessing: osstest's `never pass` without a scan.

Kept in the transaction that stores a flight, taken back when a flight is replaced, and
rebuildable from the step rows. A pruned flight's first passes stay (`gate.store.prune`): a test
that passed in it still passed before the flights after it, else pruning would turn their
regressions into never passes. So a rebuild keeps every first pass that the step rows no longer
show, and works out the others again.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, cast

from sqlalchemy import Table, and_, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from gate.model import Flight, Status
from gate.policy import is_retest
from gate.store.bulk import in_chunks
from gate.store.records import FlightRecord, StepRecord, TestPassRecord

PASS = cast(Table, TestPassRecord.__table__)
KEY = ["branch_id", "test_id", "blessing"]


def record_passes(session: Session, branch: int, flight: Flight) -> None:
    """Note the stored flight as the first pass of every test that passed in it, unless an
    earlier flight of the same blessing is; one statement over its step rows, no rows in Python."""
    assert flight.number is not None
    number = flight.number
    passes = (
        select(
            literal(branch).label("branch_id"),
            StepRecord.test_id,
            literal(flight.blessing).label("blessing"),
            literal(number).label("first_flight"),
        )
        .where(StepRecord.flight_id == number, StepRecord.status == Status.PASS.value)
        .group_by(StepRecord.test_id)
    )
    columns = ["branch_id", "test_id", "blessing", "first_flight"]
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        pg = postgresql.insert(PASS).from_select(columns, passes)
        session.execute(
            pg.on_conflict_do_update(
                index_elements=KEY,
                set_={"first_flight": pg.excluded.first_flight},
                where=pg.excluded.first_flight < PASS.c.first_flight,
            )
        )
        return
    from sqlalchemy.dialects import sqlite

    lite = sqlite.insert(PASS).from_select(columns, passes)
    session.execute(
        lite.on_conflict_do_update(
            index_elements=KEY,
            set_={"first_flight": lite.excluded.first_flight},
            where=lite.excluded.first_flight < PASS.c.first_flight,
        )
    )


def forget_passes(session: Session, branch: int, number: int) -> None:
    """Take back the first passes that were flight `number`'s, before it is replaced."""
    mine = session.execute(
        select(PASS.c.test_id, PASS.c.blessing).where(
            PASS.c.branch_id == branch, PASS.c.first_flight == number
        )
    ).all()
    if not mine:
        return
    session.execute(delete(PASS).where(PASS.c.branch_id == branch, PASS.c.first_flight == number))
    # Only the (test, blessing) pairs taken back are looked for again: the others still stand.
    for blessing in sorted({b for _test_id, b in mine}):
        tests = sorted(test_id for test_id, b in mine if b == blessing)
        for chunk in in_chunks(tests):
            session.execute(
                insert(PASS).from_select(
                    ["branch_id", "test_id", "blessing", "first_flight"],
                    _first_passes()
                    .where(
                        FlightRecord.branch_id == branch,
                        FlightRecord.blessing == blessing,
                        FlightRecord.id != number,
                        StepRecord.test_id.in_(chunk),
                    )
                    .group_by(FlightRecord.branch_id, StepRecord.test_id, FlightRecord.blessing),
                )
            )


def _first_passes() -> Any:
    return (
        select(
            FlightRecord.branch_id,
            StepRecord.test_id,
            FlightRecord.blessing,
            func.min(FlightRecord.id),
        )
        .join(FlightRecord, FlightRecord.id == StepRecord.flight_id)
        .where(StepRecord.status == Status.PASS.value)
    )


def rebuild_passes(session: Session) -> None:
    """Compute every first pass again from the step rows, but keep those they no longer show."""
    # A first pass is shown when its flight is stored, of its branch and blessing, with a passing
    # step of its test: those are worked out again. The others are the passes of pruned flights.
    shown = (
        select(StepRecord.id)
        .join(FlightRecord, FlightRecord.id == StepRecord.flight_id)
        .where(
            StepRecord.flight_id == PASS.c.first_flight,
            StepRecord.test_id == PASS.c.test_id,
            StepRecord.status == Status.PASS.value,
            FlightRecord.branch_id == PASS.c.branch_id,
            FlightRecord.blessing == PASS.c.blessing,
        )
        .correlate(PASS)
        .exists()
    )
    session.execute(delete(PASS).where(shown))
    # A first pass kept is below every stored pass of its test (`record_passes` keeps the
    # lowest), so it stands: only the tests without one get theirs from the steps.
    firsts = (
        _first_passes()
        .group_by(FlightRecord.branch_id, StepRecord.test_id, FlightRecord.blessing)
        .subquery()
    )
    kept = (
        select(PASS.c.test_id)
        .where(
            PASS.c.branch_id == firsts.c.branch_id,
            PASS.c.test_id == firsts.c.test_id,
            PASS.c.blessing == firsts.c.blessing,
        )
        .exists()
    )
    session.execute(
        insert(PASS).from_select(
            ["branch_id", "test_id", "blessing", "first_flight"], select(firsts).where(~kept)
        )
    )


def passed_before(
    session: Session,
    branch: int,
    number: int,
    test_ids: Collection[int],
    blessings: Collection[str],
) -> set[int]:
    """Return the tests that passed on the branch in an evidence flight available to `number`:
    one before it, or a retest whatever its number."""
    earlier = [b for b in blessings if not is_retest(b)]
    retests = [b for b in blessings if is_retest(b)]
    found: set[int] = set()
    for chunk in in_chunks(sorted(test_ids)):
        rows = session.execute(
            select(PASS.c.test_id).where(
                PASS.c.branch_id == branch,
                PASS.c.test_id.in_(chunk),
                and_(PASS.c.blessing.in_(earlier), PASS.c.first_flight < number)
                | PASS.c.blessing.in_(retests),
            )
        )
        found |= {test_id for (test_id,) in rows}
    return found
