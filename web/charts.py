"""Every chart of the dashboard, built with plotly from the model of the page it is on.

Each chart is a figure as JSON, which the page hands to plotly.js (served by the app itself),
and a sentence that says what it shows, which the page shows where JavaScript is off. A pass
rate is drawn on an axis zoomed to the data with the at-risk threshold (`Policy.at_risk_below`)
marked, and every chart over time marks the release's milestones: a line for each that falls
on its axis, a note at its edge for the others.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from gate.model import Verdict
from gate.read.branch import BranchPage
from gate.read.features import FeaturePage, SeriesPoint
from gate.read.release import ReleaseDates
from web.words import days_from_now, percent

VERDICT_COLOURS = {
    Verdict.PERFECT: "#1a7f37",
    Verdict.TOLERABLE: "#9a6700",
    Verdict.REGRESSIONS: "#cf222e",
    Verdict.TROUBLE: "#8250df",
}
RATE_COLOUR = "#0969da"
THRESHOLD_COLOUR = "#bc4c00"
MILESTONE_COLOUR = "#57606a"
LAYOUT: dict[str, Any] = {
    "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
    "height": 300,
    "font": {"family": "system-ui, sans-serif", "size": 12},
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "hovermode": "closest",
    "showlegend": False,
    "title": {"x": 0.01, "xanchor": "left", "font": {"size": 14}},
}
TIME_AXIS = {"title": {"text": "flight started (UTC)"}, "type": "date", "gridcolor": "#eaeef2"}
# The x-axis reaches on to the next milestone after the newest flight when it is no further
# off than the flights span (or two weeks): nearer than that, it is what the flights lead to.
REACH = timedelta(days=14)


@dataclass(frozen=True)
class Chart:
    """One chart of a page: its plotly figure as JSON (None when there is nothing to draw) and
    what it shows, in words, for a page without JavaScript."""

    name: str
    title: str
    figure: str | None
    text: str


@dataclass(frozen=True)
class Milestone:
    label: str
    day: date
    days: int  # from the page's moment; negative once past


def milestones(release: ReleaseDates | None) -> list[Milestone]:
    """Return the release's feature freeze, code freeze and release day."""
    if release is None:
        return []
    return [
        Milestone("feature freeze", release.feature_freeze, release.days_to_feature_freeze),
        Milestone("code freeze", release.code_freeze, release.days_to_code_freeze),
        Milestone("release", release.release_date, release.days_to_release),
    ]


def release_sentence(release: ReleaseDates | None) -> str:
    """Say the release's milestones: `Xen 4.3: feature freeze 2013-03-25 (in 7 days), ...`."""
    if release is None:
        return ""
    said = ", ".join(f"{m.label} {m.day} ({days_from_now(m.days)})" for m in milestones(release))
    return f"Release {release.release}: {said}."


def plotly_moment(moment: datetime) -> str:
    """Write a moment as plotly.js reads it: without a zone, every moment here being UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def midnight(day: date) -> datetime:
    """Return the moment a day starts (UTC)."""
    return datetime.combine(day, time(), tzinfo=UTC)


def _json(figure: go.Figure) -> str:
    return str(pio.to_json(figure, validate=False))


def _time_axis(figure: go.Figure, release: ReleaseDates | None, when: Sequence[datetime]) -> None:
    """Fit a figure's x-axis to the flights and mark every milestone (`time_marks`)."""
    marks = time_marks(release, when)
    figure.update_xaxes(**marks["xaxis"])
    for shape in marks["shapes"]:
        figure.add_shape(**shape)
    for note in marks["annotations"]:
        figure.add_annotation(**note)


