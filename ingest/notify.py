"""Tell other systems what a judged flight changed: a small JSON POST to each configured webhook,
once per alert (an episode opened or closed, a feature's readiness changed) or once per flight.

A webhook that fails is logged and tried a few times, in the background; it never fails or slows
the ingest.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import requests

from gate import __version__
from gate.alerts import Event
from gate.model import Flight, Judgement
from gate.pages.alerts import Alerts
from gate.report import described
from gate.settings import Settings

log = logging.getLogger("pushgate.webhooks")
TRIES = 3


def payload(flight: Flight, judgement: Judgement, base_url: str) -> dict[str, Any]:
    """Return what a webhook is told about a judged flight."""
    return {
        "event": Event.FLIGHT.value,
        "flight": flight.number,
        "branch": flight.branch,
        "verdict": judgement.verdict.value,
        "pushed": judgement.pushed,
        "push": judgement.push.value,
        "blocking": [
            {
                "job": f.step.key.job,
                "testid": f.step.key.testid,
                "status": f.step.status.value,
                "ref_flight": f.ref_flight,
                "in_flight": f.in_flight,
                "summary": described(f),
            }
            for f in judgement.blocking()
        ],
        "link": f"{base_url.rstrip('/')}/flights/{flight.number}",
    }


def webhook_urls(settings: Settings) -> list[str]:
    return settings.webhooks.split()


def send(urls: Sequence[str], body: dict[str, Any], *, timeout: float, pause: float = 0.5) -> int:
    """POST the body to every URL, trying each a few times; return how many took it."""
    delivered = 0
    for url in urls:
        for attempt in range(1, TRIES + 1):
            try:
                response = requests.post(
                    url,
                    json=body,
                    timeout=timeout,
                    headers={"User-Agent": f"pushgate/{__version__}"},
                )
                if response.status_code < 400:
                    delivered += 1
                    break
                reason = f"HTTP {response.status_code}"
            except requests.RequestException as exc:
                reason = type(exc).__name__
            if attempt == TRIES:
                log.warning(
                    "webhook %s failed for flight %s after %d tries: %s",
                    url,
                    body.get("flight"),
                    TRIES,
                    reason,
                )
            else:
                time.sleep(pause * attempt)
    return delivered


_pending: list[threading.Thread] = []
_lock = threading.Lock()


def dispatch(urls: Sequence[str], body: dict[str, Any], *, timeout: float) -> None:
    """Send in the background, so a slow or dead webhook never holds up the next flight."""
    thread = threading.Thread(
        target=send, args=(urls, body), kwargs={"timeout": timeout}, name="pushgate-webhook"
    )
    with _lock:
        _pending[:] = [t for t in _pending if t.is_alive()]
        _pending.append(thread)
    thread.start()


def drain(timeout: float | None = None) -> None:
    """Wait for the webhooks sent so far (the commands do, before they exit)."""
    with _lock:
        waiting = list(_pending)
    for thread in waiting:
        thread.join(timeout)


def alert_payloads(alerts: Alerts, flight: int, base_url: str) -> list[dict[str, Any]]:
    """Return what the webhooks are told of the alerts a flight raised, one body each."""
    base = base_url.rstrip("/")
    bodies: list[dict[str, Any]] = []
    for change, key in alerts.episodes:
        bodies.append(
            {
                "event": change.event.value,
                "branch": alerts.branch,
                "flight": flight,
                "job": key.job,
                "testid": key.testid,
                "opened": change.opened,
                "closed": change.closed,
                "link": f"{base}/regressions/?branch={quote(alerts.branch)}",
            }
        )
    for said in alerts.readiness:
        bodies.append(
            {
                "event": Event.READINESS_CHANGED.value,
                "branch": alerts.branch,
                "release": alerts.release,
                "flight": flight,
                "feature": said.slug,
                "from": said.before.value if said.before is not None else None,
                "to": said.after.value,
                "link": f"{base}/features/{quote(said.slug)}",
            }
        )
    return bodies
