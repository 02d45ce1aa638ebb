"""The flight list and a flight's page: its report, its osstest sections and its scoreboard,
shaped from the stored flight and what `gate.pages.flights` read beside it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from gate.changes import Commits
from gate.model import (
    Blocker,
    Classification,
    Finding,
    Flight,
    Judgement,
    Push,
    Status,
    TestKey,
    Verdict,
)
from gate.read.cells import Cell, cell
from gate.report import (
    HEADLINES,
    Analysis,
    ReportContext,
    analysis,
    baseline_test,
    headers,
    outcome,
    render_text,
    subject,
    summary,
)
from gate.trends import FlightAge, PushAge
from gate.triage import Known, Tally


@dataclass(frozen=True)
class FlightRow:
    """One row of the flight list, as the store lists it (`gate.store.flights.list_flights`)."""

    flight: int
    branch: str
    blessing: str
    revision: Mapping[str, str]
    verdict: Verdict
    pushed: bool
    tests: int
    failures: int
    errors: int
    skipped: int
    blocking: int
    started: datetime | None
    ingested: datetime
    subject: str


@dataclass(frozen=True)
class FlightsPage:
    """A page of the flight list, with what its filters offer."""

    flights: tuple[FlightRow, ...]
    page: int
    pages: int
    total: int
    branch: str | None
    verdict: Verdict | None
    branches: tuple[str, ...]
    verdicts: tuple[Verdict, ...] = tuple(Verdict)


@dataclass(frozen=True)
class FlightReport:
    """A stored flight with its judgement and what its report shows beyond them."""

    flight: Flight
    judgement: Judgement
    context: ReportContext


@dataclass(frozen=True)
class FailureLine:
    """One failure of a flight's report: a step, how it was judged, and where it is printed."""

    job: str
    testid: str
    stepno: int | None  # None for a job's `<none executed>` line, which is no step
    status: Status
    classification: Classification
    blocking: bool
    blocker: Blocker | None
    ref_flight: int | None
    in_flight: int | None
    summary: str
    section: Analysis
    known: Known | None = None  # what a known issue's rule says it is
    cluster: str | None = None  # the digest of its failure's signature (`gate.signature`)

    @classmethod
    def of(cls, finding: Finding, *, compared: bool) -> FailureLine:
        step = finding.step
        return cls(
            step.key.job,
            step.key.testid,
            None if step.key.pseudo else step.stepno,
            step.status,
            finding.classification,
            finding.blocking,
            finding.blocker,
            finding.ref_flight,
            finding.in_flight,
            summary(finding),
            analysis(finding, compared=compared),
        )


@dataclass(frozen=True)
class Section:
    """One section of the report, in osstest's order, with its heading."""

    analysis: Analysis
    heading: str
    failures: tuple[FailureLine, ...]


@dataclass(frozen=True)
class JobLine:
    job: str
    status: Status
    passed: bool = False  # the job and every step of it (`gate.model.Job.passed`)


@dataclass(frozen=True)
class RetestLine:
    flight: int
    blessing: str
    intended: str
    log_url: str | None


@dataclass(frozen=True)
class AgeLine:
    """A flight the push-gate summary names, with its age in whole days."""

    flight: int
    started: datetime | None
    days: int


@dataclass(frozen=True)
class PushAgeView:
    tree: str | None
    basis: AgeLine | None
    failing_since: AgeLine | None
    failing_attempts: int | None
    same_since: AgeLine | None
    same_attempts: int


@dataclass(frozen=True)
class ScoreRow:
    testid: str
    cells: tuple[Cell | None, ...]


@dataclass(frozen=True)
class Scoreboard:
    """The flight's grid: a column per job that did not pass every step, a row per testid of
    those jobs; `passed` counts the jobs left out, which passed every step."""

    jobs: tuple[str, ...]
    rows: tuple[ScoreRow, ...]
    passed: int = 0


@dataclass(frozen=True)
class TreeRange:
    """The revisions of a tree from `base` (excluded) to `tip`, with their commits when a clone
    of the tree is known (`log` is None when none is)."""

    tree: str
    base: str
    tip: str
    log: Commits | None


@dataclass(frozen=True)
class BisectHint:
    """Where a regression came in: after the revisions of the flight where its step last passed
    (its reference flight), up to those of the first flight since then where it did not pass."""

    job: str
    testid: str
    passed_flight: int
    failed_flight: int
    failing_flights: int  # the flights of the run that has not passed, up to this one
    ranges: tuple[TreeRange, ...]


@dataclass(frozen=True)
class FlightPage:
    """A flight's page: its report as data and as osstest's text, its sections and scoreboard."""

    flight: int
    branch: str
    blessing: str
    intended: str
    log_url: str | None
    subject: str
    verdict: Verdict
    headline: str
    push: Push
    push_sentence: str
    pushed: bool
    baseline_test: bool
    outcome: str
    revision: Mapping[str, str]
    tested: Mapping[str, str]
    baseline: Mapping[str, str]
    baseline_flights: tuple[int, ...]
    retests: tuple[int, ...]
    retest_flights: tuple[RetestLine, ...]
    push_age: PushAgeView | None
    jobs: tuple[JobLine, ...]
    failures: tuple[FailureLine, ...]
    started: datetime | None
    baseline_flight: int | None
    previous_flight: int | None  # the newest flight of the branch below this one
    sections: tuple[Section, ...]
    scoreboard: Scoreboard
    text: str
    headers: str
    # The commits between the baseline and the tested revision of each tree that moved, their
    # authors (None when no tree's history is known) and each regression's bisect hint.
    changes: tuple[TreeRange, ...] = ()
    people: tuple[str, ...] | None = None
    bisect: tuple[BisectHint, ...] = ()
    triage: Tally | None = None  # how many of its failures are known; None without rules


