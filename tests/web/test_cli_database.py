"""A `--database` a command cannot use is one line that says what to do, and exit 2; a reader of
a command's output that goes away ends it quietly."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from gate.store.db import make_engine
from web.cli import main


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that takes connections and never says a word."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield int(s.getsockname()[1])


def _run(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(main, ["--database", url, "flights"])


def _one_line(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("notaurl", "is not a URL such as sqlite:///pushgate.sqlite"),
        ("foo://x", "names a kind of database SQLAlchemy does not know"),
        ("postgresql+asyncpg://x/y", "needs the Python package asyncpg, which is not installed"),
        (
            "sqlite:///missing.sqlite",
            "no database at missing.sqlite (ingest results into it first)",
        ),
    ],
    ids=["not-a-url", "unknown-driver", "missing-driver", "missing-file"],
)
def test_a_database_url_that_cannot_be_used_is_one_line_and_exit_2(
    url, said, tmp_path, monkeypatch
):
    assert said in _one_line(_run(url, tmp_path, monkeypatch))


def test_a_file_that_is_not_a_database_is_one_line_and_exit_2(tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("my notes, not a database\n" * 200, encoding="utf-8")
    line = _one_line(_run("sqlite:///notes.txt", tmp_path, monkeypatch))
    assert "cannot use the database sqlite:///notes.txt: file is not a database" in line
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8").startswith("my notes")


def test_a_server_that_refuses_is_one_line_and_exit_2(tmp_path, monkeypatch):
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/test"
    line = _one_line(_run(url, tmp_path, monkeypatch))
    assert line.startswith(f"Error: cannot use the database {url}: connection failed")


def test_a_server_that_does_not_answer_is_one_line_and_exit_2(silent_server, tmp_path, monkeypatch):
    url = f"postgresql+psycopg://postgres@127.0.0.1:{silent_server}/test?connect_timeout=1"
    line = _one_line(_run(url, tmp_path, monkeypatch))
    assert "connection timeout expired" in line


@pytest.mark.postgres
def test_a_schema_older_than_this_pushgate_is_one_line_and_exit_2(
    postgres_url, tmp_path, monkeypatch
):
    from tests.gate.store.test_migrations import move

    engine = make_engine(postgres_url)
    move(engine, "0010")
    engine.dispose()
    line = _one_line(_run(postgres_url, tmp_path, monkeypatch))
    assert "is at schema 0010, this pushgate needs" in line and "pushgate db upgrade" in line


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path):
    demo = Path(__file__).resolve().parents[2] / "examples" / "flights"  # and its roadmap
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    pushgate = [str(Path(sys.executable).with_name("pushgate")), "--database", url]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUSHGATE_")}
    roadmap = demo.parent / "xen-4.3" / "roadmap.toml"
    subprocess.run([*pushgate, "ingest", str(demo)], check=True, capture_output=True, env=env)
    subprocess.run(
        [*pushgate, "roadmap", "import", str(roadmap)], check=True, capture_output=True, env=env
    )
    for command in (["flights"], ["features"], ["flights", "--format", "json"]):
        reading = subprocess.Popen(
            [*pushgate, *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        assert reading.stdout is not None and reading.stderr is not None
        reading.stdout.close()  # the reader is gone before the first line
        err = reading.stderr.read().decode()
        assert reading.wait(timeout=60) == 141, err
        assert err == "", err
