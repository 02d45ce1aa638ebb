"""What every page shares (the Gate link, the favicon) and the small things a user reads: the
blessing of each flight, a letter on every cell that did not pass, how the tables sort."""

from __future__ import annotations

import re

import pytest

from gate.model import Status
from gate.read.cells import Cell
from web.pages import FAVICON
from web.words import STATUS_MARKS, cell_mark, days_from_now

from .test_pages import PAGES, UNKNOWN


@pytest.mark.parametrize("url", [*PAGES, "/search?q=xl", UNKNOWN[0]])
def test_every_page_links_the_gate_of_the_release_branch(client, url):
    page = client.get(url).get_data(as_text=True)
    assert '<a href="/branches/xen-unstable">Gate: xen-unstable</a>' in page


def test_the_favicon_is_served_where_browsers_ask_for_it(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.data.startswith(b"<svg")


def test_the_flight_list_says_each_flights_blessing(client):
    page = client.get("/flights").get_data(as_text=True)
    assert "<th>Blessing</th>" in page
    assert page.count("<td>real</td>") == 6
    assert "Only a flight blessed <code>real</code> is pushed" in page


def test_every_cell_that_did_not_pass_has_a_letter_and_the_legend_says_it():
    assert cell_mark(Cell(Status.PASS)) == ""
    assert cell_mark(None) == ""
    assert {cell_mark(Cell(status)) for status in Status if status is not Status.PASS} >= {
        "F",
        "B",
        "b",
        "s",
        "S",
        "U",
    }
    assert cell_mark(Cell(Status.STARVED)) == "s"
    assert set(STATUS_MARKS) <= set(Status)


def test_the_grids_letters_and_their_legend(client):
    page = client.get("/flights/17003").get_data(as_text=True)
    letters = re.findall(r'<td class="cell s-(\w+)[^"]*"\s+title="[^"]*"><a [^>]*>(\w*)</a>', page)
    assert letters
    assert all(letter for status, letter in letters if status != "pass")
    assert "R" in {letter for _status, letter in letters}
    for legend in (
        "R</i>blocks the push",
        "F</i>fail",
        "B</i>broken",
        "b</i>blocked",
        "s</i>starved",
    ):
        assert legend in page
    strip = client.get("/tests/test-amd64-amd64-pair/guest-migrate/src_host/dst_host")
    assert re.search(r'class="cell s-fail[^"]*"[^>]*>[RF]</a>', strip.get_data(as_text=True))


def test_broken_blocked_and_starved_look_different():
    css = (FAVICON.parent / "pushgate.css").read_text(encoding="utf-8")
    colours = {
        status: re.search(rf"\.cell\.s-{status} \{{ background: (#\w+)", css)
        for status in ("broken", "blocked", "starved")
    }
    assert all(colours.values())
    assert len({found[1] for found in colours.values() if found}) == 3


def test_days_are_said_in_words():
    assert [days_from_now(n) for n in (7, 1, 0, -1, -4999)] == [
        "in 7 days",
        "tomorrow",
        "today",
        "yesterday",
        "4999 days ago",
    ]


def test_every_column_of_the_features_table_but_the_trend_sorts(client):
    page = client.get("/").get_data(as_text=True)
    header = page.split('<table id="features"')[1].split("</thead>")[0]
    assert re.findall(r'<th class="[^"]*"><a href="/\?sort=(\w+)', header) == [
        "slug",
        "readiness",
        "declared_status",
        "owners",
        "pass_rate",
        "tests",
        "blocking",
        "mismatch",
    ]
    assert 'href="/?sort=tests&amp;order=desc"' in header  # the most tests first
    owners = client.get("/api/v1/features?sort=owners").get_json()
    named = [f for f in owners if not f["unowned"]]
    assert owners[: len(named)] == named  # nobody named: last
    keys = [", ".join(f["owners"]).casefold() for f in named]
    assert keys == sorted(keys)
    tests = [
        len(f["tests"]) for f in client.get("/api/v1/features?sort=tests&order=desc").get_json()
    ]
    assert tests == sorted(tests, reverse=True)
    declared = [
        f["declared_status"] for f in client.get("/api/v1/features?sort=declared_status").get_json()
    ]
    order = ["done", "good", "ok", "fair", "poor", "blocked", "dropped"]
    assert declared == sorted(declared, key=order.index)


@pytest.mark.parametrize(
    "url",
    [
        "/?sort=bogus",
        "/?order=sideways",
        "/?readiness=green",
        "/flights?page=abc",
        "/flights?page=-1",
        "/flights?page=0",
        "/flights?verdict=maybe",
        "/features/qemu-upstream-default?page=abc",
        "/features/qemu-upstream-default?page=-1",
        "/features.csv?order=up",
        "/?as_of=yesterday",
    ],
)
def test_a_bogus_parameter_is_a_400_not_ignored(client, url):
    response = client.get(url)
    assert response.status_code == 400, url
    assert "400 Bad Request" in response.get_data(as_text=True)
