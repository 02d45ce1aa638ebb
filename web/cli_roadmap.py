"""The roadmap commands: import and export a release's roadmap, judge its features, and show
their status update and readiness over time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time

import click
from sqlalchemy.orm import Session

from gate.keep.days import keep_days
from gate.keep.freeze import freeze_due
from gate.pages.features import feature_detail, release_dates
from gate.pages.features import features as read_features
from gate.pages.readiness import coverage
from gate.pages.status import status_mail
from gate.pages.timeline import release_readiness
from gate.read.features import FeaturePage
from gate.read.status import SinceNotBefore, StatusReport
from gate.read.timeline import ReadinessTimeline
from gate.settings import SettingsError, parse_moment
from gate.status_mail import render_markdown
from gate.store.db import unit_of_work
from gate.store.roadmap import load_roadmap, plan_update, release_record, save_plan
from ingest.mail import Mail, MailError, addresses
from ingest.mail import send as send_mail
from ingest.roadmap_file import TEMPLATE, read_update, render_roadmap
from web.context import FORMAT, Context, Group, parse_now
from web.twin import to_json
from web.words import days_from_now, percent


@click.group(cls=Group)
def roadmap() -> None:
    """Import and export the release's roadmap (a TOML file)."""


@roadmap.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--dry-run", is_flag=True, help="Say what the import would change, and change nothing."
)
@click.option(
    "--as-of",
    "as_of_text",
    metavar="DATE",
    help="The date of the update (default: the file's `as_of`, else today).",
)
@click.option(
    "--new-release",
    is_flag=True,
    help="Import a release that is new although most of its features are another release's.",
)
@click.option(
    "--drop-missing",
    is_flag=True,
    help="Declare the release's features that the file does not name dropped (default: kept).",
)
@click.pass_obj
def roadmap_import(
    obj: Context,
    file: str,
    dry_run: bool,
    as_of_text: str | None,
    new_release: bool,
    drop_missing: bool,
) -> None:
    """Import FILE, one dated update of a release's roadmap (docs/roadmap.md): print what it
    changes (new features, statuses old -> new, updates, features missing from it), then store
    it. Only the release that FILE names is touched.

    Example:

    \b
      pushgate roadmap import --dry-run roadmap-4.4.toml
    """
    with click.open_file(file, encoding="utf-8") as f:
        text = f.read()
    update = read_update(text, "standard input" if file == "-" else file)
    clock = datetime.now(UTC)
    if as_of_text is not None:
        try:
            as_of = parse_moment(as_of_text)
        except SettingsError as exc:
            raise click.BadParameter(str(exc), param_hint="'--as-of'") from None
    else:
        as_of = update.as_of or datetime.combine(clock.date(), time(), tzinfo=UTC)
    if dry_run:
        with Session(obj.reader()) as session:
            plan = plan_update(
                session, update, as_of, new_release=new_release, drop_missing=drop_missing
            )
    else:
        with unit_of_work(obj.engine()) as session:
            plan = plan_update(
                session, update, as_of, new_release=new_release, drop_missing=drop_missing
            )
            if plan.changed:
                save_plan(session, plan, clock)
                # Flights stored already may have passed a freeze: it is kept from them.
                freeze_due(session, obj.settings.policy(), clock)
                keep_days(session, obj.settings.policy())  # every day of the release, anew
    for line in plan.lines():
        click.echo(line)
    if dry_run:
        click.echo("dry run: nothing was stored")


def sent_to(obj: Context, mail: Mail) -> None:
    """Send a mail, and say where it went; a server that refuses it is one sentence, exit 1."""
    try:
        where = send_mail(obj.settings, mail)
    except MailError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"sent to {where}", err=True)


@roadmap.command("export")
@click.option("--release", help="Release name (default: the latest).")
@click.option(
    "--history",
    is_flag=True,
    help="Write every earlier update and declaration too, so that another store gets them all.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    help="Write the TOML to this file (default: standard output).",
)
@click.pass_obj
def roadmap_export(obj: Context, release: str | None, history: bool, output: str) -> None:
    """Write the release's roadmap as its newest update, TOML that imports back to no change.

    Example:

    \b
      pushgate roadmap export --release 4.3 --history -o roadmap-4.3.toml
    """
    with Session(obj.reader()) as session:
        found, features = load_roadmap(session, release)
    newest = found.updates[-1] if found.updates else None
    text = render_roadmap(
        found,
        features,
        as_of=newest.at if newest else None,
        summary=newest.summary if newest else "",
        history=history,
    )
    with click.open_file(output, "w", encoding="utf-8") as f:
        f.write(text)


