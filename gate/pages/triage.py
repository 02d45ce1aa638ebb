"""Known issues on the pages: the rules in force at the moment shown, applied to the failures
a page lists (and only those), so that a rule applies to past failures as well as new ones."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from gate.read.branch import BranchPage
from gate.read.failures import ClusterList, ClusterPage
from gate.read.features import FeaturePage
from gate.read.flights import FlightPage
from gate.read.history import TestPage, triaged_test
from gate.read.triage import (
    triaged_branch,
    triaged_cluster,
    triaged_feature,
    triaged_flight,
    triaged_list,
)
from gate.store.triage import (
    RuleVersion,
    failing_counts,
    failing_in_flight,
    failing_of_signature,
    failing_of_test,
    rules_in_force,
    versions_in_force,
)
from gate.triage import Known, Tally, in_order, known_of


def flight_triage(session: Session, page: FlightPage, now: datetime) -> FlightPage:
    """Classify a flight page's failing steps by the rules in force at `now`; the page as it
    was when no rule is."""
    rules = in_order(rules_in_force(session, now))
    if not rules:
        return page
    known: dict[tuple[str, str], Known | None] = {}
    for failing in failing_in_flight(session, page.flight):
        key = (failing.job, failing.testid)
        # A step tried twice is known when either attempt is.
        known[key] = known.get(key) or known_of(rules, failing)
    return triaged_flight(page, known)


def cluster_triage(
    session: Session, page: ClusterPage, signature_id: int, now: datetime
) -> ClusterPage:
    """Classify a cluster's listed occurrences and count its known failures by the rules in
    force at `now`; the page as it was when no rule is."""
    rules = in_order(rules_in_force(session, now))
    if not rules:
        return page
    counts = failing_counts(session, [signature_id], now)
    tally = Tally(
        sum(n for _sig, failing, n in counts if known_of(rules, failing) is not None),
        sum(n for _sig, _failing, n in counts),
    )
    known: dict[tuple[int, str, str], Known | None] = {}
    flights = [o.flight for o in page.occurrences]
    for flight, failing in failing_of_signature(session, signature_id, flights):
        key = (flight, failing.job, failing.testid)
        known[key] = known.get(key) or known_of(rules, failing)
    return triaged_cluster(page, known, tally)


def branch_triage(session: Session, page: BranchPage, now: datetime) -> BranchPage:
    """Classify a branch page's never-passing steps by their newest failure and the rules in
    force at `now`; the page as it was when no rule is."""
    rules = in_order(rules_in_force(session, now))
    if not rules:
        return page
    known: dict[tuple[int, str, str], Known | None] = {}
    for flight in sorted({t.newest_flight for t in page.never_pass}):
        for failing in failing_in_flight(session, flight):
            key = (flight, failing.job, failing.testid)
            known[key] = known.get(key) or known_of(rules, failing)
    return triaged_branch(page, known)


def feature_triage(session: Session, page: FeaturePage, now: datetime) -> FeaturePage:
    """Classify a feature page's blocking and failing steps by the rules in force at `now`; the
    page as it was when no rule is."""
    rules = in_order(rules_in_force(session, now))
    if not rules:
        return page
    known: dict[tuple[int, str, str], Known | None] = {}
    for flight in sorted({o.flight for o in (*page.blocking, *page.failures)}):
        for failing in failing_in_flight(session, flight):
            key = (flight, failing.job, failing.testid)
            known[key] = known.get(key) or known_of(rules, failing)
    return triaged_feature(page, known)


def test_triage(session: Session, page: TestPage, now: datetime | None) -> TestPage:
    """Classify a test page's failing runs by the rules in force at `now` (the clock's when
    None); the page as it was when no rule is."""
    rules = in_order(rules_in_force(session, now or datetime.now(UTC)))
    if not rules:
        return page
    known: dict[int, Known | None] = {}
    flights = [h.flight for h in page.history]
    for flight, failing in failing_of_test(session, page.job, page.testid, flights):
        known[flight] = known.get(flight) or known_of(rules, failing)
    return triaged_test(page, known)


def cluster_list_triage(
    session: Session, page: ClusterList, ids: Mapping[str, int], now: datetime
) -> ClusterList:
    """Count, for each listed cluster, how many of its failures the rules in force at `now`
    explain; the list as it was when no rule is."""
    rules = in_order(rules_in_force(session, now))
    if not rules:
        return page
    tallies: dict[int, list[int]] = {}
    for sig, failing, n in failing_counts(session, list(ids.values()), now):
        found = tallies.setdefault(sig, [0, 0])
        found[0] += n if known_of(rules, failing) is not None else 0
        found[1] += n
    return triaged_list(page, {d: Tally(*tallies.get(i, [0, 0])) for d, i in ids.items()})


def triage_rules(session: Session, now: datetime) -> list[RuleVersion]:
    """The rules in force at `now`, by name, each with who made its version and when."""
    return versions_in_force(session, now)
