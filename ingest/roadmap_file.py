"""The roadmap file: TOML with one `[release]` and a `[[feature]]` table per feature, the update
of one date (docs/roadmap.md gives every key)."""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from gate.roadmap import Declaration, Declared, Feature, Release, TestPattern, Update
from gate.roadmap_import import RoadmapUpdate

RELEASE_KEYS = ("name", "branch", "feature_freeze", "code_freeze", "release", "as_of", "summary")
FEATURE_KEYS = (
    "slug",
    "title",
    "owners",
    "status",
    "notes",
    "links",
    "tests",
    "carried_from",
    "freeze_exception",
    "as_of",
    "history",
)
UPDATE_KEYS = ("as_of", "summary")
HISTORY_KEYS = ("as_of", "status", "notes", "freeze_exception")
TABLES = ("release", "feature", "update")
HEADERS = {"release": "[release]", "feature": "[[feature]]", "update": "[[update]]"}
DATE_KEYS = ("feature_freeze", "code_freeze", "release", "as_of")
SLUG = re.compile(r"[a-z0-9][a-z0-9._-]*\Z")
DATE_FORMAT = "a date written YYYY-MM-DD without quotes, e.g. 2013-03-25"


class RoadmapError(ValueError):
    """A roadmap file that cannot be imported; the message names the file and the line."""


class _Lines:
    """Finds the line of a key inside the n-th table of a kind, for error messages."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.heads: dict[int, str] = {}  # line index -> header, spaces and comment left out
        for i, line in enumerate(self.lines):
            head = re.match(r"\s*(\[\[?[^\[\]]*\]\]?)\s*(#.*)?\Z", line)
            if head:
                self.heads[i] = re.sub(r"\s+", "", head[1])

    def _starts(self, header: str, after: int = -1, before: int | None = None) -> list[int]:
        before = len(self.lines) if before is None else before
        return [i for i, h in self.heads.items() if h == header and after < i < before]

    def _key(self, begin: int, key: str) -> int:
        """Return the line (from 1) of `key` in the table whose header is on `begin`, else the
        header's."""
        end = next((i for i in self.heads if i > begin), len(self.lines))
        pattern = re.compile(rf"\s*{re.escape(key)}\s*=")
        return next((i for i in range(begin, end) if pattern.match(self.lines[i])), begin) + 1

    def of(self, header: str, index: int, key: str, entry: int | None = None) -> int:
        """Return the line (from 1) of `key` in the index-th table headed `header` (in its
        entry-th [[feature.history]] when `entry` is given)."""
        starts = self._starts(header)
        if index >= len(starts):
            return self.top(header.strip("[]"))
        begin = starts[index]
        if entry is not None:
            end = next((i for i in starts if i > begin), len(self.lines))
            entries = self._starts("[[feature.history]]", begin, end)
            if entry < len(entries):
                return self._key(entries[entry], key)
            key = "history"
        return self._key(begin, key)

    def top(self, name: str) -> int:
        """Return the line (from 1) where a top-level table or key is first given, else 1."""
        first = min(self.heads, default=len(self.lines))
        table = re.compile(rf"\[\[?{re.escape(name)}[\].]")
        key = re.compile(rf"\s*{re.escape(name)}\s*[=.]")
        for i, line in enumerate(self.lines):
            if table.match(self.heads.get(i, "")) or (i < first and key.match(line)):
                return i + 1
        return 1


