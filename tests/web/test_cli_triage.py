"""`pushgate triage` on both engines: import with a plan and a dry run, rules applied to past
failures but not as of a moment before them, every change kept with who made it and when."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from tests.conftest import EXAMPLES
from web.app import create_app
from web.cli import main

RULES = """\
[[rule]]
name = "guest-start-timeout"
kind = "product"
bug_url = "https://bugs.xenproject.org/xen/bug/12"
testid = "guest-start"
message = 'did not respond in <N>s'

[[rule]]
name = "build-lab"
kind = "infrastructure"
job = "build-*"
"""


@pytest.fixture
def examples(db_url: str) -> str:
    """The example flights, ingested into a new store of each engine."""
    allow = str(EXAMPLES / "allow.xen-unstable")
    ingest = ["--database", db_url, "ingest", "--allow-file", allow, str(EXAMPLES / "flights")]
    assert CliRunner().invoke(main, ingest).exit_code == 0
    return db_url


def _run(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--database", url, "triage", *args])
    return result.exit_code, result.output


def _client(url: str) -> FlaskClient:
    return create_app({"DATABASE_URL": url, "NOW": "2013-07-31"}).test_client()


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "known.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_dry_run_prints_the_plan_and_stores_nothing(examples, tmp_path):
    code, said = _run(examples, "import", "--dry-run", _write(tmp_path, RULES))
    assert code == 0, said
    assert "created rule guest-start-timeout: product" in said
    assert "created rule build-lab: infrastructure" in said
    assert said.rstrip().endswith("dry run: nothing was stored")
    assert _run(examples, "rules")[1] == "no rules\n"


def test_a_bad_file_is_one_line_and_stores_nothing(examples, tmp_path):
    code, said = _run(
        examples, "import", _write(tmp_path, RULES.replace('kind = "product"', 'kind = "bug"'))
    )
    assert code == 1
    assert said.strip().endswith(
        "line 3: rule 'guest-start-timeout': unknown kind 'bug' (use one of product, infrastructure, test, expected)"
    )
    assert said.count("\n") == 1
    assert _run(examples, "rules")[1] == "no rules\n"


def test_a_rule_classifies_the_failures_before_it_but_not_as_of_a_moment_before_it(
    examples, tmp_path
):
    client = _client(examples)
    before = client.get("/api/v1/flights/17006").get_json()
    assert before["triage"] is None and all(f["known"] is None for f in before["failures"])
    # The example flights are from March 2013; the rules are made in July.
    file = _write(tmp_path, RULES)
    code, said = _run(examples, "import", "--by", "ian", "--as-of", "2013-07-01", file)
    assert code == 0, said
    flight = client.get("/api/v1/flights/17006").get_json()
    failing = [
        f
        for f in flight["failures"]
        if f["stepno"] is not None and f["status"] in ("fail", "broken")
    ]
    assert flight["triage"] == {"known": 2, "total": len(failing)} == {"known": 2, "total": 2}
    assert {f["known"]["rule"] for f in failing} == {"guest-start-timeout"}
    assert failing[0]["known"]["bug_url"] == "https://bugs.xenproject.org/xen/bug/12"
    html = client.get("/flights/17006").get_data(as_text=True)
    assert (
        "2 of 2 failures known" in html and 'href="https://bugs.xenproject.org/xen/bug/12"' in html
    )
    early = client.get("/api/v1/flights/17006?as_of=2013-06-30").get_json()
    assert early["triage"] is None
    assert "failures known" not in client.get("/flights/17006?as_of=2013-06-30").get_data(
        as_text=True
    )


def test_the_untriaged_failures_come_first(examples, tmp_path):
    builds = _write(tmp_path, RULES.split("\n\n")[1])
    assert _run(examples, "import", "--as-of", "2013-07-01", builds)[0] == 0
    client = _client(examples)
    as_found = client.get("/api/v1/flights/17004?as_of=2013-06-01").get_json()["failures"]
    flight = client.get("/api/v1/flights/17004").get_json()
    steps = [(f["job"], f["testid"], f["known"] and f["known"]["rule"]) for f in flight["failures"]]
    assert steps[-1] == ("build-i386", "host-install(2)", "build-lab")
    assert [s[:2] for s in steps] != [(f["job"], f["testid"]) for f in as_found]
    assert flight["triage"] == {"known": 1, "total": 2}


def test_a_changed_rule_keeps_its_history_with_who_and_when(examples, tmp_path):
    file = _write(tmp_path, RULES)
    assert _run(examples, "import", "--by", "ian", "--as-of", "2013-07-01", file)[0] == 0
    changed = _write(tmp_path, RULES.replace('job = "build-*"', 'job = "build-i386*"'))
    code, said = _run(examples, "import", "--by", "wei", "--as-of", "2013-07-10", changed)
    assert code == 0
    assert "changed rule build-lab: job 'build-*' -> 'build-i386*'" in said
    assert "1 rule unchanged" in said
    history = json.loads(_run(examples, "history", "build-lab", "--format", "json")[1])
    assert [(v["by"], v["at"][:10], v["rule"]["job"]) for v in history] == [
        ("ian", "2013-07-01", "build-*"),
        ("wei", "2013-07-10", "build-i386*"),
    ]
    then = json.loads(_run(examples, "rules", "--as-of", "2013-07-05", "--format", "json")[1])
    assert {v["rule"]["name"]: v["rule"]["job"] for v in then}["build-lab"] == "build-*"
    # Retiring: the rule is gone from then on, and stays in the history.
    only = _write(tmp_path, RULES.split("\n\n")[0] + "\n")
    code, said = _run(examples, "import", "--retire-missing", "--as-of", "2013-07-20", only)
    assert "retired rule build-lab" in said
    now = json.loads(_run(examples, "rules", "--format", "json")[1])
    assert [v["rule"]["name"] for v in now] == ["guest-start-timeout"]
    assert len(json.loads(_run(examples, "history", "--format", "json")[1])) == 4
