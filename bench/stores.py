"""The databases of the benchmark's rounds: empty ones, copies of a built history, and cleanup.

A history is built once per cache key and kept: on SQLite as a file in the cache directory, on
PostgreSQL as a database on the server that each round clones (`CREATE DATABASE ... TEMPLATE`).
Every database a round uses is its own and is removed when the round is done with it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import URL, make_url

HISTORY_PREFIX = "pushgate_bench_"  # the cached histories' databases on a PostgreSQL server


class StoreError(RuntimeError):
    """The database server cannot be used for the benchmark."""


class Store(Protocol):
    """Where the rounds' databases live."""

    @property
    def engine(self) -> str:
        """Return the --engine name."""
        ...

    @property
    def title(self) -> str:
        """Return the engine's name as people write it."""
        ...

    @property
    def copying(self) -> str:
        """Say how a round gets its copy of the history."""
        ...

    def fresh(self, name: str) -> AbstractContextManager[str]:
        """Create an empty database; yield its URL; remove it afterwards."""
        ...

    def copy(self, history: str, name: str) -> AbstractContextManager[str]:
        """Copy a built history; yield the copy's URL; remove it afterwards."""
        ...

    def building(self, history: str) -> AbstractContextManager[str]:
        """Yield the URL of a new database to build a history in; keep it if all went well."""
        ...

    def holds(self, history: str) -> bool:
        """Tell whether a built history is still there."""
        ...

    def forget(self, history: str) -> None:
        """Remove a built history."""
        ...

    def history_name(self, key: str, directory: Path) -> str:
        """Return where the history of a cache key is kept."""
        ...


@dataclass(frozen=True)
class SQLiteStore:
    """Databases as files in a scratch directory."""

    scratch: Path
    engine: str = "sqlite"
    title: str = "SQLite"
    copying: str = "each round copies its file, then syncs the disk"

    @contextmanager
    def fresh(self, name: str) -> Iterator[str]:
        path = self.scratch / f"{name}.sqlite"
        try:
            yield f"sqlite:///{path}"
        finally:
            _remove_sqlite(path)

    @contextmanager
    def copy(self, history: str, name: str) -> Iterator[str]:
        path = self.scratch / f"{name}.sqlite"
        shutil.copyfile(history, path)
        os.sync()  # else the copy is written back to disk while the round is timed
        try:
            yield f"sqlite:///{path}"
        finally:
            _remove_sqlite(path)

    @contextmanager
    def building(self, history: str) -> Iterator[str]:
        path = Path(history)
        partial = path.with_name(path.name + ".partial")
        _remove_sqlite(partial)
        try:
            yield f"sqlite:///{partial}"
            db = sqlite3.connect(partial)  # fold the write-ahead log in: a copy is one file
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.close()
            os.replace(partial, path)
        finally:
            _remove_sqlite(partial)

    def holds(self, history: str) -> bool:
        return Path(history).is_file()

    def forget(self, history: str) -> None:
        _remove_sqlite(Path(history))

    def history_name(self, key: str, directory: Path) -> str:
        return str(directory / "history.sqlite")


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


@dataclass(frozen=True)
class PostgreSQLStore:
    """Databases on a PostgreSQL server, created and dropped through its maintenance database."""

    url: str  # a SQLAlchemy URL of a database the benchmark may connect to, to create others
    prefix: str  # of the rounds' database names, unique to this run
    engine: str = "postgresql"
    title: str = "PostgreSQL"
    copying: str = (
        "VACUUM ANALYZEd once built, as autovacuum would have (it may be off); each round"
        " clones it (CREATE DATABASE ... TEMPLATE ... STRATEGY FILE_COPY), then syncs the disk"
    )

    def _url(self, database: str) -> URL:
        return make_url(self.url).set(database=database)

    def _admin(self, sql: str, *params: str) -> list[tuple[object, ...]]:
        import psycopg

        conninfo = self._url(make_url(self.url).database or "postgres").set(drivername="postgresql")
        try:
            with psycopg.connect(conninfo.render_as_string(False), autocommit=True) as db:
                cursor = db.execute(sql, params or None)
                return cursor.fetchall() if cursor.description else []
        except psycopg.OperationalError as error:
            raise StoreError(f"cannot use the PostgreSQL server at {self.url}: {error}") from error

    def version(self) -> str:
        """Return the server's version."""
        return str(self._admin("SHOW server_version")[0][0])

    def _create(self, database: str, template: str | None = None) -> str:
        self._drop(database)
        clone = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
        self._admin(f'CREATE DATABASE "{database}"{clone}')
        return self._url(database).render_as_string(False)

    def _drop(self, database: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    @contextmanager
    def fresh(self, name: str) -> Iterator[str]:
        database = f"{self.prefix}_{name}"
        try:
            yield self._create(database)
        finally:
            self._drop(database)

    @contextmanager
    def copy(self, history: str, name: str) -> Iterator[str]:
        database = f"{self.prefix}_{name}"
        try:
            url = self._create(database, template=history)
            os.sync()  # else the copy is written back to disk while the round is timed
            yield url
        finally:
            self._drop(database)

    @contextmanager
    def building(self, history: str) -> Iterator[str]:
        partial = f"{history}_partial"
        try:
            yield self._create(partial)
            import psycopg

            # autovacuum would have analyzed a database that grew for months; it may be off.
            conninfo = self._url(partial).set(drivername="postgresql").render_as_string(False)
            with psycopg.connect(conninfo, autocommit=True) as db:
                db.execute("VACUUM ANALYZE")
            self._drop(history)
            self._admin(f'ALTER DATABASE "{partial}" RENAME TO "{history}"')
        finally:
            self._drop(partial)

    def holds(self, history: str) -> bool:
        return bool(self._admin("SELECT 1 FROM pg_database WHERE datname = %s", history))

    def forget(self, history: str) -> None:
        self._drop(history)

    def histories(self) -> list[str]:
        """Return the names of the histories kept on the server."""
        query = "SELECT datname FROM pg_database WHERE starts_with(datname, %s)"
        rows = self._admin(query, HISTORY_PREFIX)
        return [str(name) for (name,) in rows]

    def history_name(self, key: str, directory: Path) -> str:
        return HISTORY_PREFIX + key[:24]
