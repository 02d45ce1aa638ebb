"""Read the URL of every page and its JSON twin, the same way: its path and its query.

A bad value is a 400 that names the parameter and what it accepts; the accepted values come
from the core (`Verdict`, `Readiness`, `SORT_KEYS`). An absent or empty parameter (a form's
"any") takes its default; a parameter given twice is a 400, so each has one shape. In the path,
a number out of the store's range matches no page (a 404), and names that a path cannot hold
are linked through the query instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NoReturn, TypeVar

from flask import abort, has_request_context, request
from werkzeug.routing import IntegerConverter, Map, PathConverter, UnicodeConverter, ValidationError

from gate.model import TestKey, Verdict
from gate.read.features import SORT_KEYS
from gate.readiness import Readiness
from gate.settings import SettingsError, parse_moment
from gate.store.roadmap import UnknownRelease

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

# The largest number the store's Integer columns hold on every database (PostgreSQL's integer).
LARGEST = 2**31 - 1


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
    """What a link to the flight list asks for; the keywords of `gate.pages.flights.flights_page`."""

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
        page=whole("page", default=1, least=1, most=LARGEST),
    )


SEARCH_LONGEST = 200  # characters of a search: a feature, job, testid or flight number


def search_query() -> str | None:
    """Read `q`, the words of a search (None when absent or blank)."""
    value = text("q")
    if value is not None and len(value) > SEARCH_LONGEST:
        _bad(f"q: expected at most {SEARCH_LONGEST} characters, got {len(value)}")
    return value.strip() or None if value is not None else None


def grid_page() -> int:
    """Read `page`, the page of a feature's grid of steps."""
    return whole("page", default=1, least=1, most=LARGEST)


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


def whole(name: str, *, default: int, least: int, most: int) -> int:
    """Return a parameter that must be a whole number from `least` to `most`, or the default."""
    value = text(name)
    if value is None:
        return default
    # int() alone would take "+1", " 1" and other scripts' digits.
    number = int(value) if value.isascii() and value.isdecimal() and len(value) < 19 else None
    if number is None or not least <= number <= most:
        _bad(f"{name}={value!r}: expected a whole number, {least} or more, at most {most}")
    return number


class FlightNumber(IntegerConverter):
    """A flight number in a URL path: 1 to LARGEST, so a larger one matches no page (a 404)."""

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=1, max=LARGEST)


def test_key(job: str | None, testid: str | None) -> TestKey:
    """Return the test a link names: in its path, else in its `job` and `testid` parameters."""
    if job is not None and testid is not None:
        return TestKey(job, testid)
    return TestKey(required("job"), required("testid"))


def required(name: str) -> str:
    """Return the one value of a parameter that must be given."""
    value = text(name)
    if value is None:
        _bad(f"{name}: expected a value")
    return value


def _reachable(segments: list[str]) -> bool:
    # Browsers resolve "." and ".." segments and servers merge empty ones before routing.
    return all(segment not in ("", ".", "..") for segment in segments)


class Segment(UnicodeConverter):
    """A path segment (a job, a branch) that a browser keeps as it is.

    Building a URL with a name that contains "/" or is "." or ".." fails validation, so url_for
    takes the endpoint's next rule: its query form, e.g. /tests?job=...&testid=...
    """

    def to_url(self, value: str) -> str:
        if "/" in value or not _reachable([value]):
            raise ValidationError
        return super().to_url(value)


class Segments(PathConverter):
    """The rest of a path (a testid) made of segments that a browser keeps as they are."""

    def to_url(self, value: str) -> str:
        if not _reachable(value.split("/")):
            raise ValidationError
        return super().to_url(value)


AS_OF = "as_of"  # the parameter of a view of the past: every link of the page carries it


def moment(name: str) -> datetime | None:
    """Return a parameter that must be a date or an ISO moment, or None when it is absent."""
    value = text(name)
    if value is None:
        return None
    try:
        return parse_moment(value)
    except SettingsError as exc:
        _bad(f"{name}: {exc}")


def as_of() -> datetime | None:
    """Read `as_of`, the moment a page shows the dashboard as of (a date or an ISO moment)."""
    return moment(AS_OF)


RELEASE = "release"  # the parameter of the release a page shows: its links carry it too
# The pages and twins that show the roadmap of a release `?release=` names.
READ_RELEASE = frozenset(
    f"{bp}.{page}" for bp in ("pages", "api") for page in ("overview", "features", "feature")
) | {"pages.features_csv"}


def release() -> str | None:
    """Read `release`, the release whose roadmap a page shows (None: the latest)."""
    return text(RELEASE)


def known_release(read: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call a reader of a release's roadmap; a release of no such name is a 404."""
    try:
        return read(*args, **kwargs)
    except UnknownRelease as exc:
        abort(404, description=str(exc))


def carry_as_of(endpoint: str, values: dict[str, Any]) -> None:
    """Give every link built while serving a view of the past the same `as_of`, and every link
    built while showing a release other than the latest the same `release` (a `url_defaults`
    hook), so that the view can be followed and pasted as a permalink."""
    if endpoint in ("static", "assets.asset", "plotly_js") or not has_request_context():
        return
    value = request.args.get(AS_OF)
    if value and AS_OF not in values:
        values[AS_OF] = value
    chosen = request.args.get(RELEASE)
    if chosen and RELEASE not in values and endpoint in READ_RELEASE:
        values[RELEASE] = chosen


def _bad(description: str) -> NoReturn:
    abort(400, description=description)
