"""CSV of the features table and of a test's history: the page's rows, quoted by the csv module."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from web.app import create_app
from web.export import _cell

PAIR = {"job": "test-amd64-amd64-pair", "testid": "guest-migrate/src_host/dst_host"}


def rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_features_csv_is_the_table_as_shown(client):
    response = client.get("/features.csv?sort=pass_rate&order=desc")
    assert response.headers["Content-Disposition"] == 'attachment; filename="features.csv"'
    table = rows(response)
    shown = client.get("/api/v1/features?sort=pass_rate&order=desc").get_json()
    assert [r["slug"] for r in table] == [f["slug"] for f in shown]
    first = table[0]
    assert list(first) == [
        "slug",
        "title",
        "readiness",
        "declared_status",
        "owners",
        "pass_rate",
        "tests",
        "blocking",
        "mismatch",
        "reasons",
    ]
    assert float(first["pass_rate"]) == pytest.approx(shown[0]["pass_rate"], abs=1e-4)
    assert first["tests"] == str(len(shown[0]["tests"]))
    # Titles and reasons hold commas: quoted, they come back whole.
    assert any("," in r["reasons"] for r in table)
    filtered = rows(client.get("/features.csv?readiness=untested"))
    assert filtered and {r["readiness"] for r in filtered} == {"untested"}


def test_the_overview_links_its_csv_with_its_filters(client):
    page = client.get("/?readiness=untested&sort=slug").get_data(as_text=True)
    assert 'href="/features.csv?readiness=untested&amp;sort=slug"' in page


def test_a_tests_history_csv_is_its_page_newest_first(client):
    response = client.get("/tests.csv", query_string=PAIR)
    disposition = response.headers["Content-Disposition"]
    assert disposition == (
        'attachment; filename="test-amd64-amd64-pair_guest-migrate_src_host_dst_host.csv"'
    )
    history = rows(response)
    page = client.get("/api/v1/tests", query_string=PAIR).get_json()
    assert [int(r["flight"]) for r in history] == [h["flight"] for h in reversed(page["history"])]
    assert [r["status"] for r in history] == ["pass", "pass", "pass", "fail", "fail", "pass"]
    assert history[3]["host"] == "itch-mite,field-cricket"
    assert "/tests.csv?job=test-amd64-amd64-pair&amp;testid=guest-migrate" in (
        client.get("/tests/test-amd64-amd64-pair/guest-migrate/src_host/dst_host").get_data(
            as_text=True
        )
    )


def test_a_csv_of_nothing_is_a_404_or_400(client):
    assert client.get("/tests.csv?job=nothing&testid=none").status_code == 404
    assert client.get("/tests.csv?job=nothing").status_code == 400
    assert client.get("/features.csv?sort=bogus").status_code == 400


def test_text_a_spreadsheet_would_run_stays_text():
    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("@SUM") == "'@SUM"
    assert _cell(HOSTILE) == "'" + HOSTILE
    assert _cell(-2) == -2  # a number is a number
    assert _cell("test-amd64 guest-start") == "test-amd64 guest-start"
    assert _cell(None) == ""
    assert _cell(3) == 3


HOSTILE = "-2+3+cmd|' /C calc'!A0"


def test_every_csv_export_keeps_what_a_spreadsheet_would_run_as_text(tmp_path):
    """A testid, a branch, a host, a title and an owner that a spreadsheet would run, through
    ingest and roadmap import to both exports: each such cell starts with `'`."""
    from click.testing import CliRunner

    from gate.model import Flight, Job, Status, Step, TestKey
    from ingest.osstest_junit import write_flight
    from web.cli import main

    job = "test-amd64-amd64-xl"
    steps = (
        Step(TestKey(job, HOSTILE), 1, Status.FAIL),
        Step(TestKey(job, "guest-start"), 2, Status.PASS),
    )
    jobs = (Job(job, Status.FAIL, steps, host="@SUM(A1)"),)
    made = Flight(17001, "=HYPERLINK(1)", jobs, started=datetime(2013, 3, 1, tzinfo=UTC))
    with (tmp_path / "f.xml").open("wb") as out:
        write_flight(made, out)
    (tmp_path / "roadmap.toml").write_text(
        '[release]\nname = "9.9"\nbranch = "=HYPERLINK(1)"\nfeature_freeze = 2013-03-25\n'
        "code_freeze = 2013-04-15\nrelease = 2013-06-17\nas_of = 2013-03-01\n\n"
        '[[feature]]\nslug = "evil"\ntitle = "+SUM(1)"\nowners = ["@owner"]\nstatus = "good"\n'
        f'tests = ["{job}"]\n',
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    run = CliRunner().invoke
    assert run(main, ["--database", url, "ingest", str(tmp_path / "f.xml")]).exit_code == 0
    imported = run(main, ["--database", url, "roadmap", "import", str(tmp_path / "roadmap.toml")])
    assert imported.exit_code == 0, imported.output
    client = create_app({"DATABASE_URL": url, "NOW": "2013-03-10"}).test_client()
    (feature,) = rows(client.get("/features.csv"))
    assert (feature["title"], feature["owners"]) == ("'+SUM(1)", "'@owner")
    (history,) = rows(client.get("/tests.csv", query_string={"job": job, "testid": HOSTILE}))
    assert (history["branch"], history["host"]) == ("'=HYPERLINK(1)", "'@SUM(A1)")
    for table in (feature, history):
        assert not any(str(cell).startswith(("=", "+", "-", "@")) for cell in table.values())
