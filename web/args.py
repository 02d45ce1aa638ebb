"""Read the query parameters of every page and its JSON twin, the same way.

A bad value is a 400 that names the parameter and what it accepts; the accepted values come
from the core (`Verdict`, `Readiness`, `SORT_KEYS`). An absent or empty parameter (a form's
"any") takes its default; a parameter given twice is a 400, so each has one shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NoReturn, TypeVar

from flask import abort, request

from gate.model import Verdict
from gate.read.features import SORT_KEYS
from gate.readiness import Readiness

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


class Order(StrEnum):
    """The order of a sorted table."""

    ASCENDING = "asc"
    DESCENDING = "desc"


@dataclass(frozen=True)
class FeatureArgs:
    """What a link to the features table asks for; the keywords of `gate.read.select_features`."""

    readiness: Readiness | None = None
    query: str | None = None
    sort: str | None = None
    descending: bool = False


@dataclass(frozen=True)
class FlightArgs:
    """What a link to the flight list asks for; the keywords of `gate.read.flights_page`."""

    branch: str | None = None
    verdict: Verdict | None = None
    page: int = 1


def feature_args() -> FeatureArgs:
    """Read `readiness`, `q`, `sort` and `order` for the overview and the features table."""
    return FeatureArgs(
        readiness=member("readiness", Readiness),
        query=text("q"),
        sort=choice("sort", SORT_KEYS),
        descending=member("order", Order) is Order.DESCENDING,
    )


def flight_args() -> FlightArgs:
    """Read `branch`, `verdict` and `page` for the flight list."""
    return FlightArgs(
        branch=text("branch"),
        verdict=member("verdict", Verdict),
        page=whole("page", default=1, least=1),
    )


def found(value: T | None, what: str) -> T:
    """Return the value, or a 404 naming what was not found."""
    if value is None:
        abort(404, description=f"no {what}")
    return value


def text(name: str) -> str | None:
    """Return the one value of a parameter, or None when it is absent or empty."""
    values = request.args.getlist(name)
    if len(values) > 1:
        _bad(f"{name}: expected one value, got {len(values)}")
    return values[0] if values and values[0] else None


def choice(name: str, allowed: Sequence[str]) -> str | None:
    """Return a parameter that must be one of `allowed`, or None when it is absent."""
    value = text(name)
    if value is not None and value not in allowed:
        _bad(f"{name}={value!r}: expected one of {', '.join(allowed)}")
    return value


def member(name: str, kind: type[E]) -> E | None:
    """Return a parameter that must be a value of the enum `kind`, or None when it is absent."""
    value = choice(name, [m.value for m in kind])
    return None if value is None else kind(value)


def whole(name: str, *, default: int, least: int) -> int:
    """Return a parameter that must be a whole number of at least `least`, or the default."""
    value = text(name)
    if value is None:
        return default
    # int() alone would take "+1", " 1" and other scripts' digits.
    number = int(value) if value.isascii() and value.isdecimal() and len(value) < 19 else None
    if number is None or number < least:
        _bad(f"{name}={value!r}: expected a whole number, {least} or more")
    return number


def _bad(description: str) -> NoReturn:
    abort(400, description=description)
