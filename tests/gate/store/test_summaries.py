"""The summaries the pages read: kept at ingest, equal to the ones rebuilt from the step rows."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gate.model import Status
from gate.retention import Retention
from gate.roadmap import Declared, Feature, Release, TestPattern
from gate.store.db import HEAD, alembic_config, upgrade
from gate.store.flights import save_flight
from gate.store.prune import prune
from gate.store.records import (
    FeatureRecord,
    FeatureStatusRecord,
    FlightRecord,
    FlightStatusRecord,
)
from gate.store.roadmap import save_roadmap
from gate.store.summaries import rebuild, snapshot
from tests.builders import flight

NOW = datetime(2013, 3, 1, tzinfo=UTC)
JOBS = ["build-amd64", "test-amd64-amd64-xl", "test-amd64-i386-pv", "test-armhf-armhf-xl"]
TESTIDS = ["xen-build", "guest-start", "guest-localmigrate", "leak-check/check"]
RELEASE = Release("4.3", "xen-unstable", date(2013, 3, 25), date(2013, 4, 15), date(2013, 6, 15))


def _roadmap(rng: random.Random) -> list[Feature]:
    """Features whose patterns change from one import to the next."""
    globs = ["test-amd64-*", "test-*-xl guest-*", "build-*", "test-armhf-*", "nothing-*"]
    return [
        Feature(
            f"f{i}",
            f"Feature {i}",
            Declared.GOOD,
            "4.3",
            tests=tuple(TestPattern.parse(g) for g in rng.sample(globs, rng.randint(0, 2))),
        )
        for i in range(rng.randint(2, 4))
    ]


def _random_flight(rng: random.Random, number: int, revision: str, baseline: str):
    steps = {
        f"{job} {testid}": rng.choice([Status.PASS] * 6 + [Status.FAIL, Status.BLOCKED])
        for job in rng.sample(JOBS, rng.randint(1, len(JOBS)))
        for testid in rng.sample(TESTIDS, rng.randint(1, len(TESTIDS)))
    }
    tags = {name: frozenset({"f1"}) for name in steps if rng.random() < 0.1}
    blessing = rng.choice(["real"] * 4 + ["real-retest", "play"])
    return flight(number, steps, xen=revision, baseline=baseline, blessing=blessing, tags=tags)


# On PostgreSQL it takes seconds; the other tests here count the summaries there too.
@pytest.mark.slow(on="postgres")
def test_the_kept_summaries_equal_the_rebuilt_ones_after_a_random_history(engine: Engine):
    """Ingests in any order, replacements (both of which re-judge later flights), roadmap
    imports and prunes keep the summaries as a rebuild from scratch would have them, the first
    passes of deleted flights included."""
    rng = random.Random(1013)
    with Session(engine) as session:
        save_roadmap(session, RELEASE, _roadmap(rng), NOW)
        session.commit()
    numbers = list(range(100, 140))
    rng.shuffle(numbers)
    day = timedelta(days=1)
    for i, number in enumerate(numbers):
        made = _random_flight(rng, number, f"r{number // 3}", f"r{number // 3 - 1}")
        started = NOW + (number - 100) * day
        with Session(engine) as session:
            made = dataclasses.replace(made, started=started)
            save_flight(session, made, digest=f"d{number}", source="test", now=started)
            if i % 9 == 8:  # a flight replaced by different content, if it is still there
                again = rng.choice(numbers[: i + 1])
                if session.get(FlightRecord, again) is not None:
                    other = _random_flight(rng, again, f"r{again // 3}", f"r{again // 3 - 1}")
                    other = dataclasses.replace(other, started=NOW + (again - 100) * day)
                    digest = f"e{again}-{i}"
                    save_flight(
                        session, other, digest=digest, source="test", now=started, replace=True
                    )
            if i % 13 == 12:
                save_roadmap(session, RELEASE, _roadmap(rng), NOW)
            session.commit()
        if i % 7 == 6:
            outputs = rng.randint(1, 10)
            flights = rng.choice([None, outputs, outputs + rng.randint(0, 10)])
            prune(engine, Retention(outputs, flights), NOW + 60 * day, batch=rng.randint(1, 5))
    with Session(engine) as session:
        kept = snapshot(session)
        stored = set(session.scalars(select(FlightRecord.id)))
        assert kept["flight_status"] and kept["feature_status"] and kept["test_feature"]
        assert len(stored) < len(numbers)
        assert {first for *_key, first in kept["test_pass"]} - stored  # deleted flights' passes
        rebuild(session)
        assert snapshot(session) == kept


def test_a_flight_is_counted_by_status_and_by_feature_when_it_is_stored(engine: Engine):
    feature = Feature("xl", "xl", Declared.GOOD, "4.3", tests=(TestPattern.parse("test-*-xl"),))
    steps = {
        "build-amd64 xen-build": Status.PASS,
        "test-amd64-amd64-xl guest-start": Status.FAIL,
        "test-amd64-amd64-xl guest-stop": Status.PASS,
        "test-amd64-i386-pv guest-start": Status.BLOCKED,
    }
    with Session(engine) as session:
        save_roadmap(session, RELEASE, [feature], NOW)
        save_flight(session, flight(7, steps), digest="d7", source="test", now=NOW)
        session.commit()
        by_status = session.execute(
            select(FlightStatusRecord.status, FlightStatusRecord.steps).order_by("status")
        ).all()
        by_feature = session.execute(
            select(FeatureRecord.slug, FeatureStatusRecord.status, FeatureStatusRecord.steps)
            .join(FeatureRecord, FeatureRecord.id == FeatureStatusRecord.feature_id)
            .order_by("status")
        ).all()
    assert [tuple(r) for r in by_status] == [("blocked", 1), ("fail", 1), ("pass", 2)]
    assert [tuple(r) for r in by_feature] == [("xl", "fail", 1), ("xl", "pass", 1)]


def test_upgrading_a_database_from_before_the_summaries_fills_them(engine: Engine):
    feature = Feature("xl", "xl", Declared.GOOD, "4.3", tests=(TestPattern.parse("test-*-xl"),))
    with Session(engine) as session:
        save_roadmap(session, RELEASE, [feature], NOW)
        for n in (1, 2):
            steps = {"test-amd64-amd64-xl guest-start": Status.PASS, "build-amd64 b": Status.FAIL}
            save_flight(session, flight(n, steps), digest=f"d{n}", source="test", now=NOW)
        session.commit()
        kept = snapshot(session)
    command.downgrade(alembic_config(engine), "0006")
    before, after = upgrade(engine)
    assert (before, after) == ("0006", HEAD)
    with Session(engine) as session:
        assert snapshot(session) == kept
