"""Pruning the store: outputs first, old flights later, the protected ones kept; on both engines."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gate.model import Classification, Flight, Status
from gate.pages.branch import branch_detail
from gate.pages.flights import flight_detail
from gate.pages.history import test_detail as page_of_test
from gate.policy import Policy
from gate.retention import Protection, Retention
from gate.store.db import unit_of_work, write_retrying
from gate.store.flights import load_flight, save_flight
from gate.store.prune import Deleted, Stage, delete_flights, prune, read_headers
from gate.store.records import (
    FeatureStatusRecord,
    FlightRecord,
    FlightStatusRecord,
    JobRecord,
    StepRecord,
)
from gate.store.summaries import rebuild, snapshot
from tests.builders import flight

START = datetime(2013, 1, 1, tzinfo=UTC)
NOW = START + timedelta(days=100)
KEEP = Retention(outputs_days=30, flights_days=60)
P, F = Status.PASS, Status.FAIL
BUILD, START_, STOP = (
    "build-amd64 xen-build",
    "test-amd64-amd64-xl guest-start",
    "test-amd64-amd64-xl guest-stop",
)
GOOD = {BUILD: P, START_: P, STOP: P}
STOP_FAILS = {BUILD: P, START_: P, STOP: F}
START_FAILS = {BUILD: P, START_: F, STOP: P}
# number, steps, revision, baseline, day: 103 is the last push; 105 and 106 are young and
# judged against 103 and 102; 103 was judged against 101, which was judged against 100.
HISTORY = [
    (100, GOOD, "a", None, 0),
    (101, GOOD, "b", "a", 1),
    (102, STOP_FAILS, "c", "b", 2),
    (103, GOOD, "c", "b", 3),
    (104, START_FAILS, "d", "c", 20),
    (105, START_FAILS, "d", "c", 70),
    (106, START_FAILS, "e", "c", 80),
]


def with_texts(made: Flight) -> Flight:
    """Give every step an output excerpt, and every failure a message."""
    jobs = tuple(
        dataclasses.replace(
            job,
            steps=tuple(
                s._replace(
                    output=f"log of {s.key} in {made.number}\n" * 10,
                    message="" if s.status is P else f"{s.key.testid} failed",
                )
                for s in job.steps
            ),
        )
        for job in made.jobs
    )
    return dataclasses.replace(made, jobs=jobs)


def store(engine: Engine, history=HISTORY, branch: str = "xen-unstable", **kw) -> None:
    with Session(engine) as session:
        for number, steps, revision, baseline, day in history:
            at = START + timedelta(days=day)
            made = flight(number, steps, xen=revision, baseline=baseline, branch=branch, started=at)
            made = dataclasses.replace(with_texts(made), **kw)
            save_flight(session, made, digest=f"d{number}", source="test", now=at)
        session.commit()


def numbers(session: Session, record=FlightRecord, column=None) -> list[int]:
    column = column if column is not None else record.id
    return sorted(set(session.scalars(select(column))))


def outputs(session: Session) -> dict[int, int]:
    """The steps that still have an output, by flight."""
    return dict(
        session.execute(
            select(StepRecord.flight_id, func.count())
            .where(StepRecord.output.is_not(None))
            .group_by(StepRecord.flight_id)
        ).all()
    )


@pytest.fixture
def history(engine: Engine) -> Engine:
    store(engine)
    with Session(engine) as session:
        pushed = session.scalars(select(FlightRecord.id).where(FlightRecord.pushed)).all()
        baselines = dict(
            session.execute(select(FlightRecord.id, FlightRecord.baseline_flights)).all()
        )
    assert max(pushed) == 103
    assert (baselines[103], baselines[105], baselines[106]) == ([101], [103, 102], [103, 102])
    return engine


def test_a_dry_run_says_what_it_would_do_and_does_nothing(history: Engine):
    with Session(history) as session:
        before = snapshot(session), outputs(session), numbers(session)
    pruned = prune(history, KEEP, NOW, dry_run=True)
    assert pruned.dry_run
    assert (pruned.deleted.flights, pruned.deleted.steps) == (2, 6)
    assert (pruned.cleared.flights, pruned.cleared.steps) == (3, 9)
    assert pruned.kept == {Protection.LAST_PUSH: 1, Protection.BASELINE: 2}
    assert pruned.sentence().startswith("would delete 2 flights (6 steps); would keep 3 old")
    with Session(history) as session:
        assert (snapshot(session), outputs(session), numbers(session)) == before


def test_old_outputs_are_cleared_and_older_flights_deleted_but_the_protected_ones(
    history: Engine,
):
    seen: list[tuple[Stage, int, int]] = []
    pruned = prune(history, KEEP, NOW, batch=1, progress=lambda *a: seen.append(a))
    assert seen == [
        (Stage.OUTPUTS, 1, 3),
        (Stage.OUTPUTS, 2, 3),
        (Stage.OUTPUTS, 3, 3),
        (Stage.FLIGHTS, 1, 2),
        (Stage.FLIGHTS, 2, 2),
    ]
    assert pruned.sentence() == (
        "deleted 2 flights (6 steps); kept 3 old flights (1 as last push, 2 as baseline or "
        "retest of a kept flight); cleared the outputs of 9 steps in 3 flights; "
        "0.0 MB of output freed"
    )
    with Session(history) as session:
        # 100 is a baseline only of 101, itself kept only as a baseline of the last push.
        assert numbers(session) == [101, 102, 103, 105, 106]
        assert numbers(session, JobRecord, JobRecord.flight_id) == [101, 102, 103, 105, 106]
        assert numbers(session, StepRecord, StepRecord.flight_id) == [101, 102, 103, 105, 106]
        for summary in (FlightStatusRecord, FeatureStatusRecord):
            assert set(numbers(session, summary, summary.flight_id)) <= {101, 102, 103, 105, 106}
        # 105 is exactly 30 days old: not older than 30 days.
        assert outputs(session) == {105: 3, 106: 3}
        # The messages stay, even where the outputs went.
        messages = session.execute(
            select(StepRecord.flight_id, StepRecord.message)
            .where(StepRecord.message.is_not(None))
            .order_by(StepRecord.flight_id)
        ).all()
        assert [tuple(m) for m in messages] == [
            (102, "guest-stop failed"),
            (105, "guest-start failed"),
            (106, "guest-start failed"),
        ]


def test_the_kept_flights_keep_their_judgements_and_their_pages(history: Engine):
    kept = [101, 102, 103, 105, 106]
    with Session(history) as session:
        before = {n: load_flight(session, n, texts=False)[1] for n in kept}
        passes = snapshot(session)["test_pass"]
    prune(history, KEEP, NOW)
    policy = Policy()
    with Session(history) as session:
        assert {n: load_flight(session, n, texts=False)[1] for n in kept} == before
        assert snapshot(session)["test_pass"] == passes
        page = branch_detail(session, "xen-unstable", policy, NOW)
        assert page is not None
        assert [p.flight for p in page.flights] == kept
        for number in kept:
            found = flight_detail(session, number, policy, NOW)
            assert found is not None
        assert flight_detail(session, 104, policy, NOW) is None
        assert page_of_test(session, "test-amd64-amd64-xl", "guest-start", NOW) is not None


def test_the_summaries_stay_as_a_rebuild_has_them_after_a_prune(history: Engine):
    prune(history, KEEP, NOW)
    with Session(history) as session:
        kept = snapshot(session)
        rebuild(session)
        assert snapshot(session) == kept


def test_a_test_that_passed_in_a_deleted_flight_still_passed_before(engine: Engine):
    """Without the pruned flight's first pass, a later failure would be a never pass."""
    built = {BUILD: P}
    store(engine, [(200, {BUILD: P, START_: P}, "x", None, 0), (201, built, "y", "x", 1)])
    store(engine, [(202, built, "z", "y", 90)])
    prune(engine, KEEP, NOW)
    with Session(engine) as session:
        # 200 is only a baseline of 201, itself only a baseline of 202.
        assert numbers(session) == [201, 202]
        rebuild(session)  # the deleted flight's first passes survive a rebuild too
        session.commit()
        assert (2, 200) in [(t, first) for _b, t, _bl, first in snapshot(session)["test_pass"]]
    store(engine, [(203, START_FAILS, "w", "z", 95)])
    with Session(engine) as session:
        loaded = load_flight(session, 203, texts=False)
    assert loaded is not None
    [finding] = loaded[1].findings
    assert finding.classification is not Classification.NEVER_PASS


