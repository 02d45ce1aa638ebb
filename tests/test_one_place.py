"""Each rule in one place: what blocks, what is a heisenbug, the readiness order and the report's
headings are decided in gate's rule modules, and the store, the read side and the web read them.

These scans fail when a second copy of such a rule appears outside the module that owns it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gate.model import Classification, Verdict
from gate.readiness import Readiness
from gate.report import ALLOWABLE, BLOCKING, INTERMITTENT, NO_BASELINE, NOT_BLOCKING

ROOT = Path(__file__).resolve().parents[1]
READERS = [
    *sorted((ROOT / "gate" / "store").glob("*.py")),
    *sorted((ROOT / "gate" / "read").glob("*.py")),
    *sorted((ROOT / "web").glob("*.py")),
    *sorted((ROOT / "web" / "templates").glob("*.html")),
]
HEADINGS = [BLOCKING, NO_BASELINE, INTERMITTENT, ALLOWABLE, NOT_BLOCKING]


def _offenders(pattern: str) -> list[str]:
    found = re.compile(pattern)
    return [
        f"{path.relative_to(ROOT)}:{n}"
        for path in READERS
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if found.search(line)
    ]


def test_what_blocks_is_decided_by_classification_blocking_alone():
    # Naming a classification to compare with is deciding what it means: read .blocking instead.
    names = "|".join(c.name for c in Classification if c.blocking or c.heisenbug)
    assert _offenders(rf"Classification\.({names})\b") == []
    values = "|".join(c.value for c in Classification if c.blocking or c.heisenbug)
    assert _offenders(rf"""[=!]=\s*['"]({values})['"]""") == []


def test_the_readiness_order_lives_in_readiness_severity():
    pair = "|".join(f"['\"]{a.value}['\"],\\s*['\"]{b.value}['\"]" for a, b in _pairs())
    assert _offenders(pair) == []
    assert [r.severity for r in Readiness.by_severity()] == list(range(len(Readiness)))


def _pairs() -> list[tuple[Readiness, Readiness]]:
    order = Readiness.by_severity()
    return list(zip(order, order[1:], strict=False))


def test_the_verdicts_are_listed_from_the_enum():
    pair = "|".join(
        f"['\"]{a.value}['\"],\\s*['\"]{b.value}['\"]"
        for a, b in zip(Verdict, list(Verdict)[1:], strict=False)
    )
    assert _offenders(pair) == []


@pytest.mark.parametrize("heading", HEADINGS)
def test_the_report_headings_live_in_gate_report(heading):
    assert _offenders(re.escape(heading.split("\n")[0])) == []
