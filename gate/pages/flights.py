"""The flight list, a flight's report and a flight's page, fetched and shaped."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy.orm import Session

from gate.changes import Commits, History, people
from gate.model import Flight, Judgement, Verdict
from gate.pages.branch import flight_age
from gate.pages.triage import flight_triage
from gate.policy import Policy
from gate.read.flights import (
    BisectHint,
    FlightPage,
    FlightReport,
    FlightsPage,
    TreeRange,
    bisect_hint,
    changed_trees,
    flight_page,
    regressions,
    with_clusters,
)
from gate.report import ReportContext
from gate.store.failures import clusters_of_flight
from gate.store.flight_reads import branch_names, previous_flight, retest_lines
from gate.store.flights import (
    count_flights,
    flight_happened,
    list_flights,
    load_flight,
    revisions_of,
)
from gate.store.keys import test_ids
from gate.store.steps import not_passing_since


def flights_page(
    session: Session,
    *,
    branch: str | None,
    verdict: Verdict | None,
    page: int,
    per_page: int = 50,
    now: datetime | None = None,
) -> FlightsPage:
    """A page of the flight list, newest first, filtered by branch and verdict; only the flights
    that happened by `now`, when given."""
    total = count_flights(session, branch=branch, verdict=verdict, now=now)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = list_flights(
        session,
        branch=branch,
        verdict=verdict,
        limit=per_page,
        offset=(page - 1) * per_page,
        now=now,
    )
    return FlightsPage(
        tuple(rows),
        page,
        pages,
        total,
        branch,
        verdict,
        tuple(branch_names(session)),
    )


def flight_report(
    session: Session, number: int, policy: Policy, now: datetime
) -> FlightReport | None:
    """Load a flight for its report: the retests of its revisions and its push-gate age; None
    for a flight that had not happened by `now`."""
    if not flight_happened(session, number, now):
        return None
    loaded = load_flight(session, number, texts=False)
    if loaded is None:
        return None
    flight, judgement, _ids = loaded
    if flight.log_url is None:
        flight = dataclasses.replace(flight, log_url=policy.log_url(flight.branch, number))
    retests = tuple(
        dataclasses.replace(
            line, log_url=line.log_url or policy.log_url(flight.branch, line.number)
        )
        for line in retest_lines(session, judgement.retests)
    )
    age = flight_age(session, flight.branch, number, policy, now)
    return FlightReport(flight, judgement, ReportContext(retests=retests, push_age=age))


def flight_detail(
    session: Session,
    number: int,
    policy: Policy,
    now: datetime,
    *,
    history: History | None = None,
) -> FlightPage | None:
    """A flight: its report, its osstest sections, and the scoreboard of jobs by testids; with
    the trees' `history`, the commits under test, their authors and those of each regression's
    revision range."""
    found = flight_report(session, number, policy, now)
    if found is None:
        return None
    flight, judgement, context = found.flight, found.judgement, found.context
    previous = previous_flight(session, flight.branch, number, now)
    log = _Log(history)
    changes = tuple(log.range(*moved) for moved in changed_trees(judgement))
    read = [c.log for c in changes if c.log is not None and c.log.reason is None]
    if read:  # the report names people only when some tree's commits could be read
        context = dataclasses.replace(context, people=people(read))
    hints = bisect_hints(session, flight, judgement, policy, log)
    page = flight_page(
        flight, judgement, context, previous_flight=previous, changes=changes, bisect=hints
    )
    page = with_clusters(page, clusters_of_flight(session, number))
    return flight_triage(session, page, now)


class _Log:
    """The history of a page's trees, each range read once."""

    def __init__(self, history: History | None) -> None:
        self.history = history
        self.seen: dict[tuple[str, str, str], Commits | None] = {}

    def range(self, tree: str, base: str, tip: str) -> TreeRange:
        key = (tree, base, tip)
        if key not in self.seen:
            self.seen[key] = self.history(*key) if self.history is not None else None
        return TreeRange(tree, base, tip, self.seen[key])


def bisect_hints(
    session: Session, flight: Flight, judgement: Judgement, policy: Policy, log: _Log
) -> tuple[BisectHint, ...]:
    """Return where each regression of the flight came in: the revisions of the compared trees
    from its last pass (the reference flight) to its first failure since then."""
    assert flight.number is not None
    wanted = regressions(judgement)
    if not wanted:
        return ()
    blessings = sorted(policy.blessings(flight.branch))
    firsts: list[tuple[int, int]] = []  # each one's first failing flight and its run's length
    ids = test_ids(session, [f.step.key for f in wanted], create=False)  # one read for all
    for finding in wanted:
        test_id = ids.get(finding.step.key)
        upto = finding.in_flight or flight.number
        since, runs = (
            not_passing_since(session, flight.branch, test_id, upto, blessings)
            if test_id is not None
            else (None, 0)
        )
        firsts.append((since or upto, max(runs, 1)))
    numbers = {f.ref_flight for f in wanted if f.ref_flight} | {since for since, _ in firsts}
    revisions = revisions_of(session, numbers)
    return tuple(
        bisect_hint(
            finding,
            since,
            runs,
            revisions.get(finding.ref_flight or 0, {}),
            revisions.get(since, {}),
            log.range,
            judgement.baseline,
        )
        for finding, (since, runs) in zip(wanted, firsts, strict=True)
    )
