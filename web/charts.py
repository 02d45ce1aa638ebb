"""Every chart of the dashboard, built with plotly from the dicts the pages already have.

Each function returns a figure as JSON; the page hands it to plotly.js, which the app serves itself.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

VERDICT_COLOURS = {
    "perfect": "#1a7f37",
    "tolerable": "#9a6700",
    "regressions": "#cf222e",
    "trouble": "#8250df",
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


def _freeze_lines(figure: go.Figure, release: dict[str, Any] | None, when: list[str]) -> None:
    """Mark the release's milestones that fall within the flights shown (others would squash them)."""
    if not release or not when:
        return
    first, last = min(when)[:10], max(when)[:10]
    # The freezes are three weeks apart: label the first to the left of its line.
    for key, label, side in (
        ("feature_freeze", "feature freeze", "right"),
        ("code_freeze", "code freeze", "left"),
        ("release_date", "release", "left"),
    ):
        if not first <= release[key] <= last:
            continue
        figure.add_vline(x=release[key], line_dash="dot", line_color="#57606a")
        figure.add_annotation(
            x=release[key],
            y=1.06,
            yref="paper",
            text=f" {label} ",
            xanchor=side,
            showarrow=False,
            font={"size": 10},
        )


def feature_pass_rate(detail: dict[str, Any]) -> str:
    """Chart a feature's pass rate per flight, with the release's freeze dates marked."""
    points = [p for p in detail["series"] if p.get("started")]
    figure = go.Figure(
        go.Scatter(
            x=[p["started"] for p in points],
            y=[p["pass_rate"] for p in points],
            text=[f"flight {p['flight']}" for p in points],
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
    _freeze_lines(figure, detail.get("release"), [p["started"] for p in points])
    return _json(figure)


def branch_charts(detail: dict[str, Any], release: dict[str, Any] | None) -> dict[str, str]:
    """Chart a branch over time: pass rate, blocking regressions, verdicts and pushes, push age."""
    flights = detail["flights"]
    when = [f["started"] for f in flights]
    names = [f"flight {f['flight']}" for f in flights]
    rate = go.Figure(
        go.Scatter(
            x=when, y=[f["pass_rate"] for f in flights], text=names, mode="lines", name="pass rate"
        )
    )
    rate.update_layout(
        title="Pass rate per flight", yaxis={"range": [0, 1.02], "tickformat": ".0%"}, **LAYOUT
    )
    blocking = go.Figure(
        go.Bar(x=when, y=[f["blocking"] for f in flights], text=names, marker_color="#cf222e")
    )
    blocking.update_layout(
        title="Blocking regressions per flight",
        yaxis={"rangemode": "tozero", "tickformat": ",d", "nticks": 6},
        bargap=0,
        **LAYOUT,
    )
    verdicts = go.Figure()
    for verdict, colour in VERDICT_COLOURS.items():
        chosen = [f for f in flights if f["verdict"] == verdict]
        verdicts.add_trace(
            go.Scatter(
                x=[f["started"] for f in chosen],
                y=[verdict] * len(chosen),
                text=[f"flight {f['flight']}" + (" pushed" if f["pushed"] else "") for f in chosen],
                mode="markers",
                name=verdict,
                marker={
                    "color": colour,
                    "size": 9,
                    "symbol": ["star" if f["pushed"] else "circle" for f in chosen],
                },
            )
        )
    verdicts.update_layout(title="Verdicts (a star is a push)", showlegend=False, **LAYOUT)
    age = go.Figure(
        go.Scatter(
            x=when,
            y=[f["days_without_push"] for f in flights],
            text=names,
            mode="lines",
            fill="tozeroy",
            line={"color": "#9a6700"},
        )
    )
    age.update_layout(title="Days without a push", **LAYOUT)
    charts = {"pass_rate": rate, "blocking": blocking, "verdicts": verdicts, "push_age": age}
    for figure in charts.values():
        _freeze_lines(figure, release, when)
    return {name: _json(figure) for name, figure in charts.items()}
