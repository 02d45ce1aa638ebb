"""A release's pages: its status update (the page, the mail's text, the JSON twin) and its
readiness over time (the page and its twin), each from one function."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template

from gate.pages.freeze import frozen_view
from gate.pages.releases import release_list, release_page
from gate.pages.status import status as status_of
from gate.pages.timeline import release_readiness
from gate.read.freeze import FrozenView
from gate.read.status import SinceNotBefore, StatusReport
from gate.read.timeline import ReadinessTimeline
from gate.store.roadmap import UnknownRelease
from web.args import known_release, moment, text
from web.db import now, session, settings
from web.twin import to_json

bp = Blueprint("releases", __name__)

SINCE = "since"  # the parameter of the last update's moment, as the command's --since


@bp.get("/releases/")
def every() -> str:
    return render_template("releases.html", data=release_list(session(), now()))


@bp.get("/api/v1/releases")
def every_json() -> Any:
    return jsonify(to_json(release_list(session(), now())))


@bp.get("/releases/<segment:name>")
def one(name: str) -> str:
    return render_template("release.html", data=known_release(release_page, session(), now(), name))


@bp.get("/api/v1/releases/<segment:name>")
def one_json(name: str) -> Any:
    return jsonify(to_json(known_release(release_page, session(), now(), name)))


@bp.get("/releases/<segment:name>/status")
def status(name: str) -> str:
    return render_template("status.html", data=_report(name))


@bp.get("/releases/<segment:name>/status.txt")
def status_text(name: str) -> Response:
    return Response(_report(name).text, mimetype="text/plain")


@bp.get("/api/v1/releases/<segment:name>/status")
def status_json(name: str) -> Any:
    return jsonify(to_json(_report(name)))


def _report(name: str) -> StatusReport:
    try:
        return status_of(
            session(),
            settings().policy(),
            now(),
            name,
            since=_since(),
            base_url=settings().base_url,
        )
    except UnknownRelease:
        abort(404, description=f"no release {name!r}")
    except SinceNotBefore as exc:
        abort(400, description=f"{SINCE}: {exc}")


def _since() -> datetime | None:
    """Read `since`, the last update's moment (a date or an ISO moment)."""
    return moment(SINCE)


FEATURE = "feature"  # the parameter that narrows the timeline to one feature


@bp.get("/releases/<segment:name>/readiness")
def readiness(name: str) -> str:
    return render_template("readiness.html", data=_timeline(name))


@bp.get("/api/v1/releases/<segment:name>/readiness")
def readiness_json(name: str) -> Any:
    return jsonify(to_json(_timeline(name)))


def _timeline(name: str) -> ReadinessTimeline:
    slug = text(FEATURE)
    try:
        found = release_readiness(session(), settings().policy(), now(), name, feature=slug)
    except UnknownRelease:
        abort(404, description=f"no release {name!r}")
    if slug is not None and not found.features:
        abort(404, description=f"no feature {slug!r} in release {name!r}")
    return found


@bp.get("/releases/<segment:name>/at/<segment:day>")
def frozen(name: str, day: str) -> str:
    return render_template("frozen.html", data=_frozen(name, day))


@bp.get("/api/v1/releases/<segment:name>/at/<segment:day>")
def frozen_json(name: str, day: str) -> Any:
    return jsonify(to_json(_frozen(name, day)))


def _frozen(name: str, day: str) -> FrozenView:
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(404, description=f"{day!r} is not a day such as 2013-03-25")
    try:
        return frozen_view(session(), settings().policy(), now(), name, when)
    except UnknownRelease:
        abort(404, description=f"no release {name!r}")
