"""The JSON twins of the pages under /api/v1: the same functions, the same dicts."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from flask import Blueprint, abort, jsonify

from gate.pages.branch import branch_detail
from gate.pages.failures import failure_cluster, failure_clusters
from gate.pages.features import feature_detail
from gate.pages.features import features as features_of
from gate.pages.features import overview as overview_of
from gate.pages.flights import flight_detail, flights_page
from gate.pages.history import test_detail
from gate.pages.search import search as find
from gate.read.features import select_features
from ingest.git_log import history
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
)
from web.db import now, session, settings
from web.pages import regressions_asked
from web.twin import to_json

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/overview")
def overview() -> Any:
    data = known_release(overview_of, session(), settings().policy(), now(), release())
    shown = select_features(data.features, **asdict(feature_args()))
    return jsonify(to_json(replace(data, features=shown)))


@bp.get("/features")
def features() -> Any:
    rows = known_release(features_of, session(), settings().policy(), now(), release())
    return jsonify(to_json(select_features(rows, **asdict(feature_args()))))


@bp.get("/features/<slug>")
def feature(slug: str) -> Any:
    data = known_release(
        feature_detail,
        session(),
        slug,
        settings().policy(),
        now(),
        release(),
        page=grid_page(),
    )
    return jsonify(to_json(found(data, f"feature {slug!r}")))


@bp.get("/flights")
def flights() -> Any:
    return jsonify(to_json(flights_page(session(), **asdict(flight_args()), now=now())))


@bp.get("/flights/<flight:number>")
def flight(number: int) -> Any:
    history_of = history(settings())
    data = flight_detail(session(), number, settings().policy(), now(), history=history_of)
    return jsonify(to_json(found(data, f"flight {number}")))


@bp.get("/tests/<segment:job>/<segments:testid>")
@bp.get("/tests")
def test(job: str | None = None, testid: str | None = None) -> Any:
    key = test_key(job, testid)
    data = test_detail(session(), *key, now())
    return jsonify(to_json(found(data, f"test {key.job} {key.testid}")))


@bp.get("/branches/<segment:branch>")
@bp.get("/branches")
def branch(branch: str | None = None) -> Any:
    name = branch if branch is not None else required("branch")
    return jsonify(
        to_json(
            found(branch_detail(session(), name, settings().policy(), now()), f"branch {name!r}")
        )
    )


@bp.get("/failures")
def failures() -> Any:
    return jsonify(to_json(failure_clusters(session(), now())))


@bp.get("/regressions")
def regressions() -> Any:
    data = regressions_asked()
    return jsonify(to_json(data))


@bp.get("/failures/<digest>")
def failure(digest: str) -> Any:
    data = failure_cluster(session(), digest, now())
    return jsonify(to_json(found(data, f"failure cluster {digest!r}")))


@bp.get("/search")
def search() -> Any:
    """The search page's twin: what `q` names, the flight it numbers included (no redirect)."""
    query = search_query()
    if query is None:
        abort(400, description="q: expected a value")
    return jsonify(to_json(find(session(), query, now())))
