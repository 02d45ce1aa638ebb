"""docs/deploy.md and deploy/: the units' commands run as systemd would run them, and the backups
that the page describes restore into an empty database that answers the same pages."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
import requests
from sqlalchemy import create_engine, make_url, text

from gate.model import Status
from gate.settings import SETTINGS
from gate.store.db import HEAD, make_engine, schema_revision
from tests.builders import flight
from tests.conftest import POSTGRES_URL, need
from tests.ingest.test_pull import ResultsServer, publish, server  # noqa: F401 - a fixture
from tests.web.test_serve import _children, _free_port
from web.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
DOC = ROOT / "docs" / "deploy.md"
WEB_UNIT, PULL_UNIT = DEPLOY / "pushgate-web.service", DEPLOY / "pushgate-pull.service"
ENV_EXAMPLE = DEPLOY / "pushgate.env.example"
INSTALLED = "/opt/pushgate/venv/bin/pushgate"  # where the units expect pushgate
# The places the page names, and the name of the role and database it creates.
STATE, BACKUPS, NAME = "/var/lib/pushgate", "/var/backups/pushgate", "pushgate"
AS_OF = "?as_of=2013-03-18"
PAGES = [
    "/",
    "/flights",
    "/flights/17002",
    "/flights/17002/report.txt",
    "/branches/xen-unstable",
    "/feed.atom",
    "/api/v1/overview",
    "/api/v1/flights",
    "/api/v1/flights/17003",
]
P, F = Status.PASS, Status.FAIL
GOOD = {"build-amd64 xen-build": P, "test-amd64-amd64-xl guest-start": P}
BAD = {"build-amd64 xen-build": P, "test-amd64-amd64-xl guest-start": F}


# ---------------------------------------------------------------------------------------------
# Reading the files as systemd and a shell read them.


def read_env_file(path: Path, *, commented: bool = False) -> dict[str, str]:
    """Read an EnvironmentFile: NAME=VALUE lines, `#` comments, a value's quotes removed.

    With `commented`, the commented-out assignments count too (the settings offered)."""
    found: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if commented and re.match(r"#[A-Z_]+=", line):
            line = line[1:]
        if not line or line.startswith(("#", ";")):
            continue
        name, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z_][A-Z0-9_]*", name), f"{path.name}: {raw!r}"
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        found[name] = value
    return found


def unit_lines(path: Path, key: str) -> list[str]:
    """Return the values of `key=` in a unit's [Service] section, in order."""
    section, found = "", []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "Service" and line.startswith(f"{key}="):
            found.append(line.partition("=")[2])
    return found


def expand(command: str, env: Mapping[str, str]) -> list[str]:
    """Split an Exec line into words and expand its variables as systemd does.

    `${NAME}` is replaced inside its word; a word that is `$NAME` alone becomes the value's
    whitespace-separated words. An unset variable fails here (systemd would make it empty)."""
    words: list[str] = []
    for word in shlex.split(command):
        alone = re.fullmatch(r"\$(\w+)", word)
        if alone:
            words.extend(env[alone[1]].split())
        else:
            words.append(re.sub(r"\$\{(\w+)\}", lambda m: env[m[1]], word))
    return words


def code_lines(path: Path = DOC) -> list[str]:
    """Return the lines of the page's fenced code blocks."""
    lines, inside = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            inside = not inside
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


def doc_line(start: str) -> str:
    """Return the one command of the page that starts so (given once or more)."""
    found = sorted({line for line in code_lines() if line.startswith(start)})
    assert len(found) == 1, f"docs/deploy.md has {len(found)} commands starting {start!r}"
    return found[0]


def pushgate_invocations(words: list[str]) -> Iterator[list[str]]:
    """Yield the arguments of each pushgate run in a command line, `sh -c '...'` included."""
    if words[:2] == ["sudo", "-u"]:
        words = words[3:]
    if words and words[0] == "exec":
        words = words[1:]
    if not words:
        return
    if words[0] == "pushgate" or words[0].endswith("/bin/pushgate"):
        yield words[1:]
    elif words[0] == "sh" and "-c" in words:
        script = words[words.index("-c") + 1]
        for command in script.split(";"):
            yield from pushgate_invocations(shlex.split(command))


