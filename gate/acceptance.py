"""Accepted regressions: a blocking step that a named person accepts for a release, with a
reason, until a date. Readiness reads them (`gate.readiness.judge_feature`); the push gate never
does: a flight's verdict and report stay osstest's (the allow list is the push side's tool)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from gate.model import TestKey


@dataclass(frozen=True)
class Acceptance:
    """One version of an acceptance of a (job, testid) for a release: made by `by` at `at`,
    in force through the end of `until` (the next midnight, UTC, as a day's readiness is judged
    at its end), unless it is a withdrawal."""

    release: str
    job: str
    testid: str
    by: str
    reason: str
    until: date
    at: datetime
    withdrawn: bool = False

    @property
    def key(self) -> TestKey:
        return TestKey(self.job, self.testid)

    def covers(self, moment: datetime) -> bool:
        """Tell whether this version, were it the newest by `moment`, holds at `moment`."""
        return not self.withdrawn and self.at <= moment <= self.expiry

    @property
    def expiry(self) -> datetime:
        """The moment it stops holding: the end of its `until` day."""
        return datetime.combine(self.until + timedelta(days=1), time(), tzinfo=UTC)

    @property
    def words(self) -> str:
        """Say who accepted it, until when and why: `accepted by Ian until 2013-04-01: known`."""
        return f"accepted by {self.by} until {self.until.isoformat()}: {self.reason}"


def in_force(versions: Iterable[Acceptance], moment: datetime) -> dict[TestKey, Acceptance]:
    """Return the acceptances in force at `moment`, by test: of each, the newest version made
    by then, unless it is withdrawn or expired."""
    newest: dict[TestKey, Acceptance] = {}
    for version in versions:
        if version.at > moment:
            continue
        held = newest.get(version.key)
        if held is None or version.at >= held.at:
            newest[version.key] = version
    return {key: found for key, found in newest.items() if found.covers(moment)}


class AcceptanceError(ValueError):
    """An acceptance that cannot be kept: nobody named, no reason, or an expiry already past."""


def acceptance(
    release: str,
    key: TestKey,
    by: str,
    reason: str,
    until: date,
    at: datetime,
    *,
    withdrawn: bool = False,
) -> Acceptance:
    """Make an acceptance (or its withdrawal) made at `at`, refusing one that names nobody, gives
    no reason or has expired already."""
    by, reason = by.strip(), reason.strip()
    if not by:
        raise AcceptanceError("an acceptance names who accepts it: give --by NAME")
    if not key.job or not key.testid:
        raise AcceptanceError("an acceptance names a job and a testid")
    if withdrawn:
        return Acceptance(release, key.job, key.testid, by, reason or "withdrawn", until, at, True)
    if not reason:
        raise AcceptanceError("an acceptance says why: give --reason TEXT")
    made = Acceptance(release, key.job, key.testid, by, reason, until, at)
    if made.expiry < at:
        raise AcceptanceError(
            f"the acceptance would expire on {until.isoformat()}, before it is made: "
            "give a later --until"
        )
    return made
