"""StepTexts keeps a flight's step texts out of memory and gives them back in the steps' order."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from ingest import texts as texts_module
from ingest.texts import NO_TEXTS, StepTexts

SAID = [
    ("", "a long log\n" * 50),
    ("failed: é ✓ 𝄞", ""),
    ("", ""),
    ("timeout", "console\x00line"),
]


def _spooled(texts: StepTexts, order: list[int]) -> list[tuple[str, str]]:
    places = [texts.add(message, output) for message, output in SAID]
    texts.arrange(places[n] for n in order)
    return [SAID[n] for n in order]


def test_the_texts_come_back_in_the_order_arranged_as_often_as_asked():
    texts = StepTexts()
    expected = _spooled(texts, [3, 0, 2, 1, 0])
    assert list(texts) == expected
    assert list(texts) == expected
    texts.close()


def test_a_step_without_texts_takes_no_room():
    texts = StepTexts()
    assert texts.add("", "") == NO_TEXTS
    texts.arrange([NO_TEXTS])
    assert list(texts) == [("", "")]


def test_texts_past_the_memory_allowance_go_to_disk(monkeypatch):
    monkeypatch.setattr(texts_module, "IN_MEMORY", 1000)
    monkeypatch.setattr(texts_module, "WRITE_EVERY", 100)
    texts = StepTexts()
    logs = [("", f"log {n} " * 40) for n in range(50)]
    texts.arrange([texts.add(m, o) for m, o in logs])
    assert texts._file._rolled  # type: ignore[attr-defined]
    assert list(texts) == logs


def test_a_named_spool_travels_once_and_leaves_no_file(tmp_path: Path):
    texts = StepTexts(str(tmp_path))
    expected = _spooled(texts, [1, 3, 0])
    [name] = tmp_path.iterdir()
    received = pickle.loads(pickle.dumps(texts))
    assert list(tmp_path.iterdir()) == []  # the receiver holds the open file, nameless
    texts.close()
    assert list(received) == expected
    received.close()


def test_closing_a_named_spool_removes_its_file(tmp_path: Path):
    texts = StepTexts(str(tmp_path))
    _spooled(texts, [0])
    texts.close()
    assert list(tmp_path.iterdir()) == []


def test_a_spool_without_a_directory_stays_in_its_process():
    with pytest.raises(TypeError, match="cannot leave their process"):
        pickle.dumps(StepTexts())
