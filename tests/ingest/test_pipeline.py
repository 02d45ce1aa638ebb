"""The pipeline stores the rows a flight's own steps would give, its texts kept out of memory."""

from __future__ import annotations

import io
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from sqlalchemy import Engine, Table, select
from sqlalchemy.orm import Session

from gate.settings import Settings
from gate.store.bulk import BRANCH, JOB, STEP, TEST
from gate.store.flights import save_flight
from gate.store.records import FlightRecord
from ingest.junit import Overrides, parse_flight
from ingest.pipeline import Parsed, ingest_paths, parse_document, store_parsed
from ingest.source import open_capped
from tests.conftest import EXAMPLES

FLIGHT = cast(Table, FlightRecord.__table__)
NOW = datetime(2026, 12, 1, tzinfo=UTC)
SETTINGS = Settings()
# A job's suites apart, a testcase nested in another, texts of every kind: the step order
# (flight.steps()) is not the document's.
AWKWARD = b"""<?xml version="1.0" encoding="utf-8"?>
<testsuites>
  <testsuite name="test-amd64-amd64-xl">
    <properties>
      <property name="osstest.flight" value="17090"/>
      <property name="osstest.branch" value="xen-unstable"/>
      <property name="osstest.revision.xen" value="abc"/>
    </properties>
    <testcase name="1 hosts-allocate" time="1.5"/>
    <testcase name="2 guest-start" time="2">
      <failure message="guest did not start">Traceback\n  line \xc3\xa9</failure>
      <system-out>console \xe2\x9c\x93 output</system-out>
      <testcase name="3 inner-step"><system-err>inner's own log</system-err></testcase>
    </testcase>
  </testsuite>
  <testsuite name="build-amd64">
    <testcase name="1 xen-build"><skipped message="not this time"/></testcase>
  </testsuite>
  <testsuite name="test-amd64-amd64-xl">
    <testcase name="4 guest-stop"><error type="unfinished" message="still running"/></testcase>
    <testcase name="5 logs-capture"><system-out>last words</system-out></testcase>
  </testsuite>
</testsuites>
"""


def _documents(tmp_path: Path) -> list[Path]:
    awkward = tmp_path / "17090.xml"
    awkward.write_bytes(AWKWARD)
    return [*sorted((EXAMPLES / "flights").glob("*.xml")), awkward]


def _parse(path: Path) -> Parsed:
    return parse_document(
        lambda: path.open("rb"), path=str(path), settings=SETTINGS, overrides=Overrides()
    )


def _save_whole(session: Session, path: Path) -> None:
    """Store a flight the way the tests' builders do: its steps carry their texts."""
    flight = parse_flight(
        open_capped(io.BytesIO(path.read_bytes()), SETTINGS.max_xml_bytes),
        excerpt_limit=SETTINGS.output_excerpt,
    )
    save_flight(session, flight, digest=_parse(path).digest, source=str(path), now=NOW)


def _store_parsed(session: Session, path: Path, *, replace: bool = False) -> str:
    parsed = _parse(path)
    assert parsed.flight is not None and parsed.texts is not None
    assert not any(s.message or s.output for s in parsed.flight.steps())
    result = store_parsed(session, parsed, settings=SETTINGS, now=NOW, replace=replace)
    parsed.close()
    return result.status.value


# What is stored, with branches, jobs and tests by name: PostgreSQL's sequences never roll back.
DUMPS = {
    "flights": select(
        BRANCH.c.name.label("branch"), *(c for c in FLIGHT.c if c.name != "branch_id")
    )
    .join(BRANCH, BRANCH.c.id == FLIGHT.c.branch_id)
    .order_by(FLIGHT.c.id),
    "jobs": select(JOB.c.flight_id, JOB.c.name, JOB.c.status, JOB.c.host).order_by(
        JOB.c.flight_id, JOB.c.name
    ),
    "steps": select(
        JOB.c.name.label("job_name"),
        TEST.c.job,
        TEST.c.testid,
        *(c for c in STEP.c if c.name not in ("id", "job_id", "test_id")),
    )
    .join(JOB, JOB.c.id == STEP.c.job_id)
    .join(TEST, TEST.c.id == STEP.c.test_id)
    .order_by(STEP.c.flight_id, STEP.c.position),
}


def _dump(session: Session) -> dict[str, list[dict[str, object]]]:
    return {
        name: [dict(row._mapping) for row in session.execute(query)]
        for name, query in DUMPS.items()
    }


def _stored_whole(engine: Engine, paths: list[Path]) -> dict[str, list[dict[str, object]]]:
    with Session(engine) as session:
        for path in paths:
            _save_whole(session, path)
        stored = _dump(session)
        session.rollback()
    return stored


def test_the_stored_rows_are_those_of_the_steps_with_their_texts(engine, tmp_path):
    paths = _documents(tmp_path)
    whole = _stored_whole(engine, paths)
    with Session(engine) as session:
        assert [_store_parsed(session, path) for path in paths] == ["created"] * len(paths)
        assert _dump(session) == whole
    awkward = [
        (row["job"], row["testid"], row["message"], row["output"])
        for row in whole["steps"]
        if row["flight_id"] == 17090
    ]
    xl = "test-amd64-amd64-xl"
    assert awkward == [
        (xl, "hosts-allocate", None, None),
        (xl, "guest-start", "guest did not start", "Traceback\n  line é\nconsole ✓ output"),
        (xl, "inner-step", None, "inner's own log"),
        (xl, "guest-stop", "still running", None),
        (xl, "logs-capture", None, "last words"),
        ("build-amd64", "xen-build", "not this time", None),
    ]


def test_a_flight_replaced_through_the_pipeline_has_the_new_texts(engine, tmp_path):
    first, second = tmp_path / "first.xml", tmp_path / "second.xml"
    first.write_bytes(AWKWARD)
    second.write_bytes(AWKWARD.replace(b"last words", b"other last words"))
    with Session(engine) as session:
        assert _store_parsed(session, first) == "created"
        assert _store_parsed(session, second) == "conflict"
        assert _store_parsed(session, second, replace=True) == "replaced"
        assert _store_parsed(session, second) == "unchanged"
        stored = _dump(session)
        session.rollback()
    assert stored == _stored_whole(engine, [second])
    assert [row["output"] for row in stored["steps"]][4] == "other last words"


def test_files_parsed_ahead_store_the_same_rows_and_leave_no_spool(engine, tmp_path, monkeypatch):
    paths = _documents(tmp_path)
    whole = _stored_whole(engine, paths)
    spools = tmp_path / "tmp"
    spools.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spools))
    results = list(ingest_paths(engine, [str(p) for p in paths], settings=SETTINGS))
    assert [r.status.value for r in results] == ["created"] * len(paths)
    with Session(engine) as session:
        stored = _dump(session)
    assert stored["steps"] == whole["steps"]
    assert list(spools.iterdir()) == []


def test_a_document_broken_half_way_leaves_no_spool(tmp_path):
    broken = AWKWARD[: AWKWARD.index(b'<testcase name="5')]
    parsed = parse_document(
        lambda: io.BytesIO(broken),
        path="broken.xml",
        settings=SETTINGS,
        overrides=Overrides(),
        texts_dir=str(tmp_path),
    )
    assert parsed.flight is None and parsed.texts is None
    assert parsed.error is not None and "not well-formed" in parsed.error
    assert list(tmp_path.iterdir()) == []
