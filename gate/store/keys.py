"""The identities shared by every flight: branches and tests (job, testid), made on first use."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gate.model import (
    TestKey,
)
from gate.store.bulk import BRANCH, TEST, in_chunks, insert_ignoring_duplicates
from gate.store.records import BranchRecord, TestRecord, TestTagRecord


def branch_id(session: Session, name: str, *, create: bool) -> int | None:
    """Return the id of a branch, creating it when asked; None for an unknown branch."""
    if create:
        insert_ignoring_duplicates(session, BRANCH, [{"name": name}])
    return session.scalars(select(BranchRecord.id).where(BranchRecord.name == name)).first()


def test_ids(
    session: Session,
    keys: Iterable[TestKey],
    *,
    create: bool,
    created: set[int] | None = None,
) -> dict[TestKey, int]:
    """Return the ids of these test identities, creating the missing ones when asked (and
    adding their ids to `created`)."""
    wanted = set(keys)
    jobs = sorted({key.job for key in wanted})

    def lookup() -> dict[TestKey, int]:
        found: dict[TestKey, int] = {}
        for names in in_chunks(jobs):
            # Core rows through the connection: no ORM result machinery for bulk reads.
            rows = session.connection().execute(
                select(TEST.c.id, TEST.c.job, TEST.c.testid).where(TEST.c.job.in_(names))
            )
            for test_id, job, testid in rows.all():
                key = TestKey(job, testid)
                if key in wanted:
                    found[key] = test_id
        return found

    found = lookup()
    missing = wanted - found.keys()
    if create and missing:
        rows = [{"job": k.job, "testid": k.testid} for k in sorted(missing, key=str)]
        insert_ignoring_duplicates(session, TEST, rows)
        found = lookup()
        if created is not None:
            created |= {found[key] for key in missing if key in found}
    return found


@dataclass(frozen=True)
class Catalogue:
    """Every test identity with its id and the feature slugs its properties name."""

    ids: dict[TestKey, int]
    tags: dict[TestKey, frozenset[str]]


def catalogue(session: Session) -> Catalogue:
    """Load every test identity and its feature tags."""
    ids = {
        TestKey(job, testid): test_id
        for test_id, job, testid in session.execute(
            select(TestRecord.id, TestRecord.job, TestRecord.testid)
        )
    }
    key_of = {test_id: key for key, test_id in ids.items()}
    tags: dict[TestKey, set[str]] = defaultdict(set)
    for test_id, slug in session.execute(select(TestTagRecord.test_id, TestTagRecord.slug)):
        tags[key_of[test_id]].add(slug)
    return Catalogue(ids, {k: frozenset(v) for k, v in tags.items()})
