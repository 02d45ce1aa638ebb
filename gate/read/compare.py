"""Two flights compared: each step whose outcome changed from the first to the second, by kind
(`gate.compare` decides the kinds), with what the gate said of it in the second flight."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from gate.compare import Change, StepChange, compare, moved, outcomes
from gate.model import Finding, Flight, Judgement, Status, TestKey, Verdict
from gate.report import summary

COMPARE_LINES = 500  # steps a page of a comparison shows


@dataclass(frozen=True)
class ComparedFlight:
    """One of the two flights: what names it, and how the gate judged it."""

    flight: int
    branch: str
    blessing: str
    revision: Mapping[str, str]
    verdict: Verdict
    pushed: bool
    started: datetime | None
    steps: int  # its test keys, `<none executed>` lines included


@dataclass(frozen=True)
class ChangeLine:
    """One step that changed: its status in flight A and in flight B (None: absent), and the
    gate's finding on it in flight B, if it had one."""

    job: str
    testid: str
    change: Change
    status_a: Status | None
    status_b: Status | None
    summary: str  # the finding's summary in B (`REGR. vs. 17001`, `never pass`), else ""
    blocking: bool  # the finding blocks B's push
    whole_job: bool  # a line about a job (`<none executed>`, `<job status>`), which is no step


@dataclass(frozen=True)
class ChangeGroup:
    """The lines of one kind on this page of the comparison."""

    change: Change
    heading: str
    meaning: str
    lines: tuple[ChangeLine, ...]


@dataclass(frozen=True)
class Comparison:
    """Flight A against flight B: how many steps of each kind, and a page of them, by kind."""

    a: ComparedFlight
    b: ComparedFlight
    counts: Mapping[Change, int]  # every kind, in order, on every page
    groups: tuple[ChangeGroup, ...]
    total: int
    page: int
    pages: int
    moved: int = 0  # steps that only moved, their number changed in their name: not listed


def compared(
    flight_a: Flight,
    judgement_a: Judgement,
    flight_b: Flight,
    judgement_b: Judgement,
    *,
    page: int = 1,
) -> Comparison:
    """Compare flight A with flight B step by step, a page of COMPARE_LINES steps at a time (a
    page out of range shows the nearest), with B's findings on its steps."""
    seen_a, seen_b = outcomes(flight_a), outcomes(flight_b)
    pairs = moved(seen_a, seen_b)
    changes = compare(seen_a, seen_b, pairs)
    pages = max(1, -(-len(changes) // COMPARE_LINES))
    page = min(max(1, page), pages)
    chosen = changes[(page - 1) * COMPARE_LINES : page * COMPARE_LINES]
    findings: dict[TestKey, Finding] = {}
    for finding in judgement_b.own():
        findings.setdefault(finding.step.key, finding)  # a repeated testcase's first
    lines = [_line(change, findings.get(change.key)) for change in chosen]
    groups = tuple(
        ChangeGroup(change, change.heading, change.meaning, tuple(shown))
        for change, shown in groupby(lines, key=lambda line: line.change)
    )
    counts = {kind: 0 for kind in Change}
    for change in changes:
        counts[change.change] += 1
    return Comparison(
        _side(flight_a, judgement_a, len(seen_a)),
        _side(flight_b, judgement_b, len(seen_b)),
        counts,
        groups,
        len(changes),
        page,
        pages,
        len(pairs),
    )


def _side(flight: Flight, judgement: Judgement, steps: int) -> ComparedFlight:
    assert flight.number is not None
    return ComparedFlight(
        flight.number,
        flight.branch,
        flight.blessing,
        dict(flight.revisions),
        judgement.verdict,
        judgement.pushed,
        flight.started,
        steps,
    )


def _line(change: StepChange, finding: Finding | None) -> ChangeLine:
    return ChangeLine(
        change.key.job,
        change.key.testid,
        change.change,
        change.a,
        change.b,
        summary(finding) if finding is not None else "",
        finding is not None and finding.blocking,
        change.key.pseudo,
    )
