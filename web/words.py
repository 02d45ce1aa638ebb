"""How the pages, the charts and the commands say a few recurring things in words."""

from __future__ import annotations

from gate.model import Status
from gate.numbers import percent as percent  # the pages write a rate as gate does
from gate.read.cells import Cell
from gate.read.history import HistoryEntry


def days_from_now(days: int) -> str:
    """Say how far a day is from today: `in 7 days`, `tomorrow`, `today`, `yesterday`, `4999 days ago`."""
    if days > 1:
        return f"in {days} days"
    if days == 1:
        return "tomorrow"
    if days == 0:
        return "today"
    if days == -1:
        return "yesterday"
    return f"{-days} days ago"


# The letter of a grid cell or history strip cell that did not pass, so that colour is never
# the only signal (the legend, `macros.legend`, says the same). A blocking cell is `R`
# whatever its status: it blocks the push (`Classification.blocking`), as a regression, a
# broken step or an unfinished one; a heisenbug is `H` (`Classification.heisenbug`).
STATUS_MARKS = {
    Status.PASS: "",
    Status.FAIL: "F",
    Status.BROKEN: "B",
    Status.BLOCKED: "b",
    Status.STARVED: "s",  # never ran, as blocked: no host to be had
    Status.SKIP: "S",
}
UNFINISHED_MARK = "U"  # queued, preparing, running and the like: it had not finished
BLOCKING_MARK = "R"
HEISENBUG_MARK = "H"


def cell_mark(cell: Cell | HistoryEntry | None) -> str:
    """Return the letter of a cell: `R` blocking, `H` heisenbug, else its status's (`F`, `B`...)."""
    if cell is None:
        return ""
    if cell.blocking:
        return BLOCKING_MARK
    if cell.classification is not None and cell.classification.heisenbug:
        return HEISENBUG_MARK
    return STATUS_MARKS.get(cell.status, UNFINISHED_MARK)
