"""Show a command's long work on stderr: a bar on a terminal, one line per stage elsewhere.

stdout keeps the results (the lines and the JSON that scripts read); progress never goes there.
The work itself (`ingest`, `gate`) knows nothing of this: it reports through plain callbacks,
which the commands point at a `Stage`'s `advance`.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from typing import TextIO

import click

PERIOD = 30.0  # seconds between the lines of a long stage when stderr is no terminal
REDRAW = 0.1  # seconds between two drawings of a bar: a fast stage does not flood the terminal
BAR_WIDTH = 24
CLEAR_LINE = "\r\x1b[K"

QUIET = click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Show no progress on stderr (results and errors still show).",
)


class Mode(Enum):
    """How progress shows: not at all, as a bar redrawn in place, or as plain lines."""

    QUIET = "quiet"
    BAR = "bar"
    LINES = "lines"


def _seconds(elapsed: float) -> str:
    if elapsed < 60:
        return f"{elapsed:.1f} s"
    minutes, seconds = divmod(int(elapsed), 60)
    return f"{minutes} min {seconds:02d} s"


def _rate(done: int, elapsed: float) -> str:
    per_second = done / elapsed if elapsed > 0 else 0.0
    return f"{per_second:.1f}/s" if per_second < 10 else f"{per_second:.0f}/s"


def _width(stream: TextIO) -> int:
    """Return the terminal's width: a bar that wrapped would not be redrawn in place."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        columns = 0
    return columns or 80  # a terminal that does not say its size


class Stage:
    """One stage of a command's work: counts what is done of a total that may be unknown."""

    def __init__(self, reporter: Reporter, label: str, total: int | None, *, summary: bool) -> None:
        self.reporter = reporter
        self.label = label
        self.total = total
        self.done = 0
        self.summary = summary
        self.started = reporter.clock()
        self._drawn = float("-inf")  # when the bar was last drawn
        self._said = self.started  # when the last plain line was written

    @property
    def mode(self) -> Mode:
        return self.reporter.mode

    def expect(self, total: int) -> None:
        """Know the stage's total from now on (a listing said it), and show it."""
        self.total = total
        if self.mode is Mode.BAR:
            self.draw()

    def advance(self, count: int = 1) -> None:
        """Count `count` more items done."""
        self.done += count
        now = self.reporter.clock()
        if self.mode is Mode.BAR and now - self._drawn >= REDRAW:
            self.draw()
        elif self.mode is Mode.LINES and now - self._said >= PERIOD:
            self._said = now
            self.reporter.write(f"{self.label}: {self._count()} after {self._elapsed()}\n")

    def echo(self, text: str, *, err: bool = False) -> None:
        """Write a line of output (stdout, or stderr with `err`) without breaking the bar."""
        if self.mode is Mode.BAR:
            self.reporter.write(CLEAR_LINE)
        click.echo(text, err=err)
        if self.mode is Mode.BAR:
            self.draw()

    def finish(self) -> None:
        """Show the stage's totals: the bar drawn a last time, or its one line."""
        idle = self.total == 0 and not self.done  # there was nothing to do: nothing to show
        if self.mode is Mode.BAR:
            if idle:
                self.reporter.write(CLEAR_LINE)
            else:
                self.draw()
                self.reporter.write("\n")
        elif self.mode is Mode.LINES and self.summary and not idle:
            rate = f" ({_rate(self.done, self._age())})" if self.done else ""
            what = self._count() if self.total is not None or self.done else "done"
            self.reporter.write(f"{self.label}: {what} in {self._elapsed()}{rate}\n")

    def abandon(self) -> None:
        """End the stage cut short: a bar that counted keeps its line, and an error starts on
        a new one."""
        if self.mode is Mode.BAR and self.done:
            self.draw()
            self.reporter.write("\n")
        elif self.mode is Mode.BAR:
            self.reporter.write(CLEAR_LINE)

    def _age(self) -> float:
        return self.reporter.clock() - self.started

    def _elapsed(self) -> str:
        return _seconds(self._age())

    def _count(self) -> str:
        return f"{self.done}/{self.total}" if self.total is not None else str(self.done)

    def draw(self) -> None:
        """Draw the bar in place of the last one."""
        self._drawn = self.reporter.clock()
        parts = [self.label]
        if self.total:
            filled = BAR_WIDTH * min(self.done, self.total) // self.total
            parts.append(f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}]")
        if self.total is not None or self.done:
            parts += [self._count(), _rate(self.done, self._age())]
        parts.append(self._elapsed())
        line = "  ".join(parts)[: self.reporter.width() - 1]
        self.reporter.write(CLEAR_LINE + line)


class Reporter:
    """Where a command shows its stages: stderr, as a bar on a terminal or as plain lines."""

    def __init__(
        self,
        *,
        quiet: bool = False,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        if quiet:
            self.mode = Mode.QUIET
        else:
            self.mode = Mode.BAR if self.stream.isatty() else Mode.LINES

    def write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def width(self) -> int:
        return _width(self.stream)

    @contextmanager
    def stage(
        self, label: str, total: int | None = None, *, summary: bool = True
    ) -> Iterator[Stage]:
        """Show one stage of the work while the block runs, and its totals when it ends.

        Without `summary`, a stage shows no closing line on plain stderr: for a command whose
        stdout already says it (pull's round line).
        """
        stage = Stage(self, label, total, summary=summary)
        if self.mode is Mode.BAR:
            stage.draw()
        try:
            yield stage
        except BaseException:
            stage.abandon()
            raise
        stage.finish()
