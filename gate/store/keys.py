"""The identities shared by every flight: branches and tests (job, testid), made on first use."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from gate.model import (
    TestKey,
)
from gate.store.bulk import BATCH, BRANCH, TEST, batches, in_chunks, insert_ignoring_duplicates
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
    created: list[int] | None = None,
) -> dict[TestKey, int]:
    """Return the ids of these test identities, creating the missing ones when asked (and
    adding their ids to `created`)."""
    # One dict, keyed by the caller's own keys and filled in place: a big flight's hundreds of
    # thousands of tests are held once, not once per copy and once more per row read.
    found: dict[TestKey, int | None] = dict.fromkeys(keys)
    jobs = sorted({key.job for key in found})

    def lookup() -> None:
        for names in in_chunks(jobs):
            # Core rows through the connection: no ORM result machinery for bulk reads.
            rows = session.connection().execute(
                select(TEST.c.id, TEST.c.job, TEST.c.testid).where(TEST.c.job.in_(names))
            )
            for part in rows.partitions(BATCH):  # a batch of rows at a time, however many
                for test_id, job, testid in part:
                    key = TestKey(job, testid)
                    if key in found:
                        found[key] = test_id  # the dict keeps its own key object

    lookup()
    missing = [key for key, test_id in found.items() if test_id is None]
    if create and missing:
        missing = _in_str_order(missing)  # the order new ids are given in
        for batch in batches(missing):
            rows = [{"job": k.job, "testid": k.testid} for k in batch]
            insert_ignoring_duplicates(session, TEST, rows)
        lookup()
        if created is not None:
            created += [test_id for key in missing if (test_id := found[key]) is not None]
    for key in [key for key, test_id in found.items() if test_id is None]:
        del found[key]
    return cast(dict[TestKey, int], found)


def _in_str_order(keys: list[TestKey]) -> list[TestKey]:
    """Return the keys as `sorted(keys, key=str)` does, without a string for each key at once.

    `str(key)` is "job testid": the keys of one job go in the order of their testids, and those
    of two jobs interleave only when one job begins the other (`xl` and `xl-credit2`). So only
    each family of jobs that begin with the same job is sorted by its strings.
    """
    by_job: dict[str, list[TestKey]] = defaultdict(list)
    for key in keys:
        by_job[key.job].append(key)
    ordered: list[TestKey] = []
    families: list[list[str]] = []
    for job in sorted(by_job):
        if families and job.startswith(families[-1][0]):
            families[-1].append(job)
        else:
            families.append([job])
    for family in families:
        if len(family) == 1:
            ordered += sorted(by_job[family[0]])  # one job: the testids' order
        else:
            ordered += sorted(itertools.chain.from_iterable(by_job[j] for j in family), key=str)
    return ordered


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


def keys_of(session: Session, test_ids: Collection[int]) -> dict[int, TestKey]:
    """Return the (job, testid) of each of these tests."""
    found: dict[int, TestKey] = {}
    for chunk in in_chunks(sorted(test_ids)):
        for test_id, job, testid in session.execute(
            select(TestRecord.id, TestRecord.job, TestRecord.testid).where(TestRecord.id.in_(chunk))
        ):
            found[test_id] = TestKey(job, testid)
    return found
