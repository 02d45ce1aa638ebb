"""The arrows of the house: ingest -> gate <- web; the gate's rules are plain Python."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Every module at the top of gate/ is a pure rule module; the persistence lives in subpackages.
RULE_MODULES = sorted(path.stem for path in (ROOT / "gate").glob("*.py"))


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


@pytest.mark.parametrize("package", ["gate/pages", "gate/keep", "gate/store"])
def test_the_pages_the_keepers_and_the_store_may_use_sqlalchemy_but_never_flask(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    offenders = [str(f.relative_to(ROOT)) for f in files if "flask" in imported(f)]
    assert offenders == []


def test_the_glob_finds_the_rule_modules():
    assert {"model", "rules"} <= set(RULE_MODULES)


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


def test_ingest_never_imports_web():
    files = sorted((ROOT / "ingest").rglob("*.py"))
    assert files
    offenders = [str(f.relative_to(ROOT)) for f in files if "web" in imported(f)]
    assert offenders == []


def imports_web_app(path: Path) -> bool:
    """Tell whether a file of web/ imports web.app, absolutely or relatively."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            if any(alias.name == "web.app" for alias in node.names):
                return True
        elif isinstance(node, ast.ImportFrom):
            module = ("web." if node.level else "") + (node.module or "")
            names = {alias.name for alias in node.names}
            if module == "web.app" or (module in ("web", "web.") and "app" in names):
                return True
    return False


def test_only_the_entrypoints_import_the_app_factory():
    # The blueprints import web.db; web.app imports them, so an import back would be a cycle.
    allowed = {"web/app.py", "web/cli.py"}
    files = sorted((ROOT / "web").rglob("*.py"))
    assert files
    paths = {f.relative_to(ROOT).as_posix(): f for f in files}
    offenders = [p for p, f in paths.items() if p not in allowed and imports_web_app(f)]
    assert offenders == []


def _lines(pattern: str, *packages: str, skip: tuple[str, ...] = ()) -> list[str]:
    found = re.compile(pattern)
    return [
        f"{path.relative_to(ROOT)}:{n}"
        for package in packages
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.relative_to(ROOT).as_posix() not in skip and "migrations" not in path.parts
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if found.search(line)
    ]


def test_every_write_goes_through_the_unit_of_work():
    # gate.store.db.unit_of_work opens the writer's session and commits it; nothing else does.
    assert _lines(r"\.commit\(\)", "gate", "ingest", "web") == []
    assert _lines(r"Session\(writer\(", "gate", "ingest", "web", skip=("gate/store/db.py",)) == []


def _imports_from(path: Path) -> list[tuple[str, str]]:
    """Return (module, name) of every `from module import name` in a file."""
    return [
        (node.module or "", alias.name)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    ]


READ_SIDE = sorted((ROOT / "gate" / "read").glob("*.py"))


@pytest.mark.parametrize("path", READ_SIDE, ids=lambda p: p.name)
def test_the_read_side_is_pure(path):
    """gate/read shapes values: no SQLAlchemy, no session, no query, and from the store only its
    value types (classes), never a function that would reach the database."""
    names = imported(path)
    assert "sqlalchemy" not in names
    text = path.read_text(encoding="utf-8")
    assert "select(" not in text and "Session" not in text
    tree = ast.parse(text)
    params = {
        a.arg for node in ast.walk(tree) if isinstance(node, ast.arguments) for a in node.args
    }
    assert "session" not in params
    functions = [
        f"{module}.{name}"
        for module, name in _imports_from(path)
        if module.startswith(("gate.store", "gate.pages", "gate.keep")) and not name[0].isupper()
    ]
    assert functions == []


def test_the_read_side_is_found():
    assert {"features.py", "flights.py", "branch.py"} <= {p.name for p in READ_SIDE}


@pytest.mark.parametrize(
    "path", sorted((ROOT / "gate" / "pages").glob("*.py")), ids=lambda p: p.name
)
def test_the_pages_never_write_nor_query_themselves(path):
    """gate/pages fetches through the store's functions: no SQL of its own, no session method,
    nothing of the write side."""
    text = path.read_text(encoding="utf-8")
    assert "select(" not in text
    assert re.findall(r"\bsession\.\w+", text) == []
    assert not imported(path) & {"ingest", "web"}
    found = _imports_from(path)
    assert not [m for m, _name in found if m.startswith("gate.keep")]
    assert "unit_of_work" not in {name for _m, name in found}


def test_the_store_never_imports_the_pages_or_the_keepers():
    files = sorted((ROOT / "gate" / "store").rglob("*.py"))
    offenders = [
        f"{f.relative_to(ROOT)}: {module}"
        for f in files
        for module, _name in _imports_from(f)
        if module.startswith(("gate.pages", "gate.keep"))
    ]
    assert offenders == []
