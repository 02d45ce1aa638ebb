"""Saving and loading flights, on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gate.model import Classification, Flight, Job, Status, Step, TestKey, Verdict
from gate.store.flights import SaveStatus, list_flights, load_flight, save_flight
from gate.store.records import StepRecord, TestRecord
from tests.builders import flight

NOW = datetime(2013, 3, 1, tzinfo=UTC)
P, F = Status.PASS, Status.FAIL
GOOD = {"build-amd64 xen-build": P, "test-amd64-amd64-xl guest-start": P}
BAD = {"build-amd64 xen-build": P, "test-amd64-amd64-xl guest-start": F}


def save(engine: Engine, f, digest: str, **kw) -> object:
    with Session(engine) as session:
        saved = save_flight(session, f, digest=digest, source="test", now=NOW, **kw)
        session.commit()
        return saved


def test_a_saved_flight_loads_back_whole_with_its_judgement(engine: Engine):
    save(engine, flight(100, GOOD, xen="a"), "d100")
    saved = save(engine, flight(101, BAD, xen="b", baseline="a"), "d101")
    assert (saved.status, saved.verdict, saved.pushed) == (
        SaveStatus.CREATED,
        Verdict.REGRESSIONS,
        False,
    )
    with Session(engine) as session:
        loaded = load_flight(session, 101)
    assert loaded is not None
    stored, judgement, _ids = loaded
    assert stored.number == 101
    assert dict(stored.revisions) == {"xen": "b"}
    assert [j.name for j in stored.jobs] == ["build-amd64", "test-amd64-amd64-xl"]
    assert [(s.key.testid, s.status) for s in stored.steps()] == [
        ("xen-build", P),
        ("guest-start", F),
    ]
    assert [(f.step.key, f.classification, f.ref_flight) for f in judgement.findings] == [
        (TestKey("test-amd64-amd64-xl", "guest-start"), Classification.REGRESSION, 100)
    ]
    assert judgement.baseline_flights == (100,)


def test_the_attempts_of_each_step_survive_a_save_and_a_load(engine: Engine):
    made = flight(100, BAD, xen="a")
    [build, test] = made.jobs
    retried = (
        dataclasses.replace(build, steps=(build.steps[0]._replace(attempts=3),)),
        dataclasses.replace(test, steps=(test.steps[0]._replace(attempts=2),)),
    )
    save(engine, dataclasses.replace(made, jobs=retried), "d100")
    with Session(engine) as session:
        loaded = load_flight(session, 100)
    assert loaded is not None
    assert [(s.key.testid, s.status, s.attempts) for s in loaded[0].steps()] == [
        ("xen-build", P, 3),
        ("guest-start", F, 2),
    ]


def test_a_stored_pass_after_failed_attempts_is_a_heisenbug_on_the_test_page(engine: Engine):
    from gate.pages.history import test_detail

    made = flight(100, GOOD, xen="a")
    build, test = made.jobs
    test = dataclasses.replace(test, steps=(test.steps[0]._replace(attempts=2),))
    save(engine, dataclasses.replace(made, jobs=(build, test)), "d100")
    with Session(engine) as session:
        page = test_detail(session, "test-amd64-amd64-xl", "guest-start")
    assert page is not None
    assert (page.runs, page.heisenbugs, page.flake_rate) == (1, 1, 1.0)


def test_the_same_content_is_unchanged_and_different_content_conflicts(engine: Engine):
    save(engine, flight(100, GOOD), "d1")
    assert save(engine, flight(100, GOOD), "d1").status is SaveStatus.UNCHANGED
    assert save(engine, flight(100, BAD), "d2").status is SaveStatus.CONFLICT
    with Session(engine) as session:
        statuses = session.scalars(select(StepRecord.status).order_by(StepRecord.id)).all()
    assert statuses == ["pass", "pass"]
    replaced = save(engine, flight(100, BAD), "d2", replace=True)
    assert replaced.status is SaveStatus.REPLACED
    with Session(engine) as session:
        statuses = session.scalars(select(StepRecord.status).order_by(StepRecord.id)).all()
    assert statuses == ["pass", "fail"]


def test_flights_without_a_number_are_numbered_after_the_highest(engine: Engine):
    save(engine, flight(100, GOOD), "d1")
    assert save(engine, flight(None, GOOD, branch="other"), "d2").number == 101
    assert save(engine, flight(None, GOOD, branch="other"), "d2").status is SaveStatus.UNCHANGED


def test_test_identities_are_shared_by_every_flight(engine: Engine):
    for n in (100, 101, 102):
        save(engine, flight(n, GOOD), f"d{n}")
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(TestRecord)) == 2
        history = session.scalars(
            select(StepRecord.flight_id)
            .join(TestRecord, TestRecord.id == StepRecord.test_id)
            .where(TestRecord.job == "test-amd64-amd64-xl", TestRecord.testid == "guest-start")
            .order_by(StepRecord.flight_id)
        ).all()
    assert history == [100, 101, 102]


def test_a_flight_arriving_late_rejudges_the_flights_above_it(engine: Engine):
    save(engine, flight(102, BAD, xen="b", baseline="a"), "d102")
    with Session(engine) as session:
        assert list_flights(session)[0].verdict is Verdict.TOLERABLE  # never passed yet
    saved = save(engine, flight(101, GOOD, xen="a"), "d101")
    assert saved.rejudged == 1
    with Session(engine) as session:
        rows = {r.flight: r for r in list_flights(session)}
        loaded = load_flight(session, 102)
    assert rows[102].verdict is Verdict.REGRESSIONS
    assert rows[102].blocking == 1
    assert loaded is not None
    assert loaded[1].findings[0].ref_flight == 101


def test_the_flight_list_counts_and_filters_by_branch(engine: Engine):
    save(engine, flight(100, GOOD), "d1")
    save(engine, flight(101, BAD, branch="qemu-upstream-unstable"), "d2")
    with Session(engine) as session:
        everything = list_flights(session)
        qemu = list_flights(session, branch="qemu-upstream-unstable")
    assert [r.flight for r in everything] == [101, 100]
    assert [(r.flight, r.tests, r.failures) for r in qemu] == [(101, 2, 1)]
    assert qemu[0].ingested == NOW


def test_the_head_constant_names_the_newest_migration(engine: Engine):
    from gate.store.db import HEAD, head_revision, schema_revision

    assert head_revision(engine) == HEAD
    assert schema_revision(engine) == HEAD


def test_osstest_retest_arriving_later_rejudges_the_flight_it_retested(engine: Engine):
    save(engine, flight(100, GOOD, xen="a", baseline="a"), "d100")  # the baseline test
    first = save(engine, flight(101, BAD, xen="b", baseline="a"), "d101")
    assert (first.verdict, first.pushed) == (Verdict.REGRESSIONS, False)
    retest = flight(102, GOOD, xen="b", baseline="a", blessing="real-retest")
    saved = save(engine, retest, "d102")
    assert not saved.pushed  # a retest is never pushed itself
    assert [change.sentence() for change in saved.changes] == [
        "flight 101 judged again: regressions -> tolerable, now pushed"
    ]
    with Session(engine) as session:
        loaded = load_flight(session, 101)
    assert loaded is not None
    _flight, judgement, _ids = loaded
    assert (judgement.verdict, judgement.pushed, judgement.retests) == (
        Verdict.TOLERABLE,
        True,
        (102,),
    )
    [finding] = judgement.findings
    assert (finding.classification, finding.ref_label) == (Classification.PASS_IN, "102-retest")


def test_the_stored_judgement_keeps_the_lines_of_whole_jobs_and_heisenbug_flight_failures(
    engine: Engine,
):
    save(engine, flight(100, {**GOOD, "test-amd64-amd64-xl guest-stop": P}, xen="a"), "d100")
    # 101 tested b: guest-start passed, guest-stop failed
    passed = {**GOOD, "test-amd64-amd64-xl guest-stop": F}
    save(engine, flight(101, passed, xen="b", baseline="a"), "d101")
    # 102 tested b again: guest-start failed (so guest-stop never ran); build-i386 broke early
    broke = {**BAD, "build-i386 xen-build": P}
    made = flight(102, broke, xen="b", baseline="a")
    jobs = tuple(
        dataclasses.replace(j, status=Status.BROKEN) if j.name == "build-i386" else j
        for j in made.jobs
    )
    saved = save(engine, dataclasses.replace(made, jobs=jobs), "d102")
    assert saved.judgement is not None
    with Session(engine) as session:
        loaded = load_flight(session, 102)
    assert loaded is not None
    _flight, judgement, _ids = loaded
    assert judgement.findings == saved.judgement.findings
    assert [(f.in_flight, f.step.key.testid, f.classification) for f in judgement.findings] == [
        (None, "guest-start", Classification.PASS_IN),
        (None, "<job status>", Classification.BROKEN_JOB),
        (101, "guest-stop", Classification.REGRESSION),
    ]
    assert judgement.verdict is Verdict.REGRESSIONS


def _many(number: int, jobs: list[str], testids: int, *, failing: str = "") -> Flight:
    """A flight of many steps: every job runs `testids` steps, those named `failing` fail."""
    return Flight(
        number=number,
        branch="xen-unstable",
        revisions={"xen": f"r{number}"},
        jobs=tuple(
            Job(
                job,
                Status.PASS,
                tuple(
                    Step(TestKey(job, f"step-{n}"), n, F if f"step-{n}" == failing else P, 1.0)
                    for n in range(1, testids + 1)
                ),
            )
            for job in jobs
        ),
    )


def test_a_flight_of_thousands_of_new_tests_gets_their_ids_in_name_order(engine: Engine):
    """The new tests of a flight are inserted a batch at a time; their ids still follow
    "job testid" order across every batch, also where one job's name begins another's (the two
    jobs' tests then interleave), and each step row names its own test."""
    jobs = ["xl", "xl-credit2", "xl b", "xl!", "xlz", "pair", "pair-migrate", "build"]
    first = _many(100, jobs, 400)  # 3,200 new tests: four batches
    save(engine, first, "d100")
    later = _many(101, [*jobs, "xl-0", "a-new-job"], 450, failing="step-7")
    save(engine, later, "d101")
    with Session(engine) as session:
        ids = {
            TestKey(job, testid): test_id
            for test_id, job, testid in session.execute(
                select(TestRecord.id, TestRecord.job, TestRecord.testid)
            )
        }
        for number, made in ((100, first), (101, later)):
            loaded = load_flight(session, number)
            assert loaded is not None
            assert [(s.key, s.status) for s in loaded[0].steps()] == [
                (s.key, s.status) for s in made.steps()
            ]
            rows = session.execute(
                select(TestRecord.job, TestRecord.testid)
                .join(StepRecord, StepRecord.test_id == TestRecord.id)
                .where(StepRecord.flight_id == number)
                .order_by(StepRecord.position)
            ).all()
            assert [TestKey(*row) for row in rows] == [s.key for s in made.steps()]
    assert len(ids) == 10 * 450
    old = {s.key for s in first.steps()}
    # The first flight's tests, then the second's new ones, each set in "job testid" order.
    by_id = sorted(ids, key=ids.__getitem__)
    assert by_id[: len(old)] == sorted(old, key=str)
    assert by_id[len(old) :] == sorted(set(ids) - old, key=str)
    assert by_id[:3] == [TestKey("build", f"step-{n}") for n in (1, 10, 100)]
    assert TestKey("xl b", "step-1") in by_id[: len(old)]
