"""The benchmark's child processes: the pushgate under test, and what it is made of.

Every command runs in the scratch directory, so that no `python -c` child imports the packages
of the current directory instead of those of the pushgate under test.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Run by the pushgate's own Python: where its packages are, a digest of their source (a history
# built by other code is another history) and the versions of what it runs on.
PROBE = """import hashlib, json, sqlite3, sys
from importlib import metadata
from pathlib import Path
import gate, ingest, web

digest = hashlib.sha256()
for package in (gate, ingest, web):
    root = Path(package.__file__).parent
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root.parent)).encode() + b"\\0" + path.read_bytes())

def version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None

print(json.dumps({
    "source": str(Path(gate.__file__).resolve().parent.parent),
    "digest": digest.hexdigest(),
    "python": sys.version.split()[0],
    "sqlite": sqlite3.sqlite_version,
    "sqlalchemy": version("sqlalchemy"),
    "psycopg": version("psycopg"),
    "lxml": version("lxml"),
}))
"""
# Ingests in the pushgate's own Python, so that the peak RSS it prints is exactly the ingest's.
RSS_WRAPPER = """import resource, sys
from web.cli import main
try:
    main(sys.argv[1:], prog_name="pushgate")
finally:
    print("maxrss", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


class CommandFailed(RuntimeError):
    """A child process exited with an error, or did not store what it was given."""


@dataclass(frozen=True)
class Pushgate:
    """The pushgate under test: its executable, its Python, and what its source is."""

    executable: Path
    python: str
    cwd: Path
    source: str
    digest: str
    versions: dict[str, str | None]

    @classmethod
    def at(cls, executable: Path, cwd: Path) -> Pushgate:
        """Describe the pushgate of an executable, asking its own Python."""
        if not executable.is_file():
            raise CommandFailed(f"there is no pushgate at {executable}")
        python = _interpreter(executable)
        _, out, _ = run([python, "-c", PROBE], cwd)
        found = json.loads(out)
        source, digest = found.pop("source"), found.pop("digest")
        return cls(executable, python, cwd, source, digest, found)

    def revision(self) -> str:
        """Say which commit its source is at, when it is a git checkout (read-only git)."""
        git = ["git", "--no-optional-locks", "-C", self.source]
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
        if head.returncode != 0:
            return "not a git checkout"
        status = [*git, "status", "--porcelain", "--", "gate", "ingest", "web"]
        changed = subprocess.run(status, capture_output=True, text=True).stdout.strip()
        return f"git {head.stdout.strip()}" + (" with uncommitted changes" if changed else "")

    def command(self, url: str, *args: str) -> list[str]:
        """Return the command line of a pushgate command on a database."""
        return [str(self.executable), "--database", url, *args]

    def upgrade(self, url: str) -> None:
        """Create the schema, untimed: a store is created once and ingested into for years."""
        run(self.command(url, "db", "upgrade"), self.cwd)

    def ingest(
        self, url: str, directory: Path, testcases: int, rss: bool = False
    ) -> tuple[float, list[dict[str, object]], str]:
        """Ingest a directory and check that all of it was stored; return the seconds taken,
        the result of each flight and stderr."""
        command = self.command(url, "ingest", "--format", "json", str(directory))
        if rss:
            command = [self.python, "-c", RSS_WRAPPER, *command[1:]]
        seconds, stdout, stderr = run(command, self.cwd)
        results = [json.loads(line) for line in stdout.splitlines()]
        check_stored(results, testcases)
        return seconds, results, stderr

    def ingest_watched(
        self, url: str, directory: Path, testcases: int, say: Callable[[int, float], None]
    ) -> tuple[float, list[dict[str, object]]]:
        """Ingest a directory as `ingest` does, telling `say` how far it got every 100 flights."""
        command = self.command(url, "ingest", "--format", "json", str(directory))
        start, results = time.perf_counter(), []
        with subprocess.Popen(
            command, cwd=self.cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as child:
            assert child.stdout is not None and child.stderr is not None
            for line in child.stdout:
                results.append(json.loads(line))
                if len(results) % 100 == 0:
                    say(len(results), time.perf_counter() - start)
            stderr = child.stderr.read()
        if child.returncode != 0:
            raise CommandFailed(f"{command[0]} exited {child.returncode}:\n{stderr}")
        check_stored(results, testcases)
        return time.perf_counter() - start, results

    def flights(self, url: str, limit: int) -> list[dict[str, object]]:
        """Return the stored flights, newest first, as `pushgate flights --format json` lists them."""
        _, out, _ = run(
            self.command(url, "flights", "--limit", str(limit), "--format", "json"), self.cwd
        )
        return list(json.loads(out)["flights"])


def _interpreter(executable: Path) -> str:
    with executable.open("rb") as script:
        first = script.readline().decode(errors="replace").strip()
    if first.startswith("#!") and "python" in first:
        return first[2:].split()[0]
    if executable.with_name("python").is_file():
        return str(executable.with_name("python"))
    raise CommandFailed(f"cannot tell which Python runs {executable}")


def check_stored(results: list[dict[str, object]], testcases: int) -> None:
    """Make sure that every flight was created and that all the testcases were stored."""
    stored = sum(int(r["tests"]) for r in results if r["status"] == "created")  # type: ignore[call-overload]
    if stored != testcases:
        raise CommandFailed(f"pushgate stored {stored} testcases, not {testcases}")


def run(command: list[str], cwd: Path) -> tuple[float, str, str]:
    """Run a command; return its wall-clock seconds, stdout and stderr; raise if it fails."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise CommandFailed(f"{command[0]} exited {done.returncode}:\n{done.stderr}")
    return seconds, done.stdout, done.stderr


def floor(directory: Path, url: str, rows: int, cwd: Path) -> float:
    """Load a directory with the floor in a process of its own; return the seconds taken."""
    script = Path(__file__).with_name("floor.py")
    seconds, stdout, _ = run([sys.executable, str(script), str(directory), url], cwd)
    if int(stdout) != rows:
        raise CommandFailed(f"the floor stored {stdout.strip()} rows, not {rows}")
    return seconds
