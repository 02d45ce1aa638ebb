"""The flight list and a flight's page: its report, its osstest sections and its scoreboard."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gate.model import (
    Flight,
    Judgement,
    Verdict,
)
from gate.policy import Policy
from gate.read.branch import marks_of
from gate.read.cells import cell, iso
from gate.report import (
    Analysis,
    FlightLine,
    ReportContext,
    headers,
    render_text,
    report_dict,
)
from gate.store.flights import (
    count_flights,
    list_flights,
    load_flight,
    summary_dict,
)
from gate.store.records import BranchRecord, FlightRecord
from gate.trends import (
    push_age,
)


def flights_page(
    session: Session,
    *,
    branch: str | None,
    verdict: Verdict | None,
    page: int,
    per_page: int = 50,
) -> dict[str, Any]:
    """A page of the flight list, newest first, filtered by branch and verdict."""
    total = count_flights(session, branch=branch, verdict=verdict)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = list_flights(
        session, branch=branch, verdict=verdict, limit=per_page, offset=(page - 1) * per_page
    )
    branches = session.scalars(select(BranchRecord.name).order_by(BranchRecord.name)).all()
    return {
        "flights": [summary_dict(r) for r in rows],
        "page": page,
        "pages": pages,
        "total": total,
        "branch": branch,
        "verdict": verdict.value if verdict else None,
        "branches": list(branches),
    }


@dataclass(frozen=True)
class FlightReport:
    """A stored flight with its judgement and what its report shows beyond them."""

    flight: Flight
    judgement: Judgement
    context: ReportContext


def flight_report(
    session: Session, number: int, policy: Policy, now: datetime
) -> FlightReport | None:
    """Load a flight for its report: the retests of its revisions and its push-gate age."""
    loaded = load_flight(session, number)
    if loaded is None:
        return None
    flight, judgement, _ids = loaded
    if flight.log_url is None:
        flight = dataclasses.replace(flight, log_url=policy.log_url(flight.branch, number))
    rows = session.execute(
        select(
            FlightRecord.id,
            FlightRecord.blessing,
            FlightRecord.intended,
            FlightRecord.log_url,
        ).where(FlightRecord.id.in_(list(judgement.retests)))
    ).all()
    retests = tuple(
        FlightLine(r.id, r.blessing, r.intended, r.log_url or policy.log_url(flight.branch, r.id))
        for r in rows
    )
    marks = marks_of(session, flight.branch, number)
    age = push_age(
        number, judgement.tested, judgement.baseline, marks, now, blessing=policy.push_blessing
    )
    return FlightReport(flight, judgement, ReportContext(retests=retests, push_age=age))


def flight_detail(
    session: Session, number: int, policy: Policy, now: datetime
) -> dict[str, Any] | None:
    """A flight: its report, its osstest sections, and the scoreboard of jobs by testids."""
    found = flight_report(session, number, policy, now)
    if found is None:
        return None
    flight, judgement, context = found.flight, found.judgement, found.context
    report = report_dict(flight, judgement, context)
    sections = [
        {
            "analysis": where.value,
            "heading": where.heading.replace("\n", " "),
            "failures": [f for f in report["failures"] if f["section"] == where.value],
        }
        for where in sorted(Analysis, key=lambda a: a.rank)
        if any(f["section"] == where.value for f in report["failures"])
    ]
    jobs = [job.name for job in flight.jobs]
    testids: list[str] = []
    board: dict[tuple[str, str], dict[str, Any]] = {}
    findings = {f.step: f for f in judgement.own()}
    for step in flight.steps():
        if step.key.testid not in testids:
            testids.append(step.key.testid)
        finding = findings.get(step)
        board[(step.key.testid, step.key.job)] = {
            **cell(step.status.value, finding),
            "stepno": step.stepno,
        }
    return {
        **report,
        "started": iso(flight.started),
        "baseline_flight": max(judgement.baseline_flights, default=None),
        "sections": sections,
        "scoreboard": {
            "jobs": jobs,
            "rows": [{"testid": t, "cells": [board.get((t, j)) for j in jobs]} for t in testids],
        },
        "text": render_text(flight, judgement, context),
        "headers": headers(flight, judgement),
    }
