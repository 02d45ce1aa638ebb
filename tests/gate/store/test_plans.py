"""Judging reads in time independent of the history's length: the planner answers every query
judging makes about steps from an index, by flight and test, never by scanning the table or a
range of flights (EXPLAIN, on SQLite and on PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from gate.model import Status
from gate.policy import Policy
from gate.store.db import analyze
from gate.store.evidence import prior_flights
from gate.store.flights import save_flight
from gate.store.keys import branch_id
from tests.builders import flight

P, F = Status.PASS, Status.FAIL
NOW = datetime(2013, 3, 1, tzinfo=UTC)
JOBS = [f"test-amd64-amd64-xl-{n}" for n in range(8)]
STEPS = ["xen-boot", "guest-start", "guest-localmigrate", "guest-stop"]


def _history(engine: Engine, flights: int) -> None:
    """Store a branch of flights that mostly pass, a step failing now and then, pushes moving."""
    pushed = "r0"
    for n in range(1, flights + 1):
        steps = {f"{job} {step}": P for job in JOBS for step in STEPS}
        if n % 3 == 0:
            steps[f"{JOBS[n % 8]} guest-localmigrate"] = F
        made = flight(
            1000 + n,
            steps,
            xen=f"r{n}" if n > 1 else "r0",
            baseline=pushed,
            started=NOW + timedelta(hours=n),
        )
        with Session(engine) as session:
            saved = save_flight(session, made, digest=f"d{n}", source="test", now=NOW)
            session.commit()
        if saved.pushed:
            pushed = f"r{n}"
    # A flight of the revision about to be judged: its failures are read as a heisenbug's.
    again = {f"{job} {step}": P for job in JOBS for step in STEPS}
    again[f"{JOBS[3]} guest-stop"] = F
    with Session(engine) as session:
        made = flight(1999, again, xen="r-new", baseline=pushed, started=NOW + timedelta(days=9))
        save_flight(session, made, digest="d1999", source="test", now=NOW)
        session.commit()
    analyze(engine)


def _statements(engine: Engine) -> list[tuple[str, Any]]:
    """Record what judging one more flight asks the database about steps and jobs."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and (
            "step" in statement or "job" in statement
        ):
            seen.append((statement, parameters))

    steps = {f"{job} {step}": P for job in JOBS for step in STEPS}
    steps[f"{JOBS[1]} guest-stop"] = F
    steps[f"{JOBS[2]} guest-start"] = F
    event.listen(engine, "before_cursor_execute", record)
    try:
        with Session(engine) as session:
            branch = branch_id(session, "xen-unstable", create=False)
            assert branch is not None
            new = flight(2000, steps, xen="r-new")
            prior_flights(session, branch, new, Policy())
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert seen, "judging read no step"
    return seen


def _plans(engine: Engine, statements: list[tuple[str, Any]]) -> list[str]:
    plans = []
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            # Would an index serve it? With sequential scans priced out, only a missing index
            # leaves one in the plan (tiny tables would otherwise be scanned by choice).
            connection.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in statements:
            if engine.dialect.name == "sqlite":
                rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                plans.append("\n".join(str(row[-1]) for row in rows))
            else:
                rows = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
                plans.append(json.dumps(rows.scalar()))
    return plans


def test_judging_reads_steps_by_flight_and_test_from_an_index(engine: Engine):
    _history(engine, 30)
    plans = _plans(engine, _statements(engine))
    assert len(plans) >= 4  # the heisenbug flight's failures and jobs, then results and jobs
    for plan in plans:
        if engine.dialect.name == "sqlite":
            for line in plan.splitlines():
                if line.startswith(("SCAN", "SEARCH")) and (" step " in line or " job " in line):
                    assert line.startswith("SEARCH") and "INDEX" in line, plan  # no full scan
                    assert "flight_id>?" not in line and "flight_id<?" not in line, plan  # range
        else:
            scanned = _seq_scans(plan)
            assert '"step"' not in scanned and '"job"' not in scanned, plan


def _seq_scans(plan: str) -> str:
    """Return the relations a PostgreSQL plan scans sequentially, as text."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("Node Type") == "Seq Scan":
                found.append(f'"Relation Name": "{node.get("Relation Name")}"')
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(plan))
    return " ".join(found)


def _page_statements(db_url: str, pages: list[str]) -> list[tuple[str, Any]]:
    """Record what serving these pages asks the database about steps."""
    from web.app import create_app

    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and " step" in statement:
            seen.append((statement, parameters))

    client = create_app({"DATABASE_URL": db_url, "NOW": "2013-03-20", "TESTING": True})
    event.listen(Engine, "before_cursor_execute", record)
    try:
        for page in pages:
            assert client.test_client().get(page).status_code == 200, page
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    return seen


def test_every_page_reads_steps_from_an_index_and_never_a_range_of_flights(
    db_url: str, engine: Engine
):
    """The pages read the summaries and, of the steps, only those of named flights or tests."""
    from gate.roadmap import Declared, Feature, Release, TestPattern
    from gate.store.roadmap import save_roadmap

    _history(engine, 30)
    release = Release(
        "4.3", "xen-unstable", NOW.date(), NOW.date() + timedelta(20), NOW.date() + timedelta(60)
    )
    wide = Feature("xl", "xl", Declared.GOOD, "4.3", tests=(TestPattern.parse("test-*"),))
    stale = Feature("gone", "gone", Declared.GOOD, "4.3", tests=(TestPattern.parse("*-1 xen-*"),))
    with Session(engine) as session:
        save_roadmap(session, release, [wide, stale], NOW)
        session.commit()
    analyze(engine)
    pages = [
        "/",
        "/features/xl",
        "/features/gone",
        "/flights",
        "/flights/1030",
        f"/tests/{JOBS[0]}/guest-localmigrate",
        "/branches/xen-unstable",
    ]
    pages += [f"/api/v1{page}" if page != "/" else "/api/v1/overview" for page in pages]
    statements = _page_statements(db_url, pages)
    assert len(statements) >= 8
    for plan in _plans(engine, statements):
        if engine.dialect.name == "sqlite":
            for line in plan.splitlines():
                if line.startswith(("SCAN", "SEARCH")) and " step " in line:
                    assert line.startswith("SEARCH") and "INDEX" in line, plan
                    # A range of one test's flights is a walk back along its history (since
                    # when a blocker has not passed); a range of every test's is not allowed.
                    if "(test_id=? AND" not in line:
                        assert "flight_id>?" not in line and "flight_id<?" not in line, plan
        else:
            assert '"step"' not in _seq_scans(plan), plan
