"""Readiness over time on both engines: the kept days are what judging each day's end from the
stored flights says (`readiness` at that moment), whatever happened to the store on the way."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gate.keep.days import keep_days
from gate.model import Status
from gate.pages.readiness import readiness
from gate.pages.timeline import burn_down, readiness_timeline
from gate.policy import Policy
from gate.read.timeline import declared_on, end_of
from gate.readiness import Readiness
from gate.retention import Retention
from gate.roadmap import Declared, Feature, Release, TestPattern
from gate.store.flights import save_flight
from gate.store.prune import prune
from gate.store.records import FlightRecord, ReadinessDayRecord, ReleaseRecord
from gate.store.roadmap import load_roadmap, save_roadmap
from gate.store.timeline import kept
from tests.builders import flight

P, F = Status.PASS, Status.FAIL
NOW = datetime(2013, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)
POLICY = Policy()
RELEASE = Release("4.3", "xen-unstable", date(2013, 3, 25), date(2013, 4, 15), date(2013, 6, 15))
JOBS = ["build-amd64", "test-amd64-amd64-xl", "test-amd64-i386-pv", "test-armhf-armhf-xl"]
TESTIDS = ["xen-build", "guest-start", "guest-localmigrate"]


def assert_days_as_judged_then(session: Session, now: datetime, policy: Policy = POLICY) -> int:
    """Check every day of the timeline (and the burn-down) against `readiness` as of its end
    (a feature not declared by then has no day); return how many days there were."""
    timeline = readiness_timeline(session, policy, now, RELEASE.name)
    for day in (d.day for d in timeline.days):
        _rel, judged = readiness(session, policy, min(end_of(day), now), RELEASE.name)
        expected = {j.feature.slug: (j.readiness, j.pass_rate) for j in judged}
        shown = {
            f.slug: (d.readiness, d.pass_rate)
            for f in timeline.features
            for d in f.days
            if d.day == day
        }
        assert shown == expected, day
    counts = burn_down(session, policy, now, RELEASE.name).days
    assert counts == timeline.days
    return len(timeline.days)


def _kept_rows(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ReadinessDayRecord)) or 0


def _release_id(session: Session) -> int:
    found = session.scalar(select(ReleaseRecord.id).where(ReleaseRecord.name == RELEASE.name))
    assert found is not None
    return found


def _roadmap(rng: random.Random) -> list[Feature]:
    globs = ["test-amd64-*", "test-*-xl guest-*", "build-*", "test-armhf-*", "nothing-*"]
    return [
        Feature(
            f"f{i}",
            f"Feature {i}",
            rng.choice(list(Declared)),
            "4.3",
            tests=tuple(TestPattern.parse(g) for g in rng.sample(globs, rng.randint(0, 2))),
        )
        for i in range(rng.randint(2, 4))
    ]


def _random_flight(rng: random.Random, number: int):
    steps = {
        f"{job} {testid}": rng.choice([P] * 5 + [F, Status.BLOCKED])
        for job in rng.sample(JOBS, rng.randint(1, len(JOBS)))
        for testid in rng.sample(TESTIDS, rng.randint(1, len(TESTIDS)))
    }
    blessing = rng.choice(["real"] * 4 + ["real-retest", "play"])
    revision, baseline = f"r{number // 3}", f"r{number // 3 - 1}"
    made = flight(number, steps, xen=revision, baseline=baseline, blessing=blessing)
    # Some flights start at midnight exactly: the day that ends then counts them; and some
    # started long before or after their neighbours in number.
    hours = rng.choice([0, 0, 3, 11, 23])
    day = (number - 100) // 2 if rng.random() < 0.7 else rng.randint(0, 18)
    started = NOW + day * DAY + timedelta(hours=hours)
    return dataclasses.replace(made, started=started)


# On PostgreSQL it takes seconds; the other tests here keep the days there too.
@pytest.mark.slow(on="postgres")
def test_the_kept_days_are_each_days_judgement_after_a_random_history(engine: Engine):
    """Ingests in any order (late flights re-judge later ones), replacements, roadmap imports
    that change the statuses and the links, and prunes, each followed by `keep_days` as the
    commands do: every day reads as `readiness` judges that day's end from what is stored."""
    rng = random.Random(2013)
    with Session(engine) as session:
        save_roadmap(session, RELEASE, _roadmap(rng), NOW - 3 * DAY)
        keep_days(session, POLICY)
        session.commit()
    numbers = list(range(100, 136))
    rng.shuffle(numbers)
    for i, number in enumerate(numbers):
        made = _random_flight(rng, number)
        with Session(engine) as session:
            save_flight(session, made, digest=f"d{number}", source="test", now=NOW + 40 * DAY)
            if i % 8 == 7:  # a flight replaced by different content, if it is still there
                again = rng.choice(numbers[: i + 1])
                if session.get(FlightRecord, again) is not None:
                    other = _random_flight(rng, again)
                    save_flight(
                        session,
                        other,
                        digest=f"e{again}-{i}",
                        source="test",
                        now=NOW + 40 * DAY,
                        replace=True,
                    )
            if i % 11 == 10:  # the roadmap changes on some day of the history
                save_roadmap(session, RELEASE, _roadmap(rng), NOW + rng.randint(0, 20) * DAY)
            keep_days(session, POLICY)
            session.commit()
        if i % 12 == 11:
            prune(engine, Retention(5, rng.randint(5, 12)), NOW + 30 * DAY, batch=3)
            with Session(engine) as session:
                keep_days(session, POLICY)
                session.commit()
        if i % 6 == 5:
            with Session(engine) as session:
                assert assert_days_as_judged_then(session, NOW + 40 * DAY)
    with Session(engine) as session:
        found = kept(session, _release_id(session))
        assert found is not None and found.through is not None
        days = assert_days_as_judged_then(session, NOW + 40 * DAY)
        # ...read from the kept days, not judged again: every feature on every day to the newest
        # flight's is kept, for each feature from the day it was first declared.
        _rel, features = load_roadmap(session, RELEASE.name)
        assert found.first is not None
        span = [found.first + n * DAY for n in range((found.through - found.first).days + 1)]
        assert _kept_rows(session) == sum(declared_on(f, d) for d in span for f in features)
        assert days > (found.through - found.first).days
        # As of a day in the middle, too.
        assert_days_as_judged_then(session, NOW + 7 * DAY + timedelta(hours=5))


