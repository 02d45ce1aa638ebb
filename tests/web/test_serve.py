"""`pushgate serve`: Flask's development server by default, gunicorn's workers with --workers."""

from __future__ import annotations

import importlib.abc
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import click
import pytest
import requests
from click.testing import CliRunner
from gunicorn.config import Config

from gate.model import Status
from tests.builders import flight, write
from tests.conftest import Run
from web.app import redact
from web.cli import main
from web.cli import serve as serve_command
from web.serve import redacting_logger

P = Status.PASS
SERVE = "from web.cli import main; main()"


def test_every_option_of_serve_has_help():
    options = [p for p in serve_command.params if isinstance(p, click.Option)]
    assert {o.name for o in options} >= {"host", "port", "workers", "timeout"}
    assert [o.name for o in options if not o.help] == []


def test_no_workers_is_refused_in_one_sentence(sqlite_url):
    result = CliRunner().invoke(main, ["--database", sqlite_url, "serve", "--workers", "0"])
    assert result.exit_code == 2
    assert "Invalid value for '--workers': 0 is not in the range x>=1." in result.output


def test_a_timeout_without_workers_is_refused(sqlite_url):
    result = CliRunner().invoke(main, ["--database", sqlite_url, "serve", "--timeout", "60"])
    assert result.exit_code == 2
    assert "--timeout applies to gunicorn's workers: give --workers too" in result.output


class NoGunicorn(importlib.abc.MetaPathFinder):
    """Find no gunicorn, as where the extra is not installed."""

    def find_spec(self, name: str, *_args: object) -> None:
        if name.partition(".")[0] == "gunicorn":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


def test_workers_without_gunicorn_say_what_to_install(sqlite_url, monkeypatch):
    for name in [n for n in sys.modules if n == "web.serve" or n.startswith("gunicorn")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [NoGunicorn(), *sys.meta_path])
    result = CliRunner().invoke(main, ["--database", sqlite_url, "serve", "--workers", "2"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: --workers serves with gunicorn, which is not installed: "
        "pip install 'pushgate[server]'\n"
    )


@pytest.fixture
def gunicorn_logger():
    """A gunicorn logger that redacts, its global loggers put back as they were afterwards."""
    names = ("gunicorn.error", "gunicorn.access")
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).filters[:]) for n in names}
    yield redacting_logger(redact)(Config())
    for name, (handlers, filters) in saved.items():
        logging.getLogger(name).handlers[:], logging.getLogger(name).filters[:] = handlers, filters


def test_gunicorn_logs_keep_credentials_in_urls_out(gunicorn_logger):
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/flights?page=2&token=s3cret",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": "http://127.0.0.1:5000/?api_key=s3cret",
        "HTTP_USER_AGENT": "curl/8.0",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    atoms = gunicorn_logger.atoms(response, SimpleNamespace(headers=[]), environ, timedelta(0))
    assert atoms["r"] == "GET /flights?page=2&token=[redacted] HTTP/1.1"
    assert atoms["f"] == "http://127.0.0.1:5000/?api_key=[redacted]"
    assert atoms["a"] == "curl/8.0"
    record = logging.LogRecord(
        "gunicorn.error", logging.ERROR, __file__, 1, "Error handling request %s",
        ("/flights?password=s3cret",), None,
    )  # fmt: skip
    assert gunicorn_logger.error_log.filter(record)
    assert record.getMessage() == "Error handling request /flights?password=[redacted]"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _children(pid: int) -> set[int]:
    """Return the processes whose parent is `pid`, from Linux's /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


@pytest.mark.slow  # starts processes
def test_serve_with_workers_runs_gunicorn_until_sigterm(pushgate: Run, sqlite_url, tmp_path):
    if not Path("/proc/self/stat").exists():
        pytest.skip("counting the workers reads Linux's /proc")
    assert pushgate("ingest", str(write(flight(17001, {"build-amd64 xen-build": P}), tmp_path / "f.xml"))).exit_code == 0  # fmt: skip
    elsewhere = tmp_path / "elsewhere"  # a wrong database would be made here, and found empty
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUSHGATE_")}
    env.update(PUSHGATE_DATABASE_URL=sqlite_url, PYTHONUNBUFFERED="1")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-c", SERVE, "serve", "--workers", "2", "--port", str(port)]
    with (tmp_path / "out.log").open("w") as out, (tmp_path / "err.log").open("w") as err:
        server = subprocess.Popen(command, cwd=elsewhere, env=env, stdout=out, stderr=err)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, (tmp_path / "err.log").read_text()
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    workers = _children(server.pid)
                    if len(workers) == 2:
                        break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer with two workers"
            time.sleep(0.1)
        page = requests.get(f"{base}/", timeout=10)
        overview = requests.get(f"{base}/api/v1/overview", timeout=10)
        assert (page.status_code, overview.status_code) == (200, 200)
        assert "readiness_states" in overview.json()
        flights = requests.get(f"{base}/api/v1/flights", timeout=10).json()
        assert [f["flight"] for f in flights["flights"]] == [17001]
        secret = requests.get(
            f"{base}/flights?page=1&token=s3cret",
            headers={"Referer": f"{base}/?api_key=s3cret"},
            timeout=10,
        )
        assert secret.status_code == 200
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
    access, errors = (tmp_path / "out.log").read_text(), (tmp_path / "err.log").read_text()
    assert errors.count("Booting worker with pid") == 2
    assert "Handling signal: term" in errors and "Shutting down: Master" in errors
    assert "Traceback" not in errors
    assert '"GET /flights?page=1&token=[redacted] HTTP/1.1" 200' in access
    assert f'"{base}/?api_key=[redacted]"' in access
    assert "s3cret" not in access + errors
    assert not (elsewhere / "pushgate.sqlite").exists()


def test_serve_shows_the_dashboard_as_of_now(sqlite_url, monkeypatch):
    """`serve --now` is the demo's --now: every page as of that day, unless it asks ?as_of=."""
    from flask import Flask

    served: list[Flask] = []
    monkeypatch.setattr(Flask, "run", lambda app, **_kw: served.append(app))
    args = ["--database", sqlite_url, "serve", "--now", "2013-03-18"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "as of 2013-03-18 on http://127.0.0.1:5000/" in result.stderr
    [app] = served
    assert app.test_client().get("/api/v1/overview").get_json()["as_of"].startswith("2013-03-18")
    bad = CliRunner().invoke(main, ["--database", sqlite_url, "serve", "--now", "soon"])
    assert bad.exit_code == 2
    assert "Invalid value" in bad.output
    assert served == [app]


def test_settle_moves_what_is_loaded_to_the_collectors_permanent_generation():
    """wsgi.py and `pushgate serve` settle the loaded app, so that a request's full collection
    walks only what requests made."""
    import gc

    from web.serve import settle

    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        settle()
        assert gc.get_freeze_count() > 1000  # the modules, templates and engine loaded so far
        assert gc.get_count()[0] < 100  # and nothing is left waiting for the next collection
    finally:
        gc.unfreeze()
    wsgi = (Path(__file__).resolve().parents[2] / "wsgi.py").read_text(encoding="utf-8")
    assert "settle()" in wsgi.split("create_app()", 1)[1]
