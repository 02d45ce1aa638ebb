"""The `pushgate` command: a thin shell over ingest and gate. Each command reads, calls, prints."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.parser import HeaderParser
from functools import partial
from pathlib import Path

import click
from click.core import ParameterSource
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from gate import __version__
from gate.acceptance import acceptance
from gate.keep.days import keep_days
from gate.keep.freeze import freeze_due
from gate.model import Finding, TestKey
from gate.pages.flights import flight_detail, flight_report, flights_page
from gate.retention import DELETE_FACTOR, Retention, RetentionError
from gate.settings import Settings, SettingsError
from gate.store.acceptance import save_acceptance
from gate.store.db import (
    DatabaseLocked,
    analyze,
    ensure_schema,
    make_engine,
    rebuild_summaries,
    unit_of_work,
    upgrade,
    write_retrying,
)
from gate.store.flights import flight_stored
from gate.store.prune import BATCH, Stage
from gate.store.prune import prune as prune_store
from gate.store.roadmap import plan_update, save_plan
from gate.store.triage import save_plan as save_triage
from gate.triage import plan_rules
from ingest import notify
from ingest.git_log import history
from ingest.junit import Overrides
from ingest.mail import Mail, addresses
from ingest.pipeline import IngestResult, ingest_paths
from ingest.roadmap_file import read_update
from ingest.source import NotATreeRevision, expand, read_allow_list, tree_revisions
from ingest.triage_file import read_rules
from web.cli_compare import compare
from web.cli_pull import pull
from web.cli_roadmap import feature, features, links, roadmap, sent_to
from web.cli_tokens import token
from web.cli_triage import triage
from web.context import ALLOW_FILE, DEMO_DATABASE, FORMAT, Context, Group, parse_now
from web.progress import QUIET, Reporter
from web.twin import to_json


@click.group(cls=Group, name="pushgate")
@click.option(
    "--database",
    metavar="URL",
    help="SQLAlchemy URL of the store [default: $PUSHGATE_DATABASE_URL or sqlite:///pushgate.sqlite].",
)
@click.version_option(__version__, prog_name="pushgate")
@click.pass_context
def main(ctx: click.Context, database: str | None) -> None:
    """Judge CI flights like osstest's push gate and show per-feature readiness."""
    try:
        settings = Settings.from_env(os.environ, database_url=database)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    ctx.obj = Context(settings)


