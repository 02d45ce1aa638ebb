"""The status update read from the store, on both engines: a fortnight of flights and a roadmap
whose statuses changed on the way."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gate.model import Flight, Status
from gate.pages.status import status
from gate.policy import Policy
from gate.read.status import SinceNotBefore
from gate.readiness import Readiness
from gate.roadmap import Declared, Feature, Release, TestPattern
from gate.store.flights import save_flight
from gate.store.roadmap import UnknownRelease, save_roadmap
from tests.builders import flight

P, F = Status.PASS, Status.FAIL
START = datetime(2013, 3, 1, 1, 49, tzinfo=UTC)
NOW = datetime(2013, 3, 15, tzinfo=UTC)
RELEASE = Release("4.3", "xen-unstable", date(2013, 3, 25), date(2013, 4, 15), date(2013, 6, 15))


def _features(sedf: Declared, note: str = "") -> list[Feature]:
    return [
        Feature(
            "migration",
            "Live migration",
            Declared.GOOD,
            "4.3",
            owners=("Andrew Cooper",),
            tests=(TestPattern.parse("test-*-pair"),),
        ),
        Feature(
            "xl",
            "xl toolstack",
            Declared.DONE,
            "4.3",
            owners=("Ian Jackson",),
            tests=(TestPattern.parse("test-amd64-amd64-xl"),),
        ),
        Feature("sedf", "SEDF scheduler", sedf, "4.3", owners=("George Dunlap",), notes=note),
        Feature("arm", "ARM v7 server port", Declared.GOOD, "4.3"),
    ]


def _day(day: int, steps: dict[str, Status]) -> Flight:
    """The flight of the `day`th day from START, numbered 100 up, its own revision each day."""
    return flight(
        100 + day,
        steps,
        xen=f"r{day}",
        baseline="r0" if day == 0 else None,
        started=START + timedelta(days=day),
    )


@pytest.fixture
def fortnight(engine: Engine) -> Engine:
    """A flight a day from 2013-03-01; the pair regresses in the last two; sedf declared fair
    on 2013-03-11."""
    with Session(engine) as session:
        save_roadmap(session, RELEASE, _features(Declared.GOOD), START, "planning")
        for day in range(14):
            steps = {
                "test-amd64-amd64-xl guest-start": P,
                "test-amd64-amd64-pair guest-start": F if day >= 12 else P,
            }
            made = _day(day, steps)
            save_flight(session, made, digest=f"d{day}", source="test", now=NOW)
        save_roadmap(
            session,
            RELEASE,
            _features(Declared.FAIR, "slipping"),
            START + timedelta(days=10),
            "an update that says sedf slips",
        )
        session.commit()
    return engine


def test_the_update_groups_every_feature_and_says_what_changed_in_the_week(fortnight: Engine):
    with Session(fortnight) as session:
        report = status(session, Policy(), NOW)
    assert (report.release.release, report.release.days_to_feature_freeze) == ("4.3", 10)
    assert report.since == NOW - timedelta(days=7)
    assert {g.readiness: [f.slug for f in g.features] for g in report.groups} == {
        Readiness.BLOCKED: ["migration"],
        Readiness.AT_RISK: ["sedf"],  # declared fair, and no test says otherwise
        Readiness.STALE: [],
        Readiness.UNTESTED: ["arm"],
        Readiness.ON_TRACK: [],
        Readiness.READY: ["xl"],
        Readiness.DROPPED: [],
    }
    gate = report.gate
    assert gate is not None and (gate.last_push, gate.newest) == (111, 113)
    lines = {f.slug: f for g in report.groups for f in g.features}
    assert lines["xl"].evidence == (  # linked by its job, not by a step
        "pass rate 100% over the last 10 flights (indirect: whole jobs only)"
    )
    assert lines["migration"].evidence == (
        "test-amd64-amd64-pair guest-start regressed in 113 (REGR. vs. 111); "
        "not passing since 112, 2 flights"
    )
    assert lines["arm"].evidence == "no test checks this"
    changes = report.changes
    assert [(c.slug, c.from_, c.to, c.note) for c in changes.status_changes] == [
        ("sedf", Declared.GOOD, Declared.FAIR, "slipping")
    ]
    assert [(c.slug, c.from_, c.to) for c in changes.readiness_changes] == [
        ("migration", Readiness.ON_TRACK, Readiness.BLOCKED),
        ("sedf", Readiness.UNTESTED, Readiness.AT_RISK),
    ]
    assert [(b.features, b.sentence) for b in changes.new_blockers] == [
        (("migration",), lines["migration"].evidence)
    ]
    assert [f.slug for f in report.unowned] == ["arm"]
    assert report.text.startswith("Release 4.3 status update, 2013-03-15\n")
    assert "    * SEDF scheduler [sedf]: declared good -> fair on 2013-03-11 01:49 UTC" in (
        report.text
    )


def test_a_later_last_update_sees_only_what_changed_after_it(fortnight: Engine):
    with Session(fortnight) as session:
        report = status(session, Policy(), NOW, "4.3", since=START + timedelta(days=12, hours=1))
    # The regression was there already; the status change was before.
    assert report.changes.status_changes == ()
    assert report.changes.new_blockers == ()
    assert report.changes.readiness_changes == ()


def test_the_last_update_must_come_before_this_one_and_the_release_must_exist(
    fortnight: Engine,
):
    with Session(fortnight) as session:
        with pytest.raises(SinceNotBefore, match="must be before this one"):
            status(session, Policy(), NOW, since=NOW)
        with pytest.raises(UnknownRelease):
            status(session, Policy(), NOW, "9.9")


def test_a_broken_host_is_evidence_missing_named_with_its_host(engine: Engine):
    """A host whose install breaks in the newest flight keeps the pair's steps from running:
    the feature stays on track, and its page, twin and mail say which host and job."""
    with Session(engine) as session:
        save_roadmap(session, RELEASE, _features(Declared.GOOD), START, "planning")
        for day in range(4):
            steps = {
                "test-amd64-amd64-pair host-install(3)": Status.BROKEN if day == 3 else P,
                "test-amd64-amd64-pair guest-start": Status.BLOCKED if day == 3 else P,
                "test-amd64-amd64-xl guest-start": P,
            }
            made = _day(day, steps)
            jobs = tuple(
                dataclasses.replace(j, host="gall-mite" if "pair" in j.name else "italia0")
                for j in made.jobs
            )
            made = dataclasses.replace(made, jobs=jobs)
            save_flight(session, made, digest=f"d{day}", source="test", now=NOW)
        session.commit()
        report = status(session, Policy(), NOW, since=NOW - timedelta(days=7))
    lines = {f.slug: f for g in report.groups for f in g.features}
    migration = lines["migration"]
    assert migration.readiness is Readiness.ON_TRACK  # the host's trouble, not the feature's
    assert migration.evidence == (
        "pass rate 100% over the last 4 flights (indirect: whole jobs only); evidence missing: "
        "host-install(3) broken on gall-mite in 103: test-amd64-amd64-pair; "
        "guest-start blocked on gall-mite in 103: test-amd64-amd64-pair"
    )
    assert report.gate is not None and report.gate.newest == 103
