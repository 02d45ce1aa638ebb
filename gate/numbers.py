"""How pushgate writes a rate: the one place that turns a fraction into words."""

from __future__ import annotations

NO_RATE_MARK = "–"  # the pages' mark for a rate nobody could count


def percent(rate: float | None, none: str = NO_RATE_MARK) -> str:
    """Write a rate as a whole percentage (`97%`), or `none` when there is no rate: each
    surface chooses its own (`–` on the pages, `-` in the commands' tables, words in a
    sentence)."""
    return none if rate is None else f"{rate:.0%}"
