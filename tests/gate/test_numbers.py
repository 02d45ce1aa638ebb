"""How a rate is written: whole percentages, and each surface's own word for no rate."""

from __future__ import annotations

from gate.numbers import NO_RATE_MARK, percent


def test_a_rate_is_a_whole_percentage():
    assert [percent(r) for r in (0, 0.004, 0.5, 2 / 3, 0.97, 1)] == [
        "0%",
        "0%",
        "50%",
        "67%",
        "97%",
        "100%",
    ]


def test_no_rate_is_what_the_surface_says():
    assert percent(None) == NO_RATE_MARK == "–"
    assert percent(None, "-") == "-"
    assert percent(None, "no rate") == "no rate"
    assert percent(0.5, "no rate") == "50%"
