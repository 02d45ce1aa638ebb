"""What the pages read instead of every step row, worked out once.

- `test_feature`: the roadmap's links, each test with the features it serves (`gate.roadmap.serves`),
  worked out when a test first runs or gains a tag, and again when the roadmap is imported;
- `flight_status`: how many steps of each flight ended in each status;
- `feature_status`: the same, for each feature's linked steps in each flight.

They are written in the transaction that stores the flight (`record_flight`), dropped with it
(`forget_flight`), kept right when the roadmap changes (`relink`), and can be rebuilt from the
step rows (`rebuild`, `pushgate db rebuild-summaries`). Re-judging a flight changes none of them:
they count statuses, which judging does not change. `snapshot` reads them back, for comparison.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.orm import Session

from gate.model import TestKey
from gate.roadmap import TestPattern, serves
from gate.store.bulk import in_chunks
from gate.store.passes import PASS, rebuild_passes
from gate.store.records import (
    FeatureRecord,
    FeatureStatusRecord,
    FlightStatusRecord,
    StepRecord,
    TestFeatureRecord,
    TestRecord,
    TestTagRecord,
)
from gate.store.timeline import forget_days, forget_flight_days

LINK = cast(Table, TestFeatureRecord.__table__)
FLIGHT_STATUS = cast(Table, FlightStatusRecord.__table__)
FEATURE_STATUS = cast(Table, FeatureStatusRecord.__table__)
SUMMARIES = (LINK, FLIGHT_STATUS, FEATURE_STATUS)


def _patterns(session: Session) -> dict[int, tuple[str, tuple[TestPattern, ...]]]:
    """Every feature of every release, by id, with its slug and test patterns."""
    return {
        feature_id: (slug, tuple(TestPattern.parse(text) for text in tests))
        for feature_id, slug, tests in session.execute(
            select(FeatureRecord.id, FeatureRecord.slug, FeatureRecord.tests)
        )
    }


def _links(
    session: Session,
    test_ids: Collection[int],
    patterns: Mapping[int, tuple[str, tuple[TestPattern, ...]]],
) -> Iterator[dict[str, Any]]:
    """The (test, feature) links of these tests, from the patterns and the tests' tags."""
    for chunk in in_chunks(sorted(test_ids)):
        tags: dict[int, set[str]] = defaultdict(set)
        for test_id, slug in session.execute(
            select(TestTagRecord.test_id, TestTagRecord.slug).where(
                TestTagRecord.test_id.in_(chunk)
            )
        ):
            tags[test_id].add(slug)
        for test_id, job, testid in session.execute(
            select(TestRecord.id, TestRecord.job, TestRecord.testid).where(TestRecord.id.in_(chunk))
        ):
            key, tagged = TestKey(job, testid), frozenset(tags[test_id])
            for feature_id, (slug, found) in patterns.items():
                if serves(slug, found, key, tagged):
                    yield {"test_id": test_id, "feature_id": feature_id}


def link(session: Session, test_ids: Collection[int]) -> set[tuple[int, int]]:
    """Work out again the features these tests serve; return the links made or undone."""
    if not test_ids:
        return set()
    before: set[tuple[int, int]] = set()
    for chunk in in_chunks(sorted(test_ids)):
        known = session.execute(
            select(LINK.c.test_id, LINK.c.feature_id).where(LINK.c.test_id.in_(chunk))
        )
        before |= {(test_id, feature_id) for test_id, feature_id in known}
        session.execute(delete(LINK).where(LINK.c.test_id.in_(chunk)))
    rows = list(_links(session, test_ids, _patterns(session)))
    if rows:
        session.execute(insert(LINK), rows)
    return before ^ {(row["test_id"], row["feature_id"]) for row in rows}


