"""`pushgate triage`: the known issues' rules, imported from a TOML file (docs/triage.md) and
listed as in force at a moment."""

from __future__ import annotations

import getpass
import json
from typing import Any

import click
from sqlalchemy.orm import Session

from gate.pages.triage import triage_rules
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
    """Import and list the known issues' rules, which say what failures are."""


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
