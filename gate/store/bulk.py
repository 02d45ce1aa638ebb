"""Bulk writes that every database accepts: bounded IN lists, inserts that skip duplicates."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from gate.store.records import (
    BranchRecord,
    JobRecord,
    StepRecord,
    TestRecord,
    TestTagRecord,
)

CHUNK = 500
BATCH = 1000  # rows handed to SQLite's executemany at once: a bulk insert holds no more
BRANCH = cast(Table, BranchRecord.__table__)
JOB = cast(Table, JobRecord.__table__)
TEST = cast(Table, TestRecord.__table__)
STEP = cast(Table, StepRecord.__table__)
TAG = cast(Table, TestTagRecord.__table__)


def in_chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """Yield the items a bounded slice at a time, for IN lists every database accepts."""
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def insert_ignoring_duplicates(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows, skipping those whose key is already there (another writer's, or ours)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(table).on_conflict_do_nothing(), rows)
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(table).on_conflict_do_nothing(), rows)
    else:
        session.execute(insert(table), rows)


def batches(rows: Iterable[Any], size: int = BATCH) -> Iterator[list[Any]]:
    """Yield the rows a list of at most `size` at a time, taking each from `rows` as it comes."""
    taking = iter(rows)
    while batch := list(itertools.islice(taking, size)):
        yield batch


def bulk_insert(
    session: Session, table: Table, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    """Insert many rows straight through the driver: SQLite's executemany, PostgreSQL's COPY.

    Both skip SQLAlchemy's per-row processing; COPY also sends the rows in one stream rather than
    a round trip per batch. The rows are taken as they come, a batch at a time (COPY a row at a
    time, as tuples), so that memory holds only a batch however many there are. They join the
    session's transaction.
    """
    connection = session.connection()
    # The table and column names are this module's constants, never input.
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        assert raw is not None, "a live connection has its driver's connection"
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    if connection.dialect.name != "sqlite":
        for batch in batches(rows):
            connection.execute(insert(table), [dict(zip(columns, r, strict=True)) for r in batch])
        return
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' for _ in columns)})"  # noqa: S608
    for batch in batches(rows):
        connection.exec_driver_sql(sql, batch)
