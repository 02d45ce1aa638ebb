"""One cell of a grid or a history strip: a step's status and the gate's finding on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gate.model import (
    Classification,
    Finding,
    Status,
    flight_label,
)
from gate.report import (
    summary,
    summary_of,
)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def stored_cell(
    status: str,
    classification: str | None,
    ref: int | None,
    ref_status: str | None,
    ref_blessing: str | None,
) -> dict[str, Any]:
    """Return a grid cell from a step row's stored finding."""
    if classification is None:
        return cell(status, None)
    said = summary_of(
        Classification(classification),
        flight_label(ref, ref_blessing),
        ref_status=Status(ref_status) if ref_status else None,
        status=Status(status),
    )
    return {
        "status": status,
        "classification": classification,
        "ref_flight": ref,
        "summary": said,
        "blocking": Classification(classification).blocking,
    }


def cell(status: str, finding: Finding | None) -> dict[str, Any]:
    return {
        "status": status,
        "classification": finding.classification.value if finding else None,
        "ref_flight": finding.ref_flight if finding else None,
        "summary": summary(finding) if finding else "",
        "blocking": finding.blocking if finding else False,
    }
