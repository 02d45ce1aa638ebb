"""A judgement as it is stored: findings on step rows, the rest as JSON on the flight row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gate.model import (
    Classification,
    Finding,
    Flight,
    Judgement,
    Status,
    Step,
    TestKey,
)
from gate.report import subject
from gate.store.bulk import in_chunks
from gate.store.records import (
    FlightRecord,
)


def finding_at(flight: Flight, judgement: Judgement) -> dict[int, Finding]:
    """Return the findings of the flight's own steps by position; the rest have no step row."""
    others = other_findings(judgement)
    own = [f for f in judgement.findings if f not in others]
    positions = [p for p, s in enumerate(flight.steps()) if s.status is not Status.PASS]
    return dict(zip(positions, own, strict=True))


def other_findings(judgement: Judgement) -> list[Finding]:
    return [f for f in judgement.findings if f.in_flight is not None or f.step.key.pseudo]


def finding_row(finding: Finding) -> dict[str, Any]:
    """Return a finding that has no step row of its flight as a JSON object."""
    step = finding.step
    return {
        "job": step.key.job,
        "testid": step.key.testid,
        "stepno": step.stepno,
        "status": step.status.value,
        "classification": finding.classification.value,
        "ref_flight": finding.ref_flight,
        "ref_status": finding.ref_status.value if finding.ref_status else None,
        "ref_blessing": finding.ref_blessing,
        "in_flight": finding.in_flight,
    }


def finding_of_row(row: Mapping[str, Any]) -> Finding:
    """Read back a finding stored by `finding_row`."""
    return Finding(
        Step(TestKey(row["job"], row["testid"]), row["stepno"], Status(row["status"])),
        Classification(row["classification"]),
        row["ref_flight"],
        Status(row["ref_status"]) if row["ref_status"] else None,
        row["ref_blessing"],
        row["in_flight"],
    )


def findings_elsewhere(session: Session, numbers: Sequence[int]) -> dict[int, list[Finding]]:
    """Return, per flight, its findings without a step row: `<none executed>` jobs, and the
    failures of the flights that excused its heisenbugs."""
    found: dict[int, list[Finding]] = {}
    for chunk in in_chunks(list(numbers)):
        rows = session.execute(
            select(FlightRecord.id, FlightRecord.other_findings).where(FlightRecord.id.in_(chunk))
        )
        for number, others in rows:
            if others:
                found[number] = [finding_of_row(row) for row in others]
    return found


def judgement_columns(flight: Flight, judgement: Judgement) -> dict[str, Any]:
    return {
        "subject": subject(flight, judgement),
        "verdict": judgement.verdict.value,
        "pushed": judgement.pushed,
        "push": judgement.push.value,
        "blocking": len(judgement.blocking()),
        "judged_baseline": dict(judgement.baseline),
        "judged_tested": dict(judgement.tested),
        "baseline_flights": list(judgement.baseline_flights),
        "retests": list(judgement.retests),
        "other_findings": [finding_row(f) for f in other_findings(judgement)],
    }
