"""The demo's status update as of 2013-03-18, a week before the 4.3 feature freeze, kept in
examples/ to read beside the seed's roadmap mail; a test keeps it byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from web.cli import main

GOLDEN = Path(__file__).resolve().parents[2] / "examples" / "status-4.3-2013-03-18.txt"
COMMAND = ["roadmap", "status", "--release", "4.3", "--now", "2013-03-18"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Build the demo's database with `pushgate demo --no-serve`, in a folder of its own."""
    here = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(here)
        built = CliRunner().invoke(main, ["demo", "--no-serve"])
    assert built.exit_code == 0, built.output
    return f"sqlite:///{here / 'pushgate-demo.sqlite'}"


@pytest.mark.slow  # generates the Xen 4.3 story and ingests its 200 flights
def test_the_demos_status_update_names_every_feature_and_is_the_example(demo):
    result = CliRunner().invoke(main, ["--database", demo, *COMMAND])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    features = json.loads(
        CliRunner().invoke(main, ["--database", demo, "features", "--format", "json"]).stdout
    )
    sections = result.stdout.split("\nChanges since")[0]
    for feature in features:
        assert sections.count(f"[{feature['slug']}]") == 1, feature["slug"]
    assert result.stdout == GOLDEN.read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_demos_page_text_and_twin_are_the_commands(demo):
    from web.app import create_app

    client = create_app({"DATABASE_URL": demo, "NOW": "2013-03-18"}).test_client()
    assert client.get("/releases/4.3/status").status_code == 200
    text = client.get("/releases/4.3/status.txt").get_data(as_text=True)
    assert text == GOLDEN.read_text(encoding="utf-8")
    twin = client.get("/api/v1/releases/4.3/status").get_json()
    found = CliRunner().invoke(main, ["--database", demo, *COMMAND, "--format", "json"])
    assert twin == json.loads(found.stdout)
