"""`pushgate prune` over the example flights: a dry run, a prune, and the errors of bad values."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from gate.retention import DELETE_FACTOR
from gate.store.prune import BATCH
from web.app import create_app
from web.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
# The example flights started from 2013-03-04 to 2013-03-09, one a day.
AGES = ["--now", "2013-03-20", "--older-than", "5", "--delete-after", "10"]


@pytest.fixture
def examples(pushgate, example_flights, sqlite_copy):
    sqlite_copy(example_flights)
    return pushgate


def listed(pushgate) -> list[str]:
    lines = pushgate("flights").stdout.splitlines()[1:]
    # A flight's line, not the line of its blocking steps under it.
    return [line.split()[0] for line in lines if line.split()[0].isdigit()]


def test_prune_has_help():
    result = CliRunner().invoke(main, ["prune", "--help"])
    assert result.exit_code == 0
    assert "Usage: pushgate prune" in result.output
    assert "VACUUM" in result.output


def test_the_readme_gives_the_defaults():
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert f"({DELETE_FACTOR} times `--older-than` unless given" in text
    assert f"`--batch` flights (default {BATCH})" in text


def test_a_dry_run_says_what_it_would_do_in_one_line_and_does_nothing(examples):
    result = examples("prune", *AGES, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("\n") == 1
    assert result.stdout.startswith("would delete 4 flights (")
    assert "would keep 2 old flights (1 as last push, 1 as baseline or retest" in result.stdout
    assert listed(examples) == ["17006", "17005", "17004", "17003", "17002", "17001"]


def test_a_prune_keeps_the_last_push_and_its_baselines_and_their_pages(examples, sqlite_url):
    result = examples("prune", *AGES, "--batch", "3")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        "cleared the outputs of 2/2 flights...",
        "pruned 3/4 flights...",
        "pruned 4/4 flights...",
    ]
    assert result.stdout.startswith("deleted 4 flights (")
    assert "MB of output freed" in result.stdout
    assert listed(examples) == ["17006", "17005"]
    assert examples("report", "17006").exit_code == 0
    client = create_app({"DATABASE_URL": sqlite_url, "NOW": "2013-03-20"}).test_client()
    for url in [
        "/",
        "/flights",
        "/flights/17006",
        "/flights/17005",
        "/flights/17005/report.txt",
        "/api/v1/flights/17006",
        "/branches/xen-unstable",
    ]:
        assert client.get(url).status_code == 200, url
    assert client.get("/flights/17001").status_code == 404
    again = examples("prune", *AGES)
    assert again.stdout.startswith("deleted 0 flights (0 steps); kept 2 old flights")
    assert "cleared the outputs of 0 steps in 0 flights" in again.stdout


def test_never_deleting_flights_only_clears_outputs(examples):
    result = examples(
        "prune", "--now", "2013-03-20", "--older-than", "5", "--delete-after", "never"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("deleted 0 flights (0 steps); kept 0 old flights; cleared")
    assert len(listed(examples)) == 6


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--older-than", "0"], "Invalid value for '--older-than': 0 is not in the range x>=1."),
        (["--older-than", "many"], "Invalid value for '--older-than': 'many' is not a valid"),
        (["--older-than", "5", "--delete-after", "soon"], "got 'soon'"),
        (["--older-than", "5", "--delete-after", "-3"], "expected a number of days or `never`"),
        (["--older-than", "30", "--delete-after", "10"], "flights cannot be deleted after 10 days"),
        (["--older-than", "5", "--batch", "0"], "Invalid value for '--batch'"),
        (["--older-than", "5", "--now", "yesterday"], "expected a date such as 2013-03-18"),
        ([], "Missing option '--older-than'"),
    ],
)
def test_bad_values_are_refused_in_one_line(examples, args, said):
    result = examples("prune", *args)
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and said in errors[0], result.stderr
    assert "Traceback" not in result.output
    assert len(listed(examples)) == 6
