"""docs/roadmap.md keeps up with the roadmap file's code: every key of each table, every status,
every option of `roadmap import` and `roadmap export`, and an example that imports."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest

from gate.model import PREPARATION_STEPS
from gate.readiness import Strength
from gate.roadmap import MILESTONES, Declared, Phase
from gate.roadmap_import import plan_import
from ingest.roadmap_file import FEATURE_KEYS, HISTORY_KEYS, RELEASE_KEYS, UPDATE_KEYS, read_update
from web.cli_roadmap import roadmap_export, roadmap_import

DOC = Path(__file__).resolve().parents[1] / "docs" / "roadmap.md"
TABLES = {
    "[release]": RELEASE_KEYS,
    "[[feature]]": FEATURE_KEYS,
    "[[update]]": UPDATE_KEYS,
    "[[feature.history]]": HISTORY_KEYS,
}
FIRST_CELL = re.compile(r"^\| `([^`]+)` \|")
TOML = re.compile(r"^```toml\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def _section(heading: str) -> str:
    """Return the text under the heading that names `heading` in backquotes, to the next one."""
    found = re.search(
        rf"^#+ `{re.escape(heading)}`\n(.*?)(?=^#+ )", _text() + "\n# ", re.DOTALL | re.MULTILINE
    )
    assert found, f"docs/roadmap.md has no heading `{heading}`"
    return found[1]


def _first_cells(text: str) -> list[str]:
    return [m[1] for line in text.splitlines() if (m := FIRST_CELL.match(line))]


@pytest.mark.parametrize("table", TABLES)
def test_each_table_lists_every_key_of_the_code_and_no_other(table):
    keys = _first_cells(_section(table))
    assert sorted(keys) == sorted(TABLES[table])
    assert all(f"| `{key}` |" in _text() for key in TABLES[table])


def test_the_statuses_table_lists_every_declared_status():
    found = re.search(r"^## Statuses\n(.*?)(?=^## )", _text(), re.DOTALL | re.MULTILINE)
    assert found, "docs/roadmap.md has no section ## Statuses"
    assert _first_cells(found[1]) == [d.value for d in Declared]


def test_the_evidence_table_lists_every_strength_and_each_preparation_step():
    found = re.search(r"^## Evidence\n(.*?)(?=^## )", _text(), re.DOTALL | re.MULTILINE)
    assert found, "docs/roadmap.md has no section ## Evidence"
    assert _first_cells(found[1]) == [s.value for s in Strength]
    assert all(f"`{step}`" in found[1] for step in PREPARATION_STEPS)


def test_the_calendar_table_lists_every_phase_from_its_milestone():
    found = re.search(r"^## The calendar\n(.*?)(?=^## )", _text(), re.DOTALL | re.MULTILINE)
    assert found, "docs/roadmap.md has no section ## The calendar"
    rows = [line.split("|")[1:3] for line in found[1].splitlines() if line.startswith("| ")][1:]
    assert [name.strip() for name, _ in rows] == [p.words for p in Phase]
    assert [start.strip() for _, start in rows][1:] == [f"`{m}`" for m in MILESTONES]


@pytest.mark.parametrize("command", [roadmap_import, roadmap_export], ids=lambda c: c.name)
def test_every_option_of_the_command_is_documented(command):
    text = _text()
    options = [p for p in command.params if isinstance(p, click.Option)]
    assert options
    for option in options:
        for name in option.opts + option.secondary_opts:
            assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text), name


def test_the_complete_example_parses_and_plans_an_import():
    blocks = TOML.findall(_text())
    assert blocks, "docs/roadmap.md has no ```toml block"
    for n, block in enumerate(blocks):
        update = read_update(block, f"docs/roadmap.md, toml block {n + 1}")
        as_of = update.as_of or datetime(2013, 3, 18, tzinfo=UTC)
        plan = plan_import(update, as_of, {}, new_release=True)
        assert plan.new_release
        assert len(plan.changes) == len(update.features)
    first = read_update(blocks[0], "docs/roadmap.md")
    assert first.features, "the complete example declares no feature"
