"""The pages: each reads the request, calls one summary function, renders its dict."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, redirect, render_template, send_file, url_for
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from gate.pages.branch import branch_detail
from gate.pages.failures import failure_cluster, failure_clusters
from gate.pages.features import feature_detail, features
from gate.pages.features import overview as overview_of
from gate.pages.flights import flight_detail, flights_page
from gate.pages.history import test_detail
from gate.pages.regressions import regressions as regressions_of
from gate.pages.search import search as find
from gate.read.failures import TREND_FLIGHTS
from gate.read.features import DESCENDING_FIRST, SeriesPoint, select_features
from gate.read.regressions import RegressionsPage
from gate.store.roadmap import release_branch, release_names
from ingest.git_log import history
from web import charts, export, readiness_charts
from web.args import (
    feature_args,
    flight_args,
    found,
    grid_page,
    known_release,
    release,
    required,
    search_query,
    test_key,
    text,
)
from web.db import now, session, settings
from web.words import cell_mark, days_from_now, percent

bp = Blueprint("pages", __name__)
FAVICON = Path(__file__).with_name("static") / "favicon.svg"


@bp.app_template_filter("mark")
def _mark(cell: Any) -> str:
    return cell_mark(cell)


@bp.app_template_filter("days_from_now")
def _days(days: int) -> str:
    return days_from_now(days)


@bp.app_template_filter("percent")
def _percent(rate: float | None) -> str:
    return percent(rate)


@bp.app_template_global("spark")
def _spark(series: tuple[SeriesPoint, ...]) -> charts.Spark | None:
    return charts.sparkline(series, settings().policy().at_risk_below)


@bp.app_template_global("bars")
def _bars(counts: tuple[int, ...]) -> charts.Bars | None:
    return charts.bars(counts)


@bp.app_template_global("release_names")
def _release_names() -> list[str]:
    """The releases a page can pick from: those whose roadmap was written by the moment shown."""
    try:
        return release_names(session(), now())
    except (SQLAlchemyError, HTTPException):  # an error page must render whatever failed
        return []


@bp.app_template_global("gate_branch")
def _gate_branch() -> str | None:
    """The branch of the release the overview shows, for the header's Gate link."""
    try:
        return release_branch(session())
    except (SQLAlchemyError, HTTPException):  # an error page must render whatever failed
        return None


@bp.get("/")
def overview() -> str:
    args = feature_args()
    data = known_release(overview_of, session(), settings().policy(), now(), release())
    shown = select_features(data.features, **asdict(args))
    return render_template(
        "overview.html",
        data=data,
        features=shown,
        args=args,
        descending_first=DESCENDING_FIRST,
        burn_down=data.release and readiness_charts.burn_down(data.release, data.burn_down),
    )


@bp.get("/features.csv")
def features_csv() -> Response:
    """The features table as the overview shows it (the same filters and order), as CSV."""
    rows = known_release(features, session(), settings().policy(), now(), release())
    shown = select_features(rows, **asdict(feature_args()))
    return export.attachment(export.features_csv(shown), "features.csv")


@bp.get("/features/<slug>")
def feature(slug: str) -> str:
    policy = settings().policy()
    data = found(
        known_release(feature_detail, session(), slug, policy, now(), release(), page=grid_page()),
        f"feature {slug!r}" + (f" in release {release()!r}" if release() else ""),
    )
    chart = charts.feature_pass_rate(data, policy.at_risk_below)
    over_time = readiness_charts.feature_readiness(data.release, data.timeline)
    return render_template("feature.html", data=data, chart=chart, over_time=over_time)


@bp.get("/flights")
def flights() -> str:
    data = flights_page(session(), **asdict(flight_args()), now=now())
    return render_template(
        "flights.html", data=data, push_blessing=settings().policy().push_blessing
    )


@bp.get("/flights/<flight:number>")
def flight(number: int) -> str:
    data = found(
        flight_detail(session(), number, settings().policy(), now(), history=history(settings())),
        f"flight {number}",
    )
    return render_template("flight.html", data=data)


@bp.get("/flights/<flight:number>/report.txt")
def report(number: int) -> Response:
    data = found(
        flight_detail(session(), number, settings().policy(), now(), history=history(settings())),
        f"flight {number}",
    )
    return Response(data.text, mimetype="text/plain")


@bp.get("/tests/<segment:job>/<segments:testid>")
@bp.get("/tests")
def test(job: str | None = None, testid: str | None = None) -> str:
    key = test_key(job, testid)
    data = found(test_detail(session(), *key, now()), f"test {key.job} {key.testid}")
    return render_template("test.html", data=data)


@bp.get("/tests.csv")
def test_csv() -> Response:
    """A test's history as its page shows it, as CSV: /tests.csv?job=JOB&testid=TESTID (a
    query, since a testid may hold slashes and end in anything)."""
    key = test_key(None, None)
    data = found(test_detail(session(), *key, now()), f"test {key.job} {key.testid}")
    return export.attachment(export.history_csv(data), f"{key.job}_{key.testid}.csv")


@bp.get("/branches/<segment:branch>")
@bp.get("/branches")
def branch(branch: str | None = None) -> str:
    name = branch if branch is not None else required("branch")
    policy = settings().policy()
    data = found(branch_detail(session(), name, policy, now()), f"branch {name!r}")
    figures = charts.branch_charts(data, policy.at_risk_below)
    return render_template("branch.html", data=data, charts=figures)


@bp.get("/failures/")
def failures() -> str:
    """The failing steps grouped by cause (`gate.signature`), newest and biggest first."""
    data = failure_clusters(session(), now())
    return render_template("failures.html", data=data, trend_flights=TREND_FLIGHTS)


def regressions_asked() -> RegressionsPage:
    """The regression episodes the request asks for (`?branch=`, `?release=`, `?as_of=`), as
    the page, its twin, its CSV and its feed show them."""
    return known_release(
        regressions_of,
        session(),
        settings().policy(),
        now(),
        branch=text("branch"),
        release=release(),
    )


@bp.get("/regressions/")
def regressions() -> str:
    """The open and recently closed regression episodes of a branch (`?branch=`) or of a
    release's branch (`?release=`, by default the newest release's)."""
    data = regressions_asked()
    return render_template("regressions.html", data=data)


@bp.get("/regressions.csv")
def regressions_csv() -> Response:
    """The regression episodes as the page lists them (open, then recently closed), as CSV."""
    data = regressions_asked()
    return export.attachment(export.regressions_csv(data), f"regressions-{data.branch}.csv")


@bp.get("/failures/<digest>")
def failure(digest: str) -> str:
    data = found(failure_cluster(session(), digest, now()), f"failure cluster {digest!r}")
    return render_template("failure.html", data=data)


@bp.get("/search")
def search() -> Any:
    """Find a feature, job, test or flight; a flight number that exists goes to its page."""
    query = search_query()
    if not query:
        return render_template("search.html", data=None)
    data = find(session(), query, now())
    if data.flight is not None:
        return redirect(url_for("pages.flight", number=data.flight.flight))
    return render_template("search.html", data=data, search_words=data.query)


@bp.get("/favicon.ico")
def favicon() -> Response:
    return send_file(FAVICON, mimetype="image/svg+xml", max_age=86400)
