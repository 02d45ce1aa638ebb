"""osstest's allow list: regressions that are regarded as allowable."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gate.model import TestKey


class AllowListError(ValueError):
    """An allow list line that cannot be understood."""


@dataclass(frozen=True)
class AllowEntry:
    job: re.Pattern[str]
    testid: re.Pattern[str] | None
    negated: bool
    text: str


def _compile(pattern: str) -> re.Pattern[str]:
    # `@@` is any run of non-space; `@` a run without space, `-` or `/`; the rest is literal.
    parts = re.split(r"(@@|@)", pattern)
    regex = "".join(
        r"\S*" if part == "@@" else r"[^\s\-/]*" if part == "@" else re.escape(part)
        for part in parts
    )
    return re.compile(regex + r"\Z")


@dataclass(frozen=True)
class AllowList:
    """Patterns `JOB-PATTERN [TESTID-PATTERN]`; a later `!` entry takes an earlier one back."""

    entries: tuple[AllowEntry, ...] = ()

    @classmethod
    def parse(cls, text: str, *, source: str = "allow list") -> AllowList:
        """Read an allow list in osstest's syntax; `#` starts a comment."""
        entries = []
        for lineno, raw in enumerate(text.splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            negated = line.startswith("!")
            fields = line.lstrip("!").split()
            if not fields or len(fields) > 2:
                raise AllowListError(
                    f"{source}, line {lineno}: expected 'JOB-PATTERN [TESTID-PATTERN]', got {raw!r}"
                )
            testid = _compile(fields[1]) if len(fields) == 2 else None
            entries.append(AllowEntry(_compile(fields[0]), testid, negated, line))
        return cls(tuple(entries))

    def allows(self, key: TestKey) -> bool:
        """Tell whether a regression of this step is allowable."""
        allowed = False
        for entry in self.entries:
            if entry.job.match(key.job) and (
                entry.testid is None or entry.testid.match(key.testid)
            ):
                allowed = not entry.negated
        return allowed
