"""The roadmap file: TOML with one `[release]` and a `[[feature]]` table per feature."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from datetime import date
from typing import Any

from gate.roadmap import Declared, Feature, Release, TestPattern

RELEASE_KEYS = ("name", "branch", "feature_freeze", "code_freeze", "release")
FEATURE_KEYS = ("slug", "title", "owners", "status", "notes", "links", "tests")
SLUG = re.compile(r"[a-z0-9][a-z0-9._-]*\Z")


class RoadmapError(ValueError):
    """A roadmap file that cannot be imported; the message names the file and the line."""


class _Lines:
    """Finds the line of a key inside the n-th `[[feature]]` table, for error messages."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.starts = [i for i, line in enumerate(self.lines) if line.strip() == "[[feature]]"]

    def of(self, index: int | None, key: str) -> int:
        if index is None:
            begin = next((i for i, ln in enumerate(self.lines) if ln.strip() == "[release]"), 0)
            end = len(self.lines)
        elif index < len(self.starts):
            begin = self.starts[index]
            end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.lines)
        else:
            return 0
        pattern = re.compile(rf"\s*{re.escape(key)}\s*=")
        found = next((i for i in range(begin, end) if pattern.match(self.lines[i])), begin)
        return found + 1


class _Bad(ValueError):
    """A value that is wrong, with the key whose line the message should name."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _text(table: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = table.get(key, None if required else "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise _Bad(key, f"{where}: `{key}` must be a non-empty string")
    return value


def _strings(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Bad(key, f"{where}: `{key}` must be a list of strings")
    return tuple(value)


def _date(table: dict[str, Any], key: str) -> date:
    value = table.get(key)
    if not isinstance(value, date):
        raise _Bad(key, f"[release]: `{key}` must be a date such as 2013-03-25")
    return value


def _unknown(table: dict[str, Any], known: Sequence[str], where: str) -> None:
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise _Bad(unknown[0], f"{where}: unknown key `{unknown[0]}`")


def _release(table: Any) -> Release:
    if not isinstance(table, dict):
        raise _Bad("name", "the file needs a [release] table")
    _unknown(table, RELEASE_KEYS, "[release]")
    return Release(
        name=_text(table, "name", "[release]"),
        branch=_text(table, "branch", "[release]"),
        feature_freeze=_date(table, "feature_freeze"),
        code_freeze=_date(table, "code_freeze"),
        release=_date(table, "release"),
    )


def _feature(table: dict[str, Any], release: str) -> Feature:
    slug = table.get("slug")
    where = f"feature {slug!r}" if isinstance(slug, str) else "feature"
    _unknown(table, FEATURE_KEYS, where)
    slug = _text(table, "slug", where)
    if not SLUG.match(slug):
        raise _Bad("slug", f"{where}: slug must be lowercase letters, digits, '.', '_' or '-'")
    status = _text(table, "status", where)
    try:
        declared = Declared(status)
    except ValueError:
        allowed = ", ".join(d.value for d in Declared)
        raise _Bad("status", f"{where}: unknown status {status!r} (use one of {allowed})") from None
    try:
        tests = tuple(TestPattern.parse(p) for p in _strings(table, "tests", where))
    except ValueError as exc:
        raise _Bad("tests", f"{where}: tests: {exc}") from None
    return Feature(
        slug=slug,
        title=_text(table, "title", where),
        status=declared,
        release=release,
        owners=_strings(table, "owners", where),
        notes=_text(table, "notes", where, required=False),
        links=_strings(table, "links", where),
        tests=tests,
    )


def parse_roadmap(text: str, source: str) -> tuple[Release, list[Feature]]:
    """Read a roadmap file; refuse it whole, naming the line, if any part is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RoadmapError(f"{source}: not valid TOML: {exc}") from None
    lines = _Lines(text)
    try:
        release = _release(data.get("release"))
    except _Bad as exc:
        raise RoadmapError(f"{source}, line {lines.of(None, exc.key)}: {exc}") from None
    tables = data.get("feature", [])
    if not isinstance(tables, list):
        raise RoadmapError(f"{source}: `feature` must be an array of tables ([[feature]])")
    features: list[Feature] = []
    seen: set[str] = set()
    for index, table in enumerate(tables):
        try:
            feature = _feature(table, release.name)
        except _Bad as exc:
            raise RoadmapError(f"{source}, line {lines.of(index, exc.key)}: {exc}") from None
        if feature.slug in seen:
            line = lines.of(index, "slug")
            raise RoadmapError(f"{source}, line {line}: feature {feature.slug!r} appears twice")
        seen.add(feature.slug)
        features.append(feature)
    extra = set(data) - {"release", "feature"}
    if extra:
        raise RoadmapError(f"{source}: unknown table `{sorted(extra)[0]}`")
    return release, features


def _toml(value: str | Sequence[str]) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return "[" + ", ".join(_toml(v) for v in value) + "]"


def render_roadmap(release: Release, features: Sequence[Feature]) -> str:
    """Write a roadmap file that imports back to the same state."""
    lines = [
        "[release]",
        f"name = {_toml(release.name)}",
        f"branch = {_toml(release.branch)}",
        f"feature_freeze = {release.feature_freeze.isoformat()}",
        f"code_freeze = {release.code_freeze.isoformat()}",
        f"release = {release.release.isoformat()}",
    ]
    for feature in features:
        lines += [
            "",
            "[[feature]]",
            f"slug = {_toml(feature.slug)}",
            f"title = {_toml(feature.title)}",
            f"owners = {_toml(feature.owners)}",
            f"status = {_toml(feature.status.value)}",
            f"notes = {_toml(feature.notes)}",
            f"links = {_toml(feature.links)}",
            f"tests = {_toml([str(p) for p in feature.tests])}",
        ]
    return "\n".join(lines) + "\n"
