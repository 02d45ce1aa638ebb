"""The charts say what they show: a zoomed pass-rate axis with the at-risk threshold, the
release's milestones on every chart over time, axis titles, words where there is no figure."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from gate.model import Verdict
from gate.policy import Policy
from gate.read.branch import BranchPage, GateStatus, TimelinePoint
from gate.read.features import SeriesPoint
from gate.read.release import ReleaseDates
from web import charts

MILESTONES = ("feature freeze", "code freeze", "release")
THRESHOLD = Policy().at_risk_below
RELEASE = ReleaseDates(
    "4.3", "xen-unstable", date(2013, 3, 25), date(2013, 4, 15), date(2013, 6, 15), 7, 28, 89
)


def figures(page: str) -> dict[str, dict[str, Any]]:
    """Return the figures of a page's charts by their element's id."""
    found = re.findall(r'<div class="chart" id="([^"]+)" data-figure="([^"]*)"', page)
    return {name: json.loads(html.unescape(figure)) for name, figure in found}


def marked(figure: dict[str, Any]) -> set[str]:
    """Return the milestones a figure names: on its axis or at its edge."""
    texts = " ".join(a.get("text", "") for a in figure["layout"].get("annotations", []))
    return {m for m in MILESTONES if re.search(rf"(?<!code ){m}\b", texts)}


# Charts of readiness over time have a point a day; the others a point a flight.
BY_DAY = ("chart-readiness", "chart-burn_down")


@pytest.mark.parametrize(
    ("url", "count"),
    [("/", 1), ("/features/qemu-upstream-default", 2), ("/branches/xen-unstable", 4)],
)
def test_every_chart_marks_the_release_dates_and_titles_its_axes(client, url, count):
    page = client.get(url).get_data(as_text=True)
    found = figures(page)
    assert len(found) == count
    for name, figure in found.items():
        assert marked(figure) == set(MILESTONES), name
        layout = figure["layout"]
        axis = "day (UTC)" if name in BY_DAY else "flight started (UTC)"
        assert layout["xaxis"]["title"]["text"] == axis, name
        assert layout["yaxis"]["title"]["text"], name


@pytest.mark.parametrize("url", ["/features/qemu-upstream-default", "/branches/xen-unstable"])
def test_a_pass_rate_axis_is_zoomed_to_the_data_with_the_at_risk_threshold(client, url):
    figure = figures(client.get(url).get_data(as_text=True))["chart-pass_rate"]
    rates = [y for trace in figure["data"] for y in trace["y"] if y is not None]
    low, high = figure["layout"]["yaxis"]["range"]
    assert 0 < low < min(min(rates), THRESHOLD) and 1 <= high < 1.05
    assert high - low < 0.5  # not a 0-100% axis
    lines = [s for s in figure["layout"]["shapes"] if s["type"] == "line" and s.get("yref") == "y"]
    assert [line["y0"] for line in lines] == [THRESHOLD]
    assert any(
        a.get("text") == f"at risk below {THRESHOLD:.0%}" for a in figure["layout"]["annotations"]
    )


def test_a_feature_without_results_says_so_instead_of_bare_axes(client):
    page = client.get("/features/pvh").get_data(as_text=True)
    assert list(figures(page)) == ["chart-readiness"]  # no pass rate: only its readiness
    assert "No results yet: no linked step ran in the newest" in page
    assert "Release 4.3: feature freeze 2013-03-25 (in 15 days)" in page


@pytest.mark.parametrize("url", ["/features/qemu-upstream-default", "/branches/xen-unstable"])
def test_each_chart_says_what_it_shows_in_words_for_a_page_without_javascript(client, url):
    page = client.get(url).get_data(as_text=True)
    captions = re.findall(r'<figcaption class="chart-text">(.*?)</figcaption>', page, re.S)
    assert len(captions) == len(figures(page))
    for caption in captions:
        assert "Release 4.3: feature freeze 2013-03-25" in html.unescape(caption)
    assert '<details class="figures">' in page  # the figures as a table


def _timeline(days: int, rates: list[float | None]) -> BranchPage:
    start = datetime(2013, 3, 16, tzinfo=UTC) - timedelta(days=days)
    step = timedelta(days=days) / max(1, len(rates) - 1)
    points = tuple(
        TimelinePoint(16000 + n, start + n * step, Verdict.PERFECT, n == 0, rate, 0, 1.0 * n)
        for n, rate in enumerate(rates)
    )
    gate = GateStatus("xen-unstable", None, None, None, None, 0, None, 0)
    return BranchPage("xen-unstable", gate, points, (), (), RELEASE)


def test_a_milestone_far_beyond_the_flights_is_noted_at_the_edge_not_squashing_them():
    made = charts.branch_charts(_timeline(5, [0.99, 0.97, 1.0]), THRESHOLD)
    for chart in made:
        assert chart.figure is not None
        layout = json.loads(chart.figure)["layout"]
        # A week to the feature freeze: the axis reaches it. The others are noted at the edge.
        assert layout["xaxis"]["range"][1] >= "2013-03-25"
        vertical = [s for s in layout["shapes"] if s.get("yref") == "y domain"]
        assert [s["x0"][:10] for s in vertical] == ["2013-03-25"]
        edge = [a["text"] for a in layout["annotations"] if a.get("xref") == "paper"]
        assert edge == ["code freeze 2013-04-15 (in 28 days), release 2013-06-15 (in 89 days) →"]


def test_a_branch_without_any_result_has_words_not_a_pass_rate_chart():
    made = {c.name: c for c in charts.branch_charts(_timeline(5, [None, None]), THRESHOLD)}
    assert made["pass_rate"].figure is None
    assert made["pass_rate"].text.startswith("No results yet in the 2 flights from 2013-03-11")


def test_a_sparkline_has_a_scale_and_the_threshold():
    series = [SeriesPoint(n, rate) for n, rate in enumerate([0.97, 0.93, 1.0, None, 0.99])]
    spark = charts.sparkline(series, THRESHOLD)
    assert spark is not None
    assert spark.scale == "93–100%"
    ys = [float(point.split(",")[1]) for point in spark.points.split()]
    # Zoomed: 93% to 100% spans most of the height, and the threshold lies below them.
    assert max(ys) - min(ys) > spark.height / 2
    assert spark.threshold_y > max(ys)
    assert "at risk below 90%" in spark.label
    assert charts.sparkline(series[:1], THRESHOLD) is None


def test_the_overview_sparklines_show_their_scale(client):
    page = client.get("/").get_data(as_text=True)
    assert page.count('<svg class="spark"') == page.count('<span class="spark-scale">') > 0
    assert "stroke-dasharray" in page  # the threshold
