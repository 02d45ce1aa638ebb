"""The Flask app factory: pages and their JSON twins (filled in by later work)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gate import __version__
from gate.settings import Settings
from gate.store.db import ensure_schema, make_engine
from gate.store.records import FlightRecord


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app; `test_config` overrides the settings (e.g. DATABASE_URL)."""
    app = Flask(__name__)
    settings = Settings.from_env(os.environ)
    app.config.from_mapping(DATABASE_URL=settings.database_url)
    app.config.from_prefixed_env("PUSHGATE")
    if test_config is not None:
        app.config.from_mapping(test_config)
    engine = make_engine(app.config["DATABASE_URL"])
    ensure_schema(engine)
    app.extensions["pushgate.engine"] = engine

    @app.get("/healthz")
    def healthz() -> Any:
        with Session(engine) as session:
            flights = session.scalar(select(func.count()).select_from(FlightRecord))
        return jsonify(status="ok", version=__version__, flights=flights)

    return app
