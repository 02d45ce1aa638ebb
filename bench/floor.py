"""The benchmark's floor: store every flight of a directory the plainest way there is.

lxml's iterparse reads each testcase; the rows of a flight go in with one transaction, by the
standard sqlite3's executemany into SQLite, or by psycopg's COPY into PostgreSQL. Run as
`python floor.py DIRECTORY DATABASE-URL`, in a process of its own, it prints the rows it stored.
It imports nothing else, so that its process pays for lxml and its database driver only.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

FLOOR_STATUS = {"failure": "fail", "error": "broken", "skipped": "skip"}
CREATE = "CREATE TABLE step (job TEXT, testid TEXT, status TEXT, time REAL, message TEXT)"
SQLITE = "sqlite:///"
POSTGRESQL = "postgresql+psycopg://"

Row = tuple[str, str, str, float | None, str]


KINDS = {  # how the floor stores rows, by engine
    "sqlite": "lxml iterparse + the standard sqlite3's executemany, a transaction per flight",
    "postgresql": "lxml iterparse + psycopg's COPY into PostgreSQL, a transaction per flight",
}


def load(directory: Path, url: str) -> int:
    """Store every flight of a directory, a transaction each; return how many rows it stored."""
    paths = sorted(directory.glob("*.xml"))
    if url.startswith(POSTGRESQL):
        return _load_postgresql(paths, "postgresql://" + url.removeprefix(POSTGRESQL))
    return _load_sqlite(paths, url.removeprefix(SQLITE))


def _load_sqlite(paths: list[Path], database: str) -> int:
    db = sqlite3.connect(database)
    db.execute(CREATE)
    total = 0
    for path in paths:
        rows = list(rows_of(path))
        with db:
            db.executemany("INSERT INTO step VALUES (?, ?, ?, ?, ?)", rows)
        total += len(rows)
    db.close()
    return total


def _load_postgresql(paths: list[Path], conninfo: str) -> int:
    import psycopg

    total = 0
    with psycopg.connect(conninfo, autocommit=True) as db:
        db.execute(CREATE)
        for path in paths:
            with (
                db.transaction(),
                db.cursor() as cursor,
                cursor.copy("COPY step FROM STDIN") as copy,
            ):
                for row in rows_of(path):
                    copy.write_row(row)
                    total += 1
    return total


def rows_of(path: Path) -> Iterator[Row]:
    """Read a flight's testcases as (job, testid, status, seconds, message) rows."""
    for _event, case in etree.iterparse(str(path), tag="testcase"):
        status, message = "pass", ""
        for child in case:
            if child.tag in FLOOR_STATUS:
                status, message = FLOOR_STATUS[child.tag], child.get("message", "")
        seconds = case.get("time")
        job = case.getparent().get("name")
        yield job, case.get("name"), status, float(seconds) if seconds else None, message
        case.clear()


if __name__ == "__main__":
    print(load(Path(sys.argv[1]), sys.argv[2]))
