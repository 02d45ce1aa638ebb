"""The `pushgate` command: a thin shell over ingest and gate. Each command reads, calls, prints."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from gate import __version__
from gate.allow import AllowList, AllowListError
from gate.readiness import FeatureReadiness, feature_dict, freeze_dict, freeze_view
from gate.report import render_text, report_dict
from gate.settings import Settings, SettingsError
from gate.store.db import SchemaError, ensure_schema, make_engine, upgrade
from gate.store.flights import list_flights, load_flight, summary_dict
from gate.store.roadmap import UnknownRelease, coverage, load_roadmap, readiness, save_roadmap
from ingest.junit import Overrides
from ingest.pipeline import IngestResult, ingest_paths
from ingest.roadmap_file import RoadmapError, parse_roadmap, render_roadmap
from ingest.source import expand

FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Plain text for people, JSON for scripts.",
)


class Context:
    """What every command shares: the settings, and an engine made on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: Engine | None = None

    def engine(self, *, ensure: bool = True) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
            if ensure:
                ensure_schema(self._engine)
        return self._engine

    def allow(self, path: str | None = None) -> AllowList:
        path = path or self.settings.allow_file
        if not path:
            return AllowList()
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"cannot read allow file {path}: {exc.strerror}") from None
        return AllowList.parse(text, source=path)


class Group(click.Group):
    """A click group that turns the errors a user can fix into one sentence, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (SchemaError, SettingsError, AllowListError, RoadmapError, UnknownRelease) as exc:
            raise click.ClickException(str(exc).strip("'\"")) from None
        except OperationalError as exc:
            raise click.ClickException(f"database error: {exc.orig}") from None


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
    """Create the schema, or upgrade it to this pushgate's version."""
    before, after = upgrade(obj.engine(ensure=False))
    if before == after:
        click.echo(f"schema is up to date ({after})")
    else:
        click.echo(f"schema upgraded from {before or 'nothing'} to {after}")


def _tree_revisions(
    _ctx: click.Context, param: click.Parameter, values: Sequence[str]
) -> dict[str, str]:
    pairs = {}
    for value in values:
        tree, sep, sha = value.partition("=")
        if not sep or not tree or not sha:
            raise click.BadParameter(f"expected TREE=SHA, got {value!r}", param=param)
        pairs[tree] = sha
    return pairs


def _result_line(result: IngestResult) -> str:
    counts = result.as_dict()
    return (
        f"{result.status:<9} flight {result.flight} {result.branch} {result.verdict}: "
        f"{counts['tests']} tests, {counts['failures']} failed, {counts['errors']} broken, "
        f"{counts['skipped']} skipped  {result.path}"
    )


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
@click.option(
    "--allow-file",
    type=click.Path(dir_okay=False),
    help="Allow list of regressions (default: $PUSHGATE_ALLOW_FILE).",
)
@FORMAT
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
) -> None:
    """Ingest JUnit XML results: files, directories (every *.xml and *.xml.gz below) and globs.

    Each document is one flight, judged against the lower flights of its branch and stored in
    one transaction. A bad document is reported on stderr and the others are still ingested.
    """
    inputs = expand(paths)
    if flight is not None and len(inputs) > 1:
        raise click.UsageError(f"--flight names one flight, but {len(inputs)} inputs were given")
    overrides = Overrides(branch, flight, blessing, revisions, baseline)
    allow = obj.allow(allow_file)
    engine = obj.engine()
    failed = 0
    show_bar = fmt == "json" and len(inputs) > 1 and sys.stderr.isatty()
    results = ingest_paths(
        engine,
        [item.path for item in inputs if item.error is None],
        settings=obj.settings,
        overrides=overrides,
        allow=allow,
        replace=replace,
    )
    with click.progressbar(inputs, label="ingesting", file=sys.stderr, hidden=not show_bar) as bar:
        for number, item in enumerate(bar, start=1):
            if item.error is not None:
                result = IngestResult(item.path, "error", error=item.error)
            else:
                result = next(results)
            if result.failed:
                failed += 1
                click.echo(f"pushgate: {result.path}: {result.error}", err=True)
            if fmt == "json":
                click.echo(json.dumps(result.as_dict()))
            elif not result.failed:
                prefix = f"[{number}/{len(inputs)}] " if len(inputs) > 1 else ""
                click.echo(prefix + _result_line(result))
    if failed:
        sys.exit(1)


def _short(revisions: dict[str, str]) -> str:
    return " ".join(f"{tree}={sha[:12]}" for tree, sha in sorted(revisions.items())) or "-"


