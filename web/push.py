"""POST /api/v1/flights: a CI pushes one flight's JUnit document, with a bearer token.

The document goes through the same pipeline as `pushgate ingest`: parsed outside any transaction,
then judged and stored, whole or not at all, in the request's one unit of work, which also marks
the token used and reads back the stored flight's report. The view reads the request through the
helpers below.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, BinaryIO, NoReturn, cast

from flask import Blueprint, abort, jsonify, make_response, request, url_for
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge

from gate.allow import AllowList, AllowListError
from gate.read.flights import flight_page
from gate.report import ReportContext
from gate.settings import Settings
from gate.store import tokens
from gate.store.db import unit_of_work
from gate.store.flights import load_flight
from ingest.junit import Overrides
from ingest.pipeline import IngestResult, Outcome, announce, parse_document, store_parsed
from ingest.source import NotATreeRevision, read_allow_list, tree_revisions
from web.args import LARGEST
from web.db import engine, session, settings
from web.twin import to_json

bp = Blueprint("push", __name__, url_prefix="/api/v1")

DOCUMENT_TYPES = ("application/xml", "text/xml", "application/gzip", "application/octet-stream")
ENCODINGS = ("", "identity", "gzip")  # the pipeline recognises gzip by its magic bytes
PARAMETERS = ("branch", "flight", "revision", "baseline", "blessing")
STATUS_CODES = {Outcome.CREATED: 201, Outcome.UNCHANGED: 200}


def _refuse(code: int, message: str) -> NoReturn:
    abort(code, description=message)


def _unauthorized(message: str, challenge: str) -> NoReturn:
    response = make_response(jsonify(error=message), 401)
    response.headers["WWW-Authenticate"] = challenge
    abort(response)


def authorize() -> str:
    """Return the name of the request's bearer token; answer 401 unless it is active."""
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented:
        _unauthorized(
            "pushing needs an API token: send Authorization: Bearer <token>",
            'Bearer realm="pushgate"',
        )
    # Checked in the request's reading session: wrong tokens never take the write lock.
    name = tokens.check(session(), presented)
    if name is None:
        _unauthorized(
            "the API token is unknown or revoked",
            'Bearer realm="pushgate", error="invalid_token"',
        )
    return name


def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        _refuse(400, f"parameter {name} given {len(values)} times")
    if not values:
        return None
    return values[0].strip() or None


def _trees(values: list[str], name: str) -> dict[str, str]:
    try:
        return tree_revisions(values)
    except NotATreeRevision as exc:
        _refuse(400, f"parameter {name} must be TREE=SHA, got {exc.value!r}")


def overrides() -> Overrides:
    """Read the flight's metadata from the query (and, for multipart, the form fields)."""
    given = request.values if request.mimetype == "multipart/form-data" else request.args
    unknown = sorted(set(given) - set(PARAMETERS))
    if unknown:
        _refuse(400, f"unknown parameter {unknown[0]!r} (known: {', '.join(PARAMETERS)})")
    flight = _single(given.getlist("flight"), "flight")
    if flight is not None and not (
        flight.isascii() and flight.isdigit() and len(flight) <= 10 and 0 < int(flight) <= LARGEST
    ):
        _refuse(400, f"parameter flight must be a whole number from 1 to {LARGEST}, got {flight!r}")
    return Overrides(
        branch=_single(given.getlist("branch"), "branch"),
        flight=int(flight) if flight is not None else None,
        blessing=_single(given.getlist("blessing"), "blessing"),
        revisions=_trees(given.getlist("revision"), "revision"),
        baseline=_trees(given.getlist("baseline"), "baseline"),
    )


def document() -> tuple[Callable[[], BinaryIO], str]:
    """Return an opener of the pushed document's bytes, and a name for it."""
    if request.mimetype == "multipart/form-data":
        upload = next(iter(request.files.values()), None)
        if upload is None:
            _refuse(400, "the multipart body has no file")
        upload_stream = cast(BinaryIO, upload.stream)
        return (lambda: upload_stream), upload.filename or upload.name or "upload"
    if request.mimetype not in DOCUMENT_TYPES:
        _refuse(
            415,
            f"send the JUnit document as {', '.join(DOCUMENT_TYPES[:2])} "
            f"or multipart/form-data, not {request.mimetype or 'no Content-Type'}",
        )
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in ENCODINGS:
        _refuse(415, f"Content-Encoding {encoding} is not supported; use gzip or none")
    body_stream = cast(BinaryIO, request.stream)
    return (lambda: body_stream), "body"


def allow_list(current: Settings) -> AllowList:
    """Read the allow lists that `pushgate ingest` would use (PUSHGATE_ALLOW_DIR and _FILE)."""
    try:
        return read_allow_list(current.allow_file, directory=current.allow_dir)
    except AllowListError as exc:
        _refuse(500, str(exc))


def stored_report(unit: Session, result: IngestResult) -> dict[str, Any] | None:
    """Return the flight's page (its report) as its twin shows it, read in the unit that stored it."""
    if result.failed or result.flight is None:
        return None
    loaded = load_flight(unit, result.flight)
    assert loaded is not None
    flight, judgement, _ids = loaded
    found: dict[str, Any] = to_json(flight_page(flight, judgement, ReportContext()))
    return found


def answer(result: IngestResult, report: dict[str, Any] | None) -> Any:
    """Answer with the stored flight's report, or the reason nothing was stored."""
    if result.conflict:
        return jsonify(error=f"flight {result.flight} exists with different content"), 409
    if report is None:
        error = result.error or "the document could not be read"
        return jsonify(error=error), 413 if result.too_large else 400
    body = {**report, "status": result.status.value}
    response = make_response(jsonify(body), STATUS_CODES[result.status])
    response.headers["Location"] = url_for("api.flight", number=result.flight)
    return response


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> Any:
    limit = settings().max_upload_bytes
    return jsonify(error=f"the request body is larger than the limit of {limit} bytes"), 413


@bp.post("/flights")
def push_flight() -> Any:
    """Ingest one pushed flight; 201 created, 200 unchanged, 409 conflict, 400/413 refused."""
    current = settings()
    request.max_content_length = current.max_upload_bytes
    name = authorize()
    metadata, allow = overrides(), allow_list(current)
    opener, what = document()
    source = f"POST /api/v1/flights by {name} ({what})"
    parsed = parse_document(opener, path=source, settings=current, overrides=metadata)
    now = datetime.now(UTC)
    with unit_of_work(engine()) as unit:
        tokens.mark_used(unit, name, now)
        result = store_parsed(unit, parsed, settings=current, now=now, allow=allow)
        report = stored_report(unit, result)
    announce(result, current)
    return answer(result, report)
