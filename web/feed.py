"""Atom feeds: the newest flights and their verdicts, for all branches and for one, and the
regression episodes, once when each opens and once when it closes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, abort, request, url_for

from gate.alerts import Event
from gate.pages.flights import flights_page
from gate.pages.timeline import readiness_timeline
from gate.read.flights import FlightRow
from gate.read.regressions import RegressionsPage
from gate.read.timeline import DayChange, day_changes, end_of
from web.args import text
from web.db import now, session, settings
from web.pages import regressions_asked

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


@dataclass(frozen=True)
class Entry:
    """One entry of a feed: what it says, where it links, when it happened, its category."""

    title: str
    link: str
    at: datetime
    summary: str
    category: str
    key: str = ""  # its id, when the link does not name it alone


def render_entries(entries: Sequence[Entry], *, title: str, self_url: str, home: str) -> bytes:
    """Render entries as an Atom feed, in the order given (newest first)."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "title", title)
    _text(feed, "id", self_url)
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": self_url})
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "alternate", "href": home})
    # An entry's moment is when what it says happened, so a feed as of a moment shows no later one.
    latest = max((e.at for e in entries), default=datetime(1970, 1, 1, tzinfo=UTC))
    _text(feed, "updated", latest.isoformat())
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "pushgate")
    for found in entries:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "title", found.title)
        _text(entry, "id", found.link + (f"#{found.key}" if found.key else ""))
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "href": found.link})
        _text(entry, "updated", found.at.isoformat())
        _text(entry, "published", found.at.isoformat())
        _text(entry, "summary", found.summary)
        ET.SubElement(entry, f"{{{ATOM}}}category", {"term": found.category})
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + bytes(ET.tostring(feed, encoding="utf-8"))


def render(flights: Sequence[FlightRow], *, title: str, self_url: str, home: str) -> bytes:
    """Render flights as an Atom feed, newest first; a flight's moment is when it ran (its
    start; the ingest only when that is not known)."""
    entries = [
        Entry(
            flight.subject or f"[{flight.branch} test] {flight.flight}",
            url_for("pages.flight", number=flight.flight, _external=True),
            _moment(flight),
            _summary(flight),
            flight.verdict.value,
        )
        for flight in flights
    ]
    return render_entries(entries, title=title, self_url=self_url, home=home)


def episode_entries(page: RegressionsPage) -> list[Entry]:
    """Return an entry when each episode of the page opened, and one when it closed, newest
    first: once per episode, not once per flight it blocked."""
    found = []
    for row in (*page.open, *page.closed):
        step = f"{row.job} {row.testid}"
        came_in = url_for("pages.flight", number=row.opened_flight, _external=True)
        found.append(
            Entry(
                f"regression: {step} blocks {page.branch} since {row.opened_flight}",
                came_in,
                row.opened_at,
                f"{step} started to block in flight {row.opened_flight}"
                + (f"; features: {', '.join(row.features)}" if row.features else ""),
                Event.EPISODE_OPENED.value,
                key=f"opened-{step}",
            )
        )
        if row.closed_flight is not None and row.closed_at is not None:
            fixed = url_for("pages.flight", number=row.closed_flight, _external=True)
            found.append(
                Entry(
                    f"fixed: {step} passes again on {page.branch} in {row.closed_flight}",
                    fixed,
                    row.closed_at,
                    f"{step} passed again in flight {row.closed_flight} after blocking "
                    f"{row.blocked_flights} flight{'s' if row.blocked_flights != 1 else ''}",
                    Event.EPISODE_CLOSED.value,
                    key=f"closed-{step}",
                )
            )
    return sorted(found, key=lambda e: e.at, reverse=True)[:ENTRIES]


def readiness_entries(changes: Sequence[DayChange], release: str) -> list[Entry]:
    """Return an entry for each day a feature's readiness changed state, dated the day's end."""
    return [
        Entry(
            f"{change.slug}: {change.before.words} -> {change.after.words}",
            url_for("pages.feature", slug=change.slug, release=release, _external=True),
            end_of(change.day),
            f"{change.title} was {change.before.words} and is {change.after.words} "
            f"at the end of {change.day.isoformat()}",
            Event.READINESS_CHANGED.value,
            key=f"{change.day.isoformat()}",
        )
        for change in changes
    ]


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


@bp.get("/regressions/feed.atom")
def regressions() -> Response:
    """The regression episodes' feed: an entry when one opens and one when it closes, and one
    each day a feature of the branch's release changes its readiness state."""
    data = regressions_asked()
    entries = episode_entries(data)
    if data.release is not None:
        days = readiness_timeline(session(), settings().policy(), now(), data.release)
        entries += readiness_entries(day_changes(days.features), data.release)
    entries = sorted(entries, key=lambda e: e.at, reverse=True)[:ENTRIES]
    return _atom(
        render_entries(
            entries,
            title=f"pushgate: regressions of {data.branch}" if data.branch else "pushgate",
            self_url=url_for("feed.regressions", _external=True, **request.args),
            home=url_for("pages.regressions", _external=True, **request.args),
        )
    )
