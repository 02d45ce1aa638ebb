"""The charts of readiness over time: a feature's readiness day by day (on its page) and the
count of features in each readiness state per day up to the freeze (the overview's burn-down).

They span a cycle, a point a day for up to a year, and the overview draws one on every request:
their figures are written as plotly.js JSON directly rather than through plotly's validating
figure objects (some 13 ms a figure of this size), with the same milestone marks as every other
chart over time (`web.charts.time_marks`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta
from itertools import groupby
from typing import Any

from gate.read.release import ReleaseDates
from gate.read.timeline import DayCount, DayReadiness
from gate.readiness import Readiness
from web.charts import LAYOUT, Chart, midnight, plotly_moment, release_sentence, time_marks
from web.words import percent

READINESS_COLOURS = {
    Readiness.BLOCKED: "#cf222e",
    Readiness.AT_RISK: "#d4a72c",
    Readiness.MISSED_FREEZE: "#8250df",
    Readiness.STALE: "#8c959f",
    Readiness.UNTESTED: "#afb8c1",
    Readiness.ON_TRACK: "#4ac26b",
    Readiness.READY: "#1a7f37",
    Readiness.DROPPED: "#d0d7de",
}
DAY_AXIS = "day (UTC)"
DAY_MS = 86_400_000
RUNS_SAID = 6  # the newest runs of one readiness a feature's chart names in words


def _noon(day: date) -> str:
    # A day's bar or point stands in the middle of it: a milestone's line is at its midnight.
    return plotly_moment(midnight(day) + timedelta(hours=12))


def _span(days: Sequence[date]) -> list[Any]:
    return [midnight(days[0]), midnight(days[-1]) + timedelta(days=1)]


def _figure(data: list[dict[str, Any]], layout: dict[str, Any]) -> str:
    return json.dumps({"data": data, "layout": layout}, separators=(",", ":"))


def _tally(day: DayCount) -> str:
    said = [f"{n} {state.words}" for state, n in day.counts.items() if n]
    return ", ".join(said) or "no feature"


def burn_down(release: ReleaseDates, days: Sequence[DayCount]) -> Chart:
    """Chart the features in each readiness state per day, stacked worst first from the axis,
    up to the next freeze."""
    title = "Features by readiness, day by day"
    if not days:
        return Chart(
            "burn_down", title, None, f"No day of the cycle yet. {release_sentence(release)}"
        )
    x = [d.day.isoformat() for d in days]
    data = [
        {
            "type": "bar",
            "name": state.words,
            "x": x,
            "xperiod": DAY_MS,  # a bar spans its day
            "xperiodalignment": "middle",
            "y": [d.counts[state] for d in days],
            "marker": {"color": READINESS_COLOURS[state]},
            "hovertemplate": f"%{{x|%Y-%m-%d}}: %{{y}} {state.words}<extra></extra>",
        }
        for state in Readiness.by_severity()
        if any(d.counts[state] for d in days)
    ]
    features = max(sum(d.counts.values()) for d in days)
    layout = {
        **LAYOUT,
        **time_marks(
            release, _span([d.day for d in days]), title=DAY_AXIS, until=release.next_freeze
        ),
        "title": {**LAYOUT["title"], "text": title},
        "barmode": "stack",
        "bargap": 0,
        "showlegend": True,
        "legend": {"orientation": "h", "x": 0, "y": -0.3, "traceorder": "normal"},
        "margin": {**LAYOUT["margin"], "b": 80},
        "hovermode": "x unified",
        "yaxis": {
            "title": {"text": "features"},
            "range": [0, features * 1.05],
            "tickformat": ",d",
            "gridcolor": "#eaeef2",
        },
    }
    newest = days[-1]
    said = [f"On {newest.day}, {sum(newest.counts.values())} features: {_tally(newest)}"]
    week = newest.day - timedelta(days=7)
    earlier = [d for d in days if d.day == week]
    if earlier:
        said.append(f"a week before ({week}): {_tally(earlier[0])}")
    if days[0].day < week:
        said.append(f"on the cycle's first day ({days[0].day}): {_tally(days[0])}")
    text = "; ".join(said) + f". {release_sentence(release)}"
    return Chart("burn_down", title, _figure(data, layout), text)


def feature_readiness(release: ReleaseDates, days: Sequence[DayReadiness]) -> Chart:
    """Chart a feature's readiness on each day of the cycle, with the milestones."""
    title = "Readiness day by day"
    if not days:
        return Chart(
            "readiness", title, None, f"No day of the cycle yet. {release_sentence(release)}"
        )
    order = list(Readiness.by_severity())  # from the axis up: blocked lowest, dropped highest
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": [_noon(d.day) for d in days],
            "y": [d.readiness.words for d in days],
            "line": {"shape": "hv", "color": "#d0d7de", "width": 1.5},
            "hoverinfo": "skip",
        }
    ]
    for state in order:
        chosen = [d for d in days if d.readiness is state]
        if not chosen:
            continue
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": state.words,
                "x": [_noon(d.day) for d in chosen],
                "y": [state.words] * len(chosen),
                "text": [percent(d.pass_rate) for d in chosen],
                "marker": {"color": READINESS_COLOURS[state], "size": 6},
                "hovertemplate": f"%{{x|%Y-%m-%d}}: {state.words}, pass rate %{{text}}"
                "<extra></extra>",
            }
        )
    layout = {
        **LAYOUT,
        **time_marks(
            release, _span([d.day for d in days]), title=DAY_AXIS, until=release.next_freeze
        ),
        "title": {**LAYOUT["title"], "text": title},
        "height": 260,
        "margin": {**LAYOUT["margin"], "l": 80},
        "yaxis": {
            "type": "category",
            "categoryorder": "array",
            "categoryarray": [s.words for s in order],
            "range": [-0.5, len(order) - 0.5],
            "gridcolor": "#eaeef2",
            "title": {"text": "readiness"},
        },
    }
    return Chart("readiness", title, _figure(data, layout), _runs_text(release, days))


def _runs_text(release: ReleaseDates, days: Sequence[DayReadiness]) -> str:
    """Say a feature's readiness as runs of days: `on track from 2013-01-06 to 2013-02-10`."""
    runs = [
        (state, [d.day for d in run])
        for state, run in ((s, list(r)) for s, r in groupby(days, key=lambda d: d.readiness))
    ]
    said = []
    for n, (state, run) in enumerate(runs):
        if n == len(runs) - 1:
            said.append(
                f"{state.words} since {run[0]}" if len(run) > 1 else f"{state.words} on {run[0]}"
            )
        elif len(run) == 1:
            said.append(f"{state.words} on {run[0]}")
        else:
            said.append(f"{state.words} from {run[0]} to {run[-1]}")
    shown = said[-RUNS_SAID:]
    skipped = len(said) - len(shown)
    head = f"Readiness day by day from {days[0].day} to {days[-1].day}"
    more = f" ({skipped} earlier changes not named)" if skipped else ""
    return f"{head}{more}: {'; '.join(shown)}. {release_sentence(release)}"
