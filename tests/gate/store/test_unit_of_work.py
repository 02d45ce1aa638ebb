"""The unit of work: every write of pushgate opens its session and its transaction here."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gate.model import Status
from gate.store.db import unit_of_work
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
