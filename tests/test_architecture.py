"""The arrows of the house: ingest -> gate <- web; the gate's rules are plain Python."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RULE_MODULES = ["model", "rules", "allow", "policy", "report", "roadmap", "readiness", "trends"]


def imported(path: Path) -> set[str]:
    """Return the top-level names of every module a file imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", ["gate", "ingest"])
def test_the_core_and_ingest_never_import_flask(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    offenders = [str(f.relative_to(ROOT)) for f in files if "flask" in imported(f)]
    assert offenders == []


@pytest.mark.parametrize("module", RULE_MODULES)
def test_the_gate_rules_import_only_the_standard_library_and_gate(module):
    names = imported(ROOT / "gate" / f"{module}.py")
    foreign = {n for n in names if n != "gate" and n not in sys.stdlib_module_names}
    assert foreign == set()
    assert "sqlalchemy" not in names


def test_gate_never_imports_ingest_or_web():
    files = sorted((ROOT / "gate").rglob("*.py"))
    offenders = [str(f.relative_to(ROOT)) for f in files if imported(f) & {"ingest", "web"}]
    assert offenders == []
