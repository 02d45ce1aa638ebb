"""Regression episodes from blocking steps, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gate.episodes import BlockedStep, Episode, FlightMark, Span, spans
from gate.model import TestKey
from gate.read.regressions import regressions_page

AT = datetime(2013, 3, 1, tzinfo=UTC)


def test_an_episode_runs_from_the_first_blocking_step_to_its_next_pass():
    steps = [
        BlockedStep(7, 103, 105),  # blocks from 102 on: belongs to the episode opened there
        BlockedStep(7, 102, 104),
        BlockedStep(7, 108, None),  # after the pass in 104: a new episode, still open
        BlockedStep(7, 109, None),
        BlockedStep(3, 101, None),
    ]
    assert spans(steps) == [
        Span(3, 101, None, 1),
        Span(7, 102, 104, 2),
        Span(7, 108, None, 2),
    ]
    assert spans([]) == []


def _episode(opened: int, closed: int | None) -> Episode:
    def mark(n: int) -> FlightMark:
        return FlightMark(n, AT + timedelta(days=n - 100), {"xen": f"r{n}"})

    return Episode(
        TestKey("test-a", f"step-{opened}"),
        mark(opened),
        mark(closed) if closed is not None else None,
        1,
        None,
        (),
    )


def test_the_page_lists_open_episodes_oldest_first_then_those_closed_lately():
    now = AT + timedelta(days=30)
    page = regressions_page(
        "xen-unstable",
        "4.3",
        now,
        [_episode(125, None), _episode(101, 103), _episode(120, 127), _episode(110, None)],
    )
    assert [r.opened_flight for r in page.open] == [110, 125]
    # Closed 27 days after AT is within the last 14 days; closed on day 3 is not.
    assert [(r.opened_flight, r.closed_flight) for r in page.closed] == [(120, 127)]
    assert page.closed[0].fixed_by == {"xen": "r127"} and page.closed[0].hours == 7 * 24
    assert page.open[0].hours == 20 * 24 and page.open[0].fixed_by == {}