@main.command()
@click.option("--branch", help="Only the flights of this branch.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@FORMAT
@click.pass_obj
def flights(obj: Context, branch: str | None, limit: int, fmt: str) -> None:
    """List flights, newest first, with their verdicts."""
    with Session(obj.engine()) as session:
        rows = list_flights(session, branch=branch, limit=limit)
    if fmt == "json":
        click.echo(json.dumps([summary_dict(r) for r in rows], indent=2))
        return
    if not rows:
        click.echo("no flights" + (f" on branch {branch}" if branch else ""))
        return
    click.echo(
        f"{'flight':>7}  {'branch':<20} {'verdict':<12} {'pushed':<6} "
        f"{'tests':>6} {'fail':>5} {'broken':>6} {'skip':>5} {'block':>5}  revision"
    )
    for r in rows:
        click.echo(
            f"{r.number:>7}  {r.branch:<20} {r.verdict.value:<12} {'yes' if r.pushed else 'no':<6} "
            f"{r.counts.tests:>6} {r.counts.failures:>5} {r.counts.errors:>6} "
            f"{r.counts.skipped:>5} {r.blocking:>5}  {_short(r.revisions)}"
        )


@main.command()
@click.argument("flight", type=int)
@FORMAT
@click.pass_obj
def report(obj: Context, flight: int, fmt: str) -> None:
    """Print a flight's report: osstest's e-mail body, or JSON."""
    with Session(obj.engine()) as session:
        loaded = load_flight(session, flight)
    if loaded is None:
        raise click.ClickException(f"no flight {flight}")
    stored, judgement, _ids = loaded
    if fmt == "json":
        click.echo(json.dumps(report_dict(stored, judgement), indent=2))
    else:
        click.echo(render_text(stored, judgement), nl=False)


@main.group(cls=Group)
def roadmap() -> None:
    """Import and export the release's roadmap (a TOML file)."""


@roadmap.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--note", default="", help="Why the statuses changed, kept in their history.")
@click.pass_obj
def roadmap_import(obj: Context, file: str, note: str) -> None:
    """Upsert the release and features of FILE; features missing from it are marked dropped."""
    with click.open_file(file, encoding="utf-8") as f:
        text = f.read()
    release, features = parse_roadmap(text, "standard input" if file == "-" else file)
    with Session(obj.engine()) as session:
        summary = save_roadmap(session, release, features, datetime.now(UTC), note)
        session.commit()
    parts = [
        f"{len(getattr(summary, name))} {label}"
        for name, label in (
            ("created", "new"),
            ("status_changed", "changed status"),
            ("updated", "updated"),
            ("dropped", "dropped"),
            ("unchanged", "unchanged"),
        )
        if getattr(summary, name)
    ]
    click.echo(f"release {summary.release}: {', '.join(parts) or 'no features'}")
    for slug in summary.status_changed + summary.dropped:
        click.echo(f"  status changed: {slug}")


@roadmap.command("export")
@click.option("--release", help="Release name (default: the latest).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-")
@click.pass_obj
def roadmap_export(obj: Context, release: str | None, output: str) -> None:
    """Write the release's roadmap as TOML that imports back to the same state."""
    with Session(obj.engine()) as session:
        found, features = load_roadmap(session, release)
    with click.open_file(output, "w", encoding="utf-8") as f:
        f.write(render_roadmap(found, features))


def _now(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date such as 2013-03-01, got {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


NOW = click.option(
    "--now",
    "now_text",
    metavar="DATE",
    help="Judge as of this date: only flights started by then count (default: today).",
)


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


@main.command()
@click.option("--release", help="Release name (default: the latest).")
@NOW
@FORMAT
@click.pass_obj
def features(obj: Context, release: str | None, now_text: str | None, fmt: str) -> None:
    """Show every feature's readiness: its declaration next to its tests' evidence."""
    now = _now(now_text)
    with Session(obj.engine()) as session:
        found, judged = readiness(session, obj.settings.policy(), now, release)
    if fmt == "json":
        click.echo(json.dumps([feature_dict(j) for j in judged], indent=2))
        return
    view = freeze_dict(freeze_view(found, now))
    click.echo(
        f"release {found.name} on {found.branch}: feature freeze {view['feature_freeze']} "
        f"({view['days_to_feature_freeze']} days), code freeze {view['code_freeze']} "
        f"({view['days_to_code_freeze']} days), release {view['release_date']} "
        f"({view['days_to_release']} days)"
    )
    click.echo(
        f"{'feature':<28} {'readiness':<10} {'declared':<8} {'pass':>5} {'tests':>5} "
        f"{'block':>5}  owners"
    )
    for j in judged:
        flag = "!" if j.mismatch else " "
        owners = ", ".join(j.feature.owners) or "?"
        click.echo(
            f"{j.feature.slug:<28} {j.readiness.value:<10} {j.feature.status.value:<8} "
            f"{_rate(j.pass_rate):>5} {len(j.tests):>5} {len(j.blocking):>5}{flag} {owners}"
        )
    if any(j.mismatch for j in judged):
        click.echo("! the declared status contradicts the tests")


def _feature_text(j: FeatureReadiness) -> str:
    f = j.feature
    lines = [
        f"{f.slug}: {f.title}",
        f"  owners:     {', '.join(f.owners) or '?'}",
        f"  declared:   {f.status.value}",
        f"  readiness:  {j.readiness.value}"
        + ("  (contradicts the declaration)" if j.mismatch else ""),
        f"  pass rate:  {_rate(j.pass_rate)} over {len(j.series)} flights",
        f"  projection: {j.projection.text}",
        f"  patterns:   {', '.join(str(p) for p in f.tests) or '(none)'}",
        f"  tests:      {len(j.tests)} linked",
    ]
    if f.notes:
        lines.append(f"  notes:      {f.notes}")
    lines.append("reasons:")
    lines += [f"  - {reason}" for reason in j.reasons]
    lines.append("history:")
    lines += [
        f"  {c.at:%Y-%m-%d %H:%M} {c.before.value if c.before else '(new)'} -> {c.after.value}"
        + (f"  ({c.note})" if c.note else "")
        for c in f.history
    ]
    return "\n".join(lines)


@main.command()
@click.argument("slug")
@click.option("--release", help="Release name (default: the latest).")
@NOW
@FORMAT
@click.pass_obj
def feature(obj: Context, slug: str, release: str | None, now_text: str | None, fmt: str) -> None:
    """Show one feature: readiness, reasons, projection and status history."""
    with Session(obj.engine()) as session:
        _found, judged = readiness(session, obj.settings.policy(), _now(now_text), release)
    match = next((j for j in judged if j.feature.slug == slug), None)
    if match is None:
        raise click.ClickException(f"no feature {slug!r}")
    if fmt == "json":
        click.echo(json.dumps(feature_dict(match), indent=2))
    else:
        click.echo(_feature_text(match))


@main.command()
@click.option("--release", help="Release name (default: the latest).")
@FORMAT
@click.pass_obj
def links(obj: Context, release: str | None, fmt: str) -> None:
    """List tests of the release branch linked to no feature, and features no test serves."""
    with Session(obj.engine()) as session:
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


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.pass_obj
def serve(obj: Context, host: str, port: int) -> None:
    """Serve the dashboard of the database (for production, run gunicorn over wsgi:app)."""
    from web.app import create_app

    app = create_app({"DATABASE_URL": obj.settings.database_url})
    click.echo(f"serving {obj.settings.database_url} on http://{host}:{port}/", err=True)
    app.run(host=host, port=port, threaded=True)


DEMO_DATABASE = "pushgate-demo.sqlite"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-serve", is_flag=True, help="Build the database and stop.")
@click.option("--seed", default=43, show_default=True, help="Seed of the generated story.")
@click.option(
    "--now",
    "now_text",
    default="2013-03-18",
    show_default=True,
    metavar="DATE",
    help="Show the gate as it was on this day (a week before the 4.3 feature freeze).",
)
@click.pass_obj
def demo(obj: Context, host: str, port: int, no_serve: bool, seed: int, now_text: str) -> None:
    """Build pushgate-demo.sqlite here: Xen 4.3's roadmap over ~200 generated flights; serve it.

    The flights (xen-unstable, October 2012 to July 2013) are written as JUnit files and
    ingested through the same pipeline as real results.
    """
    from ingest import demo as demo_story

    path = Path(DEMO_DATABASE).resolve()
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    settings = dataclasses.replace(obj.settings, database_url=url)
    engine = make_engine(url)
    ensure_schema(engine)
    allow = AllowList.parse(
        demo_story.ALLOW_FILE.read_text(encoding="utf-8"), source="demo allow list"
    )
    click.echo("generating the Xen 4.3 story...", err=True)
    story = demo_story.story(seed, allow)
    with tempfile.TemporaryDirectory(prefix="pushgate-demo-") as scratch:
        paths = [str(p) for p in demo_story.write_story(story.flights, Path(scratch))]
        results = ingest_paths(engine, paths, settings=settings, allow=allow)
        with click.progressbar(
            results, length=len(paths), label="ingesting flights", file=sys.stderr
        ) as bar:
            for result in bar:
                if result.failed:
                    raise click.ClickException(f"{result.path}: {result.error}")
    release, features = parse_roadmap(
        demo_story.ROADMAP_FILE.read_text(encoding="utf-8"), str(demo_story.ROADMAP_FILE)
    )
    first = story.flights[0].started or datetime.now(UTC)
    with Session(engine) as session:
        save_roadmap(session, release, features, first, "the roadmap as of the 4.3 planning")
        session.commit()
    last = story.flights[-1].started or datetime.now(UTC)
    click.echo(
        f"{path.name}: {len(paths)} flights of {release.branch} from {first:%Y-%m-%d} to "
        f"{last:%Y-%m-%d}, {len(features)} features of Xen {release.name}",
        err=True,
    )
    if no_serve:
        return
    from web.app import create_app

    app = create_app({"DATABASE_URL": url, "NOW": _now(now_text).isoformat()})
    click.echo(f"serving the demo on http://{host}:{port}/ (Ctrl-C stops it)", err=True)
    app.run(host=host, port=port, threaded=True)
