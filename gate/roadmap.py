"""Releases, roadmap features and the links from tests to features."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from enum import StrEnum

from gate.model import TestKey


class Declared(StrEnum):
    """A feature's status as its owner declares it, after Xen's release coordinators' words."""

    DONE = "done"
    GOOD = "good"
    OK = "ok"
    FAIR = "fair"
    POOR = "poor"
    BLOCKED = "blocked"
    DROPPED = "dropped"

    @property
    def at_risk(self) -> bool:
        """Tell whether its owner says the feature is at risk: fair, poor or blocked."""
        return self in (Declared.FAIR, Declared.POOR, Declared.BLOCKED)

    @property
    def all_well(self) -> bool:
        """Tell whether its owner says all is well: done or good (tests that block belie it)."""
        return self in (Declared.DONE, Declared.GOOD)

    @property
    def in_trouble(self) -> bool:
        """Tell whether its owner says the feature is in trouble: poor or blocked (tests that
        all pass belie it)."""
        return self in (Declared.POOR, Declared.BLOCKED)


@dataclass(frozen=True)
class Update:
    """One dated update of a release's roadmap: when it was written and its prose."""

    at: datetime
    summary: str = ""

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """Return the prose as paragraphs: blank lines part them, other line ends are spaces."""
        return paragraphs(self.summary)


def paragraphs(text: str) -> tuple[str, ...]:
    """Split prose into paragraphs at blank lines, each on one line."""
    return tuple(
        " ".join(block.split()) for block in re.split(r"\n\s*\n", text.strip()) if block.strip()
    )


@dataclass(frozen=True)
class Declaration:
    """A feature's status and notes as one update of its release declared them."""

    at: datetime
    status: Declared
    notes: str = ""
    # A freeze exception the release's coordinator granted the feature, and why: a feature not
    # done after the feature freeze has missed it unless it has one.
    exception: str = ""


@dataclass(frozen=True)
class StatusChange:
    """One change of a feature's declared status, read off its declarations."""

    at: datetime
    before: Declared | None
    after: Declared
    note: str = ""


class Phase(StrEnum):
    """Where a release stands in its calendar, each phase from the start of its milestone's day
    (UTC) to the start of the next one's."""

    OPEN = "open"  # before the feature freeze: features may still go in
    FEATURE_FROZEN = "feature_frozen"  # after the feature freeze, before the code freeze
    CODE_FROZEN = "code_frozen"  # after the code freeze, before the release
    RELEASED = "released"

    @property
    def words(self) -> str:
        """Say the phase as people read it: `open for features`, `feature frozen`."""
        return _PHASE_WORDS[self]

    @property
    def frozen(self) -> bool:
        """Tell whether the feature freeze has begun: a feature not done has missed it."""
        return self is not Phase.OPEN


_PHASE_WORDS = {
    Phase.OPEN: "open for features",
    Phase.FEATURE_FROZEN: "feature frozen",
    Phase.CODE_FROZEN: "code frozen",
    Phase.RELEASED: "released",
}

MILESTONES = ("feature_freeze", "code_freeze", "release")  # in the calendar's order


@dataclass(frozen=True)
class Release:
    name: str
    branch: str
    feature_freeze: date
    code_freeze: date
    release: date
    updates: tuple[Update, ...] = field(default=(), compare=False)  # oldest first

    def update_at(self, moment: datetime) -> Update | None:
        """Return the newest update written by `moment`, if any."""
        return next((u for u in reversed(self.updates) if u.at <= moment), None)

    def milestone_moment(self, milestone: str) -> datetime:
        """Return the moment a milestone (`MILESTONES`) begins: the start of its day, UTC."""
        day: date = getattr(self, milestone)
        return datetime.combine(day, time(), tzinfo=UTC)

    def phase_at(self, moment: datetime) -> Phase:
        """Return the release's phase at `moment`: a milestone's phase begins with its day."""
        passed = sum(1 for m in MILESTONES if self.milestone_moment(m) <= moment)
        return (Phase.OPEN, Phase.FEATURE_FROZEN, Phase.CODE_FROZEN, Phase.RELEASED)[passed]


