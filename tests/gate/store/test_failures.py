"""Failure clusters: each failing step's signature kept at ingest, grouped as of a moment."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gate.model import Flight, Status
from gate.pages.failures import failure_cluster, failure_clusters
from gate.store.db import unit_of_work
from gate.store.flights import save_flight
from gate.store.records import FailureRecord
from tests.builders import flight

START = datetime(2013, 3, 1, tzinfo=UTC)
P, F, B = Status.PASS, Status.FAIL, Status.BROKEN
TIMEOUT = "guest {ip} did not answer ping after {s} seconds on {host}"


def _said(made: Flight, messages: dict[str, str], host: str) -> Flight:
    """Give the named steps ("JOB TESTID") their failure messages and every job a host."""
    jobs = tuple(
        dataclasses.replace(
            job,
            host=host,
            steps=tuple(
                s._replace(message=messages.get(f"{s.key.job} {s.key.testid}", ""))
                for s in job.steps
            ),
        )
        for job in made.jobs
    )
    return dataclasses.replace(made, jobs=jobs)


def _store(engine: Engine, number: int, steps, messages, host: str, *, replace=False) -> None:
    made = flight(number, steps, started=START + timedelta(days=number - 100))
    with unit_of_work(engine) as session:
        save_flight(
            session,
            _said(made, messages, host),
            digest=f"d{number}{'r' if replace else ''}",
            source="test",
            now=START,
            replace=replace,
        )


GUEST = "test-amd64-amd64-xl guest-start"
INSTALL = "test-amd64-amd64-xl host-install(3)"


def test_the_same_cause_on_other_hosts_and_flights_is_one_cluster(engine: Engine):
    steps = {"build-amd64 xen-build": P, GUEST: F, INSTALL: P}
    _store(
        engine, 100, steps, {GUEST: TIMEOUT.format(ip="10.0.0.1", s=120, host="italia0")}, "italia0"
    )
    _store(
        engine,
        101,
        steps,
        {GUEST: TIMEOUT.format(ip="10.0.0.7", s=300, host="gall-mite")},
        "gall-mite",
    )
    broken = {**steps, INSTALL: B}
    _store(engine, 102, broken, {GUEST: TIMEOUT.format(ip="10.0.0.9", s=60, host="italia0"),
                                 INSTALL: "host-install failed: disk /dev/sda missing"}, "italia0")  # fmt: skip
    with Session(engine) as session:
        listed = failure_clusters(session, START + timedelta(days=30))
    assert listed.total == 2
    # Newest first; in the same flight the biggest first.
    guest, install = listed.clusters
    assert guest.signature == "guest <IP> did not answer ping after <N> seconds on <HOST>"
    assert (guest.occurrences, guest.flights, guest.hosts, guest.tests) == (3, 3, 2, 1)
    assert (guest.first_seen.flight, guest.last_seen.flight) == (100, 102)
    assert guest.trend == (1, 1, 1)
    assert (install.occurrences, install.last_seen.flight) == (1, 102)
    with Session(engine) as session:
        page = failure_cluster(session, guest.digest, START + timedelta(days=30))
        before = failure_cluster(session, guest.digest, START + timedelta(days=1, hours=1))
        none_yet = failure_cluster(session, install.digest, START + timedelta(days=1))
    assert page is not None and [o.flight for o in page.occurrences] == [102, 101, 100]
    assert {o.host for o in page.occurrences} == {"italia0", "gall-mite"}
    # As of a moment, nothing after it is counted or listed.
    assert before is not None and before.cluster.occurrences == 2
    assert [o.flight for o in before.occurrences] == [101, 100]
    assert none_yet is None


def test_a_failure_without_a_message_is_known_by_its_step(engine: Engine):
    _store(engine, 100, {GUEST: F, INSTALL: B}, {}, "italia0")
    with Session(engine) as session:
        listed = failure_clusters(session, START + timedelta(days=3))
    assert sorted(c.signature for c in listed.clusters) == [
        "guest-start: fail without a message",
        "host-install(<N>): broken without a message",
    ]


def test_a_replaced_flight_keeps_only_its_new_failures(engine: Engine):
    _store(engine, 100, {GUEST: F}, {GUEST: "first cause"}, "italia0")
    _store(engine, 100, {GUEST: F}, {GUEST: "second cause"}, "italia0", replace=True)
    with Session(engine) as session:
        listed = failure_clusters(session, START + timedelta(days=3))
        rows = session.scalar(select(func.count()).select_from(FailureRecord))
    assert [c.signature for c in listed.clusters] == ["second cause"]
    assert rows == 1
