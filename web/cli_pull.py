"""`pushgate pull`: ingest the new flights of a results server, once or every few seconds."""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click
import requests

from gate.allow import AllowList
from gate.store.db import DatabaseUnavailable
from ingest import notify
from ingest.junit import Overrides
from ingest.pipeline import IngestResult
from ingest.pull import RoundSummary, pull_round
from ingest.pull_http import PullError, make_session
from ingest.pull_index import source_key
from web.context import ALLOW_FILE, FORMAT, Context
from web.progress import QUIET, Reporter

INTERRUPTED = 130  # the shell's status for a command stopped by Ctrl-C


@contextmanager
def stop_on_interrupt(stop: threading.Event) -> Iterator[None]:
    """Turn the first Ctrl-C into a request to stop between flights; a second one stops at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = signal.signal(signal.SIGINT, request_stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _say_failure(where: str, reason: str | None) -> None:
    click.echo(f"pushgate: {where}: {reason}", err=True)


def summary_line(number: int, summary: RoundSummary) -> str:
    """Return a round's one-line summary."""
    if summary.not_modified:
        return f"round {number}: the index is not modified, nothing new"
    line = (
        f"round {number}: {summary.discovered} discovered, {summary.new} new, "
        f"{summary.ingested} ingested"
    )
    if summary.unchanged:
        line += f", {summary.unchanged} unchanged"
    line += f", {summary.failed} failed"
    if summary.pending:
        line += f", {summary.pending} not finished yet"
    return line + (", stopped" if summary.stopped else "")


def _round(
    obj: Context,
    base_url: str,
    number: int,
    *,
    session: requests.Session,
    overrides: Overrides,
    junit_name: str,
    allow: AllowList,
    stop: threading.Event,
    fmt: str,
    progress: Reporter,
) -> bool:
    """Pull one round and report it; return whether it went without failure."""
    try:
        # The round's line on stdout says what it did: plain stderr gets no line of its own.
        with progress.stage(f"round {number}", summary=False) as stage:

            def ingested(result: IngestResult, _position: int, _total: int) -> None:
                stage.advance()
                if result.failed:
                    stage.echo(f"pushgate: {result.path}: {result.error}", err=True)

            summary = pull_round(
                obj.engine(),
                base_url,
                settings=obj.settings,
                overrides=overrides,
                junit_name=junit_name,
                allow=allow,
                session=session,
                progress=ingested,
                stop=stop,
                listed=stage.expect,
            )
    except (PullError, DatabaseUnavailable) as exc:
        _say_failure(source_key(base_url), str(exc))
        if fmt == "json":
            click.echo(
                json.dumps({"round": number, "source": source_key(base_url), "error": str(exc)})
            )
        return False
    if fmt == "json":
        click.echo(json.dumps({"round": number, **summary.as_dict()}))
    else:
        click.echo(summary_line(number, summary))
    return summary.failed == 0


@click.command()
@click.argument("base_url")
@click.option("--once", is_flag=True, help="Pull one round, then stop (the default).")
@click.option(
    "--interval",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Pull a round every SECONDS until interrupted; Ctrl-C stops between flights.",
)
@click.option("--branch", help="Branch of the flights (else osstest.branch, else the default).")
@click.option(
    "--junit-name",
    default="junit.xml",
    show_default=True,
    metavar="NAME",
    help="A listed flight's results document in its directory (NAME.gz when NAME is missing).",
)
@ALLOW_FILE
@FORMAT
@QUIET
@click.pass_obj
def pull(
    obj: Context,
    base_url: str,
    once: bool,
    interval: float | None,
    branch: str | None,
    junit_name: str,
    allow_file: str | None,
    fmt: str,
    quiet: bool,
) -> None:
    """Ingest the new flights of the results server at BASE_URL, in flight order.

    BASE_URL is a JSON index ({"flights": [{"id": 17001, "url": "17001/junit.xml"}]}, urls
    relative to it) or a directory listing like osstest's log server (a link 17001/ is flight
    17001, its results at 17001/NAME). Each flight is ingested like `pushgate ingest` does, and
    the flights already pulled from BASE_URL are never fetched again. A flight that fails to
    fetch or parse gets one line on stderr and is tried again next round; so does a round that
    loses the database (a restarted server), the next one resuming from the cursor. On a
    terminal, a bar on stderr counts a round's new flights.

    The exit status is 1 when a --once round had a failure, 130 when Ctrl-C cut it short.

    Example:

    \b
      pushgate pull http://logs.test-lab.example.org/osstest/logs/ --interval 600
    """
    if once and interval is not None:
        raise click.UsageError("--once and --interval exclude each other")
    overrides = Overrides(branch=branch)
    allow = obj.allow(allow_file)
    stop = threading.Event()
    progress = Reporter(quiet=quiet)
    number = 0
    with make_session(obj.settings) as session, stop_on_interrupt(stop):
        while True:
            number += 1
            clean = _round(
                obj,
                base_url,
                number,
                session=session,
                overrides=overrides,
                junit_name=junit_name,
                allow=allow,
                stop=stop,
                fmt=fmt,
                progress=progress,
            )
            if interval is None or stop.is_set() or stop.wait(interval):
                break
    notify.drain()
    if stop.is_set():
        click.echo(f"pushgate: stopped after round {number}", err=True)
        if interval is None:
            sys.exit(INTERRUPTED)
    elif not clean:
        sys.exit(1)
