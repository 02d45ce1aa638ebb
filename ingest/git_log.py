"""Read the commits between two revisions of a tree from a local clone, with the git command.

Only `git log` runs, in the clone a setting names, with a timeout: nothing is fetched (no
remote is touched, any transport is refused, a partial clone does not fill in missing objects)
and nothing is written. A clone that is missing, a revision it does not have or a git that is
not installed give no commits and a reason, never an exception.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from gate.changes import Commit, Commits, people_of
from gate.settings import Settings

LIMIT = 100  # commits of a range kept for a page; the rest are counted (and their authors named)
TIMEOUT = 10.0  # seconds one git log may take
FIELD, RECORD = "\x1f", "\x1e"
FORMAT = FIELD.join(("%H", "%aN", "%aE", "%aI", "%s")) + RECORD
# A revision is a commit id or a ref name: never an option, never a range of its own.
REVISION = re.compile(r"[0-9A-Za-z_][0-9A-Za-z_./-]*")
ENVIRONMENT = {
    "GIT_TERMINAL_PROMPT": "0",  # never ask for credentials
    "GIT_NO_LAZY_FETCH": "1",  # a partial clone does not fetch what it lacks (git 2.44)
    "GIT_OPTIONAL_LOCKS": "0",  # a reader writes nothing, not even the index's stat cache
    "GIT_PAGER": "cat",
    "LC_ALL": "C",
}


class GitLog:
    """The history of each tree that has a local clone: `log(tree, base, tip)` is base..tip."""

    def __init__(
        self,
        repos: Mapping[str, str | Path],
        *,
        limit: int = LIMIT,
        timeout: float = TIMEOUT,
        git: str = "git",
    ) -> None:
        self.repos = {tree: Path(path).expanduser() for tree, path in repos.items()}
        self.limit = limit
        self.timeout = timeout
        self.git = git

    def __call__(self, tree: str, base: str, tip: str) -> Commits | None:
        """Return the commits after `base` up to `tip`, newest first; None for a tree without
        a clone."""
        path = self.repos.get(tree)
        if path is None:
            return None
        if base == tip:
            return Commits(tree, base, tip)
        bad = [r for r in (base, tip) if not REVISION.fullmatch(r) or ".." in r]
        if bad:
            return Commits(tree, base, tip, reason=f"{bad[0]!r} is not a revision")
        if not path.is_dir():
            return Commits(tree, base, tip, reason=f"no clone of {tree} at {path}")
        try:
            done = subprocess.run(  # noqa: S603 - a fixed command, checked arguments, no shell
                [
                    self.git,
                    "-c",
                    "protocol.allow=never",
                    "-C",
                    str(path),
                    "log",
                    "--no-color",
                    "--no-show-signature",
                    f"--format={FORMAT}",
                    "--end-of-options",
                    f"{base}..{tip}",
                    "--",
                ],
                capture_output=True,
                timeout=self.timeout,
                env={**os.environ, **ENVIRONMENT},
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except FileNotFoundError:
            return Commits(tree, base, tip, reason=f"{self.git} is not installed")
        except subprocess.TimeoutExpired:
            return Commits(tree, base, tip, reason=f"git log took over {self.timeout:g} s")
        if done.returncode != 0:
            return Commits(tree, base, tip, reason=_why(done.stderr, tree, base, tip))
        commits = parse(done.stdout.decode("utf-8", errors="replace"))
        kept = tuple(commits[: self.limit])
        return Commits(tree, base, tip, kept, len(commits) - len(kept), people_of(commits))


def _why(stderr: bytes, tree: str, base: str, tip: str) -> str:
    text = stderr.decode("utf-8", errors="replace")
    if "unknown revision" in text or "bad revision" in text or "Invalid revision" in text:
        return f"the clone of {tree} has no {base[:12]}..{tip[:12]}"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0].removeprefix("fatal: ") if lines else "git log failed"


def parse(output: str) -> list[Commit]:
    """Read `git log --format=FORMAT` output into commits, in its order."""
    commits = []
    for record in output.split(RECORD):
        fields = record.strip("\n").split(FIELD)
        if len(fields) != 5:
            continue
        sha, author, email, when, subject = fields
        commits.append(Commit(sha, author, email, datetime.fromisoformat(when), subject))
    return commits


def history(settings: Settings) -> GitLog | None:
    """Return the history of the trees PUSHGATE_TREE_REPOS names, or None when it names none."""
    repos = settings.repos()
    return GitLog(repos) if repos else None
