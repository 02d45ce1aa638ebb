"""Releases, roadmap features and the links from tests to features."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
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


@dataclass(frozen=True)
class Release:
    name: str
    branch: str
    feature_freeze: date
    code_freeze: date
    release: date


@dataclass(frozen=True)
class StatusChange:
    """One change of a feature's declared status."""

    at: datetime
    before: Declared | None
    after: Declared
    note: str = ""


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
    slug: str
    title: str
    status: Declared
    release: str
    owners: tuple[str, ...] = ()
    notes: str = ""
    links: tuple[str, ...] = ()
    tests: tuple[TestPattern, ...] = ()
    history: tuple[StatusChange, ...] = field(default=(), compare=False)

    def declared_at(self, moment: datetime) -> Declared:
        """Return the status declared as of `moment`: the newest change by then, else the
        earliest declaration known (a roadmap imported later still says what was planned)."""
        changes = sorted(self.history, key=lambda change: change.at)
        by_then = [change for change in changes if change.at <= moment]
        if by_then:
            return by_then[-1].after
        return changes[0].after if changes else self.status

    @property
    def unowned(self) -> bool:
        """Tell whether nobody is named for the feature (no owner, or only `?`)."""
        return not any(owner.strip() not in UNKNOWN_OWNERS for owner in self.owners)


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
