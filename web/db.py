"""The app's engine and settings, and one session per request on `g`, closed at teardown."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, current_app, g, has_request_context
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gate.keep.days import keep_days
from gate.settings import Settings, parse_moment
from gate.store.db import ensure_schema, make_engine, unit_of_work
from web.args import as_of

EXTENSION = "pushgate"


def init_app(app: Flask, settings: Settings) -> None:
    """Make the app's engine, ensure its schema, read its NOW, and close sessions at teardown."""
    fixed = app.config.get("NOW")
    # Read NOW once, so a bad one stops the app from starting instead of failing every page.
    moment = parse_moment(fixed) if fixed else None
    found = make_engine(settings.database_url)
    ensure_ready(found, settings)
    app.extensions[EXTENSION] = {"engine": found, "settings": settings, "now": moment}
    app.teardown_appcontext(close_session)


def ensure_ready(engine: Engine, settings: Settings) -> None:
    """Create or upgrade the schema (`ensure_schema`); after an upgrade, judge and keep the
    readiness of the days that the new schema keeps (`gate.keep.days.keep_days`), so that
    the pages do not judge them on every request until the next flight."""
    if ensure_schema(engine):
        with unit_of_work(engine) as session:
            keep_days(session, settings.policy())


def session() -> Session:
    """Return this request's session, opened on first use and closed at teardown."""
    if "session" not in g:
        g.session = Session(engine())
    found: Session = g.session
    return found


def close_session(_error: BaseException | None = None) -> None:
    """Close this request's session, if one was opened."""
    found = g.pop("session", None)
    if found is not None:
        found.close()


def engine() -> Engine:
    """Return the app's engine."""
    found: Engine = current_app.extensions[EXTENSION]["engine"]
    return found


def settings() -> Settings:
    """Return the app's settings."""
    found: Settings = current_app.extensions[EXTENSION]["settings"]
    return found


def now() -> datetime:
    """Return the moment the page shows the dashboard as of, and counts days from: the
    request's `?as_of=`, else the NOW config, else the clock."""
    asked = as_of() if has_request_context() else None
    if asked is not None:
        return asked
    fixed: datetime | None = current_app.extensions[EXTENSION]["now"]
    return fixed if fixed is not None else datetime.now(UTC)
