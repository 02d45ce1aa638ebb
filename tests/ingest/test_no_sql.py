"""ingest/ holds no SQL: its queries live in gate/store/, its transactions at its entrypoints."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "ingest").rglob("*.py"))

# What an entrypoint needs to open and commit its transactions; nothing that builds a query.
ALLOWED = {
    ("sqlalchemy", "Engine"),
    ("sqlalchemy.orm", "Session"),
}
QUERY_BUILDERS = {"select", "insert", "update", "delete", "text", "func", "and_", "or_"}
QUERY_METHODS = {"execute", "scalars", "scalar", "merge", "query", "exec_driver_sql"}
SQL_WORDS = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b",
    re.IGNORECASE | re.DOTALL,
)


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def offences(source: str) -> list[str]:
    """Return what in a module's source is SQL, or imports what builds it."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [
                f"import {a.name}" for a in node.names if a.name.split(".")[0] == "sqlalchemy"
            ]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] == "sqlalchemy":
                found += [
                    f"from {node.module} import {a.name}"
                    for a in node.names
                    if (node.module, a.name) not in ALLOWED
                ]
            elif node.module == "gate.store.records":
                found.append("imports the store's records")
        elif isinstance(node, ast.Call):
            called = node.func
            if isinstance(called, ast.Name) and called.id in QUERY_BUILDERS:
                found.append(f"calls {called.id}() at line {node.lineno}")
            elif isinstance(called, ast.Attribute) and called.attr in QUERY_METHODS:
                found.append(f"calls .{called.attr}() at line {node.lineno}")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and SQL_WORDS.search(node.value)
        ):
            found.append(f"SQL in a string at line {node.lineno}")
    return sorted(found)


def test_there_are_ingest_modules_to_scan():
    assert {"pipeline.py", "pull.py", "pull_http.py", "pull_index.py"} <= {f.name for f in FILES}


@pytest.mark.parametrize("path", FILES, ids=_name)
def test_an_ingest_module_holds_no_sql(path):
    assert offences(path.read_text(encoding="utf-8")) == []


def test_the_scan_sees_sql():
    source = (
        "from sqlalchemy import select, Engine\n"
        "from gate.store.records import FlightRecord\n"
        "session.execute(select(FlightRecord))\n"
        "RAW = 'SELECT id FROM flight'\n"
    )
    assert offences(source) == [
        "SQL in a string at line 4",
        "calls .execute() at line 3",
        "calls select() at line 3",
        "from sqlalchemy import select",
        "imports the store's records",
    ]


def test_only_the_entrypoints_open_sessions():
    opening = {f.name for f in FILES if "sqlalchemy" in f.read_text(encoding="utf-8")}
    assert opening <= {"pipeline.py", "pull.py"}  # ingest_paths, and pull_round
