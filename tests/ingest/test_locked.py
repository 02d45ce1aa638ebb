"""Writers that find SQLite locked by another writer try again, then report the file and go on."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gate.model import Status
from gate.settings import Settings
from gate.store.db import LOCK_PAUSE_MOST, lock_pauses, make_engine
from gate.store.records import FlightRecord
from ingest.pipeline import Outcome, ingest_paths
from tests.builders import flight, write

STEPS = {f"test-amd64-amd64-xl-{n} {testid}": Status.PASS for n in range(5) for testid in "abc"}
SHORT_TIMEOUT = "?timeout=0.2"  # seconds of SQLite's busy timeout, instead of 30


def _files(tmp_path: Path, numbers: range) -> list[Path]:
    return [write(flight(n, STEPS, xen=str(n)), tmp_path / f"{n}.xml") for n in numbers]


def _stored(url: str) -> list[int]:
    engine = make_engine(url)
    with Session(engine) as session:
        stored = list(session.scalars(select(FlightRecord.id).order_by(FlightRecord.id)))
        assert session.scalar(select(func.count()).select_from(FlightRecord)) == len(stored)
    engine.dispose()
    return stored


@pytest.fixture
def lock(sqlite_url: str) -> Iterator[sqlite3.Connection]:
    """Another writer that holds the database's write lock until the test commits it."""
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    yield holder
    if holder.in_transaction:
        holder.execute("COMMIT")
    holder.close()


def test_the_pauses_double_up_to_a_cap_and_are_jittered() -> None:
    pauses = lock_pauses(8, random.Random(1))
    assert len(pauses) == 7
    assert all(0.125 <= p <= 0.25 for p in pauses[:1])
    assert all(LOCK_PAUSE_MOST / 2 <= p <= LOCK_PAUSE_MOST for p in pauses[4:])
    assert sum(pauses) <= 0.25 + 0.5 + 1 + 2 * 4
    assert lock_pauses(8, random.Random(2)) != pauses
    assert lock_pauses(1, random.Random(1)) == []


def test_a_file_locked_out_is_reported_and_the_next_ones_are_still_ingested(
    sqlite_url: str, tmp_path: Path, lock: sqlite3.Connection
) -> None:
    first, *others = _files(tmp_path, range(17001, 17004))
    engine = make_engine(sqlite_url + "?timeout=0.05")
    told: list[tuple[str, int]] = []
    results = ingest_paths(
        engine,
        [str(first), *map(str, others)],
        settings=Settings(write_attempts=2),
        retrying=lambda path, attempt: told.append((path, attempt)),
    )
    locked_out = next(results)
    assert locked_out.status is Outcome.LOCKED and locked_out.failed
    assert locked_out.path == str(first)
    assert locked_out.error == (
        "the database stayed locked by another writer through 2 attempts: not stored, try it again"
    )
    assert told == [(str(first), 2)]
    lock.execute("COMMIT")
    assert [r.status for r in results] == [Outcome.CREATED, Outcome.CREATED]
    assert [r.status for r in ingest_paths(engine, [str(first)], settings=Settings())] == [
        Outcome.CREATED
    ]
    engine.dispose()
    assert _stored(sqlite_url) == [17001, 17002, 17003]


@pytest.mark.slow  # starts processes
def test_the_command_names_each_locked_out_file_and_exits_1(
    sqlite_url: str, tmp_path: Path, lock: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from web.cli import main

    monkeypatch.setenv("PUSHGATE_WRITE_ATTEMPTS", "2")
    files = [str(f) for f in _files(tmp_path, range(17001, 17003))]
    url = sqlite_url + "?timeout=0.05"
    ran = CliRunner().invoke(main, ["--database", url, "ingest", "--format", "json", *files])
    assert ran.exit_code == 1
    assert [json.loads(line)["status"] for line in ran.stdout.splitlines()] == ["locked"] * 2
    for path in files:
        assert f"pushgate: {path}: the database stayed locked by another writer" in ran.stderr
        assert f"pushgate: {path}: the database is locked by another writer, attempt 2 of 2" in (
            ran.stderr
        )


def _wait_for(paths: list[Path], text: str, *, within: float) -> None:
    deadline = time.monotonic() + within
    while not all(text in p.read_text() for p in paths):
        assert time.monotonic() < deadline, [p.read_text() for p in paths]
        time.sleep(0.05)


@pytest.mark.slow  # three processes of their own, each importing the app
def test_three_ingesters_locked_out_for_a_while_store_every_file_once(
    sqlite_url: str, tmp_path: Path, lock: sqlite3.Connection
) -> None:
    files = _files(tmp_path, range(17001, 17007))
    command = [sys.executable, "-c", "from web.cli import main; main()"]
    command += ["--database", sqlite_url + SHORT_TIMEOUT, "ingest", "--format", "json"]
    env = {**os.environ, "PUSHGATE_WRITE_ATTEMPTS": "30"}
    errors = [tmp_path / f"racer-{n}.err" for n in range(3)]
    racers = [
        subprocess.Popen(
            [*command, *map(str, files[2 * n : 2 * n + 2])],
            stdout=subprocess.PIPE,
            stderr=err.open("w"),
            text=True,
            env=env,
        )
        for n, err in enumerate(errors)
    ]
    # Each racer has waited out the busy timeout once and is trying again: let them in.
    _wait_for(errors, "attempt 2 of 30", within=30)
    lock.execute("COMMIT")
    outputs = [racer.communicate(timeout=60)[0] for racer in racers]
    for racer, err in zip(racers, errors, strict=True):
        assert racer.returncode == 0, err.read_text()
    reports = [json.loads(line) for out in outputs for line in out.splitlines()]
    assert sorted((r["flight"], r["status"]) for r in reports) == [
        (n, "created") for n in range(17001, 17007)
    ]
    assert _stored(sqlite_url) == list(range(17001, 17007))
