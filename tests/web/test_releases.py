"""The status update's page, its text and its twin agree with `pushgate roadmap status`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from markupsafe import escape

from web.cli import main

NOW = "2013-03-10"
PAGE = "/releases/4.3/status"


def _command(example_db: str, *args: str) -> str:
    result = CliRunner().invoke(main, ["--database", example_db, "roadmap", "status", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("since", [None, "2013-03-05"])
def test_the_pages_text_is_the_commands_text(client, example_db, since):
    query = f"?since={since}" if since else ""
    page = client.get(f"{PAGE}.txt{query}")
    assert page.status_code == 200
    assert page.mimetype == "text/plain"
    extra = ("--since", since) if since else ()
    assert page.get_data(as_text=True) == _command(
        example_db, "--release", "4.3", "--now", NOW, *extra
    )


def test_the_twin_is_the_commands_json(client, example_db):
    twin = client.get(f"/api/v1{PAGE}")
    assert twin.status_code == 200
    found = _command(example_db, "--release", "4.3", "--now", NOW, "--format", "json")
    assert twin.get_json() == json.loads(found)
    assert set(twin.get_json()) == {
        "release",
        "update",
        "as_of",
        "since",
        "window_flights",
        "groups",
        "changes",
        "unowned",
        "gate",
        "text",
        "accepted",
    }


def test_the_page_shows_every_section_every_feature_and_the_mail(client):
    page = client.get(PAGE)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    twin = client.get(f"/api/v1{PAGE}").get_json()
    for group in twin["groups"]:
        assert f">{group['heading']} ({len(group['features'])})</h2>" in body
        for feature in group["features"]:
            assert f'href="/features/{feature["slug"]}?release=4.3"' in body
            assert str(escape(feature["evidence"])) in body
    assert f'<pre class="report">{escape(twin["text"])}</pre>' in body
    assert 'href="/releases/4.3/status.txt"' in body
    assert 'href="/api/v1/releases/4.3/status"' in body


def test_a_view_of_the_past_is_the_command_with_that_now(client, example_db):
    page = client.get(f"{PAGE}.txt?as_of=2013-03-08")
    assert page.get_data(as_text=True) == _command(example_db, "--now", "2013-03-08")


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("since=soon", "since: expected a date such as 2013-03-18, got 'soon'"),
        ("since=2013-03-10", "since: the last update (2013-03-10 00:00) must be before this one"),
        ("since=2013-03-01&since=2013-03-02", "since: expected one value, got 2"),
    ],
)
def test_a_bad_since_is_a_400_that_says_why(client, query, said):
    twin = client.get(f"/api/v1{PAGE}?{query}")
    assert twin.status_code == 400
    assert twin.get_json()["error"].startswith(said)
    page = client.get(f"{PAGE}?{query}")
    assert page.status_code == 400
    assert str(escape(said)) in page.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/releases/9.9/status", "/releases/9.9/status.txt"])
def test_an_unknown_release_is_a_404(client, path):
    found = client.get(path)
    assert found.status_code == 404
    assert "no release &#39;9.9&#39;" in found.get_data(as_text=True)
    assert client.get("/api/v1/releases/9.9/status").get_json() == {"error": "no release '9.9'"}


def test_the_command_writes_markdown_and_says_what_is_wrong_in_a_sentence(example_db):
    markdown = _command(example_db, "--now", NOW, "--format", "markdown")
    assert markdown.startswith("# Release 4.3 status update, 2013-03-10\n")
    assert "\n## Blocked (" in markdown
    run = CliRunner().invoke
    bad = run(main, ["--database", example_db, "roadmap", "status", "--since", "soon"])
    assert bad.exit_code == 2
    assert "Invalid value for '--since': expected a date such as 2013-03-18" in bad.stderr
    unknown = run(main, ["--database", example_db, "roadmap", "status", "--release", "9.9"])
    assert unknown.exit_code == 1
    assert unknown.stderr == "Error: no release '9.9'\n"
