"""The pages: each reads the request, calls one summary function, renders its dict."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response, render_template

from gate import read
from gate.read.features import DESCENDING_FIRST
from web import charts
from web.args import feature_args, flight_args, found, grid_page, required, test_key
from web.db import now, session, settings

bp = Blueprint("pages", __name__)


@bp.get("/")
def overview() -> str:
    args = feature_args()
    data = read.overview(session(), settings().policy(), now())
    shown = read.select_features(data.features, **asdict(args))
    return render_template(
        "overview.html",
        data=data,
        features=shown,
        args=args,
        descending_first=DESCENDING_FIRST,
    )


@bp.get("/features/<slug>")
def feature(slug: str) -> str:
    data = found(
        read.feature_detail(session(), slug, settings().policy(), now(), page=grid_page()),
        f"feature {slug!r}",
    )
    return render_template("feature.html", data=data, chart=charts.feature_pass_rate(data))


@bp.get("/flights")
def flights() -> str:
    data = read.flights_page(session(), **asdict(flight_args()), now=now())
    return render_template("flights.html", data=data)


@bp.get("/flights/<flight:number>")
def flight(number: int) -> str:
    data = found(
        read.flight_detail(session(), number, settings().policy(), now()), f"flight {number}"
    )
    return render_template("flight.html", data=data)


@bp.get("/flights/<flight:number>/report.txt")
def report(number: int) -> Response:
    data = found(
        read.flight_detail(session(), number, settings().policy(), now()), f"flight {number}"
    )
    return Response(data.text, mimetype="text/plain")


@bp.get("/tests/<segment:job>/<segments:testid>")
@bp.get("/tests")
def test(job: str | None = None, testid: str | None = None) -> str:
    key = test_key(job, testid)
    data = found(read.test_detail(session(), *key, now()), f"test {key.job} {key.testid}")
    return render_template("test.html", data=data)


@bp.get("/branches/<segment:branch>")
@bp.get("/branches")
def branch(branch: str | None = None) -> str:
    name = branch if branch is not None else required("branch")
    data = found(
        read.branch_detail(session(), name, settings().policy(), now()), f"branch {name!r}"
    )
    release = read.release_dates(session(), now())
    figures = charts.branch_charts(data, release)
    return render_template("branch.html", data=data, charts=figures)