@dataclass(frozen=True)
class TestPattern:
    """`JOB-GLOB` (every step of matching jobs) or `JOB-GLOB TESTID-GLOB`, shell-style globs."""

    __test__ = False

    job: str
    testid: str | None = None

    @classmethod
    def parse(cls, text: str) -> TestPattern:
        parts = text.split()
        if not parts or len(parts) > 2:
            raise ValueError(f"expected 'JOB-GLOB [TESTID-GLOB]', got {text!r}")
        return cls(parts[0], parts[1] if len(parts) == 2 else None)

    def __str__(self) -> str:
        return self.job if self.testid is None else f"{self.job} {self.testid}"

    def matches(self, key: TestKey) -> bool:
        if not _glob(self.job).match(key.job):
            return False
        return self.testid is None or bool(_glob(self.testid).match(key.testid))


_GLOBS: dict[str, re.Pattern[str]] = {}


def _glob(pattern: str) -> re.Pattern[str]:
    if pattern not in _GLOBS:
        _GLOBS[pattern] = re.compile(fnmatch.translate(pattern))
    return _GLOBS[pattern]


@dataclass(frozen=True)
class Feature:
    """A feature of one release (its key is the release and the slug), as declared by the
    release's newest update unless `as_of` says otherwise."""

    slug: str
    title: str
    status: Declared
    release: str
    owners: tuple[str, ...] = ()
    notes: str = ""
    links: tuple[str, ...] = ()
    tests: tuple[TestPattern, ...] = ()
    # Every declaration of the feature, oldest first; empty for a feature known only as it is.
    history: tuple[Declaration, ...] = field(default=(), compare=False)
    carried_from: str | None = None  # the release it slipped from
    exception: str = ""  # the freeze exception in force (`Declaration.exception`)

    def declared_at(self, moment: datetime) -> Declaration | None:
        """Return the declaration in force at `moment`: the newest by then (None before the
        first; a feature without history is always as it is)."""
        if not self.history:
            return Declaration(moment, self.status, self.notes, self.exception)
        in_force = None
        for declaration in self.history:
            if declaration.at > moment:
                break
            in_force = declaration
        return in_force

    def as_of(self, moment: datetime) -> Feature | None:
        """Return the feature as declared at `moment`, or None if it was not declared yet."""
        found = self.declared_at(moment)
        if found is None:
            return None
        if (found.status, found.notes, found.exception) == (
            self.status,
            self.notes,
            self.exception,
        ):
            return self
        return replace(self, status=found.status, notes=found.notes, exception=found.exception)

    @property
    def first_declared(self) -> datetime | None:
        """Return when the feature was first declared (None when it has no history)."""
        return self.history[0].at if self.history else None

    @property
    def changes(self) -> tuple[StatusChange, ...]:
        """Return each change of the declared status, the first declaration included, with the
        notes of the declaration that made it."""
        found: list[StatusChange] = []
        before: Declared | None = None
        for declaration in self.history:
            if declaration.status is not before:
                found.append(
                    StatusChange(declaration.at, before, declaration.status, declaration.notes)
                )
            before = declaration.status
        return tuple(found)

    @property
    def unowned(self) -> bool:
        """Tell whether nobody is named for the feature (no owner, or only `?`)."""
        return not any(owner.strip() not in UNKNOWN_OWNERS for owner in self.owners)


def declared_by(features: Iterable[Feature], moment: datetime) -> list[Feature]:
    """Return the features as declared at `moment`, leaving out those not declared yet."""
    return [found for f in features if (found := f.as_of(moment)) is not None]


UNKNOWN_OWNERS = frozenset({"", "?", "??", "unknown", "tbd", "TBD", "nobody"})


def serves(slug: str, patterns: Iterable[TestPattern], key: TestKey, tags: frozenset[str]) -> bool:
    """Tell whether a test serves a feature: tagged with its slug or matched by one of its
    patterns."""
    return slug in tags or any(pattern.matches(key) for pattern in patterns)


def linked_tests(
    feature: Feature, keys: Iterable[TestKey], tags: Mapping[TestKey, frozenset[str]]
) -> list[TestKey]:
    """Return the tests that serve a feature (`serves`)."""
    return [
        key for key in keys if serves(feature.slug, feature.tests, key, tags.get(key, frozenset()))
    ]


def split_tags(value: str) -> frozenset[str]:
    """Read a `roadmap.features` or `requirements` property: comma-separated slugs."""
    return frozenset(part.strip() for part in value.split(",") if part.strip())