def _age(seen: FlightAge | None) -> AgeLine | None:
    return AgeLine(seen.number, seen.started, seen.days) if seen else None


def _push_age(age: PushAge | None) -> PushAgeView | None:
    if age is None:
        return None
    return PushAgeView(
        age.tree,
        _age(age.basis),
        _age(age.failing_since),
        age.failing_attempts,
        _age(age.same_since),
        age.same_attempts,
    )


def _scoreboard(flight: Flight, judgement: Judgement) -> Scoreboard:
    shown = [job for job in flight.jobs if not job.passed]
    jobs = tuple(job.name for job in shown)
    testids: list[str] = []
    board: dict[tuple[str, str], Cell] = {}
    findings = {f.step: f for f in judgement.own()}
    for step in (step for job in shown for step in job.steps):
        if step.key.testid not in testids:
            testids.append(step.key.testid)
        board[(step.key.testid, step.key.job)] = cell(step.status, findings.get(step), step.stepno)
    rows = tuple(ScoreRow(t, tuple(board.get((t, j)) for j in jobs)) for t in testids)
    return Scoreboard(jobs, rows, len(flight.jobs) - len(shown))


def flight_page(
    flight: Flight,
    judgement: Judgement,
    context: ReportContext,
    *,
    previous_flight: int | None = None,
    changes: tuple[TreeRange, ...] = (),
    bisect: tuple[BisectHint, ...] = (),
) -> FlightPage:
    """Build a flight's page from the flight, its judgement, its report's context, the flight
    before it on its branch, the commits under test and the regressions' bisect hints."""
    assert flight.number is not None
    compared = bool(judgement.baseline)
    failures = tuple(FailureLine.of(f, compared=compared) for f in judgement.findings)
    sections = tuple(
        Section(
            where,
            where.heading.replace("\n", " "),
            tuple(f for f in failures if f.section is where),
        )
        for where in sorted(Analysis, key=lambda a: a.rank)
        if any(f.section is where for f in failures)
    )
    retests = tuple(
        RetestLine(r.number, r.blessing, r.intended or r.blessing, r.log_url)
        for r in sorted(context.retests, key=lambda line: line.number)
    )
    return FlightPage(
        flight=flight.number,
        branch=flight.branch,
        blessing=flight.blessing,
        intended=flight.intended or flight.blessing,
        log_url=flight.log_url,
        subject=subject(flight, judgement),
        verdict=judgement.verdict,
        headline=HEADLINES[judgement.verdict],
        push=judgement.push,
        push_sentence=judgement.push.sentence,
        pushed=judgement.pushed,
        baseline_test=baseline_test(judgement),
        outcome=outcome(flight, judgement),
        revision=dict(flight.revisions),
        tested=dict(judgement.tested),
        baseline=dict(judgement.baseline),
        baseline_flights=judgement.baseline_flights,
        retests=judgement.retests,
        retest_flights=retests,
        push_age=_push_age(context.push_age),
        jobs=tuple(JobLine(job.name, job.status, job.passed) for job in flight.jobs),
        failures=failures,
        started=flight.started,
        baseline_flight=max(judgement.baseline_flights, default=None),
        previous_flight=previous_flight,
        sections=sections,
        scoreboard=_scoreboard(flight, judgement),
        text=render_text(flight, judgement, context),
        headers=headers(flight, judgement),
        changes=changes,
        people=context.people,
        bisect=bisect,
    )


def changed_trees(judgement: Judgement) -> list[tuple[str, str, str]]:
    """Return (tree, baseline revision, tested revision) of each tree the flight moved on."""
    return [
        (tree, base, judgement.tested[tree])
        for tree, base in sorted(judgement.baseline.items())
        if judgement.tested.get(tree, base) != base
    ]


def regressions(judgement: Judgement) -> list[Finding]:
    """Return the findings to bisect: a blocking finding that names a reference flight is a
    regression against it (`REGR. vs. N`); each step once, its own finding before another
    flight's."""
    first: dict[TestKey, Finding] = {}
    for finding in judgement.findings:
        if finding.blocking and finding.ref_flight:
            first.setdefault(finding.step.key, finding)
    return list(first.values())


def bisect_hint(
    finding: Finding,
    since: int,
    runs: int,
    passed: Mapping[str, str],
    failed: Mapping[str, str],
    ranges: Callable[[str, str, str], TreeRange],
    trees: Collection[str],
) -> BisectHint:
    """Return where a regression came in: the revisions of the compared `trees` from those
    `passed` (its reference flight's) to those `failed` (flight `since`, the first of the
    `runs` flights that did not pass), each range read through `ranges`."""
    assert finding.ref_flight is not None
    found = tuple(
        ranges(tree, passed[tree], failed[tree])
        for tree in sorted(trees)
        if tree in passed and tree in failed
    )
    key = finding.step.key
    return BisectHint(key.job, key.testid, finding.ref_flight, since, runs, found)


def with_clusters(page: FlightPage, clusters: Mapping[tuple[str, str], str]) -> FlightPage:
    """Give each failure of a page the cluster of its signature, when it has one."""
    if not clusters:
        return page

    def clustered(line: FailureLine) -> FailureLine:
        # A line of another flight's failure (a heisenbug's) is that flight's cluster, not ours.
        own = line.stepno is not None and line.in_flight is None
        found = clusters.get((line.job, line.testid)) if own else None
        return dataclasses.replace(line, cluster=found) if found else line

    failures = tuple(clustered(f) for f in page.failures)
    sections = tuple(
        dataclasses.replace(s, failures=tuple(clustered(f) for f in s.failures))
        for s in page.sections
    )
    return dataclasses.replace(page, failures=failures, sections=sections)
