"""Every file of the shared JUnit corpus ingests with the counts of expected.csv, or is refused."""

from __future__ import annotations

import csv
import json

import pytest

from tests.conftest import SHARED

CORPUS = SHARED / "junit-corpus"


def _rows() -> list[dict[str, str]]:
    if not (CORPUS / "expected.csv").is_file():
        return []
    with (CORPUS / "expected.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


ROWS = _rows()


@pytest.mark.skipif(not ROWS, reason=f"no JUnit corpus at {CORPUS}")
@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_corpus_file_ingests_with_expected_counts(row, pushgate):
    result = pushgate("ingest", "--format", "json", str(CORPUS / row["file"]))
    [report] = [json.loads(line) for line in result.stdout.splitlines()]
    if row["expect_error"]:
        assert result.exit_code == 1
        assert report["status"] == "error"
        assert report["error"]
        assert result.stderr.count("\n") == 1
        assert row["file"] in result.stderr
        return
    assert result.exit_code == 0, result.stderr
    assert report["status"] == "created"
    counts = {k: report[k] for k in ("tests", "failures", "errors", "skipped")}
    assert counts == {k: int(row[k]) for k in ("tests", "failures", "errors", "skipped")}


def test_the_corpus_has_files_that_must_be_refused():
    assert not ROWS or sum(1 for r in ROWS if r["expect_error"]) >= 4
