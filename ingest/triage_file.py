"""The triage file: TOML with a `[[rule]]` table per known issue (docs/triage.md gives every key)."""

from __future__ import annotations

import difflib
import re
import tomllib
from typing import Any

from gate.triage import ANY, Kind, Rule, RuleError

RULE_KEYS = ("name", "kind", "bug_url", "job", "testid", "host", "message", "note")
TABLES = ("rule",)
DEFAULTS = {"bug_url": "", "job": ANY, "testid": ANY, "host": ANY, "message": "", "note": ""}


class TriageFileError(ValueError):
    """A triage file that cannot be imported; the message names the file and the line."""


class _Lines:
    """Finds the line of a key in the n-th [[rule]] table, for error messages."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.heads = [
            i for i, line in enumerate(self.lines) if re.match(r"\s*\[\[\s*rule\s*\]\]", line)
        ]

    def of(self, index: int, key: str | None = None) -> int:
        """Return the line (from 1) of `key` in the index-th [[rule]], else of its header."""
        if index >= len(self.heads):
            return 1
        begin = self.heads[index]
        end = next(
            (
                i
                for i in range(begin + 1, len(self.lines))
                if self.lines[i].lstrip().startswith("[")
            ),
            len(self.lines),
        )
        if key is not None:
            pattern = re.compile(rf"\s*{re.escape(key)}\s*=")
            for i in range(begin, end):
                if pattern.match(self.lines[i]):
                    return i + 1
        return begin + 1

    def top(self, name: str) -> int:
        pattern = re.compile(rf"\s*(\[\[?\s*)?{re.escape(name)}\b")
        return next((i + 1 for i, line in enumerate(self.lines) if pattern.match(line)), 1)


def read_rule(table: Any, where: str = "the rule") -> Rule:
    """Read one rule from a table of the file's keys (or a JSON object of them)."""
    if not isinstance(table, dict):
        raise RuleError("name", f"{where} is not a table of the keys {', '.join(RULE_KEYS)}")
    if isinstance(table.get("name"), str):
        where = f"rule {table['name']!r}"
    for key in table:
        if key not in RULE_KEYS:
            near = difflib.get_close_matches(key, RULE_KEYS, n=1)
            hint = f" (did you mean `{near[0]}`?)" if near else f" (known: {', '.join(RULE_KEYS)})"
            raise RuleError(key, f"{where}: unknown key `{key}`{hint}")
    for key in ("name", "kind"):
        if key not in table:
            raise RuleError("name", f"{where}: `{key}` is missing")
    for key, value in table.items():
        if not isinstance(value, str):
            raise RuleError(key, f"{where}: `{key}` must be a string, got {value!r}")
    try:
        kind = Kind(table["kind"])
    except ValueError:
        allowed = ", ".join(k.value for k in Kind)
        raise RuleError(
            "kind", f"{where}: unknown kind {table['kind']!r} (use one of {allowed})"
        ) from None
    values = {key: table.get(key, default) for key, default in DEFAULTS.items()}
    return Rule(name=table["name"], kind=kind, **values)


def read_rules(text: str, source: str) -> tuple[Rule, ...]:
    """Read a triage file; refuse it whole, naming the line, if any rule is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TriageFileError(f"{source}: not valid TOML: {exc}") from None
    lines = _Lines(text)
    for name in data:
        if name not in TABLES:
            hint = " (did you mean [[rule]]?)" if difflib.get_close_matches(name, TABLES) else ""
            raise TriageFileError(
                f"{source}, line {lines.top(name)}: unknown table or key `{name}`{hint}"
            )
    tables = data.get("rule", [])
    if not isinstance(tables, list):
        raise TriageFileError(f"{source}, line {lines.top('rule')}: write each rule as [[rule]]")
    rules: list[Rule] = []
    first: dict[str, int] = {}
    for index, table in enumerate(tables):
        try:
            rule = read_rule(table, f"rule number {index + 1}")
        except RuleError as exc:
            raise TriageFileError(f"{source}, line {lines.of(index, exc.key)}: {exc}") from None
        line = lines.of(index, "name")
        if rule.name in first:
            raise TriageFileError(
                f"{source}, line {line}: rule {rule.name!r} appears twice (first on line "
                f"{first[rule.name]})"
            )
        first[rule.name] = line
        rules.append(rule)
    return tuple(rules)


def _toml(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def render_rules(rules: tuple[Rule, ...] | list[Rule]) -> str:
    """Write rules as a triage file that reads back to the same rules."""
    blocks = []
    for rule in rules:
        lines = ["[[rule]]", f"name = {_toml(rule.name)}", f"kind = {_toml(rule.kind.value)}"]
        for key, default in DEFAULTS.items():
            value = getattr(rule, key)
            if value != default:
                lines.append(f"{key} = {_toml(value)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n" if blocks else ""
