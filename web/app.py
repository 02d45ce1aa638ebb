"""The Flask app factory: pages and their JSON twins, one session per request."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from flask import Flask, Response, jsonify, render_template, request, send_file
from werkzeug.exceptions import HTTPException

from gate import __version__
from gate.readiness import Readiness
from gate.settings import Settings
from web import api, assets, compare, db, feed, pages, push, releases, triage, triage_accept
from web.args import FlightNumber, Segment, Segments, carry_as_of
from web.assets import PLOTLY_JS, asset_url

# Plotly inserts two <style> elements, allowed by their hashes rather than by 'unsafe-inline':
# empty ones that it fills through the CSSOM (which CSP does not govern), and maplibre's fixed
# stylesheet, whose hash changes with plotly.js (the browser tests name the new one).
PLOTLY_STYLES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # the empty string
    "'sha256-ji27qzEtxXZW+7dun6UwjHXJ18e6WAin1VvNtkzIE/o='",  # maplibre-gl.css of plotly.js 4.1.1
]
# Only the app's own scripts, styles and images: no inline script or style attribute, no
# plugins, no framing, no <base>, and forms that submit only to the app.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        " ".join(["style-src 'self'", *PLOTLY_STYLES]),
        # The chart's "download as png" draws the chart as a blob: (or data:) image first.
        "img-src 'self' blob: data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Names of query parameters whose values are credentials, which no log may keep.
CREDENTIAL = re.compile(
    r"token|secret|passw|pwd|auth|api.?key|access.?key|^key$|signature|^sig$|session|credential",
    re.IGNORECASE,
)
# The query of a logged request line, which werkzeug logs decoded: it may hold spaces.
QUERY = re.compile(r"\?.*?(?=\s+HTTP/|$)")
PARAMETER = re.compile(r"([^?&;=]+)=([^&;]*)")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app; `test_config` overrides the settings (e.g. DATABASE_URL, NOW)."""
    app = Flask(__name__)
    settings = Settings.from_env(os.environ)
    app.config.from_mapping(
        DATABASE_URL=settings.database_url,
        NOW=settings.now or None,
        SECRET_KEY=settings.secret_key or None,  # signs the session of the triage form's login
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if test_config is not None:
        app.config.from_mapping(test_config)
    db.init_app(app, Settings.from_env(os.environ, database_url=app.config["DATABASE_URL"]))

    app.url_map.converters.update(flight=FlightNumber, segment=Segment, segments=Segments)
    app.url_defaults(carry_as_of)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(push.bp)
    app.register_blueprint(triage.bp)
    app.register_blueprint(feed.bp)
    app.register_blueprint(releases.bp)
    app.register_blueprint(compare.bp)
    app.register_blueprint(triage_accept.bp)
    app.register_blueprint(assets.bp)
    app.jinja_env.globals["asset_url"] = asset_url
    app.register_error_handler(HTTPException, _error)
    app.after_request(_secure)
    # The development server (`pushgate serve`, `pushgate demo`) logs each request's URL.
    logging.getLogger("werkzeug").addFilter(REDACT)
    app.jinja_env.globals["version"] = __version__
    app.jinja_env.filters["moment"] = _moment
    # A readiness state (or its JSON value, as a kept snapshot holds it) as people read it.
    app.jinja_env.filters["readiness_words"] = lambda value: Readiness(value).words

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


def _secure(response: Response) -> Response:
    """Send the security headers with every response: pages, JSON, feeds, files and errors."""
    response.headers.update(SECURITY_HEADERS)
    return response


def redact(line: str) -> str:
    """Replace the values of credential-looking parameters in the query strings of a log line."""

    def parameter(match: re.Match[str]) -> str:
        name = match[1]
        return f"{name}=[redacted]" if CREDENTIAL.search(unquote_plus(name)) else match[0]

    return QUERY.sub(lambda query: PARAMETER.sub(parameter, query[0]), line)


class RedactCredentials(logging.Filter):
    """Keep credentials that a client put in a URL out of the request log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


REDACT = RedactCredentials()


def _moment(value: datetime | None) -> str:
    """Show a moment to the minute, as the pages do: `2013-03-18 01:49`."""
    return value.strftime("%Y-%m-%d %H:%M") if value else ""
