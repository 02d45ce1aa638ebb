"""The overview, the features table and a feature's page: readiness and what blocks the push."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gate.model import (
    Classification,
    Status,
    TestKey,
)
from gate.pages.branch import gate_status
from gate.pages.readiness import readiness
from gate.policy import Policy
from gate.read.branch import GateStatus, Mark, mark_of
from gate.read.cells import Cell, stored_cell
from gate.read.readiness import observed
from gate.read.release import ReleaseDates as ReleaseDates  # re-exported: its old home
from gate.read.timeline import DayCount, DayReadiness, burn_down, readiness_timeline
from gate.readiness import (
    FeatureReadiness,
    FlightPoint,
    Observation,
    Readiness,
    Strength,
    sentences,
)
from gate.roadmap import Declared
from gate.store.branch import branch_marks
from gate.store.bulk import in_chunks
from gate.store.findings import findings_elsewhere
from gate.store.keys import test_ids
from gate.store.readiness import flight_window
from gate.store.records import StepRecord, TestRecord
from gate.store.roadmap import (
    UnknownRelease,
    carried_to,
    release_of,
    release_record,
    release_with,
)
from gate.store.steps import not_passing_since, notable_steps

GRID_FLIGHTS = 30
GRID_ROWS = 50  # steps a page of a feature's grid shows


@dataclass(frozen=True)
class ObservationLine:
    """A linked step in one flight: what it did and how the gate judged it."""

    job: str
    testid: str
    flight: int
    status: Status
    classification: Classification | None
    ref_flight: int | None
    host: str | None = None  # where the job ran, when the flight says so

    @classmethod
    def of(cls, o: Observation) -> ObservationLine:
        return cls(
            o.key.job, o.key.testid, o.flight, o.status, o.classification, o.ref_flight, o.host
        )


@dataclass(frozen=True)
class ProjectionLine:
    date: date | None
    text: str


@dataclass(frozen=True)
class SeriesPoint:
    flight: int
    pass_rate: float | None
    started: datetime | None = None


@dataclass(frozen=True)
class StatusChangeLine:
    """A change of the declared status; `from_` is the JSON key `from`."""

    at: datetime
    from_: Declared | None
    to: Declared
    note: str


@dataclass(frozen=True)
class FeatureRow:
    """A feature with its readiness: one row of the features table."""

    slug: str
    title: str
    owners: tuple[str, ...]
    declared_status: Declared
    readiness: Readiness
    pass_rate: float | None
    tests: tuple[str, ...]
    patterns: tuple[str, ...]
    blocking: tuple[ObservationLine, ...]
    failures: tuple[ObservationLine, ...]
    reasons: tuple[str, ...]
    mismatch: bool
    projection: ProjectionLine
    series: tuple[SeriesPoint, ...]
    notes: str
    links: tuple[str, ...]
    history: tuple[StatusChangeLine, ...]
    unowned: bool  # nobody is named for it (`gate.roadmap.Feature.unowned`)
    carried_from: str | None  # the release it slipped from
    strength: Strength  # how closely what ran touches it
    trouble: tuple[ObservationLine, ...]  # what the infrastructure kept from the tests

    @classmethod
    def of(cls, judged: FeatureReadiness) -> FeatureRow:
        feature = judged.feature
        return cls(
            slug=feature.slug,
            title=feature.title,
            owners=tuple(feature.owners),
            declared_status=feature.status,
            readiness=judged.readiness,
            pass_rate=judged.pass_rate,
            tests=tuple(str(key) for key in judged.tests),
            patterns=tuple(str(p) for p in feature.tests),
            blocking=tuple(ObservationLine.of(o) for o in judged.blocking),
            failures=tuple(ObservationLine.of(o) for o in judged.failures),
            reasons=tuple(judged.reasons),
            mismatch=judged.mismatch,
            projection=ProjectionLine(judged.projection.on, judged.projection.text),
            series=tuple(SeriesPoint(n, rate) for n, rate in judged.series),
            notes=feature.notes,
            links=tuple(feature.links),
            history=tuple(
                StatusChangeLine(change.at, change.before, change.after, change.note)
                for change in feature.changes
            ),
            unowned=feature.unowned,
            carried_from=feature.carried_from,
            strength=judged.strength,
            trouble=tuple(ObservationLine.of(o) for o in judged.trouble),
        )


@dataclass(frozen=True)
class DeclarationLine:
    """One update's declaration of the feature: its status and notes then."""

    at: datetime
    status: Declared
    notes: str


