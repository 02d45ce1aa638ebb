"""Comparing two flights: the page, its JSON twin and `pushgate compare`, on the example flights."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from web.cli import main

NOW = "2013-03-10"


def _cli(example_db: str, *args: str):
    return CliRunner().invoke(main, ["--database", example_db, "compare", *args, "--now", NOW])


def test_the_page_shows_each_kind_with_its_steps(client):
    response = client.get("/compare/17003/17004")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<title>Flight 17003 against 17004 · pushgate</title>" in html
    for heading in ("Regressions", "New failures", "Not run", "Disappeared", "Fixed"):
        assert f"<h2>{heading} <span" in html
    assert "New passes" not in html
    assert (
        "Regressions: 1 · New failures: 1 · Not run: 1 · Disappeared: 18 · Fixed: 2 · "
        "Still failing: 1"
    ) in html
    # The broken job's `<job status>` line is no step: named, not linked.
    assert '<span class="mono">&lt;job status&gt;</span>' in html
    assert '<a class="mono" href="/tests/build-i386/host-install(2)">host-install(2)</a>' in html
    assert "REGR. vs. 17001 <strong>blocking</strong>" in html
    assert 'href="/compare/17004/17003"' in html
    assert 'href="/api/v1/compare/17003/17004"' in html


def test_the_twin_is_the_cli_json_and_the_text_says_the_same(client, example_db):
    twin = client.get("/api/v1/compare/17001/17003").get_json()
    cli = _cli(example_db, "17001", "17003", "--format", "json")
    assert cli.exit_code == 0
    assert json.loads(cli.stdout) == twin
    assert {k: v for k, v in twin["counts"].items() if v} == {"regression": 2, "still_failing": 1}
    regression = twin["groups"][0]["lines"][0]
    assert regression == {
        "job": "test-amd64-amd64-pair",
        "testid": "guest-migrate/src_host/dst_host",
        "change": "regression",
        "status_a": "pass",
        "status_b": "fail",
        "summary": "REGR. vs. 17001",
        "blocking": True,
        "whole_job": False,
    }
    text = _cli(example_db, "17001", "17003").stdout.splitlines()
    assert text[0] == (
        "compare 17001 (xen-unstable real, tolerable) with 17003 (xen-unstable real, regressions):"
        " regressions 2, still failing 1"
    )
    assert text[1:4] == [
        "",
        "Regressions (2): passed in A, did not pass in B",
        "  test-amd64-amd64-pair guest-migrate/src_host/dst_host: pass -> fail"
        "  REGR. vs. 17001 (blocking)",
    ]
    assert text[-2:] == [
        "Still failing (1): did not pass in A or in B",
        "  test-amd64-amd64-xl-pcipt-intel guest-start: fail -> fail  never pass",
    ]


def test_a_page_of_a_long_comparison_is_the_same_page_everywhere(client, example_db, monkeypatch):
    monkeypatch.setattr("gate.read.compare.COMPARE_LINES", 5)
    twin = client.get("/api/v1/compare/17003/17004?page=2").get_json()
    assert (twin["page"], twin["pages"], twin["total"]) == (2, 5, 24)
    cli = _cli(example_db, "17003", "17004", "--page", "2", "--format", "json")
    assert json.loads(cli.stdout) == twin
    assert _cli(example_db, "17003", "17004", "--page", "2").stdout.endswith(
        "page 2 of 5 (--page)\n"
    )
    html = client.get("/compare/17003/17004?page=2").get_data(as_text=True)
    assert 'href="/compare/17003/17004?page=1"' in html
    assert 'href="/compare/17003/17004?page=3"' in html
    assert 'href="/api/v1/compare/17003/17004?page=2"' in html


def test_the_flight_page_links_to_its_baseline_and_predecessor_comparisons(client):
    html = client.get("/flights/17004").get_data(as_text=True)
    assert 'baseline flight <a href="/flights/17001">17001</a>' in html
    assert '(<a href="/compare/17001/17004">compare</a>)' in html
    assert 'previous flight <a href="/flights/17003">17003</a>' in html
    assert '(<a href="/compare/17003/17004">compare</a>)' in html
    assert client.get("/compare/17003/17004").status_code == 200
    past = client.get("/flights/17004?as_of=2013-03-08").get_data(as_text=True)
    assert 'href="/compare/17003/17004?as_of=2013-03-08"' in past
    assert client.get("/api/v1/flights/17004").get_json()["previous_flight"] == 17003
    first = client.get("/flights/17001").get_data(as_text=True)
    assert "/compare/" not in first


@pytest.mark.parametrize(
    ("url", "missing"),
    [
        ("/compare/99/17003", "no flight 99"),
        ("/compare/17003/99", "no flight 99"),
        ("/compare/17001/17004?as_of=2013-03-05", "no flight 17004"),
    ],
)
def test_a_missing_flight_is_a_404_that_names_it(client, url, missing):
    page = client.get(url)
    assert page.status_code == 404
    assert missing in page.get_data(as_text=True)
    twin = client.get("/api/v1" + url)
    assert twin.status_code == 404
    assert twin.get_json() == {"error": missing}


@pytest.mark.parametrize("url", ["/compare/0/17003", "/compare/17003/2147483648", "/compare/a/b"])
def test_a_flight_number_out_of_range_matches_no_page(client, url):
    assert client.get(url).status_code == 404


def test_a_bad_page_is_a_400(client):
    response = client.get("/api/v1/compare/17001/17003?page=0")
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("page='0': expected a whole number")


def test_the_command_says_in_one_sentence_which_flight_is_missing(example_db):
    missing = _cli(example_db, "99", "17003")
    assert (missing.exit_code, missing.stderr) == (1, "Error: no flight 99\n")
    early = CliRunner().invoke(
        main, ["--database", example_db, "compare", "17001", "17004", "--now", "2013-03-05"]
    )
    assert early.exit_code == 1
    assert early.stderr == (
        "Error: flight 17004 had not started by 2013-03-05T00:00:00+00:00 (--now)\n"
    )
    assert CliRunner().invoke(main, ["compare", "--help"]).exit_code == 0


def test_the_readme_names_every_kind_and_the_page_size():
    from pathlib import Path

    from gate.compare import Change
    from gate.read.compare import COMPARE_LINES

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Comparing two flights") :][:1500]
    assert f"{COMPARE_LINES} steps a page" in section
    for change in Change:
        assert f"*{change.value.replace('_', ' ')}*" in section