@roadmap.command("template")
def roadmap_template() -> None:
    """Print a commented roadmap file to start from.

    Example:

    \b
      pushgate roadmap template > roadmap.toml
    """
    click.echo(TEMPLATE, nl=False)


NOW = click.option(
    "--now",
    "--as-of",
    "now_text",
    metavar="DATE",
    help="Judge as of this date: only flights started by then count (default: today).",
)


def _rate(value: float | None) -> str:
    return percent(value, "-")  # a command's table: plain ASCII


@click.command()
@click.option("--release", help="Release name (default: the latest).")
@NOW
@FORMAT
@click.pass_obj
def features(obj: Context, release: str | None, now_text: str | None, fmt: str) -> None:
    """Show every feature's readiness: its declaration next to its tests' evidence.

    Example:

    \b
      pushgate features --release 4.3 --now 2013-03-18
    """
    now = parse_now(now_text)
    with Session(obj.reader()) as session:
        release_record(session, release)  # no such release: one sentence, not an empty table
        dates = release_dates(session, now, release)
        rows = read_features(session, obj.settings.policy(), now, release)
    assert dates is not None
    if fmt == "json":
        click.echo(json.dumps(to_json(rows), indent=2))
        return
    click.echo(
        f"release {dates.release} on {dates.branch}: feature freeze {dates.feature_freeze} "
        f"({days_from_now(dates.days_to_feature_freeze)}), code freeze {dates.code_freeze} "
        f"({days_from_now(dates.days_to_code_freeze)}), release {dates.release_date} "
        f"({days_from_now(dates.days_to_release)})"
    )
    click.echo(
        f"{'feature':<28} {'readiness':<10} {'declared':<8} {'pass':>5} {'tests':>5} "
        f"{'block':>5}  owners"
    )
    for r in rows:
        flag = "!" if r.mismatch else " "
        owners = ", ".join(r.owners) or "?"
        click.echo(
            f"{r.slug:<28} {r.readiness.value:<10} {r.declared_status.value:<8} "
            f"{_rate(r.pass_rate):>5} {len(r.tests):>5} {len(r.blocking):>5}{flag} {owners}"
        )
    if any(r.mismatch for r in rows):
        click.echo("! the declared status contradicts the tests")


def _feature_text(f: FeaturePage) -> str:
    lines = [
        f"{f.slug}: {f.title}",
        f"  owners:     {', '.join(f.owners) or '?'}",
        f"  declared:   {f.declared_status.value}",
        f"  readiness:  {f.readiness.value}"
        + ("  (contradicts the declaration)" if f.mismatch else ""),
        f"  pass rate:  {_rate(f.pass_rate)} over {len(f.series)} flights",
        f"  projection: {f.projection.text}",
        f"  patterns:   {', '.join(f.patterns) or '(none)'}",
        f"  tests:      {len(f.tests)} linked",
    ]
    if f.notes:
        lines.append(f"  notes:      {f.notes}")
    lines.append("reasons:")
    lines += [f"  - {reason}" for reason in f.reasons]
    lines.append("history:")
    lines += [
        f"  {c.at:%Y-%m-%d %H:%M} {c.from_.value if c.from_ else '(new)'} -> {c.to.value}"
        + (f"  ({c.note})" if c.note else "")
        for c in f.history
    ]
    return "\n".join(lines)


@click.command()
@click.argument("slug")
@click.option("--release", help="Release name (default: the latest).")
@NOW
@FORMAT
@click.pass_obj
def feature(obj: Context, slug: str, release: str | None, now_text: str | None, fmt: str) -> None:
    """Show one feature: readiness, reasons, projection and status history.

    Example:

    \b
      pushgate feature pvh --release 4.3
    """
    with Session(obj.reader()) as session:
        release_record(session, release)  # no such release: one sentence
        match = feature_detail(session, slug, obj.settings.policy(), parse_now(now_text), release)
    if match is None:
        raise click.ClickException(f"no feature {slug!r}")
    if fmt == "json":
        click.echo(json.dumps(to_json(match), indent=2))
    else:
        click.echo(_feature_text(match))


