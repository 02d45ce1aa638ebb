"""Each rule in one place: what blocks and as what kind, what is a heisenbug, what a declared
status means, the readiness order and words, how a rate is written and the report's headings are
decided in gate's rule modules, and the store, the read side and the web read them.

These scans fail when a second copy of such a rule appears outside the module that owns it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gate.model import Blocker, Classification, Status, TestKey, Verdict
from gate.readiness import Observation, Readiness
from gate.report import ALLOWABLE, BLOCKING, INTERMITTENT, NO_BASELINE, NOT_BLOCKING
from gate.roadmap import Declared

ROOT = Path(__file__).resolve().parents[1]
READERS = [
    *sorted((ROOT / "gate" / "store").glob("*.py")),
    *sorted((ROOT / "gate" / "read").glob("*.py")),
    *sorted((ROOT / "gate" / "pages").glob("*.py")),
    *sorted((ROOT / "gate" / "keep").glob("*.py")),
    *sorted((ROOT / "web").glob("*.py")),
    *sorted((ROOT / "web" / "templates").glob("*.html")),
]
HEADINGS = [BLOCKING, NO_BASELINE, INTERMITTENT, ALLOWABLE, NOT_BLOCKING]
# Every file of gate, ingest and web: the rule modules too, for the rules one of them owns.
EVERYWHERE = [
    *sorted((ROOT / "gate").rglob("*.py")),
    *sorted((ROOT / "ingest").rglob("*.py")),
    *sorted((ROOT / "web").rglob("*.py")),
    *sorted((ROOT / "web" / "templates").glob("*.html")),
    *sorted((ROOT / "web" / "static").glob("pushgate.*")),
]
TEMPLATES = sorted((ROOT / "web" / "templates").glob("*.html"))


def _offenders(pattern: str, files: list[Path] = READERS, owner: Path | None = None) -> list[str]:
    """Return `file:line` of every line of `files` but `owner`'s that matches the pattern."""
    found = re.compile(pattern)
    return [
        f"{path.relative_to(ROOT)}:{n}"
        for path in files
        if path != owner
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


def test_the_blocker_kind_is_decided_by_classification_blocker_alone():
    # Choosing a kind by a condition, or calling a blocking fail a regression, is a second
    # definition of osstest's blocker kind: ask `Classification.blocker` instead.
    model = ROOT / "gate" / "model.py"
    assert _offenders(r"Blocker\.\w+\s+if\b|else\s+Blocker\.", EVERYWHERE, model) == []
    fail_and_blocking = r"\.blocking\b.*Status\.FAIL|Status\.FAIL.*\.blocking\b"
    assert _offenders(fail_and_blocking, EVERYWHERE) == []
    defined = {where.split(":")[0] for where in _offenders(r"def regressed\b", EVERYWHERE)}
    assert defined == {"gate/readiness.py"}


def test_regressed_is_the_regression_blocker_kind_for_every_classification_and_status():
    key = TestKey("test-amd64-amd64-xl", "guest-start")
    for classification in Classification:
        for status in Status:
            regressed = Observation(1, key, status, classification).regressed
            assert regressed == (classification.blocker(status) is Blocker.REGRESSION)


def test_what_a_declared_status_means_lives_in_declared():
    # A set of declared statuses compared with is a meaning: name it on `Declared` instead.
    roadmap = ROOT / "gate" / "roadmap.py"
    assert _offenders(r"Declared\.\w+\s*,\s*Declared\.", EVERYWHERE, roadmap) == []
    assert _offenders(r"""in \(\s*['"]({})['"]""".format("|".join(Declared)), EVERYWHERE) == []


def test_the_templates_take_readiness_words_from_the_core():
    # The states whose words differ from their value (`at risk`, `missed the freeze`) are
    # what a template or a second table of words would restate; the `readiness_words` filter
    # (`web.app`) gives the core's `Readiness.words`.
    restated = "|".join(re.escape(r.words) for r in Readiness if r.words != r.value)
    assert _offenders(rf"(?i)\b({restated})\b", TEMPLATES) == []
    assert _offenders(r"readiness[\w.]*\s*\|\s*replace", TEMPLATES) == []
    readiness = ROOT / "gate" / "readiness.py"
    assert _offenders(rf"""['"]({restated})['"]""", EVERYWHERE, readiness) == []


def test_a_rate_is_written_by_gate_numbers_percent():
    # An f-string's `:.0%` (plotly's `%{y:.1%}` is JavaScript's, not ours), a `* 100` or a
    # template's `%%` is a second way to write a rate: call `gate.numbers.percent`.
    numbers = ROOT / "gate" / "numbers.py"
    assert _offenders(r"(?<!%)\{[^{}]*:[^{}]*\.\d+%\}", EVERYWHERE, numbers) == []
    assert _offenders(r"\*\s*100\b|\b100\s*\*", EVERYWHERE) == []
    assert _offenders(r"%%|\|\s*round\b", TEMPLATES) == []
