"""docs/triage.md keeps up with the triage file's code: every key, every kind, every option of
the commands, and an example that reads."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from gate.triage import KEYS, Kind
from ingest.triage_file import RULE_KEYS, read_rules
from web.cli_triage import triage_history, triage_import, triage_list

DOC = Path(__file__).resolve().parents[1] / "docs" / "triage.md"
FIRST_CELL = re.compile(r"^\| `([^`]+)` \|")
TOML = re.compile(r"^```toml\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def _section(heading: str) -> str:
    text = DOC.read_text(encoding="utf-8") + "\n## "
    found = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## )", text, re.DOTALL | re.MULTILINE)
    assert found, f"docs/triage.md has no section ## {heading}"
    return found[1]


def _first_cells(text: str) -> list[str]:
    return [m[1] for line in text.splitlines() if (m := FIRST_CELL.match(line))]


def test_the_rule_table_lists_every_key_of_the_code_and_no_other():
    assert sorted(_first_cells(_section("`[[rule]]`"))) == sorted(RULE_KEYS) == sorted(KEYS)


def test_the_kinds_table_lists_every_kind():
    assert _first_cells(_section("Kinds")) == [k.value for k in Kind]


@pytest.mark.parametrize(
    "command", [triage_import, triage_list, triage_history], ids=lambda c: c.name
)
def test_every_option_of_the_commands_is_documented(command):
    text = DOC.read_text(encoding="utf-8")
    assert f"pushgate triage {command.name}" in text
    for option in (p for p in command.params if isinstance(p, click.Option)):
        for name in option.opts + option.secondary_opts:
            assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text), name


def test_the_complete_example_reads_and_uses_every_key():
    blocks = TOML.findall(DOC.read_text(encoding="utf-8"))
    assert blocks, "docs/triage.md has no ```toml block"
    rules = read_rules(blocks[0], "docs/triage.md")
    assert len(rules) >= 3
    text = blocks[0]
    assert all(re.search(rf"^{key} = ", text, re.MULTILINE) for key in RULE_KEYS)
