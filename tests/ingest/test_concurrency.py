"""Two processes ingesting the same flights at once store each flight once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from gate.model import Status
from gate.store.records import FlightRecord, StepRecord, TestRecord
from gate.store.summaries import rebuild, snapshot
from tests.builders import flight, write

JOBS = [f"test-amd64-amd64-xl-{n}" for n in range(40)]
STEPS = ["hosts-allocate", "host-install(3)", "xen-boot", "guest-start", "guest-stop"]


def _flights(tmp_path: Path) -> list[Path]:
    files = []
    for number in range(17001, 17007):
        steps = {f"{job} {testid}": Status.PASS for job in JOBS for testid in STEPS}
        steps[f"{JOBS[number % 40]} guest-start"] = Status.FAIL
        files.append(write(flight(number, steps, xen=str(number)), tmp_path / f"{number}.xml"))
    return files


@pytest.mark.slow  # two processes of their own, each importing the app
def test_racing_writers_store_each_flight_once(db_url: str, tmp_path: Path):
    files = _flights(tmp_path)
    command = [sys.executable, "-c", "from web.cli import main; main()", "--database", db_url]
    racers = [
        subprocess.Popen(
            [*command, "ingest", "--format", "json", *map(str, files)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [racer.communicate(timeout=120) for racer in racers]
    for racer, (_out, err) in zip(racers, outputs, strict=True):
        assert racer.returncode == 0, err
    statuses: dict[int, list[str]] = {}
    for out, _err in outputs:
        for line in out.splitlines():
            report = json.loads(line)
            statuses.setdefault(report["flight"], []).append(report["status"])
    assert {n: sorted(s) for n, s in statuses.items()} == {
        n: ["created", "unchanged"] for n in range(17001, 17007)
    }
    engine = create_engine(db_url)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(FlightRecord)) == 6
        assert session.scalar(select(func.count()).select_from(StepRecord)) == 6 * 40 * 5
        assert session.scalar(select(func.count()).select_from(TestRecord)) == 40 * 5
        # The summaries were kept once per flight too: a rebuild finds nothing to change.
        kept = snapshot(session)
        assert len(kept["flight_status"]) == 6 * 2  # pass and fail in each flight
        rebuild(session)
        assert snapshot(session) == kept
    engine.dispose()
