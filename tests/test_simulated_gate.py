"""Ingest 80 simulated xen-unstable flights through the CLI and check every report against an oracle.

The story and the oracle live in `simulation.py`; the oracle shares no code with `gate.rules`
or `gate.store`, so a disagreement is a bug in one of them, to be settled by the rules.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gate.model import Classification, Counts, Flight, TestKey, Verdict
from ingest.osstest_junit import write_flight
from tests.simulation import ALLOW, Expected, simulate
from web.cli import main

Outcome = dict[str, Any]
C = Classification

# What the scripted events of the story must produce: (flight, job, testid, classification, ref).
SCRIPTED = [
    (17010, "test-amd64-amd64-xl", "guest-localmigrate", C.REGRESSION, 17009),
    (17014, "test-amd64-amd64-xl", "guest-localmigrate", C.REGRESSION, 17013),  # bisect basis
    (17016, "test-amd64-amd64-xl-sedf-pin", "guest-saverestore", C.ALLOWABLE, 17015),
    (17016, "test-amd64-amd64-xl-rtds", "guest-localmigrate", C.ALLOWABLE, 17015),
    (17017, "test-amd64-amd64-xl-rtds", "guest-localmigrate", C.LIKE, 17016),
    (17018, "test-amd64-amd64-xl-credit2", "guest-saverestore", C.REGRESSION, 17016),  # see ALLOW
    (17019, "test-amd64-amd64-xl-multivcpu", "guest-start", C.PASS_IN, 17018),
    (17024, "build-i386", "xen-build", C.REGRESSION, 17021),
    (17024, "test-amd64-i386-xl", "xen-build-check(1)", C.BLOCKED, None),
    (17029, "test-amd64-amd64-pair", "host-install/src_host(3)", C.REGRESSION, 17028),
    (17034, "test-amd64-amd64-xl-rtds", "guest-localmigrate", C.FAILED_IN, 17033),
    (17038, "test-amd64-amd64-xl-qemuu-win7-amd64", "guest-stop", C.NEVER_PASS, None),  # play
    (17044, "test-armhf-armhf-xl", "guest-start", C.BASELINE_UNTESTED, 17043),
    (17045, "test-armhf-armhf-xl", "guest-start", C.LIKE, 17044),
    (17045, "test-amd64-amd64-xl-pvshim", "guest-saverestore", C.SKIPPED, None),
    (17056, "test-amd64-i386-pair", "xen-boot/src_host", C.REGRESSION, 17053),
    (17062, "test-amd64-amd64-xl-qemuu-debianhvm-amd64", "guest-stop", C.PASS_IN, 17061),
    (17063, "test-amd64-amd64-xl-shadow", "guest-saverestore", C.REGRESSION, 17060),  # play
    (17066, "test-amd64-amd64-libvirt", "guest-start", C.REGRESSION, 17060),  # linux moved
    (17070, "test-amd64-amd64-xl-multivcpu", "guest-saverestore", C.BASELINE_UNTESTED, None),
]


@pytest.fixture(scope="module")
def played() -> list[tuple[Flight, Expected]]:
    return simulate()


@pytest.fixture(autouse=True)
def _no_pushgate_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("PUSHGATE_")]:
        monkeypatch.delenv(name)


def test_the_story_is_not_vacuous(played: list[tuple[Flight, Expected]]) -> None:
    classifications = Counter(c for _, e in played for c, _ref in e.findings.values())
    verdicts = Counter(e.verdict for _, e in played)
    pushes = sum(e.pushed for _, e in played)
    assert len(played) == 80
    assert set(classifications) == set(Classification)
    assert set(verdicts) == set(Verdict)
    assert 5 <= pushes <= len(played) - 5


def test_the_story_plays_its_scripted_events(played: list[tuple[Flight, Expected]]) -> None:
    expected = {flight.number: e for flight, e in played}
    for number, job, testid, classification, ref in SCRIPTED:
        assert expected[number].findings[TestKey(job, testid)] == (classification, ref), number
    blessed = {flight.number: flight.blessing for flight, _ in played}
    assert [n for n, b in blessed.items() if b != "real"] == [17013, 17014, 17037, 17062]
    assert not expected[17013].pushed and expected[17013].verdict is Verdict.PERFECT
    assert {expected[n].verdict for n in range(17029, 17033)} == {Verdict.TROUBLE}


def expected_outcome(expected: Expected) -> Outcome:
    """Put the oracle's judgement in the shape `outcome` gives a report."""
    findings = expected.findings.items()
    return {
        "verdict": expected.verdict.value,
        "pushed": expected.pushed,
        "blocking": sorted((k.job, k.testid) for k, (c, _ref) in findings if c is C.REGRESSION),
        "failures": len(findings),
        "findings": {(k.job, k.testid): (c.value, ref) for k, (c, ref) in findings},
        "baseline": dict(expected.baseline),
        "baseline_flights": sorted(expected.baseline_flights),
    }


