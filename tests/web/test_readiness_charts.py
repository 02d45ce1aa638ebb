"""The charts of readiness over time: the burn-down stacks each day's counts up to the next
freeze, a feature's chart puts each day at its readiness, both mark the release's dates and say
in words what they show; and an upgraded database keeps its days before the pages read them."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta

from alembic import command
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gate.model import Status
from gate.read.release import ReleaseDates
from gate.read.timeline import DayCount, DayReadiness
from gate.readiness import Readiness
from gate.roadmap import Declared, Feature, Release, TestPattern
from gate.settings import Settings
from gate.store.db import alembic_config, make_engine
from gate.store.flights import save_flight
from gate.store.records import ReadinessDayRecord
from gate.store.roadmap import save_roadmap
from tests.builders import flight
from web import readiness_charts
from web.db import ensure_ready

RELEASE = ReleaseDates(
    "4.3", "xen-unstable", date(2013, 3, 25), date(2013, 4, 15), date(2013, 6, 15), 7, 28, 89
)
FIRST = date(2013, 3, 1)
DAYS = [FIRST + timedelta(days=n) for n in range(18)]  # to 2013-03-18, a week before the freeze


def _counts(blocked: int, at_risk: int, on_track: int) -> dict[Readiness, int]:
    found = {state: 0 for state in Readiness.by_severity()}
    found.update({Readiness.BLOCKED: blocked, Readiness.AT_RISK: at_risk})
    found[Readiness.ON_TRACK] = on_track
    return found


def test_the_burn_down_stacks_each_days_counts_up_to_the_feature_freeze():
    days = [DayCount(d, _counts(n % 3, 1, 6 - n % 3)) for n, d in enumerate(DAYS)]
    chart = readiness_charts.burn_down(RELEASE, days)
    assert chart.figure is not None
    figure = json.loads(chart.figure)
    traces = {t["name"]: t for t in figure["data"]}
    assert list(traces) == ["blocked", "at risk", "on track"]  # worst first from the axis
    for n, day in enumerate(days):
        assert sum(t["y"][n] for t in traces.values()) == 7, day
        assert {t["x"][n][:10] for t in traces.values()} == {day.day.isoformat()}
    layout = figure["layout"]
    assert layout["barmode"] == "stack"
    assert layout["xaxis"]["title"]["text"] == "day (UTC)"
    # The axis reaches the feature freeze, a week on, and marks it; the others are noted.
    assert layout["xaxis"]["range"][1] >= "2013-03-25"
    lines = [s["x0"][:10] for s in layout["shapes"] if s.get("yref") == "y domain"]
    assert lines == ["2013-03-25"]
    edge = [a["text"] for a in layout["annotations"] if a.get("xref") == "paper"]
    assert edge == ["code freeze 2013-04-15 (in 28 days), release 2013-06-15 (in 89 days) →"]
    assert chart.text.startswith(
        "On 2013-03-18, 7 features: 2 blocked, 1 at risk, 4 on track; "
        "a week before (2013-03-11): 1 blocked, 1 at risk, 5 on track; "
        "on the cycle's first day (2013-03-01): 1 at risk, 6 on track."
    )
    assert "feature freeze 2013-03-25 (in 7 days)" in chart.text


def test_after_the_freezes_the_burn_down_ends_with_its_days():
    passed = ReleaseDates(
        "4.3", "xen-unstable", date(2013, 3, 2), date(2013, 3, 5), date(2013, 6, 15), -16, -13, 89
    )
    chart = readiness_charts.burn_down(passed, [DayCount(d, _counts(0, 1, 6)) for d in DAYS])
    assert chart.figure is not None
    layout = json.loads(chart.figure)["layout"]
    assert layout["xaxis"]["range"][1] < "2013-03-20"
    assert [s["x0"][:10] for s in layout["shapes"]] == ["2013-03-02", "2013-03-05"]


def test_a_features_chart_puts_each_day_at_its_readiness():
    states = [Readiness.UNTESTED] * 3 + [Readiness.ON_TRACK] * 10 + [Readiness.BLOCKED] * 5
    days = [
        DayReadiness(d, s, None if s is Readiness.UNTESTED else 0.95)
        for d, s in zip(DAYS, states, strict=True)
    ]
    chart = readiness_charts.feature_readiness(RELEASE, days)
    assert chart.figure is not None
    figure = json.loads(chart.figure)
    step, *points = figure["data"]
    assert step["y"] == [s.value.replace("_", " ") for s in states]
    placed = {x[:10]: trace["name"] for trace in points for x in trace["x"]}
    assert placed == {d.day.isoformat(): d.readiness.value.replace("_", " ") for d in days}
    axis = figure["layout"]["yaxis"]
    assert axis["categoryarray"][:2] == ["blocked", "at risk"]
    assert chart.text.startswith(
        "Readiness day by day from 2013-03-01 to 2013-03-18: untested from 2013-03-01 to "
        "2013-03-03; on track from 2013-03-04 to 2013-03-13; blocked since 2013-03-14."
    )


def test_without_a_day_there_are_words_and_no_figure():
    assert readiness_charts.burn_down(RELEASE, []).figure is None
    chart = readiness_charts.feature_readiness(RELEASE, [])
    assert chart.figure is None
    assert chart.text.startswith("No day of the cycle yet.")


def test_a_database_upgraded_to_keep_the_days_keeps_them_at_once(sqlite_url: str):
    engine = make_engine(sqlite_url)
    release = Release(
        "4.3", "xen-unstable", date(2013, 3, 25), date(2013, 4, 15), date(2013, 6, 15)
    )
    xl = Feature("xl", "xl", Declared.GOOD, "4.3", tests=(TestPattern.parse("test-*-xl *"),))
    start = datetime(2013, 3, 1, 9, tzinfo=UTC)
    with Session(engine) as session:
        save_roadmap(session, release, [xl], start)
        for n in range(1, 4):
            made = flight(n, {"test-amd64-amd64-xl guest-start": Status.PASS}, xen=f"r{n}")
            made = dataclasses.replace(made, started=start + timedelta(days=n))
            save_flight(session, made, digest=f"d{n}", source="test", now=start)
        session.commit()
    command.downgrade(alembic_config(engine), "0008")
    settings = Settings(database_url=sqlite_url)
    ensure_ready(engine, settings)  # as the app and every command do, first
    with Session(engine) as session:
        kept = session.scalar(select(func.count()).select_from(ReadinessDayRecord))
    engine.dispose()
    assert kept == 4  # 2013-03-01 to the newest flight's day, 2013-03-04
