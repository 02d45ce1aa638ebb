"""The same document gets the same answer on SQLite and on PostgreSQL: each field of a flight
has a limit (`gate.model.FIELD_LIMITS`, `MAX_NUMBER`), checked before the store sees it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gate.model import FIELD_LIMITS, MAX_NUMBER, Flight, Job, Status, Step, TestKey
from gate.store.db import make_engine
from gate.store.records import FlightRecord
from ingest.osstest_junit import write_flight
from web.cli import main

JOB, TESTID = "test-amd64-amd64-xl", "guest-start"


def _flight(**changed: object) -> Flight:
    job = str(changed.get("job", JOB))
    step = Step(
        TestKey(job, str(changed.get("testid", TESTID))),
        int(changed.get("stepno", 1)),  # type: ignore[call-overload]
        Status.PASS,
        features=frozenset([str(changed["tag"])]) if "tag" in changed else frozenset(),
    )
    return Flight(
        number=int(changed.get("number", 17001)),  # type: ignore[call-overload]
        branch=str(changed.get("branch", "xen-unstable")),
        blessing=str(changed.get("blessing", "real")),
        intended=changed.get("intended"),  # type: ignore[arg-type]
        jobs=(Job(job, Status.PASS, (step,), host=str(changed.get("host", "italia0"))),),
    )


def _ingest(db_url: str, tmp_path: Path, flight: Flight):
    path = tmp_path / "flight.xml"
    with path.open("wb") as out:
        write_flight(flight, out)
    result = CliRunner().invoke(main, ["--database", db_url, "ingest", str(path)])
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            stored = session.scalar(select(func.count()).select_from(FlightRecord))
    finally:
        engine.dispose()
    return result, stored


LONG = [
    ("branch", {"branch": "b" * 201}),
    ("blessing", {"blessing": "r" * 51}),
    ("intended blessing", {"intended": "r" * 51}),
    ("job", {"job": "j" * 501}),
    ("host", {"host": "h" * 501}),
    ("testid", {"testid": "t" * 1001}),
    ("feature tag", {"tag": "f" * 201}),
]


@pytest.mark.parametrize(("field", "changed"), LONG, ids=[field for field, _ in LONG])
def test_a_field_longer_than_its_limit_is_refused_in_one_line_on_every_engine(
    db_url, tmp_path, field, changed
):
    result, stored = _ingest(db_url, tmp_path, _flight(**changed))
    assert result.exit_code == 1
    (value,) = changed.values()
    said = (
        f"{field} {str(value)[:40] + '...'!r} is {len(str(value))} characters long; "
        f"pushgate keeps at most {FIELD_LIMITS[field]}"
    )
    assert said in result.output
    assert "Traceback" not in result.output and "SELECT" not in result.output
    assert stored == 0


def test_every_field_at_its_limit_is_stored_on_every_engine(db_url, tmp_path):
    at_limit = {
        "branch": "b" * FIELD_LIMITS["branch"],
        "blessing": "r" * FIELD_LIMITS["blessing"],
        "intended": "r" * FIELD_LIMITS["intended blessing"],
        "job": "j" * FIELD_LIMITS["job"],
        "host": "h" * FIELD_LIMITS["host"],
        "testid": "t" * FIELD_LIMITS["testid"],
        "tag": "f" * FIELD_LIMITS["feature tag"],
        "number": MAX_NUMBER,
        "stepno": MAX_NUMBER,
    }
    result, stored = _ingest(db_url, tmp_path, _flight(**at_limit))
    assert result.exit_code == 0, result.output
    assert stored == 1


def test_a_flight_number_beyond_the_stores_integers_is_refused_on_every_engine(db_url, tmp_path):
    path = tmp_path / "flight.xml"
    with path.open("wb") as out:
        write_flight(_flight(), out)
    options = ["--database", db_url, "ingest", "--flight", str(MAX_NUMBER + 1), str(path)]
    result = CliRunner().invoke(main, options)
    assert result.exit_code == 1
    assert f"flight number {MAX_NUMBER + 1} is out of range (1 to {MAX_NUMBER})" in result.output
    assert "Traceback" not in result.output