class _Bad(ValueError):
    """A value that is wrong, with the key whose line the message should name."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.entry: int | None = None  # which [[feature.history]] or [[update]], from 0


def _text(table: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = table.get(key, None if required else "")
    if not isinstance(value, str) or (required and not value.strip()):
        kind = "a non-empty string" if required else "a string"
        raise _Bad(key, f"{where}: `{key}` must be {kind}{_got(value, key in table)}")
    return value


def _got(value: Any, present: bool = True) -> str:
    if not present:
        return " (it is missing)"
    return f", got {_toml_kind(value)} {value!r}"


def _toml_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, datetime | date | time):
        return "a date"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return "a string"


def _strings(table: dict[str, Any], key: str, where: str, what: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list):
        raise _Bad(key, f"{where}: `{key}` must be a list of strings{_got(value)}")
    for n, item in enumerate(value, 1):
        if not isinstance(item, str):
            raise _Bad(
                key, f"{where}: `{key}`: each {what} must be a string; number {n} is {item!r}"
            )
    return tuple(value)


def _date(table: dict[str, Any], key: str, where: str) -> date:
    value = table.get(key)
    if isinstance(value, datetime) or not isinstance(value, date):
        raise _Bad(key, f"{where}: `{key}` must be {DATE_FORMAT}{_got(value, key in table)}")
    return value


def _moment(table: dict[str, Any], key: str, where: str) -> datetime | None:
    """Read a date (midnight UTC) or a date-time (UTC unless it gives its offset)."""
    if key not in table:
        return None
    value = table[key]
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    raise _Bad(
        key,
        f"{where}: `{key}` must be {DATE_FORMAT}, or a date and time such as "
        f"2013-03-18T09:00:00Z{_got(value)}",
    )


def _unknown(table: dict[str, Any], known: Sequence[str], where: str) -> None:
    for key in table:
        if key not in known:
            near = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean `{near[0]}`?)" if near else f" (known: {', '.join(known)})"
            raise _Bad(key, f"{where}: unknown key `{key}`{hint}")


def _status(table: dict[str, Any], where: str) -> Declared:
    status = _text(table, "status", where)
    try:
        return Declared(status)
    except ValueError:
        allowed = ", ".join(d.value for d in Declared)
        raise _Bad("status", f"{where}: unknown status {status!r} (use one of {allowed})") from None


def _release(table: Any) -> tuple[Release, datetime | None, str]:
    if not isinstance(table, dict):
        raise _Bad("name", "the file needs a [release] table")
    where = "[release]"
    _unknown(table, RELEASE_KEYS, where)
    release = Release(
        name=_text(table, "name", where),
        branch=_text(table, "branch", where),
        feature_freeze=_date(table, "feature_freeze", where),
        code_freeze=_date(table, "code_freeze", where),
        release=_date(table, "release", where),
    )
    if release.code_freeze < release.feature_freeze:
        raise _Bad(
            "code_freeze",
            f"{where}: the code freeze ({release.code_freeze}) is before the feature freeze "
            f"({release.feature_freeze})",
        )
    if release.release < release.code_freeze:
        raise _Bad(
            "release",
            f"{where}: the release ({release.release}) is before the code freeze "
            f"({release.code_freeze})",
        )
    return release, _moment(table, "as_of", where), _text(table, "summary", where, required=False)


def _history(table: dict[str, Any], where: str) -> tuple[Declaration, ...]:
    entries = table.get("history", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise _Bad("history", f"{where}: `history` must be [[feature.history]] tables")
    found = []
    for n, entry in enumerate(entries):
        try:
            _unknown(entry, HISTORY_KEYS, f"{where}, history")
            at = _moment(entry, "as_of", f"{where}, history")
            if at is None:
                raise _Bad("as_of", f"{where}: each [[feature.history]] needs its `as_of` date")
            found.append(
                Declaration(
                    at,
                    _status(entry, f"{where}, history"),
                    _text(entry, "notes", f"{where}, history", required=False),
                    _text(entry, "freeze_exception", f"{where}, history", required=False).strip(),
                )
            )
        except _Bad as exc:
            exc.entry = n
            raise
    return tuple(sorted(found, key=lambda d: d.at))


def _feature(table: Any, release: str) -> Feature:
    if not isinstance(table, dict):
        raise _Bad("slug", "each feature must be a [[feature]] table")
    slug = table.get("slug")
    where = f"feature {slug!r}" if isinstance(slug, str) else "feature"
    _unknown(table, FEATURE_KEYS, where)
    slug = _text(table, "slug", where)
    if not SLUG.match(slug):
        raise _Bad("slug", f"{where}: slug must be lowercase letters, digits, '.', '_' or '-'")
    declared = _status(table, where)
    patterns = _strings(table, "tests", where, "test")
    try:
        tests = tuple(TestPattern.parse(p) for p in patterns)
    except ValueError as exc:
        raise _Bad("tests", f"{where}: tests: {exc}") from None
    carried = table.get("carried_from")
    if carried is not None and (not isinstance(carried, str) or not carried.strip()):
        raise _Bad(
            "carried_from", f"{where}: `carried_from` must be a release's name{_got(carried)}"
        )
    return Feature(
        slug=slug,
        title=_text(table, "title", where),
        status=declared,
        release=release,
        owners=_strings(table, "owners", where, "owner"),
        notes=_text(table, "notes", where, required=False),
        links=_strings(table, "links", where, "link"),
        tests=tests,
        history=_history(table, where),
        carried_from=carried,
        exception=_text(table, "freeze_exception", where, required=False).strip(),
    )


def _updates(tables: Any) -> tuple[Update, ...]:
    if not isinstance(tables, list):
        raise _Bad("update", "`update` must be an array of tables ([[update]])")
    found = []
    for n, table in enumerate(tables):
        try:
            if not isinstance(table, dict):
                raise _Bad("update", "`update` must be an array of tables ([[update]])")
            _unknown(table, UPDATE_KEYS, "[[update]]")
            at = _moment(table, "as_of", "[[update]]")
            if at is None:
                raise _Bad("as_of", "[[update]]: each earlier update needs its `as_of` date")
            found.append(Update(at, _text(table, "summary", "[[update]]", required=False)))
        except _Bad as exc:
            exc.entry = n
            raise
    return tuple(sorted(found, key=lambda u: u.at))


def _decode_error(text: str, source: str, exc: tomllib.TOMLDecodeError) -> RoadmapError:
    """Say what is wrong with a file that is not TOML; a date written another way says so."""
    match = re.search(r"line (\d+)", str(exc))
    if match:
        line = int(match[1])
        lines = text.splitlines()
        said = lines[line - 1] if 0 < line <= len(lines) else ""
        key = re.match(r"\s*([A-Za-z_]+)\s*=\s*(.*)", said)
        if key and key[1] in DATE_KEYS:
            return RoadmapError(
                f"{source}, line {line}: `{key[1]}` must be {DATE_FORMAT}, got {key[2].strip()}"
            )
        return RoadmapError(f"{source}, line {line}: not valid TOML: {exc}")
    return RoadmapError(f"{source}: not valid TOML: {exc}")


def read_update(text: str, source: str) -> RoadmapUpdate:
    """Read a roadmap file; refuse it whole, naming the line, if any part is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _decode_error(text, source, exc) from None
    lines = _Lines(text)
    for table in data:
        if table not in TABLES:
            near = difflib.get_close_matches(table, TABLES, n=1)
            hint = f" (did you mean {HEADERS[near[0]]}?)" if near else ""
            raise RoadmapError(
                f"{source}, line {lines.top(table)}: unknown table or key `{table}`{hint}"
            )
    try:
        release, as_of, summary = _release(data.get("release"))
    except _Bad as exc:
        raise RoadmapError(f"{source}, line {lines.of('[release]', 0, exc.key)}: {exc}") from None
    try:
        updates = _updates(data.get("update", []))
    except _Bad as exc:
        line = (
            lines.top("update") if exc.entry is None else lines.of("[[update]]", exc.entry, exc.key)
        )
        raise RoadmapError(f"{source}, line {line}: {exc}") from None
    tables = data.get("feature", [])
    if not isinstance(tables, list):
        raise RoadmapError(
            f"{source}, line {lines.top('feature')}: `feature` must be an array of tables "
            "([[feature]])"
        )
    features: list[Feature] = []
    where: dict[tuple[str, str], int] = {("", "name"): lines.of("[release]", 0, "name")}
    seen: dict[str, int] = {}
    declared_at: dict[str, datetime] = {}
    for index, table in enumerate(tables):
        try:
            feature = _feature(table, release.name)
        except _Bad as exc:
            line = lines.of("[[feature]]", index, exc.key, exc.entry)
            raise RoadmapError(f"{source}, line {line}: {exc}") from None
        line = lines.of("[[feature]]", index, "slug")
        if feature.slug in seen:
            raise RoadmapError(
                f"{source}, line {line}: feature {feature.slug!r} appears twice (first on line "
                f"{seen[feature.slug]})"
            )
        seen[feature.slug] = line
        where[(feature.slug, "carried_from")] = lines.of("[[feature]]", index, "carried_from")
        try:
            own = _moment(table, "as_of", f"feature {feature.slug!r}")
        except _Bad as exc:
            line = lines.of("[[feature]]", index, exc.key)
            raise RoadmapError(f"{source}, line {line}: {exc}") from None
        if own is not None:
            if as_of is not None and own > as_of:
                line = lines.of("[[feature]]", index, "as_of")
                raise RoadmapError(
                    f"{source}, line {line}: feature {feature.slug!r}: its `as_of` "
                    f"({own:%Y-%m-%d}) is after the update's ({as_of:%Y-%m-%d}): a feature's own "
                    "date names an earlier update that declared it"
                )
            declared_at[feature.slug] = own
        features.append(feature)
    release = Release(
        release.name,
        release.branch,
        release.feature_freeze,
        release.code_freeze,
        release.release,
        updates=updates,
    )
    return RoadmapUpdate(source, release, tuple(features), as_of, summary, where, declared_at)


