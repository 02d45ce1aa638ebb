"""The unit of work: every write of pushgate opens its session and its transaction here."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from gate.model import Status
from gate.store.db import make_engine, unit_of_work, write_retrying
from gate.store.flights import save_flight
from gate.store.records import FlightRecord
from tests.builders import flight

NOW = datetime(2013, 3, 1, tzinfo=UTC)


def _save(session: Session, number: int) -> None:
    steps = {"build-amd64 xen-build": Status.PASS}
    save_flight(session, flight(number, steps), digest=f"d{number}", source="test", now=NOW)


def _flights(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(FlightRecord)) or 0


def test_a_unit_of_work_commits_what_its_block_wrote(engine: Engine):
    with unit_of_work(engine) as session:
        _save(session, 1)
    assert _flights(engine) == 1


def test_a_unit_of_work_that_raises_stores_nothing_of_its_block(engine: Engine):
    with unit_of_work(engine) as session:
        _save(session, 1)
    with pytest.raises(RuntimeError, match="midway"), unit_of_work(engine) as session:
        _save(session, 2)
        session.flush()  # the second flight's rows reached the database before the error
        raise RuntimeError("midway")
    assert _flights(engine) == 1


@pytest.mark.postgres
def test_a_write_that_postgresql_chose_as_a_deadlocks_victim_is_tried_again(postgres_url: str):
    """Two transactions each wait for the other's lock: the server rolls ours back, and it is
    tried again whole once the other is through."""
    engine = make_engine(postgres_url)
    ours, theirs = random.sample(range(1, 2**31), 2)  # advisory keys no other test takes
    ready, holding = threading.Event(), threading.Event()
    lock = text("SELECT pg_advisory_xact_lock(:key)")

    def other() -> None:
        with engine.begin() as connection:
            # The server looks for a deadlock after this long waiting: ours looks first.
            connection.execute(text("SET LOCAL deadlock_timeout = '10s'"))
            connection.execute(lock, {"key": theirs})
            ready.set()
            holding.wait(10)
            connection.execute(lock, {"key": ours})

    attempts: list[int] = []

    def work(session: Session) -> int:
        attempts.append(len(attempts) + 1)
        _save(session, 1)
        if len(attempts) == 1:
            session.execute(text("SET LOCAL deadlock_timeout = '100ms'"))
            assert ready.wait(10)
            session.execute(lock, {"key": ours})
            holding.set()
            waiting = text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND objid = :key"
            )
            while not session.scalar(waiting, {"key": ours}):
                time.sleep(0.01)
        session.execute(lock, {"key": theirs})
        return len(attempts)

    racer = threading.Thread(target=other)
    racer.start()
    told: list[int] = []
    try:
        done = write_retrying(engine, work, attempts=3, retrying=told.append, sleep=time.sleep)
    finally:
        racer.join(20)
    assert (done, attempts, told) == (2, [1, 2], [2])
    assert _flights(engine) == 1
    engine.dispose()
