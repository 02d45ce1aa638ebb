"""Every release on the web: the list, a release's page with its updates, the release picker and
`?release=` on the pages that show a roadmap, and their twins."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.conftest import Build
from tests.web.conftest import make_client
from tests.web.test_cli_roadmap import NEXT, ROADMAP


@pytest.fixture(scope="module")
def client(build_sqlite: Build, tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    """4.3 in two updates (2013-03-01, 2013-03-08), and 4.4 (2013-03-10) carrying sedf."""
    here = tmp_path_factory.mktemp("releases")
    imports = []
    for name, text in (
        ("first.toml", ROADMAP),
        ("second.toml", ROADMAP.replace("as_of = 2013-03-01", 'as_of = 2013-03-08\nsummary = """\nA week on.\n\nThe pair broke.\n"""').replace('title = "SEDF scheduler"\nowners = []\nstatus = "good"', 'title = "SEDF scheduler"\nowners = []\nstatus = "poor"\nnotes = "nobody works on it"')),
        ("next.toml", NEXT),
    ):  # fmt: skip
        (here / name).write_text(text)
        imports.append(["roadmap", "import", str(here / name)])
    return make_client(build_sqlite(*imports), "2013-03-11")


def test_the_list_of_releases_has_every_release_with_its_dates_and_updates(client):
    twin = client.get("/api/v1/releases").get_json()
    assert [
        (r["release"]["release"], r["features"], r["updates"], r["newest_update"][:10])
        for r in twin["releases"]
    ] == [("4.4", 2, 1, "2013-03-10"), ("4.3", 7, 2, "2013-03-08")]
    page = client.get("/releases/").get_data(as_text=True)
    assert 'href="/releases/4.4"' in page and 'href="/releases/4.3"' in page
    # As of a moment before 4.4 was written, only 4.3 is there, with its first update.
    before = client.get("/api/v1/releases?as_of=2013-03-05").get_json()["releases"]
    assert [(r["release"]["release"], r["updates"]) for r in before] == [("4.3", 1)]


def test_a_release_page_shows_the_update_in_force_and_the_features_as_declared(client):
    twin = client.get("/api/v1/releases/4.3").get_json()
    assert twin["update"] == {
        "at": "2013-03-08T00:00:00+00:00",
        "summary": "A week on.\n\nThe pair broke.\n",
    }
    sedf = next(f for f in twin["features"] if f["slug"] == "sedf")
    assert (sedf["declared_status"], sedf["notes"], sedf["carried_to"]) == (
        "poor", "nobody works on it", ["4.4"]
    )  # fmt: skip
    page = client.get("/releases/4.3").get_data(as_text=True)
    assert "<p>A week on.</p><p>The pair broke.</p>" in page
    assert 'href="/features/sedf?release=4.4"' in page
    then = client.get("/api/v1/releases/4.3?as_of=2013-03-05").get_json()
    assert (then["update"]["at"][:10], then["later_updates"]) == ("2013-03-01", 1)
    assert next(f for f in then["features"] if f["slug"] == "sedf")["declared_status"] == "good"
    assert client.get("/releases/4.5").status_code == 404
    assert client.get("/api/v1/releases/4.5").get_json() == {"error": "no release '4.5'"}


def test_release_picks_the_roadmap_of_the_overview_and_is_carried_by_its_links(client):
    latest = client.get("/api/v1/overview").get_json()
    assert latest["release"]["release"] == "4.4"
    older = client.get("/api/v1/overview?release=4.3").get_json()
    assert (older["release"]["release"], len(older["features"])) == ("4.3", 7)
    page = client.get("/?release=4.3").get_data(as_text=True)
    assert '<nav class="picker" aria-label="Release">' in page
    assert 'href="/?release=4.4"' in page
    assert 'href="/features/xl?release=4.3"' in page  # the features table's links carry it
    assert client.get("/?release=9.9").status_code == 404
    csv = client.get("/features.csv?release=4.3").get_data(as_text=True)
    assert csv.count("\n") == 8  # a heading and the 7 features of 4.3
    assert client.get("/api/v1/features?release=4.4").get_json()[0]["slug"] == "sedf"


def test_a_feature_page_is_of_one_release_and_links_the_release_it_was_carried_to(client):
    carried = client.get("/api/v1/features/sedf").get_json()  # the latest release that has it
    assert (carried["release"]["release"], carried["carried_from"]) == ("4.4", "4.3")
    earlier = client.get("/api/v1/features/sedf?release=4.3").get_json()
    assert (earlier["title"], earlier["carried_to"]) == ("SEDF scheduler", ["4.4"])
    assert [(d["at"][:10], d["status"], d["notes"]) for d in earlier["declarations"]] == [
        ("2013-03-08", "poor", "nobody works on it"),
        ("2013-03-01", "good", ""),
    ]
    page = client.get("/features/sedf?release=4.3").get_data(as_text=True)
    assert 'carried to <a href="/features/sedf?release=4.4">4.4</a>' in page
    assert client.get("/features/oldkern?release=4.4").status_code == 404
    assert client.get("/features/oldkern").status_code == 200  # only 4.3 has it
