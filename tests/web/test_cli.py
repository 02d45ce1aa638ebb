"""Every `pushgate` command, through click's runner, on a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from gate.model import Status
from tests.builders import flight, write
from web.cli import main

P, F = Status.PASS, Status.FAIL
GOOD = {"build-amd64 xen-build": P, "test-amd64-amd64-xl guest-start": P}
BAD = {"build-amd64 xen-build": P, "test-amd64-amd64-xl guest-start": F}


@pytest.fixture
def gate_files(tmp_path: Path) -> list[Path]:
    """Three flights: a push that nothing was known of, a regression against it, and the fix."""
    return [
        write(flight(17001, GOOD, xen="a"), tmp_path / "17001.xml"),
        write(flight(17002, BAD, xen="b", baseline="a"), tmp_path / "17002.xml"),
        write(flight(17003, GOOD, xen="c", baseline="a"), tmp_path / "17003.xml"),
    ]


def test_ingest_says_which_flights_a_retest_judged_again(pushgate, gate_files, tmp_path):
    pushgate("ingest", str(gate_files[0]), str(gate_files[1]))
    retest = flight(17004, GOOD, xen="b", baseline="a", blessing="real-retest")
    result = pushgate("ingest", str(write(retest, tmp_path / "17004.xml")))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1].strip() == (
        "flight 17002 judged again: regressions -> tolerable, now pushed"
    )
    report = pushgate("report", "17002").stdout
    assert "flight 17004 xen-unstable real-retest [real-retest]" in report
    assert " fail pass in 17004-retest" in report


def _dump(sqlite_url: str) -> list[tuple]:
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as db:
        return db.execute(
            "SELECT f.id, f.verdict, f.digest, s.status, s.classification"
            " FROM flight f LEFT JOIN step s ON s.flight_id = f.id ORDER BY f.id, s.id"
        ).fetchall()


@pytest.mark.parametrize(
    "command",
    [[], ["db"], ["db", "upgrade"], ["ingest"], ["flights"], ["report"]],
    ids=lambda c: " ".join(c) or "pushgate",
)
def test_every_command_has_help(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage: pushgate" in result.output


def test_db_upgrade_creates_then_reports_up_to_date(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    first = CliRunner().invoke(main, ["--database", url, "db", "upgrade"])
    assert first.exit_code == 0
    assert first.stdout.startswith("schema upgraded from nothing to ")
    again = CliRunner().invoke(main, ["--database", url, "db", "upgrade"])
    assert again.stdout.startswith("schema is up to date")


def test_ingest_judges_each_flight_in_order(pushgate, gate_files):
    result = pushgate("ingest", "--format", "json", str(gate_files[0].parent))
    assert result.exit_code == 0, result.stderr
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["flight"], r["status"], r["verdict"]) for r in reports] == [
        (17001, "created", "perfect"),
        (17002, "created", "regressions"),
        (17003, "created", "perfect"),
    ]
    assert reports[1] == {
        "path": str(gate_files[1]),
        "status": "created",
        "error": None,
        "flight": 17002,
        "branch": "xen-unstable",
        "tests": 2,
        "failures": 1,
        "errors": 0,
        "skipped": 0,
        "verdict": "regressions",
        "changed": [],
    }


def test_ingesting_the_same_files_again_changes_nothing(pushgate, gate_files, sqlite_url):
    pushgate("ingest", *map(str, gate_files))
    before = _dump(sqlite_url)
    again = pushgate("ingest", *map(str, gate_files))
    assert again.exit_code == 0
    assert [line.split()[1] for line in again.stdout.splitlines()] == ["unchanged"] * 3
    assert _dump(sqlite_url) == before


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"<testsuites><testsuite name='x'><testcase", "not well-formed XML"),
        (b"<assemblies><assembly/></assemblies>", "not a JUnit XML document"),
        (b'<!DOCTYPE testsuites SYSTEM "http://example.invalid/x.dtd"><testsuites/>', "DOCTYPE"),
    ],
    ids=["malformed", "not-junit", "doctype"],
)
def test_a_bad_file_is_refused_in_one_line_and_the_rest_is_ingested(
    pushgate, gate_files, sqlite_url, tmp_path, content, reason
):
    pushgate("ingest", str(gate_files[0]))
    before = _dump(sqlite_url)
    bad = tmp_path / "bad.xml"
    bad.write_bytes(content)
    result = pushgate("ingest", str(bad))
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"pushgate: {bad}: ")
    assert reason in result.stderr
    assert "Traceback" not in result.output
    assert _dump(sqlite_url) == before
    mixed = pushgate("ingest", str(bad), str(gate_files[1]))
    assert mixed.exit_code == 1
    assert "created   flight 17002" in mixed.stdout


def test_different_content_for_a_stored_flight_is_a_conflict_unless_replaced(
    pushgate, gate_files, sqlite_url, tmp_path
):
    pushgate("ingest", str(gate_files[0]))
    before = _dump(sqlite_url)
    other = write(flight(17001, BAD, xen="a"), tmp_path / "other.xml")
    result = pushgate("ingest", "--format", "json", str(other))
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"] == "conflict"
    assert "flight 17001 exists with different content" in result.stderr
    assert _dump(sqlite_url) == before
    replaced = pushgate("ingest", "--replace", "--format", "json", str(other))
    assert replaced.exit_code == 0
    assert json.loads(replaced.stdout)["status"] == "replaced"


def test_options_supply_what_a_foreign_file_does_not_say(pushgate, tmp_path):
    doc = tmp_path / "pytest.xml"
    doc.write_text('<testsuite name="unit"><testcase classname="unit" name="t"/></testsuite>')
    result = pushgate(
        "ingest", "--format", "json", "--branch", "main", "--flight", "7",
        "--revision", "app=1234", "--baseline", "app=1000", "--blessing", "play", str(doc),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["flight"] == 7
    report = json.loads(pushgate("report", "7", "--format", "json").stdout)
    assert (report["branch"], report["blessing"]) == ("main", "play")
    assert (report["revision"], report["baseline"]) == ({"app": "1234"}, {"app": "1000"})


def test_usage_errors(pushgate, gate_files):
    two = pushgate("ingest", "--flight", "5", str(gate_files[0]), str(gate_files[1]))
    assert two.exit_code == 2
    assert "--flight names one flight, but 2 inputs were given" in two.stderr
    bad_pair = pushgate("ingest", "--revision", "xen", str(gate_files[0]))
    assert bad_pair.exit_code == 2
    assert "expected TREE=SHA" in bad_pair.stderr
    missing = pushgate("ingest", "nowhere.xml")
    assert missing.exit_code == 1
    assert "pushgate: nowhere.xml: no such file or directory" in missing.stderr


def test_the_allow_file_makes_a_regression_allowable(pushgate, gate_files, tmp_path, monkeypatch):
    allow = tmp_path / "allow"
    allow.write_text("# allow.xen-unstable\ntest-@@-xl guest-start\n")
    result = pushgate("ingest", "--allow-file", str(allow), *map(str, gate_files[:2]))
    assert "flight 17002 xen-unstable tolerable" in result.stdout
    monkeypatch.setenv("PUSHGATE_ALLOW_FILE", str(tmp_path / "missing"))
    refused = pushgate("ingest", str(gate_files[2]))
    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: cannot read allow file")


def test_the_allow_dir_judges_each_flight_with_its_branch_allow_list(
    pushgate, gate_files, tmp_path, monkeypatch
):
    allow_dir = tmp_path / "allow"
    allow_dir.mkdir()
    (allow_dir / "allow.all").write_text("test-@@-xl guest-start\n")
    (allow_dir / "allow.xen-unstable").write_text("# not on unstable\n!test-@@-xl guest-start\n")
    linux = [
        write(flight(17011, GOOD, xen="a", branch="linux"), tmp_path / "17011.xml"),
        write(flight(17012, BAD, xen="b", baseline="a", branch="linux"), tmp_path / "17012.xml"),
    ]
    monkeypatch.setenv("PUSHGATE_ALLOW_DIR", str(allow_dir))
    result = pushgate("ingest", *map(str, [*gate_files[:2], *linux]))
    assert result.exit_code == 0, result.output
    assert "flight 17002 xen-unstable regressions" in result.stdout
    assert "flight 17012 linux tolerable" in result.stdout  # no allow.linux: allow.all alone
    (allow_dir / "allow.all").write_text("test-@@-xl guest-start # a comment\n")
    refused = pushgate("ingest", str(gate_files[2]))
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"Error: {allow_dir / 'allow.all'}, line 1: expected")
    monkeypatch.setenv("PUSHGATE_ALLOW_DIR", str(tmp_path / "missing"))
    assert "cannot read allow directory" in pushgate("ingest", str(gate_files[2])).stderr


def test_flights_lists_newest_first_as_text_and_json(pushgate, gate_files, tmp_path):
    pushgate("ingest", *map(str, gate_files))
    pushgate("ingest", str(write(flight(17004, GOOD, branch="linux"), tmp_path / "l.xml")))
    text = pushgate("flights", "--branch", "xen-unstable")
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0].split()[:3] == ["flight", "branch", "verdict"]
    assert [line.split()[:4] for line in lines[1:]] == [
        ["17003", "xen-unstable", "perfect", "yes"],
        ["17002", "xen-unstable", "regressions", "no"],
        ["blocking:", "test-amd64-amd64-xl", "guest-start"],  # the README's blocking steps
        ["17001", "xen-unstable", "perfect", "no"],  # nothing known of its baseline
    ]
    page = json.loads(pushgate("flights", "--format", "json").stdout)
    assert [(r["flight"], r["branch"], r["blocking"]) for r in page["flights"]] == [
        (17004, "linux", 0),
        (17003, "xen-unstable", 0),
        (17002, "xen-unstable", 1),
        (17001, "xen-unstable", 0),
    ]
    assert pushgate("flights", "--branch", "none").stdout == "no flights on branch none\n"


def test_the_cli_json_is_the_api_twin(pushgate, gate_files, sqlite_url):
    """One function per page: `pushgate flights/report --format json` print the API twins."""
    from web.app import create_app

    pushgate("ingest", *map(str, gate_files))
    # The flights have no start: they happened when they were ingested, just now.
    later = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    client = create_app({"DATABASE_URL": sqlite_url, "NOW": later}).test_client()
    cli = json.loads(pushgate("flights", "--format", "json", "--now", later).stdout)
    assert len(cli["flights"]) == 3
    assert cli == client.get("/api/v1/flights").get_json()
    cli = json.loads(pushgate("report", "17002", "--format", "json", "--now", later).stdout)
    assert cli == client.get("/api/v1/flights/17002").get_json()
    # As of a day before them, neither shows them.
    assert (
        json.loads(pushgate("flights", "--format", "json", "--now", "2013-03-10").stdout)["flights"]
        == []
    )
    assert client.get("/api/v1/flights/17002?as_of=2013-03-10").status_code == 404
    early = pushgate("report", "17002", "--now", "2013-03-10")
    assert early.exit_code == 1
    assert "flight 17002 had not started by 2013-03-10T00:00:00+00:00" in early.stderr


def test_report_prints_the_email_body_or_json(pushgate, gate_files):
    pushgate("ingest", *map(str, gate_files))
    text = pushgate("report", "17002")
    assert text.exit_code == 0
    assert text.stdout.startswith("Subject: [xen-unstable test] 17002: regressions - FAIL\n")
    assert "REGR. vs. 17001" in text.stdout
    assert text.stdout.rstrip().endswith("Not pushing.")
    report = json.loads(pushgate("report", "17002", "--format", "json").stdout)
    assert {k: report[k] for k in ("flight", "branch", "verdict", "pushed")} == {
        "flight": 17002,
        "branch": "xen-unstable",
        "verdict": "regressions",
        "pushed": False,
    }
    assert [(f["job"], f["testid"], f["classification"], f["blocking"], f["ref_flight"])
            for f in report["failures"]] == [
        ("test-amd64-amd64-xl", "guest-start", "regression", True, 17001)
    ]  # fmt: skip
    unknown = pushgate("report", "99")
    assert unknown.exit_code == 1
    assert unknown.stderr == "Error: no flight 99\n"


def test_the_database_comes_from_the_environment_or_the_current_directory(
    gate_files, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PUSHGATE_DATABASE_URL", raising=False)
    CliRunner().invoke(main, ["ingest", str(gate_files[0])])
    assert (tmp_path / "pushgate.sqlite").is_file()
    other = tmp_path / "env.sqlite"
    monkeypatch.setenv("PUSHGATE_DATABASE_URL", f"sqlite:///{other}")
    result = CliRunner().invoke(main, ["flights"])
    assert result.stderr == f"Error: no database at {other} (ingest results into it first)\n"
    assert not other.exists()  # a command that reads does not create an empty one
    CliRunner().invoke(main, ["ingest", str(gate_files[0])])
    assert "17001" in CliRunner().invoke(main, ["flights"]).stdout
    assert other.is_file()
    monkeypatch.setenv("PUSHGATE_HISTORY_FLIGHTS", "lots")
    bad = CliRunner().invoke(main, ["flights"])
    assert bad.exit_code == 1
    assert "PUSHGATE_HISTORY_FLIGHTS='lots': expected a whole number" in bad.stderr


def test_many_files_are_parsed_ahead_and_still_stored_in_order(pushgate, gate_files, tmp_path):
    bad = tmp_path / "17002b.xml"
    bad.write_bytes(b"<testsuites><testsuite")
    missing = str(tmp_path / "gone.xml")
    paths = [str(gate_files[0]), str(bad), missing, str(gate_files[1]), str(gate_files[2])]
    result = pushgate("ingest", "--format", "json", *paths)
    assert result.exit_code == 1
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["path"], r["status"], r["verdict"]) for r in reports] == [
        (paths[0], "created", "perfect"),
        (paths[1], "error", None),
        (paths[2], "error", None),
        (paths[3], "created", "regressions"),
        (paths[4], "created", "perfect"),
    ]
    *failures, progress = result.stderr.splitlines()  # a line each, then the closing count
    assert [line.startswith("pushgate: ") for line in failures] == [True, True]
    assert progress.startswith("ingesting files: 5/5 in ")


@pytest.mark.slow  # generates the Xen 4.3 story and ingests its 200 flights
def test_demo_builds_its_database_here_and_can_stop_there(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pushgate-demo.sqlite").write_text("an older demo, to be replaced")
    result = CliRunner().invoke(main, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    stages = [line.partition(" in ")[0] for line in result.stderr.splitlines()[:4]]
    assert stages == [  # one line each on a stderr that is no terminal
        "generating flights: 200/200",
        "writing them as JUnit: 200/200",
        "ingesting flights: 200/200",
        "judging the roadmap's days: done",
    ]
    assert "200 flights of xen-unstable from 2012-10-01 to 2013-07-08" in result.stderr
    url = f"sqlite:///{tmp_path / 'pushgate-demo.sqlite'}"
    flights = json.loads(
        CliRunner()
        .invoke(main, ["--database", url, "flights", "--format", "json", "--limit", "500"])
        .stdout
    )["flights"]
    assert len(flights) == 200
    assert {f["verdict"] for f in flights} == {"perfect", "tolerable", "regressions", "trouble"}
    features = json.loads(
        CliRunner()
        .invoke(main, ["--database", url, "features", "--format", "json", "--now", "2013-03-18"])
        .stdout
    )
    assert len(features) == 22
    readiness = {f["slug"]: f["readiness"] for f in features}
    assert readiness["qemu-upstream-default"] == "blocked"
    assert readiness["backend-scripts"] == "ready"
    assert readiness["numa-affinity"] == "untested"
    from web.app import create_app

    client = create_app({"DATABASE_URL": url, "NOW": "2013-03-18"}).test_client()
    # The dashboard shows the demo as of 2013-03-18: a later flight is not there yet.
    newest = client.get("/api/v1/flights").get_json()["flights"][0]["flight"]
    assert client.get(f"/flights/{flights[0]['flight']}").status_code == 404
    for page in (
        "/",
        "/features/qemu-upstream-default",
        "/flights",
        f"/flights/{newest}",
        f"/flights/{newest}/report.txt",
        "/tests/test-amd64-amd64-xl-sedf/guest-start",
        "/branches/xen-unstable",
    ):
        assert client.get(page).status_code == 200, page
        if not page.endswith(".txt"):
            twin = "/api/v1/overview" if page == "/" else "/api/v1" + page
            assert client.get(twin).status_code == 200, twin


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("number", [17001, 17003, 17004, 17006])
def test_the_example_reports_stay_byte_for_byte_the_same(pushgate, monkeypatch, number):
    """examples/reports/ holds osstest-style mails of the example flights, to read beside real ones."""
    allow = str(EXAMPLES / "allow.xen-unstable")
    assert pushgate("ingest", "--allow-file", allow, str(EXAMPLES / "flights")).exit_code == 0
    monkeypatch.setenv(
        "PUSHGATE_LOG_URL", "http://www.chiark.greenend.org.uk/~xensrcts/logs/{flight}/"
    )
    report = pushgate("report", str(number), "--headers", "--now", "2013-03-10")
    assert report.exit_code == 0, report.stderr
    assert report.stdout == (EXAMPLES / "reports" / f"{number}.txt").read_text(encoding="utf-8")
