"""The overview, the features table and a feature's page: readiness and what blocks the push,
shaped from what `gate.pages.features` read and judged."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from gate.model import (
    Classification,
    Status,
    TestKey,
)
from gate.read.branch import GateStatus, Mark, mark_of
from gate.read.cells import Cell
from gate.read.release import ReleaseDates
from gate.read.timeline import DayCount, DayReadiness
from gate.readiness import (
    FeatureReadiness,
    FlightPoint,
    Observation,
    Readiness,
    Strength,
    sentences,
)
from gate.roadmap import Declared, Release
from gate.store.steps import NotableRow
from gate.trends import FlightMark
from gate.triage import Known, Tally

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
    known: Known | None = None  # what a known issue's rule says its failure is (feature page)

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


def span(window: Sequence[FlightPoint]) -> tuple[FlightPoint, ...]:
    """Return the oldest and the newest flight of a window (none of an empty one)."""
    return (window[0], window[-1]) if window else ()


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
    triage: Tally | None = None  # how many of its blocking and failing steps known issues explain


def grid_order(
    notable: Sequence[NotableRow], key_of: Mapping[int, TestKey], newest: int
) -> list[int]:
    """Return the tests that are rows of a feature's grid: those failing in the `newest` flight
    first, then the others that did not pass or were rerun, each by name."""
    failing_now = {r.test_id for r in notable if r.flight == newest and r.status != "pass"}
    return sorted(
        {r.test_id for r in notable}, key=lambda t: (t not in failing_now, str(key_of[t]))
    )


def grid_pages(rows: int) -> int:
    """Return how many pages a grid of so many rows takes."""
    return max(1, -(-rows // GRID_ROWS))


def grid_page(noted: Sequence[int], page: int) -> Sequence[int]:
    """Return the rows on one page of the grid."""
    return noted[(page - 1) * GRID_ROWS : page * GRID_ROWS]


def grid(
    marks: tuple[Mark, ...],
    key_of: Mapping[int, TestKey],
    noted: Sequence[int],
    page: int,
    cells: Mapping[int, Mapping[int, Cell]],
) -> Grid:
    """Build a page of a feature's grid from its rows (`grid_order`) and their cells."""
    flights = [m.flight for m in marks]
    pages = grid_pages(len(noted))
    chosen = grid_page(noted, page)
    rows = tuple(
        GridRow(key_of[t].job, key_of[t].testid, tuple(cells.get(t, {}).get(n) for n in flights))
        for t in chosen
    )
    return Grid(marks, rows, len(key_of) - len(noted), min(page, pages), pages, len(noted))


def overview_blockers(judged: Sequence[FeatureReadiness]) -> list[Blocker]:
    """Return what blocks the push, by feature: those with a regression first, then by slug."""
    troubled = [j for j in judged if j.blocking or j.failures]
    troubled.sort(key=lambda j: (not any(o.regressed for o in j.blocking), j.feature.slug))
    return [
        Blocker(
            j.feature.slug,
            j.feature.title,
            j.readiness,
            tuple(sentences([*j.blocking, *j.failures])),
        )
        for j in troubled
    ]


def orphan_blocker(orphans: Sequence[Observation]) -> Blocker | None:
    """Return the blocker of the steps that serve no feature, if any blocks."""
    said = tuple(sentences(orphans))
    return Blocker(None, "No feature", Readiness.BLOCKED, said) if said else None


def feature_page(
    found: FeatureReadiness,
    release: Release,
    marks: Sequence[FlightMark],
    grid: Grid,
    timeline: tuple[DayReadiness, ...],
    carried_to: tuple[str, ...],
    now: datetime,
) -> FeaturePage:
    """Build a feature's page from its readiness, the branch's newest flights (`marks`, the
    window's and the grid's), its grid, its days and where it was carried on to."""
    when = {m.number: m.at for m in marks}
    row = FeatureRow.of(found)
    series = tuple(
        dataclasses.replace(point, started=when.get(point.flight)) for point in row.series
    )
    fields = {f.name: getattr(row, f.name) for f in dataclasses.fields(row)}
    return FeaturePage(
        **{**fields, "series": series},
        release=ReleaseDates.of(release, now),
        grid=grid,
        timeline=timeline,
        declarations=tuple(
            DeclarationLine(d.at, d.status, d.notes)
            for d in reversed(found.feature.history)
            if d.at <= now
        ),
        carried_to=carried_to,
    )


def grid_marks(marks: Sequence[FlightMark]) -> tuple[Mark, ...]:
    """Return the flights a feature's grid shows: the newest GRID_FLIGHTS."""
    return tuple(m for m in (mark_of(m) for m in marks[-GRID_FLIGHTS:]) if m is not None)
