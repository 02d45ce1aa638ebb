"""What changed in a tree between two revisions: its commits and the people who made them.

osstest's report names the authors of the commits between the baseline and the tested
revision ("People who touched revisions under test"), and a regression is bisected between the
revision where the step last passed and the one where it first failed. The commits come from a
`History`, which the shell provides (a local clone read with git); the core only holds them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

PEOPLE_HEADING = "People who touched revisions under test:"
SPECIALS = frozenset('()<>[]:;@\\,."')  # RFC 5322's specials: a name with one is quoted


@dataclass(frozen=True)
class Commit:
    """One commit of a tree: its id, author, author date and subject line."""

    sha: str
    author: str
    email: str
    date: datetime
    subject: str

    @property
    def person(self) -> str:
        """Return the author as a mail's address names them: `Name <email>`, the name quoted
        when it holds a character special in an address (`"Andrey Jr. Melnikov" <...>`)."""
        name = self.author
        if any(c in SPECIALS for c in name):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{name} <{self.email}>"


@dataclass(frozen=True)
class Commits:
    """The commits of a tree after `base` up to `tip` (git's `base..tip`), newest first.

    At most a bounded number are kept in `commits`; `more` counts the ones left out, and
    `people` holds the authors of all of them. `reason` says why none could be read (no such
    repository, a revision the clone does not have), so a page can say it instead of failing.
    """

    tree: str
    base: str
    tip: str
    commits: tuple[Commit, ...] = ()
    more: int = 0
    people: tuple[str, ...] = ()
    reason: str | None = None

    @property
    def count(self) -> int:
        return len(self.commits) + self.more


# (tree, base, tip) -> the commits of base..tip, or None when the tree has no known history.
History = Callable[[str, str, str], Commits | None]


def people(ranges: Iterable[Commits]) -> tuple[str, ...]:
    """Return the authors of every range, each once, sorted as osstest's report lists them."""
    return tuple(sorted({person for found in ranges for person in found.people}))


def people_of(commits: Iterable[Commit]) -> tuple[str, ...]:
    """Return the authors of some commits, each once, sorted."""
    return tuple(sorted({commit.person for commit in commits}))
