"""Atom feeds of the newest flights and their verdicts, for all branches and for one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, abort, url_for

from gate.pages.flights import flights_page
from gate.read.flights import FlightRow
from web.args import text
from web.db import now, session

bp = Blueprint("feed", __name__)
ATOM = "http://www.w3.org/2005/Atom"
ENTRIES = 50


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    element.text = text
    return element


def _summary(flight: FlightRow) -> str:
    return (
        f"{flight.verdict}: {flight.tests} tests, {flight.failures} failed, "
        f"{flight.errors} broken, {flight.skipped} skipped, {flight.blocking} blocking"
    )


def render(flights: Sequence[FlightRow], *, title: str, self_url: str, home: str) -> bytes:
    """Render flights as an Atom feed, newest first."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "title", title)
    _text(feed, "id", self_url)
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": self_url})
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "alternate", "href": home})
    # A flight's moment is when it ran (its start; the ingest only when that is not known), so
    # a feed as of a moment shows no later one.
    moments = [_moment(flight) for flight in flights]
    _text(feed, "updated", max(moments, default=datetime(1970, 1, 1, tzinfo=UTC)).isoformat())
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "pushgate")
    for flight in flights:
        link = url_for("pages.flight", number=flight.flight, _external=True)
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "title", flight.subject or f"[{flight.branch} test] {flight.flight}")
        _text(entry, "id", link)
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "href": link})
        _text(entry, "updated", _moment(flight).isoformat())
        _text(entry, "published", _moment(flight).isoformat())
        _text(entry, "summary", _summary(flight))
        ET.SubElement(entry, f"{{{ATOM}}}category", {"term": flight.verdict.value})
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + bytes(ET.tostring(feed, encoding="utf-8"))


def _moment(flight: FlightRow) -> datetime:
    return flight.started or flight.ingested


def _atom(body: bytes) -> Response:
    return Response(body, mimetype="application/atom+xml")


@bp.get("/feed.atom")
def everything() -> Response:
    named = text("branch")
    if named is not None:
        return branch(named)
    data = flights_page(session(), branch=None, verdict=None, page=1, per_page=ENTRIES, now=now())
    return _atom(
        render(
            data.flights,
            title="pushgate: newest flights",
            self_url=url_for("feed.everything", _external=True),
            home=url_for("pages.flights", _external=True),
        )
    )


@bp.get("/branches/<segment:branch>/feed.atom")
# url_for's form for a name that a path cannot hold: `everything` reads its ?branch=.
@bp.get("/feed.atom", build_only=True)
def branch(branch: str) -> Response:
    data = flights_page(session(), branch=branch, verdict=None, page=1, per_page=ENTRIES, now=now())
    if not data.flights:
        abort(404, description=f"There is no flight of branch {branch!r}.")
    return _atom(
        render(
            data.flights,
            title=f"pushgate: flights of {branch}",
            self_url=url_for("feed.branch", branch=branch, _external=True),
            home=url_for("pages.branch", branch=branch, _external=True),
        )
    )
