"""The overview, the features table and a feature's page: fetched, judged and shaped."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy.orm import Session

from gate.model import TestKey
from gate.pages.branch import gate_status
from gate.pages.readiness import readiness
from gate.pages.timeline import burn_down, readiness_timeline
from gate.pages.triage import feature_triage
from gate.policy import Policy
from gate.read.branch import Mark
from gate.read.cells import Cell, stored_cell
from gate.read.features import (
    GRID_FLIGHTS,
    FeaturePage,
    FeatureRow,
    Grid,
    Overview,
    feature_page,
    grid,
    grid_marks,
    grid_order,
    grid_page,
    orphan_blocker,
    overview_blockers,
    span,
)
from gate.read.release import ReleaseDates
from gate.readiness import Readiness
from gate.store.branch import branch_marks
from gate.store.keys import test_ids
from gate.store.readiness import blocking_in, flight_window
from gate.store.roadmap import UnknownRelease, carried_to, release_of, release_record, release_with
from gate.store.steps import notable_steps, step_cells


def overview(
    session: Session, policy: Policy, now: datetime, release_name: str | None = None
) -> Overview:
    """The overview of a release (the latest by default): its dates, its branch's gate, every
    feature, what blocks the push."""
    try:
        release, judged = readiness(session, policy, now, release_name)
    except UnknownRelease:
        if release_name is not None:
            raise
        return Overview(None, None, (), (), as_of=now)
    blockers = overview_blockers(judged)
    gate = gate_status(session, release.branch, policy, now)
    served = {key for j in judged for key in j.tests}
    if gate.newest is not None:
        orphans = orphan_blocker(
            blocking_in(session, release.branch, gate.newest.flight, policy, served)
        )
        if orphans is not None:
            blockers.append(orphans)
    return Overview(
        ReleaseDates.of(release, now),
        gate,
        tuple(FeatureRow.of(j) for j in judged),
        tuple(blockers),
        readiness_states=Readiness.in_phase(release.phase_at(now)),
        as_of=now,
        burn_down=burn_down(session, policy, now, release.name, today=judged).days,
        trend_span=span(flight_window(session, release.branch, policy, now)),
    )


def features(
    session: Session, policy: Policy, now: datetime, release: str | None = None
) -> tuple[FeatureRow, ...]:
    """Every feature of a release (the latest by default) with its readiness; none without one."""
    try:
        _release, judged = readiness(session, policy, now, release)
    except UnknownRelease:
        if release is not None:
            raise
        return ()
    return tuple(FeatureRow.of(j) for j in judged)


def release_dates(
    session: Session, now: datetime, release: str | None = None
) -> ReleaseDates | None:
    """A release's milestones (the latest's by default) and the days left to each, or None."""
    try:
        record = release_record(session, release)
    except UnknownRelease:
        if release is not None:
            raise
        return None
    return ReleaseDates.of(release_of(record), now)


def feature_detail(
    session: Session,
    slug: str,
    policy: Policy,
    now: datetime,
    release_name: str | None = None,
    *,
    page: int = 1,
) -> FeaturePage | None:
    """One feature of a release (by default the latest release that has it): readiness,
    reasons, its declarations, and a page of the grid of its steps."""
    if release_name is None:
        release_name = release_with(session, slug)
    try:
        release, judged = readiness(session, policy, now, release_name, only=slug)
    except UnknownRelease:
        if release_name is not None:
            raise
        return None
    found = next((j for j in judged if j.feature.slug == slug), None)
    if found is None:
        return None
    every = branch_marks(
        session, release.branch, now, newest=max(GRID_FLIGHTS, policy.window_flights)
    )
    days = readiness_timeline(session, policy, now, release.name, only=slug, today=[found])
    shown = feature_page(
        found,
        release,
        every,
        _grid(session, list(found.tests), grid_marks(every), page),
        days.features[0].days,
        tuple(carried_to(session, release.name, slug).get(slug, ())),
        now,
    )
    return feature_triage(session, shown, now)


def _grid(session: Session, keys: list[TestKey], marks: tuple[Mark, ...], page: int) -> Grid:
    flights = [m.flight for m in marks]
    if not keys or not flights:
        return Grid(marks, ())
    ids = test_ids(session, keys, create=False)
    key_of = {test_id: key for key, test_id in ids.items()}
    noted = grid_order(notable_steps(session, flights, key_of), key_of, flights[-1])
    cells: dict[int, dict[int, Cell]] = defaultdict(dict)
    for test_id, flight, status, cls, ref, ref_status, ref_blessing in step_cells(
        session, grid_page(noted, page), flights
    ):
        cells[test_id][flight] = stored_cell(status, cls, ref, ref_status, ref_blessing)
    return grid(marks, key_of, noted, page, cells)
