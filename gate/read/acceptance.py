"""The accepted regressions of a release as the command and the API list them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from gate.acceptance import Acceptance


@dataclass(frozen=True)
class AcceptedList:
    """The acceptances of a release in force at `now`, by job and testid."""

    release: str
    now: datetime
    accepted: tuple[Acceptance, ...]


def accepted_list(release: str, now: datetime, found: Iterable[Acceptance]) -> AcceptedList:
    """List the acceptances in force, by job then testid."""
    return AcceptedList(release, now, tuple(sorted(found, key=lambda a: (a.job, a.testid))))