def parse_roadmap(text: str, source: str) -> tuple[Release, list[Feature]]:
    """Read a roadmap file's release and features (`read_update`)."""
    update = read_update(text, source)
    return update.release, list(update.features)


# Characters a TOML multi-line basic string cannot hold as they are: written as escapes.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _toml(value: str | Sequence[str]) -> str:
    if isinstance(value, str):
        if "\n" in value:
            text = value.replace("\\", "\\\\").replace('"""', '""\\"')
            text = CONTROL.sub(lambda c: f"\\u{ord(c[0]):04x}", text)
            return '"""\n' + text + '"""'
        return json.dumps(value, ensure_ascii=False)
    return "[" + ", ".join(_toml(v) for v in value) + "]"


def _at(moment: datetime) -> str:
    """Write a moment as the file does: a date when it is midnight UTC."""
    moment = moment.astimezone(UTC)
    if moment.time() == time():
        return moment.date().isoformat()
    return moment.isoformat().replace("+00:00", "Z")


def render_roadmap(
    release: Release,
    features: Sequence[Feature],
    *,
    as_of: datetime | None = None,
    summary: str = "",
    history: bool = False,
) -> str:
    """Write a roadmap file that imports back to the same state: the update of `as_of`, with
    every earlier update and declaration when `history`."""
    lines = [
        "[release]",
        f"name = {_toml(release.name)}",
        f"branch = {_toml(release.branch)}",
        f"feature_freeze = {release.feature_freeze.isoformat()}",
        f"code_freeze = {release.code_freeze.isoformat()}",
        f"release = {release.release.isoformat()}",
    ]
    if as_of is not None:
        lines.append(f"as_of = {_at(as_of)}")
    if summary:
        lines.append(f"summary = {_toml(summary)}")
    if history:
        for update in release.updates:
            if as_of is None or update.at < as_of:
                lines += ["", "[[update]]", f"as_of = {_at(update.at)}"]
                if update.summary:
                    lines.append(f"summary = {_toml(update.summary)}")
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
        if feature.carried_from:
            lines.append(f"carried_from = {_toml(feature.carried_from)}")
        if feature.exception:
            lines.append(f"freeze_exception = {_toml(feature.exception)}")
        newest = feature.history[-1].at if feature.history else None
        if as_of is not None and newest is not None and newest < as_of:
            lines.append(f"as_of = {_at(newest)}  # its newest declaration: an earlier update's")
        if history:
            for declaration in feature.history[:-1]:  # the newest is the feature's own
                if as_of is None or declaration.at < as_of:
                    lines += [
                        "",
                        "[[feature.history]]",
                        f"as_of = {_at(declaration.at)}",
                        f"status = {_toml(declaration.status.value)}",
                        f"notes = {_toml(declaration.notes)}",
                    ]
                    if declaration.exception:
                        lines.append(f"freeze_exception = {_toml(declaration.exception)}")
    return "\n".join(lines) + "\n"


