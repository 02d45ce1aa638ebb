"""`pushgate triage`: the known issues' rules, imported from a TOML file (docs/triage.md) and
listed as in force at a moment; and the blocking steps accepted for a release (readiness only)."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, date, datetime
from typing import Any

import click
from sqlalchemy.orm import Session

from gate.acceptance import AcceptanceError
from gate.keep.acceptance import keep_acceptance
from gate.model import TestKey
from gate.pages.acceptance import accepted
from gate.pages.triage import triage_rules
from gate.store.acceptance import NotAccepted
from gate.store.db import unit_of_work
from gate.store.triage import RuleVersion, rule_versions, rules_in_force, save_plan
from gate.triage import RulePlan, describe, plan_rules
from ingest.triage_file import TriageFileError, read_rules
from web.context import FORMAT, Context, Group, parse_now
from web.twin import to_json


def os_user() -> str:
    """Return the name of who runs the command, as the operating system knows them."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment nor the password database
        return "unknown"


@click.group(cls=Group)
def triage() -> None:
    """Say what is known of the failures: the known issues' rules, and accepted regressions."""


@triage.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--dry-run", is_flag=True, help="Say what the import would change, and change nothing."
)
@click.option("--by", "by", metavar="NAME", help="Who makes the change (default: the OS user).")
@click.option(
    "--retire-missing",
    is_flag=True,
    help="Retire the rules in force that FILE does not name (default: kept).",
)
@click.option(
    "--as-of",
    "as_of_text",
    metavar="DATE",
    help="When the changes take effect (default: now); the pages as of before it do not show them.",
)
@click.pass_obj
def triage_import(
    obj: Context,
    file: str,
    dry_run: bool,
    by: str | None,
    retire_missing: bool,
    as_of_text: str | None,
) -> None:
    """Import FILE, the known issues' rules (docs/triage.md): print what it changes (rules
    created, changed old -> new, retired), then keep each change as a new version with who
    made it and when. A rule applies to past failures as well as future ones.

    Example:

    \b
      pushgate triage import --dry-run known-issues.toml
    """
    with click.open_file(file, encoding="utf-8") as f:
        text = f.read()
    try:
        wanted = read_rules(text, "standard input" if file == "-" else file)
    except TriageFileError as exc:
        raise click.ClickException(str(exc)) from None
    at = parse_now(as_of_text)
    plan: RulePlan
    if dry_run:
        with Session(obj.reader()) as session:
            current = {r.name: r for r in rules_in_force(session, at)}
        plan = plan_rules(current, wanted, retire_missing=retire_missing)
    else:
        with unit_of_work(obj.engine()) as session:
            current = {r.name: r for r in rules_in_force(session, at)}
            plan = plan_rules(current, wanted, retire_missing=retire_missing)
            save_plan(session, plan, at, by or os_user())
    for line in plan.lines():
        click.echo(line)
    if dry_run:
        click.echo("dry run: nothing was stored")


def _line(version: RuleVersion) -> str:
    return f"{version.rule.name}: {describe(version.rule)} (by {version.by}, {version.at:%Y-%m-%d %H:%M})"


@triage.command("rules")
@FORMAT
@click.option(
    "--as-of", "as_of_text", metavar="DATE", help="The rules in force then (default: now)."
)
@click.pass_obj
def triage_list(obj: Context, fmt: str, as_of_text: str | None) -> None:
    """List the rules in force, each with who made its version and when.

    Example:

    \b
      pushgate triage rules --as-of 2013-03-18 --format json
    """
    with Session(obj.reader()) as session:
        found = triage_rules(session, parse_now(as_of_text))
    if fmt == "json":
        click.echo(json.dumps(to_json(found), indent=2))
        return
    for version in found:
        click.echo(_line(version))
    if not found:
        click.echo("no rules")


@triage.command("history")
@click.argument("name", required=False)
@FORMAT
@click.pass_obj
def triage_history(obj: Context, name: str | None, fmt: str) -> None:
    """List every version of the rules (of the rule NAME), oldest first: what each said, who
    made it and when.

    Example:

    \b
      pushgate triage history guest-start-timeout
    """
    with Session(obj.reader()) as session:
        found = rule_versions(session, name=name)
    if fmt == "json":
        shown: Any = to_json(found)
        click.echo(json.dumps(shown, indent=2))
        return
    for version in found:
        said = "retired" if version.retired else describe(version.rule)
        when = f"{version.at:%Y-%m-%d %H:%M}"
        click.echo(f"{when}  {version.by}  {version.rule.name}: {said}")
    if not found:
        click.echo("no rules" if name is None else f"no rule named {name!r}")


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
        try:
            made = keep_acceptance(
                session,
                obj.settings.policy(),
                release,
                key,
                by,
                reason,
                until or now.date(),
                now,
                withdrawn=withdraw,
            )
        except (AcceptanceError, NotAccepted) as exc:
            raise click.ClickException(str(exc)) from None
        name = made.release
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
