"""`pushgate prune` beside two `pushgate ingest`s: every command succeeds, and the store ends as a
sequential run leaves it; a flight pruned under a re-judging is passed over. On both engines.

The history is made so that its judgements do not hang on the order prune and ingest run in
(a kept flight judged again once its baseline is pruned is judged without it): no old flight
declares a baseline and only the one kept passes, the young ones are judged against young
baselines, and the flights the second ingester brings out of order (numbered below every old
flight) run jobs of their own, so they are evidence for no other. Storing one of those judges
again every flight after it, the doomed ones included: the path that met flights pruned under it.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session

from gate.allow import AllowList
from gate.model import Flight, Status
from gate.policy import Policy
from gate.store.db import make_engine, unit_of_work, upgrade
from gate.store.flights import load_flight, rejudge, save_flight
from gate.store.keys import branch_id
from gate.store.prune import delete_flights
from gate.store.records import BranchRecord, FlightRecord, TestPassRecord, TestRecord
from gate.store.summaries import rebuild, snapshot
from tests.builders import flight, write
from tests.conftest import POSTGRES_URL
from web.cli import main

START = datetime(2013, 1, 1, tzinfo=UTC)
NOW = START + timedelta(days=200)
OUTPUTS_DAYS, FLIGHTS_DAYS = 30, 60
OLD = range(1001, 1041)  # started 200 to 161 days before NOW
KEPT = 1040  # the one old flight the prune keeps: the first young flight's baseline
YOUNG = range(1041, 1046)  # started 20 to 16 days before NOW
INGESTED = range(1046, 1058)  # the first ingester's, young and in order
OUT_OF_ORDER = range(901, 907)  # the second ingester's, young, numbered below every old flight
JOBS = [f"test-amd64-amd64-xl-{n}" for n in range(20)]
TESTIDS = ["hosts-allocate", "host-install(3)", "xen-boot", "guest-start", "guest-stop"]
PRUNE = ["prune", "--older-than", str(OUTPUTS_DAYS), "--delete-after", str(FLIGHTS_DAYS)]
PRUNE += ["--batch", "1", "--now", NOW.date().isoformat()]


def _on(day: int) -> datetime:
    return START + timedelta(days=day, hours=1)


def _steps(number: int, jobs: list[str], failing: bool) -> dict[str, Status]:
    steps = {f"{job} {testid}": Status.PASS for job in jobs for testid in TESTIDS}
    if failing:
        steps[f"{jobs[number % len(jobs)]} {TESTIDS[3 + number % 2]}"] = Status.FAIL
    return steps


def made(number: int) -> Flight:
    """Build flight `number` of the history, with an output excerpt on every step."""
    if number in OUT_OF_ORDER:
        jobs = [f"test-arm64-arm64-xl-{number}-{n}" for n in range(4)]
        day = 170 + number - OUT_OF_ORDER.start
        built = flight(number, _steps(number, jobs, False), xen=f"x{number}", started=_on(day))
    else:
        day = number - OLD.start if number in OLD else 180 + number - YOUNG.start
        failing = number in OLD and number != KEPT or number % 3 == 0
        baseline = None if number in OLD else f"r{number - 1}"
        steps = _steps(number, JOBS, failing)
        built = flight(number, steps, xen=f"r{number}", baseline=baseline, started=_on(day))
    logged = (
        dataclasses.replace(
            job, steps=tuple(s._replace(output=f"log of {s.key}\n" * 20) for s in job.steps)
        )
        for job in built.jobs
    )
    return dataclasses.replace(built, jobs=tuple(logged))


def store_history(url: str) -> None:
    """Store the old and the young flights, each in a transaction of its own."""
    engine = make_engine(url)
    for number in (*OLD, *YOUNG):
        with unit_of_work(engine) as session:
            at = _on(number - OLD.start) if number in OLD else NOW
            save_flight(session, made(number), digest=f"d{number}", source="history", now=at)
    engine.dispose()


@pytest.fixture
def sequential_url(db_url: str, tmp_path: Path, template_db: Path) -> Iterator[str]:
    """Another new database on the same engine as `db_url`, for the sequential run."""
    if db_url.startswith("sqlite"):
        path = tmp_path / "sequential.sqlite"
        path.write_bytes(template_db.read_bytes())
        yield f"sqlite:///{path}"
        return
    admin = create_engine(POSTGRES_URL)
    schema = f"pushgate_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _files(directory: Path) -> tuple[list[str], list[str]]:
    """Write the two ingesters' files: the young flights in order, and those out of order."""
    directory.mkdir()
    return (
        [str(write(made(n), directory / f"{n}.xml")) for n in INGESTED],
        [str(write(made(n), directory / f"{n}.xml")) for n in OUT_OF_ORDER],
    )


