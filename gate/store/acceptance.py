"""The accepted regressions of each release (`acceptance`, `acceptance_version`): stored as
dated versions, read back as `gate.acceptance.Acceptance` values."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gate.acceptance import Acceptance, in_force
from gate.model import TestKey
from gate.store.records import (
    AcceptanceRecord,
    AcceptanceVersionRecord,
    BranchRecord,
    ReleaseRecord,
    as_utc,
)
from gate.store.roadmap import release_record
from gate.store.timeline import forget_days


class NotAccepted(LookupError):
    """A withdrawal of a (job, testid) that was never accepted for the release."""


def save_acceptance(session: Session, acceptance: Acceptance) -> None:
    """Keep a version of an acceptance (a withdrawal too), and forget the kept days it can
    change: those from its moment on, of its release's branch (`gate.keep.days` judges them
    again)."""
    release = release_record(session, acceptance.release)
    record = session.scalars(
        select(AcceptanceRecord).where(
            AcceptanceRecord.release_id == release.id,
            AcceptanceRecord.job == acceptance.job,
            AcceptanceRecord.testid == acceptance.testid,
        )
    ).first()
    if record is None:
        if acceptance.withdrawn:
            raise NotAccepted(
                f"{acceptance.key} was never accepted for {acceptance.release}: nothing to withdraw"
            )
        record = AcceptanceRecord(
            release_id=release.id, job=acceptance.job, testid=acceptance.testid
        )
        session.add(record)
        session.flush()
    session.add(
        AcceptanceVersionRecord(
            acceptance_id=record.id,
            at=acceptance.at,
            by=acceptance.by,
            reason=acceptance.reason,
            until=acceptance.until,
            withdrawn=acceptance.withdrawn,
        )
    )
    session.flush()
    branch = session.scalar(select(BranchRecord.id).where(BranchRecord.name == release.branch))
    if branch is not None:
        forget_days(session, branch, acceptance.at)


def acceptances(session: Session, release: str) -> list[Acceptance]:
    """Return every version of a release's acceptances, oldest first."""
    rows = session.execute(
        select(
            AcceptanceRecord.job,
            AcceptanceRecord.testid,
            AcceptanceVersionRecord.by,
            AcceptanceVersionRecord.reason,
            AcceptanceVersionRecord.until,
            AcceptanceVersionRecord.at,
            AcceptanceVersionRecord.withdrawn,
        )
        .join(AcceptanceRecord, AcceptanceRecord.id == AcceptanceVersionRecord.acceptance_id)
        .join(ReleaseRecord, ReleaseRecord.id == AcceptanceRecord.release_id)
        .where(ReleaseRecord.name == release)
        .order_by(AcceptanceVersionRecord.at, AcceptanceVersionRecord.id)
    )
    return [
        Acceptance(release, job, testid, by, reason, until, as_utc(at), bool(withdrawn))
        for job, testid, by, reason, until, at, withdrawn in rows
    ]


def accepted_at(session: Session, release: str, moment: datetime) -> dict[TestKey, Acceptance]:
    """Return a release's acceptances in force at `moment`, by test."""
    return in_force(acceptances(session, release), moment)
