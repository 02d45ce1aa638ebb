"""Engines and the schema: Alembic migrations applied on demand."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest migration; a test keeps it equal to Alembic's head. Checking it costs one query,
# so commands on an up-to-date database never import Alembic.
HEAD = "0013"
SUMMARIES_REVISION = "0007"  # the migration that adds the summaries, filled after it

BUSY_TIMEOUT = 30.0  # seconds SQLite waits for another writer's lock; a URL's ?timeout= wins
CONNECT_TIMEOUT = 10  # seconds a PostgreSQL server has to answer a new connection
# Pauses between the attempts of a write that found SQLite locked: doubling from the first,
# each at most LOCK_PAUSE_MOST, jittered so that writers locked out together do not come back
# together.
LOCK_PAUSE_FIRST = 0.25
LOCK_PAUSE_MOST = 2.0
SQLITE_BUSY = 5  # the primary result code of SQLITE_BUSY and its extended codes
# PostgreSQL's serialization_failure and deadlock_detected: the server rolled the transaction
# back for another's sake, and the same transaction again may well succeed.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})

T = TypeVar("T")


class SchemaError(RuntimeError):
    """The database's schema is not the one this pushgate needs."""


class DatabaseLocked(RuntimeError):
    """SQLite's write lock stayed with another writer through every attempt of a write."""

    def __init__(self, attempts: int) -> None:
        super().__init__(
            f"the database stayed locked by another writer through {attempts} "
            f"attempt{'s' if attempts > 1 else ''}: not stored, try it again"
        )
        self.attempts = attempts


class DatabaseUnavailable(RuntimeError):
    """The database failed under a command: the connection was refused or lost, or stayed locked."""


@contextmanager
def database_failures() -> Iterator[None]:
    """Turn the database's operational failures into DatabaseUnavailable, in one sentence."""
    try:
        yield
    except OperationalError as exc:
        lines = str(exc.orig).strip().splitlines()
        reason = lines[0] if lines else type(exc.orig).__name__
        raise DatabaseUnavailable(f"the database failed ({reason})") from exc


