"""Engines and the schema: Alembic migrations applied on demand."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest migration; a test keeps it equal to Alembic's head. Checking it costs one query,
# so commands on an up-to-date database never import Alembic.
HEAD = "0005"


class SchemaError(RuntimeError):
    """The database's schema is not the one this pushgate needs."""


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling defers BEGIN; pushgate emits BEGIN itself (below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A writer takes SQLite's write lock at BEGIN: a deferred transaction that reads first and
    # writes later fails at once with "database is locked" when another writer got there first.
    writing = connection.get_execution_options().get("pushgate_writer", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def make_engine(url: str) -> Engine:
    """Create an engine for a database URL (SQLite gets foreign keys, WAL and a busy timeout)."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def writer(engine: Engine) -> Engine:
    """Return the engine for a transaction that will write (on SQLite it locks at BEGIN)."""
    return engine.execution_options(pushgate_writer=True)


def alembic_config(engine: Engine) -> Config:
    """Return an Alembic configuration bound to this engine (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # configparser reads `%` as interpolation: URLs carry it in passwords and options.
    url = engine.url.render_as_string(hide_password=False).replace("%", "%%")
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["engine"] = engine
    return config


def schema_revision(engine: Engine) -> str | None:
    """Return the schema revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def head_revision(engine: Engine) -> str:
    """Return the newest revision among the migrations that ship with pushgate."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head is not None
    return head


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Create or upgrade the schema to the newest revision; return (before, after)."""
    from alembic import command

    before = schema_revision(engine)
    command.upgrade(alembic_config(engine), "head")
    after = head_revision(engine)
    if before != after:
        analyze(engine)
    return before, after


ANALYZED = ("flight", "job", "step", "test", "test_pass")
SQLITE_ANALYSIS_LIMIT = 1000  # rows sampled per index: bounded time, estimates good enough


def analyze(engine: Engine) -> None:
    """Refresh the planner's statistics after a change of the data's shape (a bulk ingest, a
    migration), so that it chooses the indexes judging and the pages rely on."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
            connection.exec_driver_sql("ANALYZE")
        elif engine.dialect.name == "postgresql":
            connection.exec_driver_sql(f"ANALYZE {', '.join(ANALYZED)}")


def ensure_schema(engine: Engine) -> None:
    """Create the schema of a new database; upgrade SQLite; ask for `db upgrade` elsewhere."""
    current = schema_revision(engine)
    head = HEAD
    if current == head:
        return
    if current is None or engine.dialect.name == "sqlite":
        upgrade(engine)
        return
    where = make_url(engine.url).render_as_string(hide_password=True)
    raise SchemaError(
        f"the database {where} is at schema {current}, this pushgate needs {head}: "
        "run `pushgate db upgrade`"
    )
