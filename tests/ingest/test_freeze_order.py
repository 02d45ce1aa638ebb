"""A freeze snapshot is the readiness of the flights started by the milestone, whatever order
they were ingested in: a flight of before the milestone that arrives late takes it again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from gate.model import Status
from gate.store.db import make_engine
from gate.store.records import SnapshotRecord
from tests.builders import flight, write
from web.cli import main

ROADMAP = """[release]
name = "4.3"
branch = "xen-unstable"
feature_freeze = 2013-03-25
code_freeze = 2013-04-15
release = 2013-06-17
as_of = 2013-03-01

[[feature]]
slug = "migration"
title = "Live migration"
status = "good"
tests = ["test-amd64-amd64-xl guest-localmigrate"]

[[feature]]
slug = "xl"
title = "xl"
status = "good"
tests = ["test-amd64-amd64-xl guest-start"]
"""
P, F = Status.PASS, Status.FAIL
FREEZE = datetime(2013, 3, 25, tzinfo=UTC)


def _flights(tmp_path: Path) -> list[Path]:
    """Six daily flights around the freeze: migration fails in the two just before it."""
    paths = []
    for n in range(6):
        started = FREEZE + timedelta(days=n - 3, hours=12)
        steps = {
            "test-amd64-amd64-xl guest-start": P,
            "test-amd64-amd64-xl guest-localmigrate": F if n in (1, 2) else P,
        }
        made = flight(
            100 + n, steps, xen=f"r{n}", baseline="r0" if n == 0 else None, started=started
        )
        paths.append(write(made, tmp_path / f"{100 + n}.xml"))
    return paths


def _snapshot(tmp_path: Path, name: str, order: list[Path]) -> list[tuple[object, ...]]:
    url = f"sqlite:///{tmp_path / name}"
    run = CliRunner().invoke
    (tmp_path / "roadmap.toml").write_text(ROADMAP, encoding="utf-8")
    assert (
        run(
            main, ["--database", url, "roadmap", "import", str(tmp_path / "roadmap.toml")]
        ).exit_code
        == 0
    )
    for path in order:  # one at a time, as they would arrive
        assert run(main, ["--database", url, "ingest", str(path)]).exit_code == 0
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.scalars(select(SnapshotRecord).order_by(SnapshotRecord.slug)).all()
            return [
                (r.milestone, r.slug, r.at, r.readiness, r.pass_rate, tuple(r.reasons))
                for r in rows
            ]
    finally:
        engine.dispose()


def test_a_freeze_snapshot_does_not_depend_on_the_order_flights_arrive_in(tmp_path):
    paths = _flights(tmp_path)
    in_order = _snapshot(tmp_path, "in-order.sqlite", paths)
    # The flight just before the freeze arrives last, after the snapshot was first taken.
    late = _snapshot(tmp_path, "late.sqlite", [*paths[:2], *paths[3:], paths[2]])
    assert in_order == late
    migration = next(row for row in in_order if row[1] == "migration")
    # Not done at the freeze, and blocked by the newest flight before it, the one that came late.
    assert (migration[0], migration[3]) == ("feature_freeze", "missed_freeze")
    assert any("regressed in 102" in reason for reason in migration[5]), migration[5]
