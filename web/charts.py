"""Every chart of the dashboard, built with plotly from the model of the page it is on.

Each function returns a figure as JSON; the page hands it to plotly.js, which the app serves itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from gate.model import Verdict
from gate.read.branch import BranchPage
from gate.read.features import FeaturePage, ReleaseDates

VERDICT_COLOURS = {
    Verdict.PERFECT: "#1a7f37",
    Verdict.TOLERABLE: "#9a6700",
    Verdict.REGRESSIONS: "#cf222e",
    Verdict.TROUBLE: "#8250df",
}
LAYOUT: dict[str, Any] = {
    "margin": {"l": 50, "r": 20, "t": 40, "b": 40},
    "height": 280,
    "font": {"family": "system-ui, sans-serif", "size": 12},
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "hovermode": "closest",
}


def _json(figure: go.Figure) -> str:
    return str(pio.to_json(figure, validate=False))


def _freeze_lines(figure: go.Figure, release: ReleaseDates | None, when: list[datetime]) -> None:
    """Mark the release's milestones that fall within the flights shown (others would squash them)."""
    if not release or not when:
        return
    first, last = min(when).date(), max(when).date()
    # The freezes are three weeks apart: label the first to the left of its line.
    for day, label, side in (
        (release.feature_freeze, "feature freeze", "right"),
        (release.code_freeze, "code freeze", "left"),
        (release.release_date, "release", "left"),
    ):
        if not first <= day <= last:
            continue
        figure.add_vline(x=day.isoformat(), line_dash="dot", line_color="#57606a")
        figure.add_annotation(
            x=day.isoformat(),
            y=1.06,
            yref="paper",
            text=f" {label} ",
            xanchor=side,
            showarrow=False,
            font={"size": 10},
        )


def feature_pass_rate(detail: FeaturePage) -> str:
    """Chart a feature's pass rate per flight, with the release's freeze dates marked."""
    points = [p for p in detail.series if p.started is not None]
    when = [p.started for p in points if p.started is not None]
    figure = go.Figure(
        go.Scatter(
            x=[moment.isoformat() for moment in when],
            y=[p.pass_rate for p in points],
            text=[f"flight {p.flight}" for p in points],
            mode="lines+markers",
            name="pass rate",
            line={"color": "#0969da"},
        )
    )
    figure.update_layout(
        title="Pass rate of the linked steps per flight",
        yaxis={"range": [0, 1.02], "tickformat": ".0%"},
        **LAYOUT,
    )
    _freeze_lines(figure, detail.release, when)
    return _json(figure)


def branch_charts(detail: BranchPage, release: ReleaseDates | None) -> dict[str, str]:
    """Chart a branch over time: pass rate, blocking regressions, verdicts and pushes, push age."""
    flights = detail.flights
    moments = [f.started for f in flights]
    when = [moment.isoformat() for moment in moments]
    names = [f"flight {f.flight}" for f in flights]
    rate = go.Figure(
        go.Scatter(
            x=when, y=[f.pass_rate for f in flights], text=names, mode="lines", name="pass rate"
        )
    )
    rate.update_layout(
        title="Pass rate per flight", yaxis={"range": [0, 1.02], "tickformat": ".0%"}, **LAYOUT
    )
    blocking = go.Figure(
        go.Bar(x=when, y=[f.blocking for f in flights], text=names, marker_color="#cf222e")
    )
    blocking.update_layout(
        title="Blocking regressions per flight",
        yaxis={"rangemode": "tozero", "tickformat": ",d", "nticks": 6},
        bargap=0,
        **LAYOUT,
    )
    verdicts = go.Figure()
    for verdict, colour in VERDICT_COLOURS.items():
        chosen = [f for f in flights if f.verdict is verdict]
        verdicts.add_trace(
            go.Scatter(
                x=[f.started.isoformat() for f in chosen],
                y=[verdict.value] * len(chosen),
                text=[f"flight {f.flight}" + (" pushed" if f.pushed else "") for f in chosen],
                mode="markers",
                name=verdict.value,
                marker={
                    "color": colour,
                    "size": 9,
                    "symbol": ["star" if f.pushed else "circle" for f in chosen],
                },
            )
        )
    verdicts.update_layout(title="Verdicts (a star is a push)", showlegend=False, **LAYOUT)
    age = go.Figure(
        go.Scatter(
            x=when,
            y=[f.days_without_push for f in flights],
            text=names,
            mode="lines",
            fill="tozeroy",
            line={"color": "#9a6700"},
        )
    )
    age.update_layout(title="Days without a push", **LAYOUT)
    charts = {"pass_rate": rate, "blocking": blocking, "verdicts": verdicts, "push_age": age}
    for figure in charts.values():
        _freeze_lines(figure, release, moments)
    return {name: _json(figure) for name, figure in charts.items()}