def parse_pushgate(args: list[str]) -> click.Context:
    """Parse a pushgate command line as the command would (names, options, values), run nothing."""
    command: click.Command = main
    ctx = click.Context(main, info_name="pushgate")
    words = list(args)
    while isinstance(command, click.Group):
        # The group's own options (--database URL) come before the command's name.
        while words and words[0].startswith("-"):
            option = next((p for p in command.params if words[0] in p.opts), None)
            assert option is not None, f"pushgate has no option {words[0]}: {args}"
            words = words[1:] if getattr(option, "is_flag", False) else words[2:]
        assert words, f"no command in {args}"
        name, words = words[0], words[1:]
        sub = command.get_command(ctx, name)
        assert sub is not None, f"{ctx.command_path} has no command {name!r}: {args}"
        command, ctx = sub, click.Context(sub, info_name=name, parent=ctx)
    return command.make_context(ctx.info_name, words, parent=ctx.parent)


# ---------------------------------------------------------------------------------------------
# The page and the files agree with the code.


def test_the_page_names_every_file_under_deploy():
    text_ = DOC.read_text(encoding="utf-8")
    files = sorted(p.relative_to(ROOT).as_posix() for p in DEPLOY.iterdir())
    assert files  # the units, the env file and the proxy's example
    assert [f for f in files if f"`{f}`" not in text_] == []
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/deploy.md" in readme


def test_every_pushgate_command_on_the_page_and_in_the_units_parses():
    runs = [args for line in code_lines() for args in pushgate_invocations(shlex.split(line))]
    assert len(runs) >= 2  # token create, prune
    env = read_env_file(ENV_EXAMPLE)
    for unit in (WEB_UNIT, PULL_UNIT):
        for key in ("ExecStartPre", "ExecStart"):
            for line in unit_lines(unit, key):
                words = expand(line, env)
                assert words[0] == INSTALLED, line
                runs.append(words[1:])
    for args in runs:
        parse_pushgate(args)  # an unknown command, option or bad value raises
    with pytest.raises(click.UsageError):
        parse_pushgate(["serve", "--wokers", "2"])
    with pytest.raises(AssertionError):
        parse_pushgate(["backup"])


def test_the_settings_the_page_and_the_env_file_name_are_pushgates():
    known = {s.env for s in SETTINGS.values()}
    offered = read_env_file(ENV_EXAMPLE, commented=True)
    mine = {name for name in offered if name.startswith("PUSHGATE_")}
    named = set(re.findall(r"PUSHGATE_[A-Z_]+", DOC.read_text(encoding="utf-8")))
    assert mine - known == set()
    assert named - known == set()
    assert mine - named == set(), "docs/deploy.md names each setting the env file offers"
    # What only the units' command lines read is named so that no one takes it for a setting.
    assert {n for n in offered if not n.startswith("PUSHGATE_")} == {
        "SERVE_WORKERS", "SERVE_PORT", "PULL_URL", "PULL_INTERVAL",
    }  # fmt: skip


def test_sh_reads_the_env_file_as_systemd_does(tmp_path):
    """The page runs commands after `set -a; . pushgate.env`: the same values as the units'."""
    every = tmp_path / "pushgate.env"
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    # Each offered setting uncommented, the second database URL winning as it would.
    every.write_text("\n".join(re.sub(r"^#([A-Z_]+=)", r"\1", line) for line in lines) + "\n")
    expected = read_env_file(every)
    assert "https://chat.example.org/hooks/gate " in expected["PUSHGATE_WEBHOOKS"]
    shown = subprocess.run(
        ["sh", "-c", f'set -a; . "{every}"; env -0'],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        check=True,
    ).stdout.decode()
    seen = dict(entry.split("=", 1) for entry in shown.split("\0") if "=" in entry)
    assert {name: seen.get(name) for name in expected} == expected


