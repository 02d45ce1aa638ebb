"""Two flights compared: each step whose outcome changed from the first to the second."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gate.model import Flight, Judgement
from gate.read.compare import Comparison, compared
from gate.store.flights import flight_happened, flight_stored, load_flight


class NoFlight(LookupError):
    """A flight to compare is not stored, or had not happened by the moment of the view."""

    def __init__(self, number: int, *, stored: bool) -> None:
        super().__init__(f"no flight {number}")
        self.number = number
        self.stored = stored  # stored, but it had not happened by then


def comparison(session: Session, a: int, b: int, now: datetime, *, page: int = 1) -> Comparison:
    """Compare flight `a` with flight `b` step by step, a page of COMPARE_LINES steps at a time;
    raise NoFlight for a flight that had not happened by `now`."""
    flight_a, judgement_a = _load(session, a, now)
    flight_b, judgement_b = _load(session, b, now)
    return compared(flight_a, judgement_a, flight_b, judgement_b, page=page)


def _load(session: Session, number: int, now: datetime) -> tuple[Flight, Judgement]:
    if not flight_happened(session, number, now):
        raise NoFlight(number, stored=flight_stored(session, number))
    loaded = load_flight(session, number, texts=False)
    assert loaded is not None  # it happened, so it is stored
    flight, judgement, _ids = loaded
    return flight, judgement