def time_marks(
    release: ReleaseDates | None,
    when: Sequence[datetime],
    *,
    title: str = "flight started (UTC)",
    until: date | None = None,
) -> dict[str, Any]:
    """Return the x-axis fitted to these moments and the next milestone, when near (or to
    `until` when given, if later), and the milestones' marks: a dotted line for each on the axis, a note at
    the edge for those beyond it, as the layout's `xaxis`, `shapes` and `annotations`."""
    first, last = min(when), max(when)
    end = last
    upcoming = [m for m in milestones(release) if midnight(m.day) > last]
    if until is not None:
        end = max(last, midnight(until))
    elif upcoming:
        nearest = midnight(upcoming[0].day)
        if nearest - last <= max(last - first, REACH):
            end = nearest
    pad = max((end - first) * 0.03, timedelta(hours=12))
    start, stop = first - pad, end + pad
    xaxis = {
        **TIME_AXIS,
        "title": {"text": title},
        "range": [plotly_moment(start), plotly_moment(stop)],
    }
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    before, after = [], []
    for m in milestones(release):
        at = midnight(m.day)
        if at < start:
            before.append(m)
        elif at > stop:
            after.append(m)
        else:
            x = plotly_moment(at)
            shapes.append(
                {
                    "type": "line",
                    "x0": x,
                    "x1": x,
                    "xref": "x",
                    "y0": 0,
                    "y1": 1,
                    "yref": "y domain",
                    "line": {"dash": "dot", "width": 1.5, "color": MILESTONE_COLOUR},
                }
            )
            annotations.append(
                {
                    "x": x,
                    "y": 1,
                    "yref": "paper",
                    "text": f"{m.label} {m.day:%m-%d}",
                    "textangle": -90,
                    "xanchor": "right",
                    "yanchor": "top",
                    "showarrow": False,
                    "font": {"size": 10, "color": MILESTONE_COLOUR},
                    "bgcolor": "rgba(255,255,255,0.8)",
                }
            )
    for edge, found, arrow in ((0, before, "← "), (1, after, "")):
        if not found:
            continue
        note = ", ".join(f"{m.label} {m.day} ({days_from_now(m.days)})" for m in found)
        annotations.append(
            {
                "x": edge,
                "xref": "paper",
                "y": 1.01,
                "yref": "paper",
                "text": f"{arrow}{note}{' →' if edge else ''}",
                "xanchor": "left" if edge == 0 else "right",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 10, "color": MILESTONE_COLOUR},
            }
        )
    return {"xaxis": xaxis, "shapes": shapes, "annotations": annotations}


def rate_axis(rates: Sequence[float | None], threshold: float) -> dict[str, Any]:
    """Return a pass-rate axis zoomed to the rates and the threshold, up to 100%."""
    low = min([*(r for r in rates if r is not None), threshold])
    pad = max((1 - low) * 0.08, 0.005)
    return {
        "range": [max(0.0, low - pad), 1 + pad],
        "tickformat": ".0%" if 1 - low >= 0.05 else ".1%",
        "title": {"text": "pass rate"},
        "gridcolor": "#eaeef2",
        "zeroline": False,
    }


def _threshold(figure: go.Figure, threshold: float) -> None:
    figure.add_hline(
        y=threshold,
        line_dash="dash",
        line_width=1,
        line_color=THRESHOLD_COLOUR,
        annotation_text=f"at risk below {percent(threshold)}",
        annotation_position="top left",
        annotation_font={"size": 10, "color": THRESHOLD_COLOUR},
    )


def _lowest(points: Sequence[tuple[int, float | None]]) -> tuple[int, float] | None:
    rated = [(n, r) for n, r in points if r is not None]
    return min(rated, key=lambda p: (p[1], -p[0])) if rated else None


def feature_pass_rate(detail: FeaturePage, threshold: float) -> Chart:
    """Chart a feature's pass rate per flight, with the at-risk threshold and the milestones."""
    title = "Pass rate of the linked steps per flight"
    points = [p for p in detail.series if p.started is not None]
    rated = [p for p in points if p.pass_rate is not None]
    if not rated:
        text = (
            f"No results yet: no linked step ran in the newest {len(detail.series)} flights "
            f"of {detail.release.branch}. {release_sentence(detail.release)}"
        )
        return Chart("pass_rate", title, None, text)
    when = [p.started for p in points if p.started is not None]
    figure = go.Figure(
        go.Scatter(
            x=[plotly_moment(moment) for moment in when],
            y=[p.pass_rate for p in points],
            text=[f"flight {p.flight}" for p in points],
            hovertemplate="%{text}<br>%{x}<br>%{y:.1%}<extra></extra>",
            mode="lines+markers",
            line={"color": RATE_COLOUR},
        )
    )
    figure.update_layout(**LAYOUT)
    figure.update_layout(
        title_text=title, yaxis=rate_axis([p.pass_rate for p in points], threshold)
    )
    _threshold(figure, threshold)
    _time_axis(figure, detail.release, when)
    return Chart("pass_rate", title, _json(figure), _rate_text(points, threshold, detail.release))


