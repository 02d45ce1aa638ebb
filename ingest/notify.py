"""Tell other systems that a flight was judged: a small JSON POST to each configured webhook.

A webhook that fails is logged and tried a few times, in the background; it never fails or slows
the ingest.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import requests

from gate import __version__
from gate.model import Flight, Judgement
from gate.report import described
from gate.settings import Settings

log = logging.getLogger("pushgate.webhooks")
TRIES = 3


def payload(flight: Flight, judgement: Judgement, base_url: str) -> dict[str, Any]:
    """Return what a webhook is told about a judged flight."""
    return {
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
