"""Two flights compared, step by step: the page and its JSON twin, from the same function."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, render_template

from gate.pages.compare import NoFlight, comparison
from gate.read.compare import Comparison
from web.args import LARGEST, whole
from web.db import now, session
from web.twin import to_json

bp = Blueprint("compare", __name__)


@bp.get("/compare/<flight:a>/<flight:b>")
def page(a: int, b: int) -> str:
    return render_template("compare.html", data=_comparison(a, b))


@bp.get("/api/v1/compare/<flight:a>/<flight:b>")
def twin(a: int, b: int) -> Any:
    return jsonify(to_json(_comparison(a, b)))


def _comparison(a: int, b: int) -> Comparison:
    """Read `page` and compare the flights; a 404 names a flight that is not there."""
    page = whole("page", default=1, least=1, most=LARGEST)
    try:
        return comparison(session(), a, b, now(), page=page)
    except NoFlight as exc:
        abort(404, description=str(exc))