def _rate_text(
    points: Sequence[SeriesPoint], threshold: float, release: ReleaseDates | None
) -> str:
    rated = [p for p in points if p.pass_rate is not None]
    newest = rated[-1]
    lowest = _lowest([(p.flight, p.pass_rate) for p in rated])
    assert lowest is not None
    first, last = points[0].started, points[-1].started
    span = f" from {first:%Y-%m-%d} to {last:%Y-%m-%d}" if first and last else ""
    return (
        f"Pass rate per flight over {len(points)} flights{span}: newest {percent(newest.pass_rate)} "
        f"(flight {newest.flight}), lowest {percent(lowest[1])} (flight {lowest[0]}); "
        f"at risk below {percent(threshold)}. {release_sentence(release)}"
    ).rstrip()


def branch_charts(detail: BranchPage, threshold: float) -> list[Chart]:
    """Chart a branch over time: pass rate, blocking steps, verdicts and pushes, push age."""
    flights = detail.flights
    release = detail.release
    moments = [f.started for f in flights]
    when = [plotly_moment(moment) for moment in moments]
    names = [f"flight {f.flight}" for f in flights]
    dates = release_sentence(release)
    span = f"{len(flights)} flights from {moments[0]:%Y-%m-%d} to {moments[-1]:%Y-%m-%d}"
    hover = "%{text}<br>%{x}<br>%{y}<extra></extra>"
    charts = []

    rates = [f.pass_rate for f in flights]
    title = "Pass rate per flight"
    if any(r is not None for r in rates):
        rate = go.Figure(
            go.Scatter(
                x=when,
                y=rates,
                text=names,
                hovertemplate="%{text}<br>%{x}<br>%{y:.1%}<extra></extra>",
                mode="lines",
                line={"color": RATE_COLOUR},
            )
        )
        rate.update_layout(**LAYOUT)
        rate.update_layout(title_text=title, yaxis=rate_axis(rates, threshold))
        _threshold(rate, threshold)
        _time_axis(rate, release, moments)
        points = [SeriesPoint(f.flight, f.pass_rate, f.started) for f in flights]
        charts.append(
            Chart("pass_rate", title, _json(rate), _rate_text(points, threshold, release))
        )
    else:
        charts.append(Chart("pass_rate", title, None, f"No results yet in the {span}. {dates}"))

    title = "Blocking steps per flight"
    counts = [f.blocking for f in flights]
    blocking = go.Figure(
        go.Bar(x=when, y=counts, text=names, hovertemplate=hover, marker_color="#cf222e")
    )
    blocking.update_layout(**LAYOUT)
    blocking.update_layout(
        title_text=title,
        yaxis={
            "rangemode": "tozero",
            "tickformat": ",d",
            "nticks": 6,
            "title": {"text": "blocking steps"},
            "gridcolor": "#eaeef2",
        },
        bargap=0.1,
    )
    _time_axis(blocking, release, moments)
    worst = max(flights, key=lambda f: (f.blocking, f.flight))
    blocked = sum(1 for n in counts if n)
    charts.append(
        Chart(
            "blocking",
            title,
            _json(blocking),
            f"Blocking steps per flight over {span}: {blocked} of them had some, at most "
            f"{worst.blocking} (flight {worst.flight}); the newest, flight {flights[-1].flight}, "
            f"has {flights[-1].blocking}. {dates}",
        )
    )

    title = "Verdicts (a star is a push)"
    verdicts = go.Figure()
    for verdict, colour in VERDICT_COLOURS.items():
        chosen = [f for f in flights if f.verdict is verdict]
        verdicts.add_trace(
            go.Scatter(
                x=[plotly_moment(f.started) for f in chosen],
                y=[verdict.value] * len(chosen),
                text=[f"flight {f.flight}" + (" pushed" if f.pushed else "") for f in chosen],
                hovertemplate="%{text}<br>%{x}<extra></extra>",
                mode="markers",
                name=verdict.value,
                marker={
                    "color": colour,
                    "size": 9,
                    "symbol": ["star" if f.pushed else "circle" for f in chosen],
                },
            )
        )
    verdicts.update_layout(**LAYOUT)
    verdicts.update_layout(
        title_text=title,
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": [v.value for v in reversed(Verdict)],
            "range": [-0.5, len(Verdict) - 0.5],
            "title": {"text": "verdict"},
        },
        margin={**LAYOUT["margin"], "l": 100},
    )
    _time_axis(verdicts, release, moments)
    tally = Counter(f.verdict for f in flights)
    pushes = [f for f in flights if f.pushed]
    last_push = (
        f"{len(pushes)} pushed, the last flight {pushes[-1].flight} on {pushes[-1].started:%Y-%m-%d}"
        if pushes
        else "none pushed"
    )
    charts.append(
        Chart(
            "verdicts",
            title,
            _json(verdicts),
            f"Verdicts of {span}: "
            + ", ".join(f"{tally[v]} {v.value}" for v in Verdict)
            + f"; {last_push}. {dates}",
        )
    )

    title = "Days without a push"
    waits = [f.days_without_push for f in flights]
    age = go.Figure(
        go.Scatter(
            x=when,
            y=waits,
            text=names,
            hovertemplate=hover,
            mode="lines",
            fill="tozeroy",
            line={"color": "#9a6700"},
        )
    )
    age.update_layout(**LAYOUT)
    age.update_layout(
        title_text=title,
        yaxis={"rangemode": "tozero", "title": {"text": "days"}, "gridcolor": "#eaeef2"},
    )
    _time_axis(age, release, moments)
    known = [f for f in flights if f.days_without_push is not None]
    if known:
        longest = max(known, key=lambda f: (f.days_without_push or 0, f.flight))
        newest = flights[-1]
        now = (
            f"the newest, flight {newest.flight}, came {newest.days_without_push} days after a push"
            if newest.days_without_push is not None
            else f"the newest, flight {newest.flight}, follows no push"
        )
        said = f"the longest wait was {longest.days_without_push} days (flight {longest.flight}); {now}"
    else:
        said = "no flight here follows a push"
    charts.append(
        Chart("push_age", title, _json(age), f"Days without a push over {span}: {said}. {dates}")
    )
    return charts


