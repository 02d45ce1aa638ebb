"""bench/scale.py, run small: every page and its JSON twin answers, and is timed, at each stage."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["overview", "big feature", "small feature", "flights", "flight", "test", "branch"]
STAGES = 2  # --quick's


def table_rows(text: str) -> dict[str, list[str]]:
    """Return the cells of each markdown table row, by its first cell."""
    rows = [
        line.strip().strip("|").split("|") for line in text.splitlines() if line.startswith("|")
    ]
    return {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rows}


def number(cell: str) -> float:
    return float(cell.replace(",", ""))


@pytest.mark.slow
def test_a_quick_run_times_every_page_and_its_twin_at_each_stage(tmp_path: Path) -> None:
    if importlib.util.find_spec("gunicorn") is None:
        pytest.skip(
            "gunicorn is not installed (pip install gunicorn): bench/scale.py serves with it"
        )
    results = tmp_path / "RESULTS.md"
    command = [sys.executable, "bench/scale.py", "--quick", "--engine", "sqlite"]
    command += ["--cache", str(tmp_path / "cache"), "--results", str(results), "--section", "smoke"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr

    text = results.read_text()
    assert "## smoke" in text and "### SQLite" in text
    rows = table_rows(text)
    for page in [*PAGES, *(f"{page} JSON" for page in PAGES)]:
        status, *figures = rows[page]
        assert status == "200", page
        timings = figures[: 3 * STAGES]  # p50, p95 and size at each stage
        assert all(number(cell) > 0 for cell in timings), (page, figures)
        assert figures[3 * STAGES].endswith("x")  # the growth
        assert figures[3 * STAGES + 1] in ("met", "missed")
    stages = [cells for first, cells in rows.items() if first.isdigit()]
    assert len(stages) == STAGES
    assert all(number(cells[3]) > 0 for cells in stages)  # a web worker's peak RSS, in MB
    assert rows["page"][0] == "status" and "SQLite:" in done.stdout