SQLITE_CACHE_KIB = 64 * 1024  # per connection


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling defers BEGIN; pushgate emits BEGIN itself (below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # The step indexes of a long history outgrow SQLite's 2 MB default page cache: an ingest then
    # rereads index pages from the file for every batch of rows it inserts.
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A writer takes SQLite's write lock at BEGIN: a deferred transaction that reads first and
    # writes later fails at once with "database is locked" when another writer got there first.
    writing = connection.get_execution_options().get("pushgate_writer", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def make_engine(url: str) -> Engine:
    """Create an engine for a database URL (SQLite gets foreign keys, WAL and a busy timeout).

    SQLite's busy timeout is BUSY_TIMEOUT seconds unless the URL sets it (`?timeout=0.5`).
    PostgreSQL's connections are checked before use, so that a restarted server costs the
    pool's stale connections, not the transaction that would have used them.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        options: dict[str, Any] = {}
        if "timeout" not in parsed.query:
            options["connect_args"] = {"timeout": BUSY_TIMEOUT}
        engine = create_engine(parsed, **options)
    else:
        # A server that does not answer is an error after CONNECT_TIMEOUT s, not a hang.
        options = {} if "connect_timeout" in parsed.query else {"connect_timeout": CONNECT_TIMEOUT}
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def writer(engine: Engine) -> Engine:
    """Return the engine for a transaction that will write (on SQLite it locks at BEGIN)."""
    return engine.execution_options(pushgate_writer=True)


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """Open a writer's session and its one transaction: committed when the block ends, rolled
    back whole when it raises.

    Every write of pushgate (an ingest, a pull's cursor, a roadmap import, a freeze snapshot,
    the kept days, a prune's batch, a token) goes through here; the store's functions take the
    session and never commit, and the pages only ever open a reader's session.
    """
    with Session(writer(engine)) as session, session.begin():
        yield session


def is_locked(exc: OperationalError) -> bool:
    """Tell whether an error is SQLite's "database is locked": another writer kept the lock."""
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == SQLITE_BUSY


def is_transient(exc: OperationalError) -> bool:
    """Tell whether a write failed only for another writer's sake, so that trying it again whole
    may succeed: SQLite stayed locked, or PostgreSQL chose it as a deadlock's victim or could
    not serialize it."""
    return is_locked(exc) or getattr(exc.orig, "sqlstate", None) in TRANSIENT_SQLSTATES


def lock_pauses(attempts: int, rng: random.Random) -> list[float]:
    """Return the pauses before each attempt after the first: doubling, capped and jittered."""
    pauses = []
    for retry in range(attempts - 1):
        full = min(LOCK_PAUSE_FIRST * 2**retry, LOCK_PAUSE_MOST)
        pauses.append(rng.uniform(full / 2, full))
    return pauses


def write_retrying(
    engine: Engine,
    work: Callable[[Session], T],
    *,
    attempts: int,
    retrying: Callable[[int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """Run `work` in a writer's session and commit it; a locked SQLite is tried again.

    Each attempt waits out SQLite's busy timeout; one that still finds the lock taken, or that
    PostgreSQL rolled back in a deadlock or a serialization failure (`is_transient`), is rolled
    back whole and tried again after a pause (`lock_pauses`), `attempts` times in all (at least
    once), `retrying` told the number of each attempt after the first before it starts. Raises
    DatabaseLocked when every attempt failed so.
    """
    attempts = max(attempts, 1)
    pauses = lock_pauses(attempts, rng or random.Random())  # noqa: S311 - jitter, not secrecy
    for attempt in range(attempts):
        try:
            with unit_of_work(engine) as session:
                done = work(session)
            return done
        except OperationalError as exc:
            if not is_transient(exc):
                raise
            if attempt == attempts - 1:
                raise DatabaseLocked(attempts) from exc
        sleep(pauses[attempt])
        if retrying is not None:
            retrying(attempt + 2)
    raise AssertionError("unreachable")


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
    if before is not None and before < SUMMARIES_REVISION <= after:
        rebuild_summaries(engine)
    if before != after:
        analyze(engine)
    return before, after


def rebuild_summaries(engine: Engine) -> None:
    """Work out every summary again from the step rows, in one transaction."""
    from gate.store.summaries import rebuild

    with unit_of_work(engine) as session:
        rebuild(session)


ANALYZED = ("flight", "job", "step", "test", "test_pass", "test_feature", "feature_status")
SQLITE_ANALYSIS_LIMIT = 1000  # rows sampled per index: bounded time, estimates good enough


def analyze(engine: Engine) -> None:
    """Refresh the planner's statistics after a change of the data's shape (a bulk ingest, a
    migration), so that it chooses the indexes judging and the pages rely on."""
    # ANALYZE writes: a deferred transaction would fail at once, not wait, beside another writer.
    try:
        with unit_of_work(engine) as session:
            if engine.dialect.name == "sqlite":
                session.execute(text(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}"))
                session.execute(text("ANALYZE"))
            elif engine.dialect.name == "postgresql":
                session.execute(text(f"ANALYZE {', '.join(ANALYZED)}"))
    except OperationalError as exc:
        # Statistics are a hint: a writer locked out of them leaves them to the next refresh.
        if not is_locked(exc):
            raise


def ensure_schema(engine: Engine) -> bool:
    """Create the schema of a new database; upgrade SQLite; ask for `db upgrade` elsewhere.
    Return whether a database that held a schema was upgraded."""
    current = schema_revision(engine)
    head = HEAD
    if current == head:
        return False
    if current is None or engine.dialect.name == "sqlite":
        upgrade(engine)
        return current is not None
    where = make_url(engine.url).render_as_string(hide_password=True)
    raise SchemaError(
        f"the database {where} is at schema {current}, this pushgate needs {head}: "
        "run `pushgate db upgrade`"
    )