@dataclass(frozen=True)
class Spark:
    """A sparkline of pass rates, drawn on a scale from the lowest rate (or the at-risk
    threshold, if lower) to 100%, with the threshold as a dashed line."""

    width: int
    height: int
    points: str
    threshold_y: float
    scale: str  # the lowest and highest rate, e.g. `93–100%`
    label: str


def sparkline(
    series: Sequence[SeriesPoint], threshold: float, width: int = 90, height: int = 22
) -> Spark | None:
    """Return the sparkline of a feature's pass rates, or None with fewer than two."""
    n = len(series)
    rates = [p.pass_rate for p in series if p.pass_rate is not None]
    if n < 2 or len(rates) < 2:
        return None
    low = min([*rates, threshold])
    bottom = max(0.0, low - max((1 - low) * 0.1, 0.005))

    def y(rate: float) -> float:
        return round(height - 2 - (rate - bottom) / (1 - bottom) * (height - 4), 1)

    points = " ".join(
        f"{round(i * (width - 2) / (n - 1) + 1, 1)},{y(p.pass_rate)}"
        for i, p in enumerate(series)
        if p.pass_rate is not None
    )
    low_text, high_text = percent(min(rates)), percent(max(rates))
    scale = low_text if low_text == high_text else f"{low_text.rstrip('%')}–{high_text}"
    return Spark(
        width,
        height,
        points,
        y(threshold),
        scale,
        f"pass rate per flight over {n} flights, from {low_text} to {high_text}, "
        f"newest {percent(rates[-1])}; at risk below {percent(threshold)}",
    )


@dataclass(frozen=True)
class Bars:
    """Counts drawn as bars, one per flight, each `BAR_STEP` wide, the highest `BAR_HEIGHT`."""

    width: int
    height: int
    rects: tuple[tuple[int, float, float], ...]  # x, y and height of each bar that is not empty
    label: str


BAR_STEP, BAR_HEIGHT = 3, 16


def bars(counts: Sequence[int]) -> Bars | None:
    """Draw a cluster's failures in each of the newest flights, or None when it had none."""
    most = max(counts, default=0)
    if not most:
        return None
    rects = tuple(
        (n * BAR_STEP, round(BAR_HEIGHT - h, 1), round(h, 1))
        for n, count in enumerate(counts)
        if count
        for h in (count * BAR_HEIGHT / most,)
    )
    label = f"failures in each of the newest {len(counts)} flights: {' '.join(map(str, counts))}"
    return Bars(len(counts) * BAR_STEP, BAR_HEIGHT, rects, label)