def outcome(url: str) -> dict[str, Any]:
    """Read what a run left: every flight with its steps (outputs too) and its judgement, and the
    first passes by test name (the ids of tests differ between runs), checking on the way that
    the summaries are what a rebuild makes of the steps."""
    engine = make_engine(url)
    with Session(engine) as session:
        flights = {}
        for record in session.scalars(select(FlightRecord).order_by(FlightRecord.id)):
            loaded = load_flight(session, record.id)
            assert loaded is not None
            flights[record.id] = (loaded[0], loaded[1], record.subject, record.blocking)
        passes = session.execute(
            select(BranchRecord.name, TestRecord.job, TestRecord.testid, TestPassRecord.blessing)
            .add_columns(TestPassRecord.first_flight)
            .join(BranchRecord, BranchRecord.id == TestPassRecord.branch_id)
            .join(TestRecord, TestRecord.id == TestPassRecord.test_id)
        ).all()
        kept = snapshot(session)
        rebuild(session)
        assert snapshot(session) == kept
        session.rollback()
    engine.dispose()
    return {"flights": flights, "passes": sorted(tuple(p) for p in passes)}


@pytest.mark.slow  # three processes of their own, each importing the app, and a second store
def test_a_prune_beside_two_ingesters_ends_as_a_sequential_run(
    db_url: str, sequential_url: str, tmp_path: Path
) -> None:
    in_order, out_of_order = _files(tmp_path / "files")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUSHGATE_")}
    run = CliRunner(env=dict.fromkeys(os.environ.keys() - env.keys())).invoke
    store_history(sequential_url)
    for args in (PRUNE, ["ingest", *in_order], ["ingest", *out_of_order]):
        done = run(main, ["--database", sequential_url, *args])
        assert done.exit_code == 0, done.output
    store_history(db_url)
    command = [sys.executable, "-c", "from web.cli import main; main()", "--database", db_url]
    racers = {
        name: subprocess.Popen(
            [*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        for name, args in (
            ("ingest", ["ingest", *in_order]),
            ("ingest out of order", ["ingest", *out_of_order]),
            ("prune", PRUNE),
        )
    }
    for name, racer in racers.items():
        _out, err = racer.communicate(timeout=300)
        assert racer.returncode == 0, f"{name}: {err}"
    raced, sequential = outcome(db_url), outcome(sequential_url)
    assert sorted(raced["flights"]) == sorted(sequential["flights"])
    # The prune deleted every old flight but the first young flight's baseline.
    assert [n for n in OLD if n in raced["flights"]] == [KEPT]
    assert raced == sequential


def test_a_flight_pruned_under_a_rejudging_is_passed_over(engine: Engine) -> None:
    for number in (1034, 1035, 1036, 1037):
        with unit_of_work(engine) as session:
            save_flight(session, made(number), digest=f"d{number}", source="test", now=NOW)
    with Session(engine) as session:
        before = load_flight(session, 1035, texts=False)
    with unit_of_work(engine) as session:
        deleted = delete_flights(session, [1036], NOW, since=1038)
    assert deleted.flights == 1
    with unit_of_work(engine) as session:
        branch = branch_id(session, "xen-unstable", create=False)
        assert branch is not None
        # The list was read while 1036 was stored: the flights around it are judged again.
        changes = rejudge(session, branch, [1035, 1036, 1037], AllowList(), Policy())
    assert [c.number for c in changes] == [1035, 1037]
    with Session(engine) as session:
        assert load_flight(session, 1036) is None
        assert load_flight(session, 1035, texts=False) == before