TEMPLATE = '''\
# A roadmap update for pushgate: one release, as its coordinator declared it on one date.
# `pushgate roadmap import FILE --dry-run` shows what importing it would change;
# docs/roadmap.md gives every key.

[release]
name = "4.4"                    # the release; an import only touches this one
branch = "xen-unstable"         # the branch whose flights are its evidence
feature_freeze = 2013-12-13     # dates are written YYYY-MM-DD, without quotes
code_freeze = 2014-01-10        # on or after the feature freeze
release = 2014-03-07            # on or after the code freeze
as_of = 2013-09-20              # the date of this update (default: the day of the import)
summary = """
The update's prose: where the release stands, what changed since the last one.
"""

[[feature]]
slug = "pvh-dom0"               # lowercase letters, digits, '.', '_', '-'; unique in the file
title = "PVH dom0"
owners = ["Mukesh Rathor"]      # a list of names; [] when nobody owns it yet
status = "ok"                   # done, good, ok, fair, poor, blocked or dropped
notes = "What is left to do, as the owner says it."
links = []                      # URLs: a design document, a patch series
tests = ["test-amd64-amd64-xl-pvh-*", "test-*-*-xl guest-start"]   # JOB-GLOB [TESTID-GLOB]
# carried_from = "4.3"          # the release it slipped from, when it did
# freeze_exception = "Granted on 2013-12-20: the last patches are in review."
#                               # after the feature freeze, a feature not done has missed it
#                               # unless its update grants it an exception, and says why
'''