@dataclass(frozen=True)
class Blocker:
    """What blocks the push, by feature (`slug` None for the steps that serve no feature)."""

    slug: str | None
    title: str
    readiness: Readiness
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Overview:
    """The overview: the release's dates, its branch's gate, every feature, what blocks the push."""

    release: ReleaseDates | None
    gate: GateStatus | None
    features: tuple[FeatureRow, ...]
    blockers: tuple[Blocker, ...]
    readiness_states: tuple[Readiness, ...] = Readiness.by_severity()
    as_of: datetime | None = None  # the moment it shows the dashboard as of
    burn_down: tuple[DayCount, ...] = ()  # the features in each state, every day of the cycle
    # The oldest and newest flight of the window the pass rates and trends are read from.
    trend_span: tuple[FlightPoint, ...] = ()


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
    troubled = [j for j in judged if j.blocking or j.failures]
    # Features with a regression first, then by slug.
    troubled.sort(key=lambda j: (not any(o.regressed for o in j.blocking), j.feature.slug))
    blockers = [
        Blocker(
            j.feature.slug,
            j.feature.title,
            j.readiness,
            tuple(sentences([*j.blocking, *j.failures])),
        )
        for j in troubled
    ]
    gate = gate_status(session, release.branch, policy, now)
    served = {key for j in judged for key in j.tests}
    if gate.newest is not None:
        orphans = tuple(
            sentences(blocking_in(session, release.branch, gate.newest.flight, policy, served))
        )
        if orphans:
            blockers.append(Blocker(None, "No feature", Readiness.BLOCKED, orphans))
    return Overview(
        ReleaseDates.of(release, now),
        gate,
        tuple(FeatureRow.of(j) for j in judged),
        tuple(blockers),
        readiness_states=Readiness.in_phase(release.phase_at(now)),
        as_of=now,
        burn_down=burn_down(session, policy, now, release.name, today=judged).days,
        trend_span=_span(flight_window(session, release.branch, policy, now)),
    )


def _span(window: Sequence[FlightPoint]) -> tuple[FlightPoint, ...]:
    return (window[0], window[-1]) if window else ()


def blocking_in(
    session: Session, branch: str, flight: int, policy: Policy, but: Collection[TestKey] = ()
) -> list[Observation]:
    """Return the blocking findings of one flight's judgement, its heisenbug flights' included,
    but those of the tests `but`; each of its own steps says since when it has not passed
    (`not_passing_since`)."""
    rows = session.execute(
        select(
            TestRecord.id,
            TestRecord.job,
            TestRecord.testid,
            StepRecord.status,
            StepRecord.classification,
            StepRecord.ref_flight,
            StepRecord.ref_status,
            StepRecord.ref_blessing,
        )
        .join(StepRecord, StepRecord.test_id == TestRecord.id)
        .where(
            StepRecord.flight_id == flight,
            StepRecord.classification.in_([c.value for c in Classification if c.blocking]),
        )
        .order_by(StepRecord.position)
    )
    found = []
    for test_id, job, testid, status, cls, ref, ref_status, ref_blessing in rows:
        if TestKey(job, testid) in but:
            continue
        since, runs = not_passing_since(session, branch, test_id, flight, policy.evidence_blessings)
        found.append(
            Observation(
                flight,
                TestKey(job, testid),
                Status(status),
                Classification(str(cls)),
                ref,
                Status(ref_status) if ref_status else None,
                ref_blessing,
                since=since,
                attempts=runs,
            )
        )
    elsewhere = findings_elsewhere(session, [flight]).get(flight, [])
    return found + [observed(flight, f) for f in elsewhere if f.blocking and f.step.key not in but]


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


SORT_KEYS = (
    "slug",
    "readiness",
    "declared_status",
    "owners",
    "pass_rate",
    "tests",
    "blocking",
    "mismatch",
)
# The columns whose first click puts the most first: the most tests, the most blocking steps,
# the mismatches. The others put first the worst readiness, the lowest pass rate, A to Z, and
# the declarations in their order (done first).
DESCENDING_FIRST = ("tests", "blocking", "mismatch")


