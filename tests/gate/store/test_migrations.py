"""The migrations, on SQLite and on PostgreSQL: every revision upgrades and downgrades one step at
a time keeping the rows of the tables it keeps, and the head is the schema the records describe.

The revisions are read from Alembic's script directory, so a new migration is covered as it lands.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import Column, Engine, create_engine, inspect, text
from sqlalchemy.sql import ClauseElement

from gate.store.db import alembic_config, make_engine, schema_revision, upgrade
from gate.store.records import Base
from tests.conftest import EXAMPLES, POSTGRES_URL, need
from web.cli import main

Schema = dict[str, dict[str, Any]]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    admin = create_engine(POSTGRES_URL)
    schema = f"pushgate_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means no server
        admin.dispose()
        need(f"PostgreSQL is not reachable at {POSTGRES_URL}: {type(exc).__name__}")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def empty(empty_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_url)
    yield engine
    engine.dispose()


def revisions(engine: Engine) -> list[str]:
    """Return every revision, oldest first; the history is one line."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    assert len(script.get_heads()) == 1, f"the migrations have several heads: {script.get_heads()}"
    return [found.revision for found in reversed(list(script.walk_revisions()))]


def move(engine: Engine, revision: str | None) -> None:
    """Upgrade or downgrade the schema to a revision (None: to nothing)."""
    config = alembic_config(engine)
    current = schema_revision(engine)
    order = [None, *revisions(engine)]
    if order.index(revision) >= order.index(current):
        command.upgrade(config, revision or "base")
    else:
        command.downgrade(config, revision or "base")
    assert schema_revision(engine) == revision


def _plain(value: Any) -> Any:
    """Return reflected values as comparable text: a partial index's condition is an object."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, ClauseElement):
        return str(value)
    return value


def schema(engine: Engine) -> Schema:
    """Describe each table as the database reflects it: columns, keys, indexes and constraints."""
    with engine.connect() as connection:
        inspector = inspect(connection)

        def each(found: list[Any]) -> list[str]:
            return sorted(repr(_plain(item)) for item in found)

        return {
            table: {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], c["default"])
                    for c in inspector.get_columns(table)
                ],
                "primary key": _plain(inspector.get_pk_constraint(table)),
                "foreign keys": each(inspector.get_foreign_keys(table)),
                "indexes": each(inspector.get_indexes(table)),
                "unique constraints": each(inspector.get_unique_constraints(table)),
            }
            for table in sorted(inspector.get_table_names())
            if table != "alembic_version"
        }


def rows(engine: Engine) -> dict[str, int]:
    """Count the rows of each table."""
    with engine.connect() as connection:
        tables = [t for t in inspect(connection).get_table_names() if t != "alembic_version"]
        return {
            t: connection.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables
        }


def kept(before: dict[str, int], after: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Return the tables on both sides whose rows a step changed: (before, after)."""
    return {t: (before[t], after[t]) for t in before.keys() & after.keys() if before[t] != after[t]}


def fill(url: str) -> None:
    """Store the example flights, the Xen 4.3 roadmap and a token, as the commands do."""
    allow = str(EXAMPLES / "allow.xen-unstable")
    for command_line in (
        ["ingest", "--allow-file", allow, str(EXAMPLES / "flights")],
        ["roadmap", "import", str(EXAMPLES / "xen-4.3" / "roadmap.toml")],
        ["token", "create", "ci"],
    ):
        result = CliRunner().invoke(main, ["--database", url, *command_line])
        assert result.exit_code == 0, result.output


def test_an_empty_database_upgrades_to_the_head(empty: Engine):
    assert schema_revision(empty) is None
    head = revisions(empty)[-1]
    assert upgrade(empty) == (None, head)
    assert schema_revision(empty) == head
    assert set(schema(empty)) == set(Base.metadata.tables)


def test_downgrading_to_nothing_and_upgrading_again_gives_the_same_schema(empty: Engine):
    upgrade(empty)
    first = schema(empty)
    move(empty, None)
    assert schema(empty) == {}
    upgrade(empty)
    assert schema(empty) == first