def test_a_flight_stored_after_the_plan_protects_its_baselines_too(history: Engine):
    with Session(history) as session:
        headers = read_headers(session)
    assert [h.number for h in headers] == [100, 101, 102, 103, 104, 105, 106]
    # 107 is judged against d, which only the doomed 104 (and 105) built.
    store(history, [(107, START_FAILS, "f", "d", 99)])
    cutoff = NOW - timedelta(days=60)
    with Session(history) as session:
        deleted = delete_flights(session, [100, 104], cutoff, since=105)
        session.commit()
        assert (deleted.flights, deleted.spared) == (1, {104: Protection.BASELINE})
        assert 104 in numbers(session) and 100 not in numbers(session)


def test_a_batch_waits_for_a_save_under_way_and_spares_what_it_protects(history: Engine):
    """A batch that did not wait would not see the flight being saved, and delete its baseline."""
    cutoff = NOW - timedelta(days=60)
    found: list[Deleted] = []

    def batch() -> None:
        work = partial(delete_flights, numbers=[100, 104], cutoff=cutoff, since=105)
        found.append(write_retrying(history, work, attempts=1))

    pruner = threading.Thread(target=batch)
    with unit_of_work(history) as session:
        # 107 is judged against d, which only the doomed 104 (and 105) built.
        at = START + timedelta(days=99)
        made = with_texts(flight(107, START_FAILS, xen="f", baseline="d", started=at))
        save_flight(session, made, digest="d107", source="test", now=at)
        pruner.start()
        pruner.join(0.5)
        assert pruner.is_alive()  # waiting for this save
    pruner.join(30)
    assert [(d.flights, d.spared) for d in found] == [(1, {104: Protection.BASELINE})]
    with Session(history) as session:
        assert numbers(session) == [101, 102, 103, 104, 105, 106, 107]
