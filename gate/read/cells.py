"""One cell of a grid or a history strip: a step's status and the gate's finding on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gate.model import Classification, Finding, Status, flight_label
from gate.report import summary, summary_of


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@dataclass(frozen=True)
class Cell:
    """A step in a flight: its status and, when it did not pass, how the gate judged it."""

    status: Status
    classification: Classification | None = None
    ref_flight: int | None = None
    summary: str = ""
    blocking: bool = False
    stepno: int | None = None


def stored_cell(
    status: str,
    classification: str | None,
    ref: int | None,
    ref_status: str | None,
    ref_blessing: str | None,
) -> Cell:
    """Return a cell from a step row's stored finding."""
    if classification is None:
        return Cell(Status(status))
    judged = Classification(classification)
    said = summary_of(
        judged,
        flight_label(ref, ref_blessing),
        ref_status=Status(ref_status) if ref_status else None,
        status=Status(status),
    )
    return Cell(Status(status), judged, ref, said, judged.blocking)


def cell(status: Status, finding: Finding | None, stepno: int | None = None) -> Cell:
    """Return a cell from a step and the gate's finding on it, if any."""
    if finding is None:
        return Cell(status, stepno=stepno)
    return Cell(
        status,
        finding.classification,
        finding.ref_flight,
        summary(finding),
        finding.blocking,
        stepno,
    )
