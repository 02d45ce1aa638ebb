"""`pushgate triage`: accept a blocking step for a release (readiness only), and list what is
accepted."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import click
from sqlalchemy.orm import Session

from gate.acceptance import AcceptanceError, acceptance
from gate.keep.days import keep_days
from gate.model import TestKey
from gate.pages.acceptance import accepted
from gate.store.acceptance import NotAccepted, save_acceptance
from gate.store.db import unit_of_work
from gate.store.roadmap import release_record
from web.context import FORMAT, Context, Group, parse_now
from web.twin import to_json


@click.group(cls=Group)
def triage() -> None:
    """Say what is known of the failures: accept a blocking step for a release."""


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date: write it as YYYY-MM-DD", param_hint="'--until'"
        ) from None


@triage.command("accept")
@click.argument("job")
@click.argument("testid")
@click.option("--release", help="The release it is accepted for (default: the newest).")
@click.option("--by", "by", required=True, metavar="NAME", help="Who accepts it.")
@click.option("--until", "until_text", metavar="DATE", help="The last day it holds (YYYY-MM-DD).")
@click.option("--reason", default="", metavar="TEXT", help="Why it is accepted.")
@click.option("--withdraw", is_flag=True, help="Withdraw the acceptance from now on.")
@click.pass_obj
def triage_accept(
    obj: Context,
    job: str,
    testid: str,
    release: str | None,
    by: str,
    until_text: str | None,
    reason: str,
    withdraw: bool,
) -> None:
    """Accept JOB TESTID for a release: from now through --until its regression does not block
    the features it tests (each shows it as readiness debt). The push gate is unchanged: a
    flight's verdict stays osstest's (the allow list is the push side's tool).

    Example:

    \b
      pushgate triage accept test-amd64-amd64-pair guest-migrate --release 4.3 --by Ian --until 2013-04-01 --reason 'known bug'
    """
    until = _day(until_text)
    if until is None and not withdraw:
        raise click.UsageError("an acceptance has an expiry: give --until DATE")
    now = datetime.now(UTC)
    key = TestKey(job, testid)
    with unit_of_work(obj.engine()) as session:
        name = release_record(session, release).name
        try:
            made = acceptance(name, key, by, reason, until or now.date(), now, withdrawn=withdraw)
            save_acceptance(session, made)
        except (AcceptanceError, NotAccepted) as exc:
            raise click.ClickException(str(exc)) from None
        keep_days(session, obj.settings.policy())  # the days it holds, judged again
    if withdraw:
        click.echo(f"withdrawn: {key} for {name}, by {made.by}")
    else:
        click.echo(f"accepted: {key} for {name}, {made.words}")


@triage.command("accepted")
@click.option("--release", help="The release (default: the newest).")
@click.option(
    "--now", "--as-of", "now_text", metavar="DATE", help="List what held then (default: now)."
)
@FORMAT
@click.pass_obj
def triage_accepted(obj: Context, release: str | None, now_text: str | None, fmt: str) -> None:
    """List the blocking steps accepted for a release: by whom, until when, why.

    Example:

    \b
      pushgate triage accepted --release 4.3 --format json
    """
    now = parse_now(now_text)
    with Session(obj.reader()) as session:
        found = accepted(session, now, release)
    if fmt == "json":
        click.echo(json.dumps(to_json(found), indent=2))
        return
    if not found.accepted:
        click.echo(f"nothing is accepted for {found.release}")
    for a in found.accepted:
        click.echo(f"{a.key}: {a.words} (since {a.at:%Y-%m-%d %H:%M})")
