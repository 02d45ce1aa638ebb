"""The thresholds of the gate, in one place, with their documented defaults."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    """What the gate may treat as evidence and what it may push.

    history_flights: how many lower flights of a branch are examined, newest first (osstest: 1000).
    evidence_blessings: blessings of the flights that count as evidence (osstest: real, real-bisect).
    push_blessing: the blessing a flight needs for its revisions to be pushed.
    window_flights: how many of a branch's newest flights feature readiness looks at.
    at_risk_below: a feature whose pass rate in the window is below this is at risk.
    """

    history_flights: int = 1000
    evidence_blessings: tuple[str, ...] = ("real", "real-bisect")
    push_blessing: str = "real"
    window_flights: int = 10
    at_risk_below: float = 0.9
