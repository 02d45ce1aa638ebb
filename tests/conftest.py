"""Shared fixtures: a migrated SQLite database, a PostgreSQL schema when the server is there, the CLI."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, create_engine, text

from gate.store.db import make_engine, upgrade
from web.cli import main

SHARED = Path(__file__).resolve().parents[2] / "shared"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
POSTGRES_URL = os.environ.get(
    "PUSHGATE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# CI sets this so that a missing service fails the run instead of skipping its tests.
REQUIRE_SERVICES = os.environ.get("PUSHGATE_REQUIRE_SERVICES") == "1"
# CI services set CI (to "true"); there every slow test runs too.
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false")
SLOW_REASON = "slow: run it with `python -m pytest --slow` (or PUSHGATE_SLOW=1; CI runs it)"


def need(reason: str) -> None:
    """Skip for a missing service, or fail when CI requires every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="Also run the tests marked slow.")


# How many tests the run collected, when it is the whole suite (no path, no -k, no -m): what the
# README says of the suite is checked against it (tests/test_readme.py).
WHOLE_SUITE: list[int] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the slow tests unless --slow, PUSHGATE_SLOW=1 or CI asks for every test."""
    whole = config.args_source is pytest.Config.ArgsSource.TESTPATHS
    if whole and not config.getoption("keyword") and not config.getoption("markexpr"):
        WHOLE_SUITE.append(len(items))
    if config.getoption("--slow") or IN_CI or os.environ.get("PUSHGATE_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason=SLOW_REASON)
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def example_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The example flights and the Xen 4.3 roadmap, ingested once for the page and browser tests."""
    url = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'example.sqlite'}"
    run = CliRunner().invoke
    allow = str(EXAMPLES / "allow.xen-unstable")
    ingest = ["ingest", "--allow-file", allow, str(EXAMPLES / "flights")]
    assert run(main, ["--database", url, *ingest]).exit_code == 0
    roadmap = ["roadmap", "import", str(EXAMPLES / "xen-4.3" / "roadmap.toml")]
    assert run(main, ["--database", url, *roadmap]).exit_code == 0
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path, template_db: Path) -> str:
    """A new, migrated SQLite database."""
    path = tmp_path / "pushgate.sqlite"
    shutil.copy(template_db, path)
    return f"sqlite:///{path}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, migrated PostgreSQL schema of its own, dropped afterwards."""
    admin = create_engine(POSTGRES_URL)
    schema = f"pushgate_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means no server
        admin.dispose()
        need(f"PostgreSQL is not reachable at {POSTGRES_URL}: {type(exc).__name__}")
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each store test runs on SQLite and on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


Run = Callable[..., Result]


@pytest.fixture
def pushgate(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run `pushgate ARGS...` on a fresh database, from tmp_path; returns click's Result."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("PUSHGATE_") and not name.startswith("PUSHGATE_TEST"):
            monkeypatch.delenv(name)

    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, ["--database", sqlite_url, *args], input=input)

    return run
