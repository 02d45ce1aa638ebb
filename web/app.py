"""The Flask app factory: pages and their JSON twins, one session per request."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import plotly
from flask import Flask, jsonify, render_template, request, send_file
from werkzeug.exceptions import HTTPException

from gate import __version__
from gate.settings import Settings
from web import api, db, feed, pages, push

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app; `test_config` overrides the settings (e.g. DATABASE_URL, NOW)."""
    app = Flask(__name__)
    settings = Settings.from_env(os.environ)
    app.config.from_mapping(DATABASE_URL=settings.database_url, NOW=settings.now or None)
    if test_config is not None:
        app.config.from_mapping(test_config)
    db.init_app(app, Settings.from_env(os.environ, database_url=app.config["DATABASE_URL"]))

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(push.bp)
    app.register_blueprint(feed.bp)
    app.register_error_handler(HTTPException, _error)
    app.jinja_env.globals["version"] = __version__
    app.jinja_env.filters["moment"] = _moment

    @app.get("/vendor/plotly.min.js")
    def plotly_js() -> Any:
        return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=86400)

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok", version=__version__)

    return app


def _error(error: HTTPException) -> Any:
    code = error.code or 500
    # Keep what the exception says in its headers (Allow on a 405, WWW-Authenticate on a 401).
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    if request.path.startswith("/api/"):
        return jsonify(error=error.description), code, headers
    return render_template("error.html", error=error), code, headers


def _moment(value: datetime | None) -> str:
    """Show a moment to the minute, as the pages do: `2013-03-18 01:49`."""
    return value.strftime("%Y-%m-%d %H:%M") if value else ""
