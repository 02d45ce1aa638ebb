"""Known issues on the pages: each failure's class (`gate.triage.Known`), how many of a page's
failures are known, untriaged first, and the rule a cluster's form proposes."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

from gate.read.branch import BranchPage
from gate.read.failures import ClusterList, ClusterPage, Occurrence
from gate.read.features import FeaturePage, ObservationLine
from gate.read.flights import FailureLine, FlightPage
from gate.triage import Known, Tally, common_glob, pattern_of


class _Classed(Protocol):
    @property
    def known(self) -> Known | None: ...


T = TypeVar("T", bound=_Classed)


def untriaged_first(lines: Iterable[T]) -> tuple[T, ...]:
    """Return lines with those no rule knows first, each part in its order."""
    listed = list(lines)
    return tuple(
        [line for line in listed if line.known is None]
        + [line for line in listed if line.known is not None]
    )


def triaged_flight(page: FlightPage, known: Mapping[tuple[str, str], Known | None]) -> FlightPage:
    """Give each failing step of a flight's page what the rules say it is (`known`, by job and
    testid, holds each failing step), untriaged first in each section, and the page its tally."""

    def classed(line: FailureLine) -> FailureLine:
        if line.stepno is None:  # a job's `<none executed>` line is no failing step
            return line
        return dataclasses.replace(line, known=known.get((line.job, line.testid)))

    failures = untriaged_first(classed(f) for f in page.failures)
    sections = tuple(
        dataclasses.replace(s, failures=untriaged_first(classed(f) for f in s.failures))
        for s in page.sections
    )
    counted = [f for f in failures if f.stepno is not None and (f.job, f.testid) in known]
    tally = Tally(sum(f.known is not None for f in counted), len(counted))
    return dataclasses.replace(page, failures=failures, sections=sections, triage=tally)


def triaged_cluster(
    page: ClusterPage, known: Mapping[tuple[int, str, str], Known | None], tally: Tally
) -> ClusterPage:
    """Give each occurrence of a cluster's page what the rules say it is (`known`, by flight,
    job and testid), untriaged first, and the page the tally of all its failures."""

    def classed(o: Occurrence) -> Occurrence:
        return dataclasses.replace(o, known=known.get((o.flight, o.job, o.testid)))

    occurrences = untriaged_first(classed(o) for o in page.occurrences)
    return dataclasses.replace(page, occurrences=occurrences, triage=tally)


def triaged_feature(
    page: FeaturePage, known: Mapping[tuple[int, str, str], Known | None]
) -> FeaturePage:
    """Give each blocking and failing step of a feature's page what the rules say it is (`known`,
    by flight, job and testid, holds each failing step), untriaged first, and the page its tally."""

    def classed(lines: tuple[ObservationLine, ...]) -> tuple[ObservationLine, ...]:
        return untriaged_first(
            dataclasses.replace(o, known=known.get((o.flight, o.job, o.testid))) for o in lines
        )

    blocking, failures = classed(page.blocking), classed(page.failures)
    counted = [o for o in (*blocking, *failures) if (o.flight, o.job, o.testid) in known]
    tally = Tally(sum(o.known is not None for o in counted), len(counted))
    return dataclasses.replace(page, blocking=blocking, failures=failures, triage=tally)


def triaged_branch(
    page: BranchPage, known: Mapping[tuple[int, str, str], Known | None]
) -> BranchPage:
    """Give each never-passing step of a branch's page what the rules say its newest failure
    is (`known`, by flight, job and testid), untriaged first, and the page its tally."""
    lines = untriaged_first(
        dataclasses.replace(t, known=known.get((t.newest_flight, t.job, t.testid)))
        for t in page.never_pass
    )
    counted = [t for t in lines if (t.newest_flight, t.job, t.testid) in known]
    tally = Tally(sum(t.known is not None for t in counted), len(counted))
    return dataclasses.replace(page, never_pass=lines, triage=tally)


def triaged_list(page: ClusterList, tallies: Mapping[str, Tally]) -> ClusterList:
    """Give each listed cluster the tally of its failures that known issues explain."""
    clusters = tuple(dataclasses.replace(c, triage=tallies.get(c.digest)) for c in page.clusters)
    return dataclasses.replace(page, clusters=clusters)


@dataclass(frozen=True)
class RuleDraft:
    """The rule a cluster's form proposes: its occurrences' job and testid, and its signature."""

    job: str
    testid: str
    message: str


def draft_for(page: ClusterPage) -> RuleDraft:
    """Propose a rule that matches a cluster: the job and testid its occurrences share (or the
    glob of their common start) and its signature's first line."""
    return RuleDraft(
        common_glob(o.job for o in page.occurrences),
        common_glob(o.testid for o in page.occurrences),
        pattern_of(page.cluster.signature),
    )
