"""osstest's allow lists: regressions that are regarded as allowable.

Read line by line the way osstest's sg-report-flight reads each `--allow=FILE`:

- Leading and trailing whitespace is removed and empty lines are skipped. A line is a comment
  only when `#` is its first character; a `#` further on is part of the pattern.
- Runs of whitespace become one space, so a line is `JOB-PATTERN [TESTID-PATTERN]`.
- A leading `!` (spaces may follow it) makes the line a removal: it takes out every earlier
  entry whose regular expression is identical to its own, and nothing else. It never stops a
  later entry from matching.
- A pattern without a testid part gets ` @@`: any testid.
- `@@` stands for `[^ ]*` (any run of non-space), then each other `@` for `[^ -/]*`: a run of
  characters outside the range from space to `/`, so `!"#$%&'()*+,-./` end it too. The rest is a
  regular expression, not literal text: `.` is any character, as in Perl.
- The whole is anchored, `^(?:...)$`, and searched for in the string "JOB TESTID".
- A step is allowable when any entry left matches it.

osstest's `cri-args-hostlists` reads `allow.all` and then `allow.BRANCH` for a flight of BRANCH,
in that order, so that a removal in `allow.BRANCH` can take out an entry of `allow.all`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

from gate.model import TestKey

ALL_BRANCHES = "allow.all"
BRANCH_PREFIX = "allow."
# Perl's \s on the bytes of a file: ASCII whitespace only, unlike str.split() and str.strip().
_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")
_BLANKS = " \t\n\v\f\r"


class AllowListError(ValueError):
    """An allow list line that cannot be understood."""


class AllowFile(NamedTuple):
    """The text of one allow file, and where it came from (for error messages)."""

    source: str
    text: str


@dataclass(frozen=True)
class AllowEntry:
    """One allowable pattern, compiled, with the file and line it came from."""

    pattern: re.Pattern[str]
    source: str
    line: int

    def matches(self, key: TestKey) -> bool:
        """Tell whether this entry matches a step's "JOB TESTID"."""
        return self.pattern.search(f"{key.job} {key.testid}") is not None


def branch_file(branch: str) -> str:
    """Return the name of a branch's own allow file."""
    return BRANCH_PREFIX + branch


def _regex(line: str) -> str:
    if " " not in line:
        line += " @@"
    line = line.replace("@@", "[^ ]*").replace("@", "[^ -/]*")
    return f"^(?:{line})$"


def _apply(entries: tuple[AllowEntry, ...], file: AllowFile) -> tuple[AllowEntry, ...]:
    """Return the entries after reading one more file's lines in order."""
    kept = list(entries)
    for lineno, raw in enumerate(file.text.split("\n"), start=1):
        written = raw.strip(_BLANKS)
        if not written or written.startswith("#"):
            continue
        line = _WHITESPACE.sub(" ", written)
        removal = line.startswith("!")
        if removal:
            line = line[1:].lstrip(" ")
        where = f"{file.source}, line {lineno}"
        if line.count(" ") > 1:
            # osstest means to refuse this too, though its check never fires in Perl; a stray
            # trailing comment is the usual cause, and it would otherwise never match anything.
            hint = " (a '#' starts a comment only at the start of a line)" if "#" in line else ""
            raise AllowListError(
                f"{where}: expected 'JOB-PATTERN [TESTID-PATTERN]', got {written!r}{hint}"
            )
        regex = _regex(line)
        try:
            pattern = re.compile(regex)
        except re.error as exc:
            raise AllowListError(
                f"{where}: {written!r} is not a valid regular expression ({exc.msg})"
            ) from None
        if removal:
            kept = [e for e in kept if e.pattern.pattern != regex]
        else:
            kept.append(AllowEntry(pattern, file.source, lineno))
    return tuple(kept)


@dataclass(frozen=True)
class AllowList:
    """The entries that make a regression allowable, and the lists of branches with their own file.

    `allows` judges with `entries`; `for_branch` picks the list a flight of a branch is judged with.
    """

    entries: tuple[AllowEntry, ...] = ()
    branches: Mapping[str, tuple[AllowEntry, ...]] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )

    @classmethod
    def parse(cls, text: str, *, source: str = "allow list") -> AllowList:
        """Read one allow file in osstest's syntax. Raises AllowListError."""
        return cls.read([AllowFile(source, text)])

    @classmethod
    def read(cls, files: Iterable[AllowFile]) -> AllowList:
        """Read allow files in order, as osstest reads repeated `--allow` options."""
        entries: tuple[AllowEntry, ...] = ()
        for file in files:
            entries = _apply(entries, file)
        return cls(entries)

    @classmethod
    def from_directory(
        cls, files: Mapping[str, AllowFile], *, after: Sequence[AllowFile] = ()
    ) -> AllowList:
        """Build every branch's list from a directory's allow files by name, then `after`.

        A flight of BRANCH is judged with `allow.all`, then `allow.BRANCH`, then `after`; a file
        that is not there is simply left out. Raises AllowListError.
        """
        common = [files[ALL_BRANCHES]] if ALL_BRANCHES in files else []
        branches = {
            name.removeprefix(BRANCH_PREFIX): cls.read([*common, file, *after]).entries
            for name, file in sorted(files.items())
            if name.startswith(BRANCH_PREFIX) and name not in (ALL_BRANCHES, BRANCH_PREFIX)
        }
        return cls(cls.read([*common, *after]).entries, MappingProxyType(branches))

    def for_branch(self, branch: str) -> AllowList:
        """Return the list that a flight of this branch is judged with."""
        return AllowList(self.branches.get(branch, self.entries))

    def allows(self, key: TestKey) -> bool:
        """Tell whether a regression of this step is allowable."""
        return any(entry.matches(key) for entry in self.entries)
