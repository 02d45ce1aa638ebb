"""Readiness over time, kept: every day of a release up to its branch's newest stored flight
judged once, in the transaction of the write that changed it."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gate.pages.timeline import judge_days
from gate.policy import Policy
from gate.read.timeline import days_from, end_of, first_day, policy_key
from gate.store.flights import flight_span
from gate.store.records import ReleaseRecord
from gate.store.roadmap import roadmap_of
from gate.store.timeline import keep, kept, start_keeping


def keep_days(session: Session, policy: Policy) -> int:
    """Judge and keep the days of every release that the store does not keep, up to the day of
    its branch's newest stored flight; return how many days were judged."""
    judged = 0
    key = policy_key(policy)
    for record in session.scalars(select(ReleaseRecord).order_by(ReleaseRecord.id)).all():
        start_keeping(session, record.id)
        found = kept(session, record.id, lock=True)
        assert found is not None
        span = flight_span(session, record.branch)
        through = min(span[1].date(), record.release_date) if span is not None else None
        if found.policy == key and found.first is not None and found.through == through:
            continue  # every day is kept (the roadmap's changes forget the first)
        rel, features = roadmap_of(session, record)
        first = first_day(rel, features, span)
        if first is None or through is None or through < first:
            keep(session, record.id, key, first, None, None, ())
            continue
        if found.policy == key and found.first == first and found.through is not None:
            start: date | None = max(first, found.through + timedelta(days=1))
        else:
            start = None  # every day judged anew
        if start is not None and start > through:
            continue
        days = days_from(start or first, through)
        states = judge_days(session, policy, rel, features, days, end_of(through))
        keep(
            session,
            record.id,
            key,
            first,
            through,
            start,
            (
                (day, slug, state.value, rate)
                for slug, row in states.items()
                for day, found in zip(days, row, strict=True)
                if found is not None
                for state, rate in (found,)
            ),
        )
        judged += len(days)
    return judged
