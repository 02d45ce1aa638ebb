"""`pushgate triage accept` and `accepted`, and POST /api/v1/triage/accept with a token."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from gate.store import tokens
from gate.store.db import make_engine, unit_of_work, upgrade
from gate.store.roadmap import plan_update, save_plan
from ingest.roadmap_file import read_update
from tests.conftest import Run
from web.app import create_app
from web.db import engine

ROADMAP = """\
[release]
name = "9.9"
branch = "xen-unstable"
feature_freeze = 2099-03-25
code_freeze = 2099-04-15
release = 2099-06-15
as_of = 2020-03-01

[[feature]]
slug = "migration"
title = "Live migration"
status = "good"
tests = ["test-*-pair guest-*"]
"""
PAIR = ("test-amd64-amd64-pair", "guest-migrate")


def _roadmap(tmp_path: Path, pushgate: Run) -> None:
    path = tmp_path / "roadmap.toml"
    path.write_text(ROADMAP)
    assert pushgate("roadmap", "import", str(path)).exit_code == 0


def test_an_acceptance_is_kept_listed_and_withdrawn(tmp_path: Path, pushgate: Run):
    _roadmap(tmp_path, pushgate)
    said = pushgate(
        "triage", "accept", *PAIR, "--by", "Ian", "--until", "2099-01-01", "--reason", "known bug"
    )
    assert said.exit_code == 0, said.output
    assert said.output == (
        "accepted: test-amd64-amd64-pair guest-migrate for 9.9, "
        "accepted by Ian until 2099-01-01: known bug\n"
    )
    listed = json.loads(pushgate("triage", "accepted", "--format", "json").output)
    assert listed["release"] == "9.9"
    assert [(a["job"], a["testid"], a["by"], a["until"]) for a in listed["accepted"]] == [
        (*PAIR, "Ian", "2099-01-01")
    ]
    # As of before it was made, nothing held.
    before = pushgate("triage", "accepted", "--now", "2020-01-01")
    assert before.output == "nothing is accepted for 9.9\n"
    gone = pushgate("triage", "accept", *PAIR, "--by", "Ian", "--withdraw")
    assert gone.exit_code == 0 and gone.output.startswith("withdrawn: ")
    assert pushgate("triage", "accepted").output == "nothing is accepted for 9.9\n"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--by", "Ian", "--reason", "r"], "an acceptance has an expiry: give --until DATE"),
        (["--by", "Ian", "--until", "2020-01-01", "--reason", "r"], "before it is made"),
        (["--by", "Ian", "--until", "soon", "--reason", "r"], "is not a date"),
        (["--by", "Ian", "--until", "2099-01-01"], "an acceptance says why: give --reason TEXT"),
        (["--by", " ", "--until", "2099-01-01", "--reason", "r"], "names who accepts it"),
        (["--by", "Ian", "--withdraw"], "was never accepted for 9.9: nothing to withdraw"),
        (["--by", "Ian", "--until", "2099-01-01", "--reason", "r", "--release", "1.0"],
         "no release '1.0'"),
    ],
)  # fmt: skip
def test_an_acceptance_that_cannot_be_kept_is_refused_in_one_sentence(
    tmp_path: Path, pushgate: Run, args: list[str], said: str
):
    _roadmap(tmp_path, pushgate)
    result = pushgate("triage", "accept", *PAIR, *args)
    assert result.exit_code != 0
    assert said in result.output and "Traceback" not in result.output
    assert pushgate("triage", "accepted").output == "nothing is accepted for 9.9\n"


@pytest.fixture
def client(db_url: str) -> FlaskClient:
    made = make_engine(db_url)
    upgrade(made)
    with unit_of_work(made) as session:
        update = read_update(ROADMAP, "roadmap.toml")
        assert update.as_of is not None
        save_plan(session, plan_update(session, update, update.as_of), update.as_of)
    made.dispose()
    return create_app({"DATABASE_URL": db_url, "TESTING": True}).test_client()


def _token(client: FlaskClient) -> str:
    with client.application.app_context(), unit_of_work(engine()) as session:
        return tokens.create(session, "release-manager", datetime.now(UTC))


def test_the_api_accepts_with_a_token_by_its_name(client: FlaskClient):
    body = {"job": PAIR[0], "testid": PAIR[1], "until": "2099-01-01", "reason": "known bug"}
    refused = client.post("/api/v1/triage/accept", json=body)
    assert refused.status_code == 401
    auth = {"Authorization": f"Bearer {_token(client)}"}
    made = client.post("/api/v1/triage/accept", json=body, headers=auth)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["by"] == "release-manager"
    listed = client.get("/api/v1/triage/accepted").get_json()
    assert [(a["testid"], a["by"], a["reason"]) for a in listed["accepted"]] == [
        (PAIR[1], "release-manager", "known bug")
    ]
    named = client.post("/api/v1/triage/accept", json={**body, "by": "Ian"}, headers=auth)
    assert named.get_json()["by"] == "Ian"
    bad = client.post("/api/v1/triage/accept", json={**body, "until": "later"}, headers=auth)
    assert bad.status_code == 400 and "until must be a date" in bad.get_json()["error"]
    unknown = client.post("/api/v1/triage/accept", json={**body, "release": "1.0"}, headers=auth)
    assert unknown.status_code == 404
    gone = client.post(
        "/api/v1/triage/accept", json={"job": PAIR[0], "testid": PAIR[1], "withdraw": True},
        headers=auth,
    )  # fmt: skip
    assert gone.status_code == 200 and gone.get_json()["withdrawn"] is True
    assert client.get("/api/v1/triage/accepted").get_json()["accepted"] == []


def test_the_status_mail_lists_what_was_accepted_and_says_nothing_of_it_otherwise(
    tmp_path: Path, pushgate: Run
):
    _roadmap(tmp_path, pushgate)
    said = ("--by", "Ian", "--until", "2099-01-01", "--reason", "known bug")
    assert pushgate("triage", "accept", *PAIR, *said).exit_code == 0
    # Made now (by the clock): as of a moment before, the mail says nothing of it.
    before = pushgate("roadmap", "status", "--now", "2026-01-01")
    assert before.exit_code == 0, before.output
    assert "Accepted regressions" not in before.output
    mail = pushgate("roadmap", "status", "--now", "2098-12-01").output
    tail = " ".join(mail[mail.index("Accepted regressions") :].split())
    assert tail == (
        "Accepted regressions (1): * test-amd64-amd64-pair guest-migrate, "
        "accepted by Ian until 2099-01-01: known bug"
    )
    markdown = pushgate("roadmap", "status", "--now", "2098-12-01", "--format", "markdown")
    assert "## Accepted regressions (1)" in markdown.output
    twin = json.loads(
        pushgate("roadmap", "status", "--now", "2098-12-01", "--format", "json").output
    )
    assert [(a["job"], a["by"]) for a in twin["accepted"]] == [(PAIR[0], "Ian")]
    # After it expired, nothing again.
    after = pushgate("roadmap", "status", "--now", "2099-01-03").output
    assert "Accepted regressions" not in after
