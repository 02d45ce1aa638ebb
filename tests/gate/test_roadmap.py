"""Test patterns and the links from tests to features."""

from __future__ import annotations

import pytest

from gate.model import TestKey
from gate.roadmap import Declared, Feature, TestPattern, linked_tests, split_tags

PAIR = TestKey("test-amd64-amd64-pair", "guest-start")
QEMUU = TestKey("test-amd64-i386-xl-qemuu-win7-amd64", "guest-localmigrate")
BUILD = TestKey("build-armhf", "xen-build")


@pytest.mark.parametrize(
    ("pattern", "key", "matches"),
    [
        ("test-*-pair", PAIR, True),
        ("test-*-pair", QEMUU, False),
        ("test-*-*-*qemuu-* guest-localmigrate*", QEMUU, True),
        ("test-*-*-*qemuu-* guest-start", QEMUU, False),
        ("build-armhf", BUILD, True),
        ("build-arm?f xen-*", BUILD, True),
        ("build-[ai]*", BUILD, True),
    ],
)
def test_a_pattern_globs_the_job_and_optionally_the_testid(pattern, key, matches):
    assert TestPattern.parse(pattern).matches(key) is matches


@pytest.mark.parametrize("text", ["", "a b c"])
def test_a_pattern_is_one_or_two_globs(text):
    with pytest.raises(ValueError, match="JOB-GLOB"):
        TestPattern.parse(text)


def test_tests_link_by_pattern_or_by_tag():
    feature = Feature(
        "migration", "Migration", Declared.GOOD, "4.3", tests=(TestPattern("*-pair"),)
    )
    tags = {BUILD: frozenset({"migration", "arm"}), QEMUU: frozenset({"qemu"})}
    assert linked_tests(feature, [PAIR, QEMUU, BUILD], tags) == [PAIR, BUILD]


def test_tags_are_comma_separated_slugs():
    assert split_tags(" pvh, migration ,,arm ") == frozenset({"pvh", "migration", "arm"})


def test_a_feature_is_what_it_was_declared_as_of_a_moment():
    from datetime import UTC, datetime

    from gate.roadmap import StatusChange

    day = lambda n: datetime(2013, 3, n, tzinfo=UTC)  # noqa: E731
    history = (
        StatusChange(day(1), None, Declared.GOOD),
        StatusChange(day(10), Declared.GOOD, Declared.POOR),
    )
    feature = Feature("a", "A", Declared.POOR, "4.3", history=history)
    assert feature.declared_at(day(5)) is Declared.GOOD
    assert feature.declared_at(day(10)) is Declared.POOR
    assert feature.declared_at(datetime(2012, 1, 1, tzinfo=UTC)) is Declared.GOOD  # planned
    assert Feature("b", "B", Declared.OK, "4.3").declared_at(day(5)) is Declared.OK
