"""The triage API: POST /api/v1/triage/accept accepts a blocking step for a release (or
withdraws it), with a bearer token; GET /api/v1/triage/accepted lists what holds."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, NoReturn

from flask import Blueprint, abort, jsonify, request

from gate.acceptance import AcceptanceError
from gate.keep.acceptance import keep_acceptance
from gate.model import TestKey
from gate.pages.acceptance import accepted
from gate.store import tokens
from gate.store.acceptance import NotAccepted
from gate.store.db import unit_of_work
from gate.store.roadmap import UnknownRelease
from web.db import engine, now, session, settings
from web.push import authorize
from web.twin import to_json

bp = Blueprint("triage_accept", __name__, url_prefix="/api/v1/triage")

FIELDS = ("release", "job", "testid", "by", "until", "reason", "withdraw")


def _refuse(code: int, message: str) -> NoReturn:
    abort(code, description=message)


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        _refuse(400, f"field {name} must be a string")
    return value.strip()


def _until(body: dict[str, Any], withdraw: bool, today: date) -> date:
    text = _text(body, "until")
    if not text:
        if withdraw:
            return today
        _refuse(400, "an acceptance has an expiry: give until as YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        _refuse(400, f"until must be a date YYYY-MM-DD, got {text!r}")


@bp.post("/accept")
def accept() -> Any:
    """Keep an acceptance made by the token's holder (`by` names someone else); 201 accepted,
    200 withdrawn, 400 refused, 404 no such release."""
    name = authorize()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        _refuse(400, "send the acceptance as a JSON object")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        _refuse(400, f"unknown field {unknown[0]!r} (known: {', '.join(FIELDS)})")
    withdraw = body.get("withdraw", False)
    if not isinstance(withdraw, bool):
        _refuse(400, "field withdraw must be true or false")
    moment = datetime.now(UTC)
    until = _until(body, withdraw, moment.date())
    key = TestKey(_text(body, "job"), _text(body, "testid"))
    with unit_of_work(engine()) as unit:
        try:
            made = keep_acceptance(
                unit,
                settings().policy(),
                _text(body, "release") or None,
                key,
                _text(body, "by") or name,
                _text(body, "reason"),
                until,
                moment,
                withdrawn=withdraw,
            )
        except UnknownRelease as exc:
            _refuse(404, str(exc))
        except (AcceptanceError, NotAccepted) as exc:
            _refuse(400, str(exc))
        tokens.mark_used(unit, name, moment)
    return jsonify(to_json(made)), 200 if withdraw else 201


@bp.get("/accepted")
def accepted_now() -> Any:
    """What is accepted for a release (`?release=`, default the newest) as of `?as_of=`."""
    try:
        found = accepted(session(), now(), request.args.get("release") or None)
    except UnknownRelease as exc:
        _refuse(404, str(exc))
    return jsonify(to_json(found))
