"""Alerts: what a flight changed that people want to hear of once, not on every flight: a
regression episode opened or closed (`gate.episodes`), a feature's readiness changed state.

The webhooks are told these when `PUSHGATE_WEBHOOK_EVENTS` asks for `alerts` (the default);
`flights` tells them of every judged flight as well, as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from gate.episodes import Span
from gate.readiness import Readiness


class Event(StrEnum):
    """What a webhook is told of: its payload's `event`."""

    FLIGHT = "flight_judged"  # every judged flight (`PUSHGATE_WEBHOOK_EVENTS=flights`)
    EPISODE_OPENED = "episode_opened"
    EPISODE_CLOSED = "episode_closed"
    READINESS_CHANGED = "readiness_changed"


EVENT_SETS = {"alerts": frozenset((Event.EPISODE_OPENED, Event.EPISODE_CLOSED,
                                   Event.READINESS_CHANGED)),
              "flights": frozenset((Event.FLIGHT,))}  # fmt: skip


def events_of(words: str) -> frozenset[Event]:
    """Return the events `PUSHGATE_WEBHOOK_EVENTS` names (`alerts`, `flights` or both); raise
    ValueError naming a word that is neither."""
    found: set[Event] = set()
    for word in words.replace(",", " ").split():
        if word not in EVENT_SETS:
            raise ValueError(f"{word!r} is no webhook event: say alerts, flights or both")
        found |= EVENT_SETS[word]
    return frozenset(found)


@dataclass(frozen=True)
class EpisodeChange:
    """An episode that a flight opened or closed: its test and its flights."""

    event: Event
    test_id: int
    opened: int
    closed: int | None


def episode_changes(before: Iterable[Span], after: Iterable[Span]) -> list[EpisodeChange]:
    """Return the episodes opened and closed between two workings-out of a branch's episodes:
    one that is new opened (and closed too, when it is over already), one that was open and
    is over closed. An episode that a re-judging took away says nothing."""
    was = {(s.test_id, s.opened): s for s in before}
    found: list[EpisodeChange] = []
    for span in sorted(after, key=lambda s: (s.opened, s.test_id)):
        old = was.get((span.test_id, span.opened))
        if old is None:
            found.append(EpisodeChange(Event.EPISODE_OPENED, span.test_id, span.opened, None))
        if span.closed is not None and (old is None or old.closed is None):
            found.append(
                EpisodeChange(Event.EPISODE_CLOSED, span.test_id, span.opened, span.closed)
            )
    return found


@dataclass(frozen=True)
class ReadinessChange:
    """A feature whose readiness a flight changed."""

    slug: str
    before: Readiness | None  # None: not judged before (a feature declared since)
    after: Readiness


def readiness_changes(
    before: Mapping[str, Readiness], after: Mapping[str, Readiness], order: Sequence[str]
) -> list[ReadinessChange]:
    """Return the features, in roadmap `order`, whose readiness differs between two judgements."""
    return [
        ReadinessChange(slug, before.get(slug), after[slug])
        for slug in order
        if slug in after and before.get(slug) is not after[slug]
    ]
