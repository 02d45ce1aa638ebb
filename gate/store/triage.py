"""The known issues' rules, each a name with dated versions kept with who made them, and the
failing steps as the rules read them.

The rule in force at a moment is its newest version by then, unless that version retired it.
What a failure is, is worked out when it is shown, from the rules in force at the moment shown:
a rule made today classifies last month's failures too, but not as of a moment before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from gate.store.bulk import in_chunks, insert_ignoring_duplicates
from gate.store.records import (
    FailureRecord,
    FlightRecord,
    SignatureRecord,
    StepRecord,
    TestRecord,
    TriageRuleRecord,
    TriageRuleVersionRecord,
    as_utc,
    happened_by,
)
from gate.triage import MESSAGE_READ, Failing, Kind, Rule, RulePlan

RULE = cast(Table, TriageRuleRecord.__table__)


@dataclass(frozen=True)
class RuleVersion:
    """One version of a rule: what it said, who made it and when; `retired` ended the rule."""

    rule: Rule
    at: datetime
    by: str
    retired: bool


class Saved(Enum):
    """What saving one rule did."""

    CREATED = "created"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


def _rule(name: str, v: TriageRuleVersionRecord) -> Rule:
    return Rule(name, Kind(v.kind), v.bug_url, v.job, v.testid, v.message, v.host, v.note)


def rule_versions(
    session: Session, *, name: str | None = None, now: datetime | None = None
) -> list[RuleVersion]:
    """Return every version of the rules (of one, when named) made by `now`, oldest first."""
    query = (
        select(TriageRuleRecord.name, TriageRuleVersionRecord)
        .join(TriageRuleRecord, TriageRuleRecord.id == TriageRuleVersionRecord.rule_id)
        .order_by(TriageRuleVersionRecord.at, TriageRuleVersionRecord.id)
    )
    if name is not None:
        query = query.where(TriageRuleRecord.name == name)
    if now is not None:
        query = query.where(TriageRuleVersionRecord.at <= now)
    return [
        RuleVersion(_rule(rule_name, v), as_utc(v.at), v.by, v.retired)
        for rule_name, v in session.execute(query)
    ]


def versions_in_force(session: Session, now: datetime) -> list[RuleVersion]:
    """Return the version in force at `now` of each rule that is, by name."""
    newest: dict[str, RuleVersion] = {}
    for version in rule_versions(session, now=now):
        newest[version.rule.name] = version
    return [v for _name, v in sorted(newest.items()) if not v.retired]


def rules_in_force(session: Session, now: datetime) -> list[Rule]:
    """Return the rules in force at `now`, by name."""
    return [v.rule for v in versions_in_force(session, now)]


def _ids(session: Session, names: Sequence[str]) -> dict[str, int]:
    # The unique name decides, also against a concurrent import of the same new rule.
    insert_ignoring_duplicates(session, RULE, [{"name": n} for n in sorted(set(names))])
    found: dict[str, int] = {}
    for chunk in in_chunks(sorted(set(names))):
        rows = session.execute(
            select(TriageRuleRecord.name, TriageRuleRecord.id).where(
                TriageRuleRecord.name.in_(chunk)
            )
        )
        found |= {rule_name: rule_id for rule_name, rule_id in rows}
    return found


def _version(rule_id: int, rule: Rule, at: datetime, by: str, retired: bool) -> Any:
    return TriageRuleVersionRecord(
        rule_id=rule_id,
        at=at,
        by=by,
        kind=rule.kind.value,
        bug_url=rule.bug_url,
        job=rule.job,
        testid=rule.testid,
        message=rule.message,
        host=rule.host,
        note=rule.note,
        retired=retired,
    )


def save_plan(session: Session, plan: RulePlan, at: datetime, by: str) -> None:
    """Keep what an import changes: a new version of each rule created, changed or retired."""
    kept = [(r, False) for r in plan.created] + [(new, False) for _old, new in plan.changed]
    kept += [(r, True) for r in plan.retired]
    if not kept:
        return
    ids = _ids(session, [rule.name for rule, _retired in kept])
    session.add_all(_version(ids[rule.name], rule, at, by, retired) for rule, retired in kept)
    session.flush()


def save_rule(session: Session, rule: Rule, at: datetime, by: str) -> Saved:
    """Keep one rule as in force from `at`: new, or a new version of the one of its name."""
    versions = rule_versions(session, name=rule.name, now=at)
    current = versions[-1] if versions else None
    if current is not None and not current.retired and current.rule == rule:
        return Saved.UNCHANGED
    ids = _ids(session, [rule.name])
    session.add(_version(ids[rule.name], rule, at, by, False))
    session.flush()
    return Saved.CREATED if current is None or current.retired else Saved.CHANGED


def _failing_rows() -> Any:
    return (
        select(
            FailureRecord.flight_id,
            TestRecord.job,
            TestRecord.testid,
            FailureRecord.host,
            SignatureRecord.text,
            func.substr(StepRecord.message, 1, MESSAGE_READ),
        )
        .join(TestRecord, TestRecord.id == FailureRecord.test_id)
        .join(SignatureRecord, SignatureRecord.id == FailureRecord.signature_id)
        .join(StepRecord, StepRecord.id == FailureRecord.step_id)
    )


def failing_in_flight(session: Session, flight: int) -> list[Failing]:
    """Return a flight's failing steps as the rules read them."""
    rows = session.execute(_failing_rows().where(FailureRecord.flight_id == flight))
    return [
        Failing(job, testid, host, text, message) for _f, job, testid, host, text, message in rows
    ]


