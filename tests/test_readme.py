"""The README's configuration table says what the settings are."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gate.settings import SETTINGS

README = Path(__file__).resolve().parents[1] / "README.md"
ROW = re.compile(r"^\| `(PUSHGATE_\w+)` \| `([^`]*)` \| (.+) \|$")


def test_the_configuration_table_lists_every_setting_with_its_default_and_help():
    rows = [ROW.match(line) for line in README.read_text(encoding="utf-8").splitlines()]
    table = {m.group(1): (m.group(2), m.group(3)) for m in rows if m}
    expected = {s.env: (str(s.default), s.help) for s in SETTINGS.values()}
    assert table == expected


def test_the_readme_gives_the_two_commands():
    text = README.read_text(encoding="utf-8")
    assert "## Run it" in text
    assert "## Test it" in text
    assert "python -m pytest" in text


def test_the_readme_names_each_field_limit_as_the_core_has_it():
    from gate.model import FIELD_LIMITS, MAX_NUMBER

    text = " ".join(README.read_text(encoding="utf-8").split())
    said = text.split("So that a document gets the same answer", 1)[1][:600]
    for field, limit in FIELD_LIMITS.items():
        assert f"{field} {limit}" in said, field
    assert f"1 to {MAX_NUMBER}" in said


def test_the_readme_says_how_big_the_suite_is():
    """Checked in a run of the whole suite (`python -m pytest`), within a tenth."""
    from tests.conftest import WHOLE_SUITE

    said = re.search(r"That runs most of the suite \(about ([\d,]+) tests\)", README.read_text())
    assert said, "the README's 'Test it' says how many tests there are"
    if not WHOLE_SUITE:
        pytest.skip("only a run of the whole suite (`python -m pytest`) counts it")
    stated = int(said.group(1).replace(",", ""))
    assert abs(WHOLE_SUITE[0] - stated) <= stated / 10, (WHOLE_SUITE[0], stated)
