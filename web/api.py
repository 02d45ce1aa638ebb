"""The JSON twins of the pages under /api/v1: the same functions, the same dicts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request

from gate import read
from gate.model import Verdict
from web.app import now, session, settings

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def found(data: Any, what: str) -> Any:
    """Return the data as JSON, or a JSON 404 naming what was not found."""
    if data is None:
        abort(404, description=f"no {what}")
    return jsonify(data)


def verdict_arg() -> Verdict | None:
    value = request.args.get("verdict") or None
    if value is None:
        return None
    try:
        return Verdict(value)
    except ValueError:
        abort(400, description=f"unknown verdict {value!r}")


def feature_args() -> dict[str, Any]:
    return {
        "readiness": request.args.get("readiness") or None,
        "query": request.args.get("q") or None,
        "sort": request.args.get("sort") or None,
        "descending": request.args.get("order") == "desc",
    }


@bp.get("/overview")
def overview() -> Any:
    data = read.overview(session(), settings().policy(), now())
    data["features"] = read.select_features(data["features"], **feature_args())
    return jsonify(data)


@bp.get("/features")
def features() -> Any:
    rows = read.features(session(), settings().policy(), now())
    return jsonify(read.select_features(rows, **feature_args()))


@bp.get("/features/<slug>")
def feature(slug: str) -> Any:
    data = read.feature_detail(session(), slug, settings().policy(), now())
    return found(data, f"feature {slug!r}")


@bp.get("/flights")
def flights() -> Any:
    page = request.args.get("page", 1, type=int) or 1
    branch = request.args.get("branch") or None
    data = read.flights_page(session(), branch=branch, verdict=verdict_arg(), page=page)
    return jsonify(data)


@bp.get("/flights/<int:number>")
def flight(number: int) -> Any:
    return found(
        read.flight_detail(session(), number, settings().policy(), now()), f"flight {number}"
    )


@bp.get("/tests/<job>/<path:testid>")
def test(job: str, testid: str) -> Any:
    return found(read.test_detail(session(), job, testid), f"test {job} {testid}")


@bp.get("/branches/<branch>")
def branch(branch: str) -> Any:
    return found(read.branch_detail(session(), branch, now()), f"branch {branch!r}")
