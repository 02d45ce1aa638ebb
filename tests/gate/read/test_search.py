"""The search's shaping, without a store: the words, the flight number, the features found."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gate.read.search import LARGEST, feature_hits, flight_number, words_of
from gate.roadmap import Declaration, Declared, Feature

EARLY = datetime(2013, 1, 1, tzinfo=UTC)
LATER = datetime(2013, 3, 1, tzinfo=UTC)
PVH = Feature(
    "pvh-dom0",
    "PVH dom0",
    Declared.FAIR,
    "4.4",
    owners=("Mukesh Rathor",),
    history=(
        Declaration(EARLY, Declared.OK),
        Declaration(LATER, Declared.FAIR),
    ),
)
ARM = Feature("arm-smp", "SMP on ARM", Declared.DONE, "4.3", owners=("Ian Campbell",))
LATE = Feature(
    "late", "Declared later", Declared.OK, "4.4", history=(Declaration(LATER, Declared.OK),)
)


def test_the_words_of_a_query_are_spaced_once():
    assert words_of("  flight\t 16631 \n") == "flight 16631"
    assert words_of("   ") == ""


@pytest.mark.parametrize(
    ("words", "number"),
    [
        ("16631", 16631),
        ("flight 16631", 16631),
        ("Flight16631", 16631),
        ("#16631", 16631),
        ("flight #7", 7),
        (str(LARGEST), LARGEST),
        (str(LARGEST + 1), None),  # more than the store holds: no flight, not an error
        ("12345678901", None),  # eleven digits
        ("16631 16632", None),
        ("build 16631", None),
        ("guest-start", None),
        ("", None),
    ],
)
def test_a_number_names_a_flight_only_when_it_is_the_whole_query(words, number):
    assert flight_number(words) == number


def test_features_are_found_by_slug_title_or_owner_whatever_the_case():
    every = (PVH, ARM, LATE)
    assert [f.slug for f in feature_hits("pvh", every, LATER)] == ["pvh-dom0"]
    assert [f.slug for f in feature_hits("smp on", every, LATER)] == ["arm-smp"]
    assert [f.slug for f in feature_hits("campbell", every, LATER)] == ["arm-smp"]
    assert [f.slug for f in feature_hits("-", every, LATER)] == ["pvh-dom0", "arm-smp"]
    assert feature_hits("", every, LATER) == ()


def test_a_feature_is_found_as_declared_at_the_moment_searched():
    (then,) = feature_hits("pvh", [PVH], EARLY)
    (now,) = feature_hits("pvh", [PVH], LATER)
    assert (then.declared_status, now.declared_status) == (Declared.OK, Declared.FAIR)
    assert (now.title, now.owners, now.release) == ("PVH dom0", ("Mukesh Rathor",), "4.4")
    assert feature_hits("declared later", [LATE], EARLY) == ()
    assert len(feature_hits("declared later", [LATE], LATER)) == 1
