"""What every command shares: the settings, the engine, one-sentence errors, common options."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError

from gate.allow import AllowList, AllowListError
from gate.roadmap_import import ImportRefused
from gate.settings import Settings, SettingsError, parse_moment
from gate.store.db import SchemaError, make_engine
from gate.store.roadmap import UnknownRelease
from gate.store.tokens import TokenError
from ingest.roadmap_file import RoadmapError
from ingest.source import read_allow_list
from web.db import ensure_ready

BROKEN_PIPE = 128 + 13  # the exit status of a command that SIGPIPE ended: 141, as the shell says
DEMO_DATABASE = "pushgate-demo.sqlite"  # what `pushgate demo` builds in the current folder
ALLOW_FILE = click.option(
    "--allow-file",
    type=click.Path(dir_okay=False),
    help="Allow list of regressions, read after $PUSHGATE_ALLOW_DIR's files "
    "(default: $PUSHGATE_ALLOW_FILE).",
)
FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Plain text for people, JSON for scripts.",
)


class DatabaseProblem(click.ClickException):
    """A `--database` that cannot be used: one line that says what to do, and exit 2, as for
    any other argument a command cannot take."""

    exit_code = 2


class Context:
    """What every command shares: the settings, and an engine made on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: Engine | None = None

    def engine(self, *, ensure: bool = True) -> Engine:
        if self._engine is None:
            self._engine = engine_of(self.settings.database_url)
            if ensure:
                try:
                    ensure_ready(self._engine, self.settings)
                except SchemaError as exc:
                    raise DatabaseProblem(str(exc)) from None
                except DatabaseError as exc:
                    raise DatabaseProblem(unusable(self.settings.database_url, exc)) from None
        return self._engine

    def reader(self) -> Engine:
        """Return the engine of a command that only reads: a SQLite file that is not there is
        an error, not a new empty database."""
        url = parsed_url(self.settings.database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            path = Path(url.database)
            if not path.exists():
                hint = ""
                if Path(DEMO_DATABASE).exists():
                    hint = f"; the demo's is {DEMO_DATABASE}: --database sqlite:///{DEMO_DATABASE}"
                raise DatabaseProblem(f"no database at {path} (ingest results into it first{hint})")
        return self.engine()

    def allow(self, path: str | None = None) -> AllowList:
        """Read every branch's allow list: PUSHGATE_ALLOW_DIR's, then --allow-file or the setting's."""
        return read_allow_list(path or self.settings.allow_file, directory=self.settings.allow_dir)


def parsed_url(url: str) -> URL:
    """Read a database URL, or say in one sentence that it is none."""
    try:
        return make_url(url)
    except ArgumentError:
        raise DatabaseProblem(
            f"the database URL {url!r} is not a URL such as sqlite:///pushgate.sqlite "
            "or postgresql+psycopg://USER@HOST/DATABASE"
        ) from None


def unusable(url: str, exc: DatabaseError) -> str:
    """Say in one line why the database of a URL cannot be used, and what to do."""
    parsed = parsed_url(url)
    shown = parsed.render_as_string(hide_password=True)
    said = " ".join(str(exc.orig).split())
    if parsed.get_backend_name() == "sqlite":
        hint = "give --database the SQLite file that `pushgate ingest` or `pushgate demo` made"
    else:
        hint = "is the server running, and are the host, port, user and database of the URL right?"
    return f"cannot use the database {shown}: {said} ({hint})"


def engine_of(url: str) -> Engine:
    """Make the engine of a database URL, or say in one sentence why it cannot be made."""
    shown = parsed_url(url).render_as_string(hide_password=True)
    try:
        return make_engine(url)
    except NoSuchModuleError:
        raise DatabaseProblem(
            f"the database URL {shown} names a kind of database SQLAlchemy does not know: "
            "use sqlite:///FILE or postgresql+psycopg://USER@HOST/DATABASE"
        ) from None
    except ImportError as exc:
        wanted = exc.name or "its driver"
        hint = " (pip install 'pushgate[postgres]')" if "psycopg" in wanted else ""
        raise DatabaseProblem(
            f"the database URL {shown} needs the Python package {wanted}, "
            f"which is not installed{hint}"
        ) from None


class Group(click.Group):
    """A click group that turns the errors a user can fix into one sentence, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SchemaError as exc:
            raise DatabaseProblem(str(exc)) from None
        except (
            SettingsError,
            AllowListError,
            RoadmapError,
            ImportRefused,
            UnknownRelease,
            TokenError,
        ) as exc:
            raise click.ClickException(str(exc)) from None
        except OperationalError as exc:
            raise click.ClickException(f"database error: {exc.orig}") from None
        except BrokenPipeError:
            # The reader of our output went away (`pushgate flights | head -1`): end quietly,
            # as `ls | head` does, and let nothing more be written to the closed pipe.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(BROKEN_PIPE)
        except OSError as exc:  # a file named on the command line
            where = exc.filename if exc.filename is not None else "a file"
            raise click.ClickException(f"{where}: {exc.strerror or exc}") from None


def parse_now(value: str | None) -> datetime:
    """Read a --now date; without one, the clock."""
    if value is None:
        return datetime.now(UTC)
    try:
        return parse_moment(value)
    except SettingsError as exc:
        raise click.BadParameter(str(exc)) from None