def select_features(
    rows: Sequence[FeatureRow],
    *,
    readiness: Readiness | None = None,
    query: str | None = None,
    sort: str | None = None,
    descending: bool = False,
) -> tuple[FeatureRow, ...]:
    """Filter features by readiness and text, and sort them, as a shared link asks."""
    chosen = [r for r in rows if readiness is None or r.readiness is readiness]
    if query:
        needle = query.lower()
        chosen = [r for r in chosen if needle in f"{r.slug} {r.title} {' '.join(r.owners)}".lower()]
    key = sort if sort in SORT_KEYS else "readiness"
    declared = list(Declared)

    def order(row: FeatureRow) -> Any:
        if key == "readiness":
            return row.readiness.severity
        if key == "declared_status":
            return declared.index(row.declared_status)
        if key == "owners":
            return ", ".join(row.owners).casefold()
        if key in ("blocking", "tests"):
            return len(getattr(row, key))
        return getattr(row, key)

    # A feature without a pass rate, or without an owner, sorts last whichever the direction.
    def unknown(row: FeatureRow) -> bool:
        return (key == "pass_rate" and row.pass_rate is None) or (key == "owners" and row.unowned)

    known = [r for r in chosen if not unknown(r)]
    rest = [r for r in chosen if unknown(r)]
    return tuple(sorted(known, key=order, reverse=descending)) + tuple(rest)


@dataclass(frozen=True)
class GridRow:
    job: str
    testid: str
    cells: tuple[Cell | None, ...]

    @property
    def all_passed(self) -> bool:
        return all(c is None or c.status is Status.PASS for c in self.cells)


@dataclass(frozen=True)
class Grid:
    """A feature's linked steps over the newest flights of its branch: the steps that did not
    pass, or passed after retries, in one of those flights (those failing in the newest first),
    a page at a time; `quiet` counts the linked steps that passed wherever they ran in them."""

    flights: tuple[Mark, ...]
    rows: tuple[GridRow, ...]
    quiet: int = 0
    page: int = 1
    pages: int = 1
    noted: int = 0  # the steps that are rows, on every page


@dataclass(frozen=True)
class FeaturePage(FeatureRow):
    """One feature: its readiness and reasons, the release's dates, and the grid of its steps."""

    release: ReleaseDates
    grid: Grid
    timeline: tuple[DayReadiness, ...] = ()  # its readiness every day of the cycle
    declarations: tuple[DeclarationLine, ...] = ()  # by the moment shown, newest first
    carried_to: tuple[str, ...] = ()  # the releases it was carried on to


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
    when = {m.number: m.at for m in every}
    marks = every[-GRID_FLIGHTS:]
    row = FeatureRow.of(found)
    series = tuple(
        dataclasses.replace(point, started=when.get(point.flight)) for point in row.series
    )
    fields = {f.name: getattr(row, f.name) for f in dataclasses.fields(row)}
    shown = tuple(m for m in (mark_of(m) for m in marks) if m is not None)
    return FeaturePage(
        **{**fields, "series": series},
        release=ReleaseDates.of(release, now),
        grid=_grid(session, list(found.tests), shown, page),
        timeline=readiness_timeline(session, policy, now, release.name, only=slug, today=[found])
        .features[0]
        .days,
        declarations=tuple(
            DeclarationLine(d.at, d.status, d.notes)
            for d in reversed(found.feature.history)
            if d.at <= now
        ),
        carried_to=tuple(carried_to(session, release.name, slug).get(slug, ())),
    )


def _grid(session: Session, keys: list[TestKey], marks: tuple[Mark, ...], page: int) -> Grid:
    flights = [m.flight for m in marks]
    if not keys or not flights:
        return Grid(marks, ())
    ids = test_ids(session, keys, create=False)
    key_of = {test_id: key for key, test_id in ids.items()}
    notable = notable_steps(session, flights, key_of)
    newest = flights[-1]
    failing_now = {r.test_id for r in notable if r.flight == newest and r.status != "pass"}
    noted = sorted(
        {r.test_id for r in notable}, key=lambda t: (t not in failing_now, str(key_of[t]))
    )
    pages = max(1, -(-len(noted) // GRID_ROWS))
    chosen = noted[(page - 1) * GRID_ROWS : page * GRID_ROWS]
    cells: dict[int, dict[int, Cell]] = defaultdict(dict)
    for chunk in in_chunks(chosen):
        rows = session.execute(
            select(
                StepRecord.test_id,
                StepRecord.flight_id,
                StepRecord.status,
                StepRecord.classification,
                StepRecord.ref_flight,
                StepRecord.ref_status,
                StepRecord.ref_blessing,
            ).where(StepRecord.test_id.in_(chunk), StepRecord.flight_id.in_(flights))
        )
        for test_id, flight, status, cls, ref, ref_status, ref_blessing in rows:
            cells[test_id][flight] = stored_cell(status, cls, ref, ref_status, ref_blessing)
    grid = tuple(
        GridRow(key_of[t].job, key_of[t].testid, tuple(cells[t].get(n) for n in flights))
        for t in chosen
    )
    return Grid(marks, grid, len(ids) - len(noted), min(page, pages), pages, len(noted))