def test_systemd_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    pushgate = Path(sys.executable).with_name("pushgate")
    for unit in (WEB_UNIT, PULL_UNIT):
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text(encoding="utf-8").replace(INSTALLED, str(pushgate)))
    checked = subprocess.run(
        [analyze, "verify", *(str(tmp_path / u.name) for u in (WEB_UNIT, PULL_UNIT))],
        capture_output=True,
        text=True,
    )
    # Only what it says of these units: the host's own may have complaints of their own.
    complaints = [line for line in checked.stderr.splitlines() if "pushgate-" in line]
    assert complaints == []


# ---------------------------------------------------------------------------------------------
# Running the units' commands, with the page's backups and restores.


@dataclass(frozen=True)
class Place:
    """Where the page's paths and names are, for one test."""

    root: Path
    name: str  # the role and database for `pushgate`
    admin: str  # the server's superuser, for `sudo -u postgres`

    def local(self, line: str) -> tuple[str, list[str]]:
        """Return the user a page's command runs as and its words, moved to this place."""
        line = line.replace(STATE, str(self.root / "lib")).replace(BACKUPS, str(self.root / "bak"))
        words, user = shlex.split(line), NAME
        if words[:2] == ["sudo", "-u"]:
            user, words = words[2], words[3:]
        words = [re.sub(r"(?<![\w/.-])pushgate(?![\w/.-])", self.name, w) for w in words]
        return user, words

    def run(self, line: str, env: Mapping[str, str]) -> None:
        """Run one command of the page, as the user it names."""
        user, words = self.local(line)
        env = {**env, "PGUSER": self.admin if user == "postgres" else self.name}
        # Long enough for DROP DATABASE's checkpoint on a server that others keep busy.
        done = subprocess.run(words, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{shlex.join(words)}: {done.stderr}"


def unit_env(database_url: str, results: str, port: int) -> dict[str, str]:
    """The env file as the page installs it, with this test's database, server and port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUSHGATE_")}
    env.update(read_env_file(ENV_EXAMPLE))
    env.update(
        PUSHGATE_DATABASE_URL=database_url,
        SERVE_WORKERS="2",
        SERVE_PORT=str(port),
        PULL_URL=results,
        PULL_INTERVAL="0.5",
        NO_PROXY="127.0.0.1",
        PYTHONUNBUFFERED="1",
    )
    return env


class Units:
    """The two units' processes, started and stopped as systemd would."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.base = f"http://127.0.0.1:{env['SERVE_PORT']}"
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        logs.mkdir(exist_ok=True)

    def command(self, unit: Path, key: str) -> list[str]:
        [line] = unit_lines(unit, key)
        words = expand(line, self.env)
        assert words[0] == INSTALLED
        return [str(Path(sys.executable).with_name("pushgate")), *words[1:]]

    def start(self, unit: Path) -> None:
        for line in unit_lines(unit, "ExecStartPre"):
            pre = expand(line, self.env)
            pre[0] = str(Path(sys.executable).with_name("pushgate"))
            done = subprocess.run(pre, env=self.env, capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
        name = unit.stem
        with (
            (self.logs / f"{name}.out").open("a") as out,
            (self.logs / f"{name}.err").open("a") as err,
        ):
            process = subprocess.Popen(
                self.command(unit, "ExecStart"), env=self.env, stdout=out, stderr=err
            )
        self.running[name] = process

    def stop(self, unit: Path) -> None:
        """Send the unit's KillSignal (SIGTERM unless it names one); it must end cleanly."""
        [kill] = unit_lines(unit, "KillSignal") or ["SIGTERM"]
        process = self.running.pop(unit.stem)
        process.send_signal(signal.Signals[kill])
        assert process.wait(timeout=60) == 0, self.log(unit, "err")

    def log(self, unit: Path, kind: str) -> str:
        return (self.logs / f"{unit.stem}.{kind}").read_text()

    def kill_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.kill()
                process.wait()
        self.running.clear()

    def wait_for(self, what: str, ready: Callable[[], bool], seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while True:
            for name, process in self.running.items():
                assert process.poll() is None, (
                    f"{name} ended: " + (self.logs / f"{name}.err").read_text()
                )
            try:
                if ready():
                    return
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, what
            time.sleep(0.2)

    def flights(self) -> list[int]:
        reply = requests.get(f"{self.base}/api/v1/flights{AS_OF}", timeout=10)
        return [f["flight"] for f in reply.json()["flights"]] if reply.ok else []

    def pages(self) -> dict[str, bytes]:
        found = {}
        for path in PAGES:
            reply = requests.get(f"{self.base}{path}{AS_OF}", timeout=30)
            assert reply.status_code == 200, path
            found[path] = reply.content
        return found


def started(day: int) -> datetime:
    return datetime(2013, 3, day, 10, 0, tzinfo=UTC)


def serve_and_pull(
    units: Units, results: ResultsServer, while_running: Callable[[], None]
) -> dict[str, bytes]:
    """Start both units over a new database, let the puller bring three flights in while two
    workers serve them, call `while_running`, stop both; return the pages they served."""
    publish(
        results,
        flight(17001, GOOD, xen="a", started=started(10)),
        flight(17002, BAD, xen="b", baseline="a", started=started(11)),
    )
    units.start(WEB_UNIT)
    units.start(PULL_UNIT)
    web = units.running["pushgate-web"]
    units.wait_for(
        "gunicorn answers with two workers",
        lambda: (
            requests.get(f"{units.base}/healthz", timeout=2).ok and len(_children(web.pid)) == 2
        ),
    )
    units.wait_for("the puller brings 17001 and 17002", lambda: units.flights() == [17002, 17001])
    # A flight published while both run: the next round brings it.
    publish(results, flight(17003, GOOD, xen="c", baseline="a", started=started(12)))
    units.wait_for("the puller brings 17003", lambda: units.flights() == [17003, 17002, 17001])
    verdicts = {
        f["flight"]: f["verdict"]
        for f in requests.get(f"{units.base}/api/v1/flights{AS_OF}", timeout=10).json()["flights"]
    }
    assert verdicts == {17001: "perfect", 17002: "regressions", 17003: "perfect"}
    # Behind the proxy: the feed links to the public address that Host and X-Forwarded-Proto name.
    proxied = requests.get(
        f"{units.base}/feed.atom",
        headers={"Host": "gate.example.org", "X-Forwarded-Proto": "https"},
        timeout=10,
    )
    assert 'href="https://gate.example.org/flights/17003"' in proxied.text
    pages = units.pages()
    while_running()
    units.stop(PULL_UNIT)
    units.stop(WEB_UNIT)
    pulled = units.log(PULL_UNIT, "out")
    assert "2 discovered, 2 new, 2 ingested" in pulled and "1 new, 1 ingested" in pulled
    errors = units.log(WEB_UNIT, "err") + units.log(PULL_UNIT, "err")
    assert errors.count("Booting worker with pid") == 2
    assert "Traceback" not in errors
    return pages


def serve_again(units: Units) -> dict[str, bytes]:
    """Start the web unit over the restored database; return its pages."""
    units.start(WEB_UNIT)
    units.wait_for("gunicorn answers", lambda: requests.get(f"{units.base}/healthz", timeout=2).ok)
    pages = units.pages()
    units.stop(WEB_UNIT)
    return pages


@pytest.fixture
def results(server: ResultsServer) -> ResultsServer:  # noqa: F811 - the fixture
    """The results server the pull tests serve JUnit files from, on 127.0.0.1."""
    return server


@pytest.fixture
def pg_place(tmp_path: Path) -> Iterator[tuple[Place, dict[str, str]]]:
    """A PostgreSQL server that the page's client commands reach, and a name for the role and
    database that the test creates as the page does; both dropped afterwards."""
    for tool in ("createuser", "createdb", "dropdb", "pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            need(f"{tool} is not installed (apt-get install postgresql-client)")
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except Exception as exc:  # noqa: BLE001 - any failure to connect means no server
        admin.dispose()
        need(f"PostgreSQL is not reachable at {POSTGRES_URL}: {type(exc).__name__}")
    url = make_url(POSTGRES_URL)
    place = Place(tmp_path, f"pushgate_deploy_{uuid.uuid4().hex[:10]}", url.username or "postgres")
    (tmp_path / "bak").mkdir()
    env = {
        **os.environ,
        "PGHOST": url.host or "127.0.0.1",
        "PGPORT": str(url.port or 5432),
        **({"PGPASSWORD": url.password} if url.password else {}),
    }
    try:
        yield place, env
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{place.name}" WITH (FORCE)'))
            connection.execute(text(f'DROP ROLE IF EXISTS "{place.name}"'))
        admin.dispose()


@pytest.mark.slow  # starts gunicorn twice and a puller, and a dozen client commands
@pytest.mark.postgres
def test_the_units_run_on_postgresql_and_a_dump_restores_the_same_pages(
    pg_place, results, tmp_path
):
    if not Path("/proc/self/stat").exists():
        pytest.skip("counting the workers reads Linux's /proc")
    place, pg_env = pg_place
    place.run(doc_line("sudo -u postgres createuser"), pg_env)
    place.run(doc_line("sudo -u postgres createdb"), pg_env)
    pg = make_url(POSTGRES_URL)
    database_url = f"postgresql+psycopg://{place.name}@{pg.host}:{pg.port or 5432}/{place.name}"
    env = unit_env(database_url, results.url("/logs/"), _free_port())
    units = Units(env, tmp_path / "logs")

    def dump() -> None:
        place.run(doc_line("sudo -u pushgate pg_dump"), pg_env)

    try:
        before = serve_and_pull(units, results, while_running=dump)
        engine = make_engine(database_url)
        assert schema_revision(engine) == HEAD  # the web unit's `db upgrade` made the schema
        engine.dispose()
        assert (tmp_path / "bak" / "pushgate.dump").stat().st_size > 0
        for command in (
            "sudo -u postgres dropdb",
            "sudo -u postgres createdb",
            "sudo -u pushgate pg_restore",
        ):
            place.run(doc_line(command), pg_env)
        after = serve_again(units)
    finally:
        units.kill_all()
    assert after == before


@pytest.mark.slow  # starts gunicorn twice and a puller
def test_the_units_run_on_sqlite_and_a_backup_restores_the_same_pages(results, tmp_path):
    if not Path("/proc/self/stat").exists():
        pytest.skip("counting the workers reads Linux's /proc")
    if shutil.which("sqlite3") is None:
        pytest.skip("the sqlite3 shell is not installed (apt-get install sqlite3)")
    place = Place(tmp_path, NAME, "postgres")
    (tmp_path / "lib").mkdir()
    (tmp_path / "bak").mkdir()
    database = tmp_path / "lib" / "pushgate.sqlite"
    env = unit_env(f"sqlite:///{database}", results.url("/logs/"), _free_port())
    units = Units(env, tmp_path / "logs")

    def backups() -> None:
        # Both of the page's ways, while both units run and hold the file open.
        place.run(
            doc_line('sudo -u pushgate sqlite3 /var/lib/pushgate/pushgate.sqlite ".backup'), env
        )
        place.run(
            doc_line('sudo -u pushgate sqlite3 /var/lib/pushgate/pushgate.sqlite "VACUUM INTO'), env
        )

    try:
        before = serve_and_pull(units, results, while_running=backups)
        for backup in ("pushgate.sqlite", "pushgate-vacuumed.sqlite"):
            place.run(doc_line("sudo -u pushgate rm -f"), env)
            assert not database.exists()
            place.run(
                doc_line("sudo -u pushgate cp").replace(
                    "pushgate.sqlite /var/lib", f"{backup} /var/lib"
                ),
                env,
            )
            assert serve_again(units) == before, backup
    finally:
        units.kill_all()
