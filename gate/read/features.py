"""The overview, the features table and a feature's page: readiness and what blocks the push."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gate.model import (
    Classification,
    Status,
    TestKey,
)
from gate.policy import Policy
from gate.read.branch import branch_marks, gate_status, mark_dict
from gate.read.cells import stored_cell
from gate.read.readiness import observed, readiness
from gate.readiness import Observation, feature_dict, freeze_dict, freeze_view
from gate.roadmap import Release
from gate.store.flights import (
    findings_elsewhere,
)
from gate.store.records import StepRecord, TestRecord
from gate.store.roadmap import UnknownRelease, catalogue, release_record

GRID_FLIGHTS = 30


def overview(session: Session, policy: Policy, now: datetime) -> dict[str, Any]:
    """The overview: the release's dates, its branch's gate, every feature, what blocks the push."""
    try:
        release, judged = readiness(session, policy, now)
    except UnknownRelease:
        return {"release": None, "gate": None, "features": [], "blockers": []}
    features = [feature_dict(j) for j in judged]
    blockers: list[dict[str, Any]] = [
        {
            "slug": j.feature.slug,
            "title": j.feature.title,
            "readiness": j.readiness.value,
            "reasons": [o.sentence() for o in (*j.blocking, *j.failures)],
        }
        for j in judged
        if j.blocking or j.failures
    ]
    blockers.sort(key=lambda b: (not any("regressed" in r for r in b["reasons"]), b["slug"]))
    gate = gate_status(session, release.branch, now)
    served = {key for j in judged for key in j.tests}
    if gate["newest"] is not None:
        orphans = [
            o.sentence()
            for o in _blocking_in(session, gate["newest"]["flight"])
            if o.key not in served
        ]
        if orphans:
            blockers.append(
                {"slug": None, "title": "No feature", "readiness": "blocked", "reasons": orphans}
            )
    return {
        "release": freeze_dict(freeze_view(release, now)),
        "gate": gate,
        "features": features,
        "blockers": blockers,
    }


def _blocking_in(session: Session, flight: int) -> list[Observation]:
    """Return the blocking findings of one flight's judgement, its heisenbug flights' included."""
    rows = session.execute(
        select(
            TestRecord.job,
            TestRecord.testid,
            StepRecord.status,
            StepRecord.classification,
            StepRecord.ref_flight,
            StepRecord.ref_status,
            StepRecord.ref_blessing,
        )
        .join(StepRecord, StepRecord.test_id == TestRecord.id)
        .where(
            StepRecord.flight_id == flight,
            StepRecord.classification.in_([c.value for c in Classification if c.blocking]),
        )
        .order_by(StepRecord.position)
    )
    found = [
        Observation(
            flight,
            TestKey(job, testid),
            Status(status),
            Classification(str(cls)),
            ref,
            Status(ref_status) if ref_status else None,
            ref_blessing,
        )
        for job, testid, status, cls, ref, ref_status, ref_blessing in rows
    ]
    elsewhere = findings_elsewhere(session, [flight]).get(flight, [])
    return found + [observed(flight, f) for f in elsewhere if f.blocking]


def features(session: Session, policy: Policy, now: datetime) -> list[dict[str, Any]]:
    """Every feature of the latest release with its readiness; none without a roadmap."""
    try:
        _release, judged = readiness(session, policy, now)
    except UnknownRelease:
        return []
    return [feature_dict(j) for j in judged]


def release_dates(session: Session, now: datetime) -> dict[str, Any] | None:
    """The latest release's milestones and the days left to each, or None without a roadmap."""
    try:
        record = release_record(session, None)
    except UnknownRelease:
        return None
    release = Release(
        record.name, record.branch, record.feature_freeze, record.code_freeze, record.release_date
    )
    return freeze_dict(freeze_view(release, now))


SORT_KEYS = ("slug", "readiness", "declared_status", "pass_rate", "blocking", "mismatch")


READINESS_ORDER = ("blocked", "at_risk", "stale", "untested", "on_track", "ready", "dropped")


def select_features(
    rows: list[dict[str, Any]],
    *,
    readiness: str | None = None,
    query: str | None = None,
    sort: str | None = None,
    descending: bool = False,
) -> list[dict[str, Any]]:
    """Filter features by readiness and text, and sort them, as a shared link asks."""
    chosen = [r for r in rows if not readiness or r["readiness"] == readiness]
    if query:
        needle = query.lower()
        chosen = [
            r
            for r in chosen
            if needle in f"{r['slug']} {r['title']} {' '.join(r['owners'])}".lower()
        ]
    key = sort if sort in SORT_KEYS else "readiness"

    def order(row: dict[str, Any]) -> Any:
        value = row[key]
        if key == "readiness":
            return READINESS_ORDER.index(value)
        if key == "blocking":
            return len(value)
        if key == "pass_rate":
            return -1.0 if value is None else value
        return value

    return sorted(chosen, key=order, reverse=descending)


def feature_detail(
    session: Session, slug: str, policy: Policy, now: datetime
) -> dict[str, Any] | None:
    """One feature: readiness, reasons, history, and the grid of its steps over recent flights."""
    try:
        release, judged = readiness(session, policy, now)
    except UnknownRelease:
        return None
    found = next((j for j in judged if j.feature.slug == slug), None)
    if found is None:
        return None
    every = branch_marks(session, release.branch, now)
    when = {m.number: m.at.isoformat() for m in every}
    marks = every[-GRID_FLIGHTS:]
    data = feature_dict(found)
    data["series"] = [{**point, "started": when.get(point["flight"])} for point in data["series"]]
    return {
        **data,
        "release": freeze_dict(freeze_view(release, now)),
        "grid": {
            "flights": [mark_dict(m) for m in marks],
            "rows": _grid(session, list(found.tests), [m.number for m in marks]),
        },
    }


def _grid(session: Session, keys: list[TestKey], flights: list[int]) -> list[dict[str, Any]]:
    if not keys or not flights:
        return []
    known = catalogue(session).ids
    ids = {known[k]: k for k in keys if k in known}
    cells: dict[TestKey, dict[int, dict[str, Any]]] = defaultdict(dict)
    rows = session.execute(
        select(
            StepRecord.test_id,
            StepRecord.flight_id,
            StepRecord.status,
            StepRecord.classification,
            StepRecord.ref_flight,
            StepRecord.ref_status,
            StepRecord.ref_blessing,
        ).where(StepRecord.test_id.in_(list(ids)), StepRecord.flight_id.in_(flights))
    )
    for test_id, flight, status, cls, ref, ref_status, ref_blessing in rows:
        cells[ids[test_id]][flight] = stored_cell(status, cls, ref, ref_status, ref_blessing)
    grid: list[dict[str, Any]] = [
        {"job": k.job, "testid": k.testid, "cells": [cells[k].get(n) for n in flights]}
        for k in sorted(ids.values(), key=str)
    ]
    # Steps that did not pass somewhere in the grid first: they are what the page is for.
    return sorted(
        grid, key=lambda row: all(c is None or c["status"] == "pass" for c in row["cells"])
    )