def failing_of_signature(
    session: Session, signature_id: int, flights: Sequence[int]
) -> list[tuple[int, Failing]]:
    """Return the failing steps of one signature in these flights, with their flight."""
    found: list[tuple[int, Failing]] = []
    for chunk in in_chunks(sorted(set(flights))):
        rows = session.execute(
            _failing_rows().where(
                FailureRecord.signature_id == signature_id, FailureRecord.flight_id.in_(chunk)
            )
        )
        found += [
            (flight, Failing(job, testid, host, text, message))
            for flight, job, testid, host, text, message in rows
        ]
    return found


def failing_counts(
    session: Session, signature_ids: Sequence[int], now: datetime
) -> list[tuple[int, Failing, int]]:
    """Return the failing steps of these signatures in the flights that happened by `now`,
    alike ones counted together: (signature, what the rules read, how many)."""
    message = func.substr(StepRecord.message, 1, MESSAGE_READ)
    found: list[tuple[int, Failing, int]] = []
    for chunk in in_chunks(sorted(set(signature_ids))):
        rows = session.execute(
            select(
                FailureRecord.signature_id,
                TestRecord.job,
                TestRecord.testid,
                FailureRecord.host,
                SignatureRecord.text,
                message,
                func.count(),
            )
            .join(TestRecord, TestRecord.id == FailureRecord.test_id)
            .join(SignatureRecord, SignatureRecord.id == FailureRecord.signature_id)
            .join(StepRecord, StepRecord.id == FailureRecord.step_id)
            .join(FlightRecord, FlightRecord.id == FailureRecord.flight_id)
            .where(FailureRecord.signature_id.in_(chunk), happened_by(now))
            .group_by(
                FailureRecord.signature_id,
                TestRecord.job,
                TestRecord.testid,
                FailureRecord.host,
                SignatureRecord.text,
                message,
            )
        )
        found += [
            (sig, Failing(job, testid, host, text, said), count)
            for sig, job, testid, host, text, said, count in rows
        ]
    return found


def failing_of_test(
    session: Session, job: str, testid: str, flights: Sequence[int]
) -> list[tuple[int, Failing]]:
    """Return one test's failing steps in these flights, with their flight."""
    found: list[tuple[int, Failing]] = []
    for chunk in in_chunks(sorted(set(flights))):
        rows = session.execute(
            _failing_rows().where(
                TestRecord.job == job,
                TestRecord.testid == testid,
                FailureRecord.flight_id.in_(chunk),
            )
        )
        found += [
            (flight, Failing(job_, testid_, host, text, message))
            for flight, job_, testid_, host, text, message in rows
        ]
    return found