@click.command()
@click.option("--release", help="Release name (default: the latest).")
@FORMAT
@click.pass_obj
def links(obj: Context, release: str | None, fmt: str) -> None:
    """List tests of the release branch linked to no feature, and features no test serves.

    Example:

    \b
      pushgate links --release 4.3
    """
    with Session(obj.reader()) as session:
        found = coverage(session, release)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "unlinked_tests": [str(k) for k in found.unlinked_tests],
                    "untested_features": [f.slug for f in found.untested_features],
                },
                indent=2,
            )
        )
        return
    click.echo(f"tests linked to no feature: {len(found.unlinked_tests)}")
    for key in found.unlinked_tests:
        click.echo(f"  {key}")
    click.echo(f"features linked to no test that has run: {len(found.untested_features)}")
    for f in found.untested_features:
        click.echo(f"  {f.slug}  ({', '.join(str(p) for p in f.tests) or 'no patterns'})")


@roadmap.command("status")
@click.option("--release", help="Release name (default: the latest).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="A plain-text mail, markdown for a wiki or an issue, or JSON (the page's twin).",
)
@click.option(
    "--since",
    "since_text",
    metavar="DATE",
    help="The last update: say what changed since then (default: a week before --now).",
)
@NOW
@click.option(
    "--send", is_flag=True, help="Mail the update (as text) over SMTP (PUSHGATE_SMTP_HOST...)."
)
@click.option(
    "--to", "to", multiple=True, metavar="ADDRESS", help="Whom --send mails it to (repeatable)."
)
@click.pass_obj
def roadmap_status(
    obj: Context,
    release: str | None,
    fmt: str,
    since_text: str | None,
    now_text: str | None,
    send: bool,
    to: tuple[str, ...],
) -> None:
    """Write the release's status update, as a release coordinator mails it: the freeze
    countdown, every feature by readiness with what its tests show, what changed since the last
    update, and the features that need an owner.

    Example:

    \b
      pushgate roadmap status --release 4.3 --format markdown
    """
    now = parse_now(now_text)
    try:
        since = None if since_text is None else parse_now(since_text)
        with Session(obj.reader()) as session:
            mail = status_mail(
                session,
                obj.settings.policy(),
                now,
                release,
                since=since,
                base_url=obj.settings.base_url,
            )
    except (click.BadParameter, SinceNotBefore) as exc:
        raise click.BadParameter(str(exc), param_hint="'--since'") from None
    if send or to:
        sent_to(obj, Mail(addresses(to), mail.title, StatusReport.of(mail).text))
        return
    if fmt == "markdown":
        click.echo(render_markdown(mail), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(to_json(StatusReport.of(mail)), indent=2))
    else:
        click.echo(StatusReport.of(mail).text, nl=False)


@roadmap.command("readiness")
@click.option("--release", help="Release name (default: the latest).")
@click.option("--feature", "slug", metavar="SLUG", help="One feature's readiness and pass rate.")
@NOW
@FORMAT
@click.pass_obj
def roadmap_readiness(
    obj: Context, release: str | None, slug: str | None, now_text: str | None, fmt: str
) -> None:
    """Show the release's readiness day by day over its cycle: how many features were in each
    state as of the end of each day (the overview's burn-down), or one feature's readiness.

    Example:

    \b
      pushgate roadmap readiness --release 4.3 --feature pvh
    """
    with Session(obj.reader()) as session:
        found = release_readiness(
            session, obj.settings.policy(), parse_now(now_text), release, feature=slug
        )
    if slug is not None and not found.features:
        raise click.ClickException(f"no feature {slug!r} in release {found.release.release}")
    if fmt == "json":
        click.echo(json.dumps(to_json(found), indent=2))
    else:
        click.echo(_readiness_text(found, slug is not None))


def _readiness_text(found: ReadinessTimeline, one: bool) -> str:
    r = found.release
    days = found.days
    span = f"{days[0].day} to {days[-1].day}" if days else "no day yet"
    title = found.features[0].title if one else f"release {r.release}"
    lines = [
        f"Readiness of {title} day by day, {span} (feature freeze {r.feature_freeze}, "
        f"{days_from_now(r.days_to_feature_freeze)}; code freeze {r.code_freeze}, "
        f"{days_from_now(r.days_to_code_freeze)})"
    ]
    if one:
        lines.append(f"{'day':<10}  {'readiness':<9}  pass rate")
        lines += [
            f"{d.day}  {d.readiness.words:<9}  {_rate(d.pass_rate)}" for d in found.features[0].days
        ]
        return "\n".join(lines)
    names = [state.words for state in found.readiness_states]
    lines.append("  ".join([f"{'day':<10}", *names]))
    for d in days:
        counts = [
            f"{d.counts[state]:>{len(name)}}"
            for state, name in zip(found.readiness_states, names, strict=True)
        ]
        lines.append("  ".join([str(d.day), *counts]))
    return "\n".join(lines)