@pytest.mark.slow  # every migration three times over, on a database with rows
def test_each_revision_downgrades_and_upgrades_one_step_at_a_time_keeping_the_rows(
    empty: Engine, empty_url: str
):
    order = revisions(empty)
    fresh: dict[str | None, Schema] = {None: schema(empty)}
    for revision in order:
        move(empty, revision)
        fresh[revision] = schema(empty)
    fill(empty_url)
    assert min(rows(empty).get(t, 0) for t in ("flight", "job", "step", "feature")) > 0
    for below, revision in reversed(list(zip([None, *order], order, strict=False))):
        # One step down, up again over the rows it left, and down for the next revision.
        for target, expected in ((below, fresh[below]), (revision, fresh[revision])):
            before = rows(empty)
            move(empty, target)
            assert schema(empty) == expected, f"{revision} -> {target}: not the schema of {target}"
            assert kept(before, rows(empty)) == {}, f"{revision} -> {target} changed the rows"
        move(empty, below)
    assert rows(empty) == {}


def differences(engine: Engine, **options: Any) -> list[Any]:
    """Return what Alembic's autogenerate finds between the database and the records."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=options)
        return list(compare_metadata(context, Base.metadata))


def test_the_migrated_head_is_the_schema_the_records_describe(engine: Engine):
    # Tables, columns, types, nullability, keys, indexes and constraints. The server defaults
    # are compared by the next test, as they are written: Alembic's own comparison of them is
    # dialect noise, which finds SQLite's ('') unlike the records' same '' and fails outright on
    # PostgreSQL's json defaults ("operator does not exist: json = unknown").
    assert differences(engine, compare_type=True) == []


def _written(default: str | None) -> str | None:
    """A server default as written: without the parentheses, cast and quotes a database adds."""
    if default is None:
        return None
    while default.startswith("(") and default.endswith(")"):
        default = default[1:-1]
    default = re.sub(r"::[a-z ]+(\(\d+\))?$", "", default)
    if len(default) >= 2 and default[0] == default[-1] == "'":
        default = default[1:-1].replace("''", "'")
    return default


def _different_default(
    _context: MigrationContext,
    _inspected: Column[Any],
    _column: Column[Any],
    inspected: str | None,
    _default: Any,
    rendered: str | None,
) -> bool:
    # The same default reads back differently: '1' on an integer as '1' from SQLite and 1 from
    # PostgreSQL, '' on text as ('') from SQLite and ''::text from PostgreSQL.
    return _written(inspected) != _written(rendered)


def test_the_records_declare_the_server_defaults_of_the_migrations(engine: Engine):
    assert differences(engine, compare_type=True, compare_server_default=_different_default) == []


# The demo as pushgate 7cfa704 built it (`pushgate demo --no-serve`, schema 0009): 200 flights and
# the 22 features of 4.3, each with the status recorded when it was imported.
DEMO_7CFA704 = Path(__file__).with_name("data") / "demo-7cfa704.sqlite.xz"
# What 7cfa704's `pushgate features --now 2013-03-18` said of it: readiness and declared status.
READINESS_7CFA704 = {
    "pvh": ("untested", "good"),
    "event-channel-scalability": ("blocked", "ok"),
    "numa-affinity": ("untested", "good"),
    "blk-persistent-grants": ("on_track", "good"),
    "qemu-upstream-default": ("blocked", "good"),
    "arm-v7": ("on_track", "good"),
    "arm-v8": ("untested", "ok"),
    "usb-hvm": ("untested", "good"),
    "16tib-limit": ("untested", "done"),
    "backend-scripts": ("ready", "done"),
    "libvirt-libxl": ("untested", "good"),
    "xsm-is-priv": ("untested", "done"),
    "vtpm": ("untested", "good"),
    "osstest-opened": ("untested", "done"),
    "qxl-spice": ("untested", "good"),
    "blktap3": ("untested", "poor"),
    "vm-snapshot-clone": ("untested", "blocked"),
    "storage-migration": ("untested", "poor"),
    "pvaudio": ("untested", "poor"),
    "openvswitch": ("untested", "poor"),
    "vm-import-export": ("untested", "poor"),
    "pvusb-xl": ("untested", "poor"),
}


def _copy_rows(source: Engine, target: Engine) -> None:
    """Copy every row of one database into another of the same schema, parents first."""
    from sqlalchemy import MetaData, insert, select

    metadata = MetaData()
    metadata.reflect(source)
    with source.connect() as reading, target.begin() as writing:
        for table in metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = [dict(row._mapping) for row in reading.execute(select(table))]
            if rows:
                writing.execute(insert(table), rows)


@pytest.fixture
def demo_0009(empty_url: str, tmp_path: Path) -> Iterator[Engine]:
    """The demo of 7cfa704 at schema 0009: its SQLite file, or its rows copied into PostgreSQL."""
    import lzma

    path = tmp_path / "demo-7cfa704.sqlite"
    path.write_bytes(lzma.decompress(DEMO_7CFA704.read_bytes()))
    old = make_engine(f"sqlite:///{path}")
    if empty_url.startswith("sqlite"):
        yield old
        old.dispose()
        return
    engine = make_engine(empty_url)
    move(engine, "0009")
    _copy_rows(old, engine)
    old.dispose()
    yield engine
    engine.dispose()


def _old_roadmap(engine: Engine) -> dict[str, Any]:
    """Read the roadmap as schema 0009 holds it: features, status history, links and counts."""
    with engine.connect() as connection:
        features = {
            slug: (
                release,
                title,
                status,
                notes,
                json.loads(tests) if isinstance(tests, str) else tests,
            )
            for slug, release, title, status, notes, tests in connection.execute(
                text(
                    "SELECT f.slug, r.name, f.title, f.status, f.notes, f.tests FROM feature f "
                    "JOIN release r ON r.id = f.release_id"
                )
            )
        }
        history = sorted(
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT f.slug, c.after FROM status_change c JOIN feature f "
                    "ON f.id = c.feature_id ORDER BY c.at, c.id"
                )
            )
        )
        links = {
            tuple(r) for r in connection.execute(text("SELECT test_id, slug FROM test_feature"))
        }
        counts = {
            tuple(r)
            for r in connection.execute(
                text("SELECT flight_id, slug, status, steps FROM feature_status")
            )
        }
    return {"features": features, "history": history, "links": links, "counts": counts}


@pytest.mark.slow  # the demo's 96,000 steps, copied into PostgreSQL on that engine
def test_the_demo_of_7cfa704_upgrades_keeping_every_feature_its_release_history_and_links(
    demo_0009: Engine,
):
    from datetime import UTC, datetime

    from sqlalchemy.orm import Session

    from gate.pages.readiness import readiness
    from gate.policy import Policy
    from gate.store.roadmap import load_roadmap

    assert schema_revision(demo_0009) == "0009"
    before = _old_roadmap(demo_0009)
    assert len(before["features"]) == 22 and before["links"] and before["counts"]
    assert upgrade(demo_0009) == ("0009", revisions(demo_0009)[-1])
    with Session(demo_0009) as session:
        release, features = load_roadmap(session, "4.3")
        assert {f.slug: (f.release, f.title, f.status.value, f.notes, [str(p) for p in f.tests])
                for f in features} == before["features"]  # fmt: skip
        assert (
            sorted((f.slug, d.status.value) for f in features for d in f.history)
            == (before["history"])
        )
        assert all(len(f.history) == 1 for f in features)
        # 0011: no declaration stored before it grants a freeze exception.
        assert all(d.exception == "" for f in features for d in f.history)
        # 0012: every failing step stored before it has its failure signature.
        failing = session.scalar(
            text("SELECT count(*) FROM step WHERE status IN ('fail', 'broken')")
        )
        assert failing and session.scalar(text("SELECT count(*) FROM failure")) == failing
        signatures = session.scalar(text("SELECT count(*) FROM failure_signature"))
        assert 0 < signatures < failing
        assert len(release.updates) == 1  # the moment the roadmap was imported: its update
        links = session.execute(
            text(
                "SELECT l.test_id, f.slug FROM test_feature l JOIN feature f ON f.id = l.feature_id"
            )
        )
        assert {tuple(r) for r in links} == before["links"]
        counts = session.execute(
            text(
                "SELECT s.flight_id, f.slug, s.status, s.steps FROM feature_status s "
                "JOIN feature f ON f.id = s.feature_id"
            )
        )
        assert {tuple(r) for r in counts} == before["counts"]
        moment = datetime(2013, 3, 18, tzinfo=UTC)
        _rel, judged = readiness(session, Policy(), moment, "4.3")
        # As 7cfa704 judged it, but for one rule changed since: a feature its owner declares
        # fair, poor or blocked is at risk unless a test says worse (it was untested).
        expected = {
            slug: (
                "at_risk" if seen == "untested" and said in ("fair", "poor", "blocked") else seen,
                said,
            )
            for slug, (seen, said) in READINESS_7CFA704.items()
        }
        assert {j.feature.slug: (j.readiness.value, j.feature.status.value) for j in judged} == (
            expected
        )
