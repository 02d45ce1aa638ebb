"""The files every page loads (style, script, icon, plotly.js), at URLs named by their content.

An asset's URL holds a digest of its bytes (`/assets/<digest>/<name>`) and never a query, so a
browser keeps it for a year (`immutable`) and fetches it again only when pushgate ships other
bytes, whatever `?as_of=` the page carries. Each is sent compressed to a client that accepts
it: brotli, else gzip, each worked out once per process on first use.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import brotli  # type: ignore[import-untyped]
import plotly
from flask import Blueprint, Response, abort, request, url_for

STATIC = Path(__file__).with_name("static")
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"  # served, not fetched
YEAR = 365 * 24 * 3600
ENCODINGS = ("br", "gzip")  # the best first


@dataclass(frozen=True)
class Asset:
    path: Path
    mimetype: str


ASSETS = {
    "pushgate.css": Asset(STATIC / "pushgate.css", "text/css"),
    "pushgate.js": Asset(STATIC / "pushgate.js", "text/javascript"),
    "favicon.svg": Asset(STATIC / "favicon.svg", "image/svg+xml"),
    "plotly.min.js": Asset(Path(PLOTLY_JS), "text/javascript"),
}

bp = Blueprint("assets", __name__)


@functools.cache
def _bytes(name: str) -> bytes:
    return ASSETS[name].path.read_bytes()


@functools.cache
def digest(name: str) -> str:
    """The first 16 hex digits of the SHA-256 of an asset's bytes."""
    return hashlib.sha256(_bytes(name)).hexdigest()[:16]


@functools.cache
def _encoded(name: str, encoding: str) -> bytes:
    if encoding == "br":
        return bytes(brotli.compress(_bytes(name), quality=9))
    return gzip.compress(_bytes(name), compresslevel=9, mtime=0)


def asset_url(name: str) -> str:
    """The URL of an asset, named by its content: `/assets/3f2a.../plotly.min.js`."""
    return url_for("assets.asset", version=digest(name), name=name)


@bp.get("/assets/<version>/<name>")
def asset(version: str, name: str) -> Response:
    if name not in ASSETS:
        abort(404, description=f"no asset {name!r}")
    current = digest(name) == version
    accepted = request.accept_encodings
    encoding = next((e for e in ENCODINGS if accepted[e]), None)
    body = _encoded(name, encoding) if encoding else _bytes(name)
    response = Response(body, mimetype=ASSETS[name].mimetype)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.headers["Vary"] = "Accept-Encoding"
    # An old page's URL gets today's bytes, but only for a while: they are not what it named.
    response.headers["Cache-Control"] = (
        f"public, max-age={YEAR}, immutable" if current else "public, max-age=300"
    )
    return response