def outcome(report: dict[str, Any]) -> Outcome:
    """Keep what the oracle decides from a `report --format json` object."""
    failures = report["failures"]
    return {
        "verdict": report["verdict"],
        "pushed": report["pushed"],
        "blocking": sorted((f["job"], f["testid"]) for f in failures if f["blocking"]),
        "failures": len(failures),
        "findings": {
            (f["job"], f["testid"]): (f["classification"], f["ref_flight"]) for f in failures
        },
        "baseline": report["baseline"],
        "baseline_flights": sorted(report["baseline_flights"]),
    }


def differences(number: int, got: Outcome, want: Outcome) -> list[str]:
    """Describe, one line each, how a report differs from the oracle."""
    lines = [
        f"{number} {name}: expected {want[name]!r}, got {got[name]!r}"
        for name in ("verdict", "pushed", "blocking", "failures", "baseline", "baseline_flights")
        if got[name] != want[name]
    ]
    for key in sorted(got["findings"].keys() | want["findings"].keys()):
        if got["findings"].get(key) != want["findings"].get(key):
            lines.append(
                f"{number} {key[0]} {key[1]}: expected {want['findings'].get(key)}, "
                f"got {got['findings'].get(key)}"
            )
    return lines


def _ingest(runner: CliRunner, database: list[str], args: list[str]) -> list[dict[str, Any]]:
    result = runner.invoke(main, [*database, "ingest", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def _reports(runner: CliRunner, database: list[str], numbers: list[int]) -> dict[int, Any]:
    reports = {}
    for number in numbers:
        result = runner.invoke(main, [*database, "report", str(number), "--format", "json"])
        assert result.exit_code == 0, result.output
        reports[number] = json.loads(result.stdout)
    return reports


def test_pushgate_judges_every_flight_like_the_oracle(
    played: list[tuple[Flight, Expected]], tmp_path: Path
) -> None:
    files = []
    for flight, _ in played:
        path = tmp_path / f"{flight.number}.xml"
        with path.open("wb") as out:
            write_flight(flight, out)
        files.append(str(path))
    allow = tmp_path / "allow"
    allow.write_text(ALLOW, encoding="utf-8")
    runner = CliRunner()
    database = ["--database", f"sqlite:///{tmp_path}/gate.sqlite"]
    ingest = ["--allow-file", str(allow), *files]
    numbers = [int(flight.number or 0) for flight, _ in played]

    results = _ingest(runner, database, ingest)
    assert [(r["flight"], r["status"]) for r in results] == [(n, "created") for n in numbers]
    reports = _reports(runner, database, numbers)
    disagreements = [
        line
        for number, (_, expected) in zip(numbers, played, strict=True)
        for line in differences(number, outcome(reports[number]), expected_outcome(expected))
    ]
    assert disagreements == [], "\n".join(disagreements)
    for result, (flight, _) in zip(results, played, strict=True):
        counts = Counts.of(flight.steps())
        assert result["verdict"] == reports[flight.number]["verdict"]
        assert (result["tests"], result["failures"], result["errors"], result["skipped"]) == (
            counts.tests, counts.failures, counts.errors, counts.skipped,
        ), flight.number  # fmt: skip

    again = _ingest(runner, database, ingest)
    assert [r["status"] for r in again] == ["unchanged"] * len(files)
    assert _reports(runner, database, numbers) == reports
