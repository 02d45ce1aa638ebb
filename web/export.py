"""CSV files of the tables a user takes elsewhere: the features table and a test's history.

Each is built from the page model the page shows, with the columns of the page in its order;
the csv module does the quoting.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence

from flask import Response

from gate.read.features import FeatureRow
from gate.read.history import TestPage
from gate.read.regressions import RegressionsPage

# A spreadsheet reads a cell that starts so as a formula (OWASP's list): such text is kept as
# text by a leading `'`. Numbers are written as numbers, so a negative one is not touched.
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA):
        return "'" + value
    return value


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return out.getvalue()


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def features_csv(rows: Sequence[FeatureRow]) -> str:
    """The features table as CSV, in the order shown: a pass rate is a fraction (0.9750)."""
    return _csv(
        [
            "slug",
            "title",
            "readiness",
            "declared_status",
            "owners",
            "pass_rate",
            "tests",
            "blocking",
            "mismatch",
            "reasons",
        ],
        (
            [
                r.slug,
                r.title,
                r.readiness.value,
                r.declared_status.value,
                "; ".join(r.owners),
                _rate(r.pass_rate),
                len(r.tests),
                len(r.blocking),
                "yes" if r.mismatch else "no",
                "; ".join(r.reasons),
            ]
            for r in rows
        ),
    )


def history_csv(page: TestPage) -> str:
    """A test's history as CSV, newest flight first as on its page."""
    return _csv(
        [
            "flight",
            "started",
            "branch",
            "host",
            "status",
            "classification",
            "ref_flight",
            "summary",
            "blocking",
        ],
        (
            [
                h.flight,
                h.started.isoformat(),
                h.branch,
                h.host,
                h.status.value,
                h.classification.value if h.classification else "",
                h.ref_flight,
                h.summary,
                "yes" if h.blocking else "no",
            ]
            for h in reversed(page.history)
        ),
    )


def _revisions(revisions: Mapping[str, str]) -> str:
    return " ".join(f"{tree}={rev}" for tree, rev in sorted(revisions.items()))


def regressions_csv(page: RegressionsPage) -> str:
    """A branch's regression episodes as CSV, open ones first, as on the page."""
    return _csv(
        [
            "job",
            "testid",
            "state",
            "opened_flight",
            "opened_at",
            "came_in",
            "closed_flight",
            "closed_at",
            "fixed_by",
            "blocked_flights",
            "hours",
            "cluster",
            "features",
        ],
        (
            [
                r.job,
                r.testid,
                "open" if r.open else "closed",
                r.opened_flight,
                r.opened_at.isoformat(),
                _revisions(r.came_in),
                r.closed_flight,
                r.closed_at.isoformat() if r.closed_at else "",
                _revisions(r.fixed_by),
                r.blocked_flights,
                r.hours,
                r.cluster,
                "; ".join(r.features),
            ]
            for r in (*page.open, *page.closed)
        ),
    )


def attachment(body: str, filename: str) -> Response:
    """Send CSV as a download named `filename` (made of safe characters only)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("_") or "export.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{safe}"'},
    )