def _day_flight(number: int, day: int, status: Status = P):
    steps = {"test-amd64-amd64-xl guest-start": status, "build-amd64 xen-build": P}
    made = flight(number, steps, xen=f"r{number}", baseline=f"r{number - 1}")
    return dataclasses.replace(made, started=NOW + day * DAY + timedelta(hours=9))


XL = Feature(
    "xl", "xl", Declared.GOOD, "4.3", tests=(TestPattern.parse("test-amd64-amd64-xl guest-*"),)
)


def _store(session: Session, *flights) -> None:
    for made in flights:
        save_flight(session, made, digest=f"d{made.number}-{made.steps()[0].status}",
                    source="test", now=NOW + 30 * DAY, replace=True)  # fmt: skip


def test_a_late_flight_has_the_days_from_its_own_judged_again_and_no_others(engine: Engine):
    with Session(engine) as session:
        save_roadmap(session, RELEASE, [XL], NOW)
        _store(session, *(_day_flight(n, n) for n in range(1, 6)))
        assert keep_days(session, POLICY) == 6  # the roadmap's day and the five flights' days
        session.commit()
        release = _release_id(session)
        # A late flight of day 3 (re-judging 4 and 5) forgets the days from the 3rd...
        _store(session, _day_flight(6, 3, F))
        found = kept(session, release)
        assert found is not None and found.through == (NOW + 2 * DAY).date()
        assert _kept_rows(session) == 3
        # ...and only they are judged again.
        assert keep_days(session, POLICY) == 3
        assert keep_days(session, POLICY) == 0
        session.commit()
        assert assert_days_as_judged_then(session, NOW + 9 * DAY) == 10


def test_a_failure_shows_on_the_days_after_it_and_not_before(engine: Engine):
    with Session(engine) as session:
        save_roadmap(session, RELEASE, [XL], NOW)
        _store(session, _day_flight(1, 1), _day_flight(2, 2, F), _day_flight(3, 4))
        keep_days(session, POLICY)
        session.commit()
        days = readiness_timeline(session, POLICY, NOW + 6 * DAY, "4.3").features[0].days
    assert [(d.day.day, d.readiness) for d in days] == [
        (1, Readiness.UNTESTED),  # the roadmap's day: nothing has run yet
        (2, Readiness.ON_TRACK),  # flight 1 passes
        (3, Readiness.BLOCKED),  # flight 2 regressed against flight 1's pass
        (4, Readiness.BLOCKED),  # no flight that day: the regression stands
        (5, Readiness.AT_RISK),  # flight 3 passes, but 2 of 3 is below the at-risk line
        (6, Readiness.AT_RISK),
        (7, Readiness.AT_RISK),
    ]


def test_a_status_declared_after_the_newest_flight_changes_the_days_after_it(engine: Engine):
    with Session(engine) as session:
        save_roadmap(session, RELEASE, [XL], NOW)
        _store(session, _day_flight(1, 1), _day_flight(2, 2))
        keep_days(session, POLICY)
        session.commit()
        done = dataclasses.replace(XL, status=Declared.DONE)
        save_roadmap(session, RELEASE, [done], NOW + 5 * DAY + timedelta(hours=1))
        keep_days(session, POLICY)
        session.commit()
        days = readiness_timeline(session, POLICY, NOW + 8 * DAY, "4.3").features[0].days
        assert [d.readiness for d in days][1:] == [Readiness.ON_TRACK] * 4 + [Readiness.READY] * 4
        assert_days_as_judged_then(session, NOW + 8 * DAY)


def test_another_policy_judges_every_day_itself(engine: Engine):
    with Session(engine) as session:
        save_roadmap(session, RELEASE, [XL], NOW)
        _store(session, *(_day_flight(n, n, F if n == 2 else P) for n in range(1, 8)))
        keep_days(session, POLICY)
        session.commit()
        narrow = Policy(window_flights=2)
        kept_days = readiness_timeline(session, POLICY, NOW + 9 * DAY, "4.3").features[0].days
        own = readiness_timeline(session, narrow, NOW + 9 * DAY, "4.3").features[0].days
        assert [d.readiness for d in own] != [d.readiness for d in kept_days]
        assert_days_as_judged_then(session, NOW + 9 * DAY, narrow)
