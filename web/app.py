"""The Flask app factory: pages and their JSON twins, one session per request."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import plotly
from flask import Flask, current_app, g, jsonify, render_template, request, send_file
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from gate import __version__
from gate.settings import Settings
from gate.store.db import ensure_schema, make_engine

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app; `test_config` overrides the settings (e.g. DATABASE_URL, NOW)."""
    app = Flask(__name__)
    settings = Settings.from_env(os.environ)
    app.config.from_mapping(DATABASE_URL=settings.database_url, NOW=settings.now or None)
    if test_config is not None:
        app.config.from_mapping(test_config)
    settings = Settings.from_env(os.environ, database_url=app.config["DATABASE_URL"])
    engine = make_engine(app.config["DATABASE_URL"])
    ensure_schema(engine)
    app.extensions["pushgate"] = {"engine": engine, "settings": settings}

    from web import api, feed, pages, push

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(push.bp)
    app.register_blueprint(feed.bp)
    app.teardown_appcontext(_close_session)
    app.register_error_handler(HTTPException, _error)
    app.jinja_env.globals["version"] = __version__

    @app.get("/vendor/plotly.min.js")
    def plotly_js() -> Any:
        return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=86400)

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok", version=__version__)

    return app


def session() -> Session:
    """Return this request's session, opened on first use and closed at teardown."""
    if "session" not in g:
        g.session = Session(engine())
    found: Session = g.session
    return found


def engine() -> Engine:
    """Return the app's engine."""
    found: Engine = current_app.extensions["pushgate"]["engine"]
    return found


def settings() -> Settings:
    found: Settings = current_app.extensions["pushgate"]["settings"]
    return found


def now() -> datetime:
    """Return the moment the dashboard counts days from: the NOW setting, or the clock."""
    fixed = current_app.config.get("NOW")
    if not fixed:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(str(fixed))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _close_session(_error: BaseException | None) -> None:
    found = g.pop("session", None)
    if found is not None:
        found.close()


def _error(error: HTTPException) -> Any:
    code = error.code or 500
    # Keep what the exception says in its headers (Allow on a 405, WWW-Authenticate on a 401).
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    if request.path.startswith("/api/"):
        return jsonify(error=error.description), code, headers
    return render_template("error.html", error=error), code, headers
