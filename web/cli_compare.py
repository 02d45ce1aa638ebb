"""The compare command: two flights, step by step (its JSON is the /api/v1/compare twin's)."""

from __future__ import annotations

import json

import click
from sqlalchemy.orm import Session

from gate.model import Status
from gate.pages.compare import NoFlight, comparison
from gate.read.compare import ComparedFlight, Comparison
from web.args import LARGEST
from web.context import FORMAT, Context, parse_now
from web.twin import to_json


@click.command()
@click.argument("a", type=click.IntRange(1, LARGEST), metavar="A")
@click.argument("b", type=click.IntRange(1, LARGEST), metavar="B")
@click.option(
    "--page",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="The page of steps, as the page and its twin show them.",
)
@FORMAT
@click.option(
    "--now",
    "--as-of",
    "now_text",
    metavar="DATE",
    help="Only flights that had started by this date.",
)
@click.pass_obj
def compare(obj: Context, a: int, b: int, page: int, fmt: str, now_text: str | None) -> None:
    """Compare flight A with flight B: each step whose outcome differs, by kind (regression,
    new failure, not run, disappeared, appeared, fixed, new pass), then those still failing.

    Example:

    \b
      pushgate compare 16566 16594
    """
    now = parse_now(now_text or obj.settings.now or None)
    with Session(obj.reader()) as session:
        try:
            found = comparison(session, a, b, now, page=page)
        except NoFlight as exc:
            if exc.stored:
                raise click.ClickException(
                    f"flight {exc.number} had not started by {now.isoformat()} (--now)"
                ) from None
            raise click.ClickException(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(to_json(found), indent=2))
        return
    click.echo("\n".join(render_text(found)))


def render_text(found: Comparison) -> list[str]:
    """Return the comparison as lines of text: a header, then a section per kind."""
    counts = ", ".join(
        f"{change.heading.lower()} {count}" for change, count in found.counts.items() if count
    )
    moved = f"; {_moved(found.moved)}" if found.moved else ""
    lines = [
        f"compare {_side(found.a)} with {_side(found.b)}: "
        + (counts or "no step differs, none failed in both")
        + moved
    ]
    for group in found.groups:
        lines += ["", f"{group.heading} ({found.counts[group.change]}): {group.meaning}"]
        for line in group.lines:
            said = f"  {line.summary}" if line.summary else ""
            blocking = " (blocking)" if line.blocking else ""
            lines.append(
                f"  {line.job} {line.testid}: "
                f"{_status(line.status_a)} -> {_status(line.status_b)}{said}{blocking}"
            )
    if found.pages > 1:
        lines += ["", f"page {found.page} of {found.pages} (--page)"]
    return lines


def _moved(count: int) -> str:
    return f"{count} step{'s' if count != 1 else ''} only moved (a new step number in the name)"


def _side(side: ComparedFlight) -> str:
    return f"{side.flight} ({side.branch} {side.blessing}, {side.verdict.value})"


def _status(status: Status | None) -> str:
    return "absent" if status is None else status.value
