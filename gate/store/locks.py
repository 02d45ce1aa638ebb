"""The one lock that orders a prune's batches and the saving of flights on PostgreSQL.

A save reads the branch's flights (its evidence, the flights it judges again) and writes some of
them; a prune's batch reads the newest flights (what they protect) and deletes old ones. Under
PostgreSQL's READ COMMITTED, each of them taking its row locks in its own order deadlocked, a
save met a flight deleted after it had listed it, and a batch could delete the baseline of a
flight saved beside it. So each takes one transaction-level advisory lock before anything else:
a save shares it (savers do not wait for one another), a batch holds it alone. A batch then
waits for the saves under way and the saves for the batch, each sees the other whole, and none
of them waits for a lock while holding one the other wants. SQLite needs none of it: every
writer holds the database's write lock from BEGIN (`gate.store.db.writer`).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

# The advisory lock's key: any number no other user of the database takes (b"pushgate" as an
# integer, less its top bit so that it fits a bigint).
FLIGHTS_KEY = int.from_bytes(b"pushgate") & (2**63 - 1)


def share_flights(session: Session) -> None:
    """Wait for any prune's batch under way, and keep the next from starting until this
    transaction ends (PostgreSQL; SQLite's write lock does it already)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": FLIGHTS_KEY})


def hold_flights(session: Session) -> None:
    """Wait for the saves under way, and keep any other from starting until this transaction
    ends (PostgreSQL; SQLite's write lock does it already)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FLIGHTS_KEY})
