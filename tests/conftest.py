"""Shared fixtures: a migrated SQLite database, a PostgreSQL schema when the server is there, the CLI."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, create_engine, make_url, text

from gate.store.db import ANALYZED, make_engine, upgrade
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


def is_slow(item: pytest.Item) -> bool:
    """Tell whether a test is marked slow: `@pytest.mark.slow`, or `@pytest.mark.slow(on="postgres")`
    for a store test whose other engine's run covers the same behaviour in less time."""
    marker = item.get_closest_marker("slow")
    if marker is None or "on" not in marker.kwargs:
        return marker is not None
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("db_url") == marker.kwargs["on"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the slow tests unless --slow, PUSHGATE_SLOW=1 or CI asks for every test."""
    whole = config.args_source is pytest.Config.ArgsSource.TESTPATHS
    if whole and not config.getoption("keyword") and not config.getoption("markexpr"):
        WHOLE_SUITE.append(len(items))
    if config.getoption("--slow") or IN_CI or os.environ.get("PUSHGATE_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason=SLOW_REASON)
    for item in items:
        if is_slow(item):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


Build = Callable[..., Path]
Copy = Callable[[Path], None]


def copy_sqlite(source: Path, target: Path) -> str:
    """Copy a SQLite database over another file, what its write-ahead log holds too; return its URL."""
    with closing(sqlite3.connect(source)) as read, closing(sqlite3.connect(target)) as written:
        read.backup(written)
    return f"sqlite:///{target}"


def cli(database: str, *args: str, input: str | None = None) -> Result:
    """Run `pushgate --database DATABASE ARGS...` without the caller's PUSHGATE_ settings."""
    unset: dict[str, str | None] = {n: None for n in os.environ if n.startswith("PUSHGATE_")}
    return CliRunner(env=unset).invoke(main, ["--database", database, *args], input=input)


@pytest.fixture(scope="session")
def example_flights(build_sqlite: Build) -> Path:
    """The example flights and no roadmap, ingested once: a test that changes it takes a copy."""
    allow = str(EXAMPLES / "allow.xen-unstable")
    return build_sqlite(["ingest", "--allow-file", allow, str(EXAMPLES / "flights")])


@pytest.fixture(scope="session")
def example_db(tmp_path_factory: pytest.TempPathFactory, example_flights: Path) -> str:
    """The example flights and the Xen 4.3 roadmap, ingested once for the page and browser tests."""
    url = copy_sqlite(example_flights, tmp_path_factory.mktemp("pages") / "example.sqlite")
    roadmap = ["roadmap", "import", str(EXAMPLES / "xen-4.3" / "roadmap.toml")]
    result = cli(url, *roadmap)
    assert result.exit_code == 0, result.output
    return url


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The database `pushgate demo --no-serve` builds, its git repository beside it, built once
    for the session: a test that changes it takes a copy (copy_sqlite)."""
    here = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(here)
        built = CliRunner().invoke(main, ["demo", "--no-serve"])
    assert built.exit_code == 0, built.output
    return f"sqlite:///{here / 'pushgate-demo.sqlite'}"


@pytest.fixture
def sqlite_url(tmp_path: Path, template_db: Path) -> str:
    """A new, migrated SQLite database."""
    path = tmp_path / "pushgate.sqlite"
    shutil.copy(template_db, path)
    return f"sqlite:///{path}"


@dataclass(frozen=True)
class SchemaCopy:
    """The migrated PostgreSQL schema as the SQL that makes it, dumped once from a schema named
    `template`, to make each test's schema without running every migration again."""

    template: str
    sql: str

    def into(self, schema: str) -> str:
        """Return the SQL that makes the migrated schema under another name."""
        # The template's name is unique (a random suffix), so it names nothing but the schema.
        return self.sql.replace(self.template, schema)


# What pg_dump writes for psql rather than for the server: meta-commands, comments, and the
# session settings it restores under (every name in the dump is qualified with its schema).
NOT_FOR_THE_SERVER = ("\\", "--", "SET ", "SELECT pg_catalog.set_config(")


def new_schema(prefix: str = "pushgate_test") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def schema_url(schema: str) -> str:
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


def dump_schema(schema: str) -> str:
    """Return pg_dump's SQL for one schema of the test database: its tables and their rows."""
    libpq = make_url(POSTGRES_URL).set(drivername="postgresql")
    dumped = subprocess.run(
        [
            "pg_dump",
            "--schema",
            schema,
            "--no-owner",
            "--no-privileges",
            "--inserts",
            "--dbname",
            libpq.render_as_string(hide_password=False),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    kept = [line for line in dumped.splitlines() if not line.startswith(NOT_FOR_THE_SERVER)]
    return "\n".join(kept)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An engine on the test database, to make and drop the tests' schemas."""
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.connect():
            pass
    except Exception as exc:  # noqa: BLE001 - any failure to connect means no server
        admin.dispose()
        need(f"PostgreSQL is not reachable at {POSTGRES_URL}: {type(exc).__name__}")
    yield admin
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_template(postgres_admin: Engine) -> Iterator[SchemaCopy | None]:
    """The schema migrated once for the session and dumped; None when pg_dump cannot dump it
    (then each test's schema is migrated instead, slower but the same schema)."""
    template = new_schema("pushgate_template")
    with postgres_admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{template}"'))
    try:
        engine = make_engine(schema_url(template))
        upgrade(engine)
        engine.dispose()
        try:
            copy: SchemaCopy | None = SchemaCopy(template, dump_schema(template))
        except (OSError, subprocess.SubprocessError) as exc:
            warnings.warn(
                f"pg_dump cannot dump the migrated schema ({exc}): each test migrates its own",
                stacklevel=1,
            )
            copy = None
        yield copy
    finally:
        with postgres_admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{template}" CASCADE'))


@pytest.fixture
def postgres_url(postgres_admin: Engine, postgres_template: SchemaCopy | None) -> Iterator[str]:
    """A new, migrated PostgreSQL schema of its own (a copy of the session's), dropped afterwards."""
    schema = new_schema()
    url = schema_url(schema)
    if postgres_template is None:
        with postgres_admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
    else:
        with postgres_admin.begin() as connection:
            connection.exec_driver_sql(postgres_template.into(schema))
            # As upgrade() leaves a new schema: with the planner's statistics of its tables.
            connection.exec_driver_sql(f'SET LOCAL search_path = "{schema}"')
            connection.exec_driver_sql(f"ANALYZE {', '.join(ANALYZED)}")
    try:
        yield url
    finally:
        with postgres_admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(scope="session")
def build_sqlite(tmp_path_factory: pytest.TempPathFactory, template_db: Path) -> Build:
    """Return build(*commands): a new migrated SQLite file, each command's `pushgate ARGS...` run
    on it; a module builds its database once so, and its tests read it or copy it (sqlite_copy)."""

    def build(*commands: list[str]) -> Path:
        path = tmp_path_factory.mktemp("built") / "pushgate.sqlite"
        url = copy_sqlite(template_db, path)
        for command in commands:
            result = cli(url, *command)
            assert result.exit_code == 0, result.output
        return path

    return build


@pytest.fixture
def sqlite_copy(sqlite_url: str) -> Copy:
    """Return copy(path): put a database built once in this test's own file (sqlite_url)."""

    def copy(path: Path) -> None:
        copy_sqlite(path, Path(sqlite_url.removeprefix("sqlite:///")))

    return copy


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