def _recount(session: Session, changed: Collection[tuple[int, int]], but: int | None) -> None:
    """Count again the features of changed links in every flight their tests ran in (but one)."""
    if not changed:
        return
    features = sorted({feature_id for _test, feature_id in changed})
    flights: set[int] = set()
    for chunk in in_chunks(sorted({test_id for test_id, _feature in changed})):
        flights |= set(
            session.scalars(
                select(StepRecord.flight_id).where(StepRecord.test_id.in_(chunk)).distinct()
            )
        )
    if but is not None:
        flights.discard(but)
    for chunk in in_chunks(sorted(flights)):
        session.execute(
            delete(FEATURE_STATUS).where(
                FEATURE_STATUS.c.feature_id.in_(features), FEATURE_STATUS.c.flight_id.in_(chunk)
            )
        )
        session.execute(
            insert(FEATURE_STATUS).from_select(
                ["flight_id", "feature_id", "status", "steps"],
                _feature_counts(StepRecord.flight_id.in_(chunk), features),
            )
        )


def _flight_counts(flights: Any) -> Any:
    return (
        select(StepRecord.flight_id, StepRecord.status, func.count())
        .where(flights)
        .group_by(StepRecord.flight_id, StepRecord.status)
    )


def _feature_counts(flights: Any, features: Collection[int] | None = None) -> Any:
    query = (
        select(StepRecord.flight_id, LINK.c.feature_id, StepRecord.status, func.count())
        .join(LINK, LINK.c.test_id == StepRecord.test_id)
        .where(flights)
        .group_by(StepRecord.flight_id, LINK.c.feature_id, StepRecord.status)
    )
    return query if features is None else query.where(LINK.c.feature_id.in_(sorted(features)))


def record_flight(session: Session, number: int, new_tests: Collection[int]) -> None:
    """Keep the summaries of a flight whose steps were just stored; `new_tests` are the tests
    that ran for the first time or gained a tag in it, linked to their features first."""
    # A test that gained a tag serves the feature in every flight it ran in, as a rebuild says.
    _recount(session, link(session, new_tests), but=number)
    mine = StepRecord.flight_id == number
    columns = ["flight_id", "status", "steps"]
    session.execute(insert(FLIGHT_STATUS).from_select(columns, _flight_counts(mine)))
    session.execute(
        insert(FEATURE_STATUS).from_select(
            ["flight_id", "feature_id", *columns[1:]], _feature_counts(mine)
        )
    )


def forget_flight(session: Session, number: int) -> None:
    """Drop the summaries of a flight about to be deleted."""
    forget_flight_days(session, number)
    for table in (FLIGHT_STATUS, FEATURE_STATUS):
        session.execute(delete(table).where(table.c.flight_id == number))


def relink(session: Session) -> None:
    """Link every test again after the roadmap changed, and count again the features whose
    links changed; a feature no longer in the roadmap loses its counts."""
    _recount(session, link(session, session.scalars(select(TestRecord.id)).all()), but=None)
    forget_days(session)
    known = sorted(_patterns(session))
    session.execute(delete(FEATURE_STATUS).where(FEATURE_STATUS.c.feature_id.notin_(known)))


def rebuild(session: Session) -> None:
    """Work out every summary again from the step rows and the roadmap, first passes included."""
    forget_days(session)
    for table in SUMMARIES:
        session.execute(delete(table))
    test_ids = session.scalars(select(TestRecord.id)).all()
    rows = list(_links(session, test_ids, _patterns(session)))
    if rows:
        session.execute(insert(LINK), rows)
    every = StepRecord.flight_id.is_not(None)
    session.execute(
        insert(FLIGHT_STATUS).from_select(["flight_id", "status", "steps"], _flight_counts(every))
    )
    session.execute(
        insert(FEATURE_STATUS).from_select(
            ["flight_id", "feature_id", "status", "steps"], _feature_counts(every)
        )
    )
    rebuild_passes(session)


def snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Read every summary back, sorted: two databases with the same summaries compare equal."""
    return {
        table.name: sorted(tuple(row) for row in session.execute(select(table)))
        for table in (*SUMMARIES, PASS)
    }
