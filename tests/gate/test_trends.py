"""Test health: heisenbugs per run, whether found in another flight or on a retry."""

from __future__ import annotations

from datetime import UTC, datetime

from gate.model import Classification, Status
from gate.trends import StepRecordView, test_health

AT = datetime(2013, 3, 1, tzinfo=UTC)


def view(
    flight: int,
    status: Status,
    classification: Classification | None = None,
    attempts: int = 1,
) -> StepRecordView:
    return StepRecordView(flight, AT, status, classification, None, None, attempts)


def test_a_pass_after_failed_attempts_counts_as_a_heisenbug():
    health = test_health(
        [
            view(100, Status.PASS),
            view(101, Status.PASS, attempts=3),
            view(102, Status.FAIL, classification=Classification.PASS_IN),
            view(103, Status.FAIL, attempts=2, classification=Classification.REGRESSION),
        ]
    )
    assert (health.runs, health.heisenbugs, health.flake_rate) == (4, 2, 0.5)
    assert (health.streak_since, health.streak_length) == (102, 2)


def test_a_single_run_pass_is_no_heisenbug():
    assert not view(100, Status.PASS).heisenbug
    assert view(100, Status.PASS, attempts=2).heisenbug
    assert not view(100, Status.FAIL, attempts=2).heisenbug