@main.group(cls=Group)
def db() -> None:
    """Manage the database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(obj: Context) -> None:
    """Create the schema, or upgrade it to this pushgate's version.

    Example:

    \b
      pushgate --database postgresql+psycopg://gate@db.example.org/pushgate db upgrade
    """
    before, after = upgrade(obj.engine(ensure=False))
    _keep_days(obj)
    if before == after:
        click.echo(f"schema is up to date ({after})")
    else:
        click.echo(f"schema upgraded from {before or 'nothing'} to {after}")


@db.command("rebuild-summaries")
@click.pass_obj
def db_rebuild_summaries(obj: Context) -> None:
    """Work out again, from the stored steps, every summary the pages read (after a restore, or
    to check the kept ones): the roadmap's links, step counts per flight and feature, first
    passes.

    Example:

    \b
      pushgate db rebuild-summaries
    """
    engine = obj.reader()
    click.echo("rebuilding the summaries from the stored steps...", err=True)
    rebuild_summaries(engine)
    _keep_days(obj)
    analyze(engine)
    click.echo("summaries rebuilt")


def _keep_days(obj: Context) -> None:
    """Judge and keep the readiness of the days that are not kept (`gate.keep.days`)."""
    # Beside ingesters (a prune may run among them), as retried as theirs are.
    work = partial(keep_days, policy=obj.settings.policy())
    try:
        write_retrying(obj.engine(), work, attempts=obj.settings.write_attempts)
    except DatabaseLocked as exc:
        raise click.ClickException(f"the readiness of the days was not kept: {exc}") from None


def _days_or_never(_ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    if value is None or value == "never":
        return None
    if not value.isdigit() or int(value) < 1:
        raise click.BadParameter(
            f"expected a number of days or `never`, got {value!r}", param=param
        )
    return int(value)


@main.command()
@click.option(
    "--older-than",
    "older_than",
    type=click.IntRange(min=1),
    required=True,
    metavar="DAYS",
    help="Clear the output excerpts of the flights older than this.",
)
@click.option(
    "--delete-after",
    metavar="DAYS|never",
    callback=_days_or_never,
    help=f"Delete the flights older than this, but the protected ones "
    f"[default: {DELETE_FACTOR} times --older-than].",
)
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=BATCH,
    show_default=True,
    metavar="FLIGHTS",
    help="Flights per transaction.",
)
@click.option("--dry-run", is_flag=True, help="Say what would be done, and do nothing.")
@click.option(
    "--now",
    "--as-of",
    "now_text",
    metavar="DATE",
    help="Count the ages from this date (default: $PUSHGATE_NOW, else today).",
)
@click.pass_obj
def prune(
    obj: Context,
    older_than: int,
    delete_after: int | None,
    batch: int,
    dry_run: bool,
    now_text: str | None,
) -> None:
    """Clear the output excerpts of old flights' steps, and delete older flights whole.

    A flight's age counts from its start (else its ingest). Its steps' messages stay. A flight
    is never deleted while it is the newest flight or the last push of its branch, or a
    baseline flight or retest of a flight kept for its age or as one of those. Kept flights
    keep their verdicts, and a test that passed in a deleted flight still passed before the
    later ones. Each batch of flights is a transaction of its own, so the dashboard and the
    other writers are not kept waiting. On SQLite the file keeps its size (the space is
    reused): `sqlite3 FILE VACUUM`, run while nothing else uses it, gives it back.

    Example:

    \b
      pushgate prune --older-than 400 --dry-run
    """
    given = click.get_current_context().get_parameter_source("delete_after")
    try:
        if given is ParameterSource.DEFAULT:
            retention = Retention.default(older_than)
        else:
            retention = Retention(older_than, delete_after)
    except RetentionError as exc:
        raise click.UsageError(str(exc)) from None
    now = parse_now(now_text or obj.settings.now or None)
    attempts = obj.settings.write_attempts
    done = {Stage.OUTPUTS: "cleared the outputs of", Stage.FLIGHTS: "pruned"}

    def progress(stage: Stage, count: int, total: int) -> None:
        click.echo(f"{done[stage]} {count}/{total} flights...", err=True)

    def retrying(attempt: int) -> None:
        locked = "the database is locked by another writer"
        click.echo(f"pushgate: {locked}, attempt {attempt} of {attempts}", err=True)

    try:
        pruned = prune_store(
            obj.engine(),
            retention,
            now,
            batch=batch,
            attempts=attempts,
            dry_run=dry_run,
            progress=progress,
            retrying=retrying,
        )
    except DatabaseLocked as exc:
        raise click.ClickException(
            f"the database stayed locked by another writer through {exc.attempts} attempts: "
            "the batches before were pruned, run the prune again for the rest"
        ) from None
    if not dry_run:
        _keep_days(obj)  # the days whose flights were deleted, judged again
    click.echo(pruned.sentence())


def _tree_revisions(
    _ctx: click.Context, param: click.Parameter, values: Sequence[str]
) -> dict[str, str]:
    try:
        return tree_revisions(values)
    except NotATreeRevision as exc:
        raise click.BadParameter(str(exc), param=param) from None


def _result_line(result: IngestResult) -> str:
    counts = result.as_dict()
    return (
        f"{result.status:<9} flight {result.flight} {result.branch} {result.verdict}: "
        f"{counts['tests']} tests, {counts['failures']} failed, {counts['errors']} broken, "
        f"{counts['skipped']} skipped  {result.path}"
    ) + "".join(f"\n          {change}" for change in result.changes)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--branch", help="Branch of the flight (else osstest.branch, else the default).")
@click.option("--flight", type=click.IntRange(min=1), help="Flight number (one input only).")
@click.option(
    "--revision",
    "revisions",
    multiple=True,
    metavar="TREE=SHA",
    callback=_tree_revisions,
    help="A tested revision; repeat for several trees.",
)
@click.option(
    "--baseline",
    "baseline",
    multiple=True,
    metavar="TREE=SHA",
    callback=_tree_revisions,
    help="A baseline revision; repeat for several trees.",
)
@click.option("--blessing", help="Blessing of the flight (default: osstest.blessing, else real).")
@click.option("--replace", is_flag=True, help="Replace a stored flight whose content differs.")
@ALLOW_FILE
@FORMAT
@QUIET
@click.pass_obj
def ingest(
    obj: Context,
    paths: tuple[str, ...],
    branch: str | None,
    flight: int | None,
    revisions: dict[str, str],
    baseline: dict[str, str],
    blessing: str | None,
    replace: bool,
    allow_file: str | None,
    fmt: str,
    quiet: bool,
) -> None:
    """Ingest JUnit XML results: files, directories (every *.xml and *.xml.gz below) and globs.

    Each document is one flight, judged against the lower flights of its branch and stored in
    one transaction. A bad document is reported on stderr and the others are still ingested.
    With several inputs, progress shows on stderr: a bar on a terminal, else one closing line.

    Example:

    \b
      pushgate ingest --allow-file allow.xen-unstable results/*.xml
    """
    inputs = expand(paths)
    if flight is not None and len(inputs) > 1:
        raise click.UsageError(f"--flight names one flight, but {len(inputs)} inputs were given")
    overrides = Overrides(branch, flight, blessing, revisions, baseline)
    allow = obj.allow(allow_file)
    engine = obj.engine()
    failed = 0
    attempts = obj.settings.write_attempts
    # One file is quick work, and its result line says it all.
    progress = Reporter(quiet=quiet or len(inputs) < 2)
    with progress.stage("ingesting files", len(inputs)) as stage:

        def retrying(path: str, attempt: int) -> None:
            locked = "the database is locked by another writer"
            stage.echo(f"pushgate: {path}: {locked}, attempt {attempt} of {attempts}", err=True)

        results = ingest_paths(
            engine,
            [item.path for item in inputs if item.error is None],
            settings=obj.settings,
            overrides=overrides,
            allow=allow,
            replace=replace,
            retrying=retrying,
        )
        for number, item in enumerate(inputs, start=1):
            if item.error is not None:
                result = IngestResult.refused(item.path, item.error)
            else:
                result = next(results)
            stage.advance()
            if result.failed:
                failed += 1
                hint = " (--replace replaces it)" if result.conflict else ""
                stage.echo(f"pushgate: {result.path}: {result.error}{hint}", err=True)
            if fmt == "json":
                stage.echo(json.dumps(result.as_dict()))
            elif not result.failed:
                prefix = f"[{number}/{len(inputs)}] " if len(inputs) > 1 else ""
                stage.echo(prefix + _result_line(result))
        for _rest in results:  # none is left: this lets ingest_paths finish (its last refresh)
            pass
    notify.drain()
    if failed:
        sys.exit(1)


SHOWN_BLOCKERS = 4  # the blocking steps `flights` names on a flight's line; it counts the rest


def _blocking_steps(findings: Sequence[Finding]) -> str:
    """Name a flight's blocking steps, a testid that blocks in several jobs once:
    `test-amd64-i386-pair guest-start, guest-localmigrate/x10 in 17 jobs, and 2 more`."""
    jobs: dict[str, list[str]] = {}
    for finding in findings:
        jobs.setdefault(finding.step.key.testid, []).append(finding.step.key.job)
    named = [
        f"{found[0]} {testid}" if len(found) == 1 else f"{testid} in {len(found)} jobs"
        for testid, found in jobs.items()
    ]
    rest = len(named) - SHOWN_BLOCKERS
    return ", ".join(named[:SHOWN_BLOCKERS]) + (f", and {rest} more" if rest > 0 else "")


def _short(revisions: Mapping[str, str]) -> str:
    return " ".join(f"{tree}={sha[:12]}" for tree, sha in sorted(revisions.items())) or "-"


@main.command()
@click.option("--branch", help="Only the flights of this branch.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="How many flights, newest first.",
)
@FORMAT
@click.option(
    "--now",
    "--as-of",
    "now_text",
    metavar="DATE",
    help="Only the flights that had started by this date.",
)
@click.pass_obj
def flights(obj: Context, branch: str | None, limit: int, fmt: str, now_text: str | None) -> None:
    """List flights, newest first, with their verdicts (the JSON is the /api/v1/flights twin's).

    Example:

    \b
      pushgate flights --branch xen-unstable --limit 5
    """
    now = parse_now(now_text or obj.settings.now or None)
    with Session(obj.reader()) as session:
        page = flights_page(session, branch=branch, verdict=None, page=1, per_page=limit, now=now)
        if fmt == "json":
            click.echo(json.dumps(to_json(page), indent=2))
            return
        policy = obj.settings.policy()
        blocking = {
            r.flight: _blocking_steps(found.judgement.blocking())
            for r in page.flights
            if r.blocking and (found := flight_report(session, r.flight, policy, now))
        }
    if not page.flights:
        click.echo("no flights" + (f" on branch {branch}" if branch else ""))
        return
    click.echo(
        f"{'flight':>7}  {'branch':<20} {'verdict':<12} {'pushed':<6} "
        f"{'tests':>6} {'fail':>5} {'broken':>6} {'skip':>5} {'block':>5}  revision"
    )
    for r in page.flights:
        click.echo(
            f"{r.flight:>7}  {r.branch:<20} {r.verdict.value:<12} {'yes' if r.pushed else 'no':<6} "
            f"{r.tests:>6} {r.failures:>5} {r.errors:>6} "
            f"{r.skipped:>5} {r.blocking:>5}  {_short(r.revision)}"
        )
        if blocking.get(r.flight):
            click.echo(f"{'':>9}blocking: {blocking[r.flight]}")


@main.command()
@click.argument("flight", type=int)
@FORMAT
@click.option(
    "--headers",
    is_flag=True,
    help="Put the X-Osstest-Failures and X-Osstest-Versions headers after the subject (text).",
)
@click.option(
    "--now",
    "--as-of",
    "now_text",
    metavar="DATE",
    help="Count the push-gate ages from this date (default: today).",
)
@click.option(
    "--send", is_flag=True, help="Mail the report over SMTP (PUSHGATE_SMTP_HOST...), headers too."
)
@click.option(
    "--to", "to", multiple=True, metavar="ADDRESS", help="Whom --send mails it to (repeatable)."
)
@click.pass_obj
def report(
    obj: Context,
    flight: int,
    fmt: str,
    headers: bool,
    now_text: str | None,
    send: bool,
    to: tuple[str, ...],
) -> None:
    """Print a flight's report: osstest's e-mail, or JSON; or mail it (--send --to ADDRESS).

    Example:

    \b
      pushgate report 17003 --headers
    """
    now = parse_now(now_text or obj.settings.now or None)
    with Session(obj.reader()) as session:
        found = flight_detail(
            session, flight, obj.settings.policy(), now, history=history(obj.settings)
        )
        stored = found is not None or flight_stored(session, flight)
    if found is None:
        if stored:
            raise click.ClickException(
                f"flight {flight} had not started by {now.isoformat()} (--now)"
            )
        raise click.ClickException(f"no flight {flight}")
    if fmt == "json":
        click.echo(json.dumps(to_json(found), indent=2))
        return
    text = found.text
    if send or to:
        body = text.partition("\n\n")[2]  # the text is its subject line, a blank, the body
        parsed = HeaderParser().parsestr(found.headers + "\n")
        extra = {name: " ".join(str(value).split()) for name, value in parsed.items()}
        mail = Mail(addresses(to), found.subject, body, extra)
        sent_to(obj, mail)
        return
    if headers:
        subject, _blank, body = text.partition("\n")
        text = f"{subject}\n{found.headers}{body}"
    click.echo(text, nl=False)


# Seconds a gunicorn worker may spend on one request before it is killed and replaced: a push
# may wait out SQLite's busy timeout (30 s, gunicorn's own default) before it judges and stores.
WORKER_TIMEOUT = 120
NO_GUNICORN = (
    "--workers serves with gunicorn, which is not installed: pip install 'pushgate[server]'"
)


def _demo_triage(session: Session) -> None:
    """Keep the demo's known issues, as its release manager wrote them down, and the one
    regression accepted for 4.3 while its fix was on its way."""
    from ingest import demo as demo_story

    rules = read_rules(demo_story.TRIAGE_FILE.read_text(encoding="utf-8"), "the demo's rules")
    save_triage(session, plan_rules({}, rules), demo_story.TRIAGE_AS_OF, "demo")
    job, testid = demo_story.ACCEPTED
    made = acceptance(
        "4.3",
        TestKey(job, testid),
        demo_story.ACCEPTED_BY,
        demo_story.ACCEPTED_REASON,
        demo_story.ACCEPTED_UNTIL,
        demo_story.ACCEPTED_AT,
    )
    save_acceptance(session, made)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=5000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    metavar="N",
    help="Serve from N gunicorn worker processes, for production (needs pushgate[server]); "
    "without it, from Flask's development server.",
)
@click.option(
    "--timeout",
    type=click.IntRange(min=1),
    default=WORKER_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="With --workers: seconds a worker may take over one request before it is replaced.",
)
@click.option(
    "--now",
    "--as-of",
    "now_text",
    metavar="DATE",
    help="Show the dashboard as of this date, e.g. 2013-03-18 (default: $PUSHGATE_NOW, else "
    "the clock); a page's ?as_of= still wins.",
)
@click.pass_obj
def serve(
    obj: Context, host: str, port: int, workers: int | None, timeout: int, now_text: str | None
) -> None:
    """Serve the dashboard: from gunicorn's worker processes with --workers, for production,
    else from Flask's development server.

    Example:

    \b
      pushgate serve --workers 4 --port 8080
    """
    if now_text is not None:
        parse_now(now_text)  # a bad date stops it here, in one sentence
    given = click.get_current_context().get_parameter_source("timeout")
    if workers is None and given is not ParameterSource.DEFAULT:
        raise click.UsageError("--timeout applies to gunicorn's workers: give --workers too")
    if workers is not None:
        try:
            from web.serve import serve as serve_with_gunicorn
        except ModuleNotFoundError as exc:
            if exc.name != "gunicorn":
                raise
            raise click.ClickException(NO_GUNICORN) from None
    from web.app import create_app, redact

    obj.engine()  # a database it cannot use stops it here, in one line
    config = {"DATABASE_URL": obj.settings.database_url}
    if now_text is not None:
        config["NOW"] = now_text
    app = create_app(config)
    where = make_url(obj.settings.database_url).render_as_string(hide_password=True)
    as_of = f" as of {now_text}" if now_text is not None else ""
    click.echo(f"serving {where}{as_of} on http://{host}:{port}/", err=True)
    if workers is None:
        app.run(host=host, port=port, threaded=True)
        return
    serve_with_gunicorn(app, host=host, port=port, workers=workers, timeout=timeout, redact=redact)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=5000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port the demo dashboard listens on.",
)
@click.option("--no-serve", is_flag=True, help="Build the database and stop.")
@click.option("--seed", default=43, show_default=True, help="Seed of the generated story.")
@click.option(
    "--now",
    "--as-of",
    "now_text",
    default="2013-03-18",
    show_default=True,
    metavar="DATE",
    help="Show the gate as it was on this day (a week before the 4.3 feature freeze).",
)
@QUIET
@click.pass_obj
def demo(
    obj: Context, host: str, port: int, no_serve: bool, seed: int, now_text: str, quiet: bool
) -> None:
    """Build pushgate-demo.sqlite here: Xen 4.3's roadmap over ~200 generated flights; serve it.

    The flights (xen-unstable, October 2012 to July 2013) are written as JUnit files and
    ingested through the same pipeline as real results. Each stage shows its progress on
    stderr: a bar on a terminal, else one line when it ends.

    Example:

    \b
      pushgate demo --no-serve
    """
    from ingest import demo as demo_story
    from ingest.demo_repo import REPO_NAME, DemoRepo

    now = parse_now(now_text)  # a bad date stops it before minutes of work
    path = Path(DEMO_DATABASE).resolve()
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    settings = dataclasses.replace(obj.settings, database_url=url)
    engine = make_engine(url)
    ensure_schema(engine)
    allow = read_allow_list(str(demo_story.ALLOW_FILE))
    progress = Reporter(quiet=quiet)
    with progress.stage("generating flights", demo_story.FLIGHTS) as stage:
        repo = DemoRepo.create(path.with_name(REPO_NAME))  # its commits are the xen revisions
        story = demo_story.story(seed, allow, repo, played=stage.advance)
        repo.finish()
    with tempfile.TemporaryDirectory(prefix="pushgate-demo-") as scratch:
        with progress.stage("writing them as JUnit", len(story.flights)) as stage:
            written = demo_story.write_story(story.flights, Path(scratch), written=stage.advance)
        paths = [str(p) for p in written]
        with progress.stage("ingesting flights", len(paths)) as stage:
            for result in ingest_paths(engine, paths, settings=settings, allow=allow):
                if result.failed:
                    raise click.ClickException(f"{result.path}: {result.error}")
                stage.advance()
    with progress.stage("judging the roadmap's days"), unit_of_work(engine) as session:
        updates = [
            read_update(path.read_text(encoding="utf-8"), str(path))
            for path in demo_story.ROADMAP_UPDATES
        ]
        for update in updates:
            assert update.as_of is not None  # each of the demo's updates is dated
            save_plan(session, plan_update(session, update, update.as_of), update.as_of)
        _demo_triage(session)
        freeze_due(session, settings.policy(), datetime.now(UTC))
        keep_days(session, settings.policy())
    first = story.flights[0].started or datetime.now(UTC)
    release, features = updates[-1].release, updates[-1].features
    last = story.flights[-1].started or datetime.now(UTC)
    click.echo(
        f"{path.name}: {len(paths)} flights of {release.branch} from {first:%Y-%m-%d} to "
        f"{last:%Y-%m-%d}, {len(features)} features of Xen {release.name}",
        err=True,
    )
    click.echo(
        f"the commands read it with --database sqlite:///{DEMO_DATABASE}, e.g. "
        f"pushgate --database sqlite:///{DEMO_DATABASE} features --now {now:%Y-%m-%d}",
        err=True,
    )
    click.echo(
        f"the xen tree's commits are in {REPO_NAME}: PUSHGATE_TREE_REPOS=xen={repo.path} "
        "shows them on the flight pages and in the reports",
        err=True,
    )
    if no_serve:
        return
    from web.app import create_app

    os.environ["PUSHGATE_TREE_REPOS"] = f"xen={repo.path}"  # what the served pages read
    app = create_app({"DATABASE_URL": url, "NOW": now.isoformat()})
    click.echo(f"serving the demo on http://{host}:{port}/ (Ctrl-C stops it)", err=True)
    app.run(host=host, port=port, threaded=True)


# The command families that live in modules of their own.

for command in (roadmap, features, feature, links, token, triage, pull, compare):
    main.add_command(command)
