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

    from gate.roadmap import Declaration, declared_by

    day = lambda n: datetime(2013, 3, n, tzinfo=UTC)  # noqa: E731
    history = (
        Declaration(day(1), Declared.GOOD, "patches posted"),
        Declaration(day(10), Declared.POOR, "the owner moved on"),
        Declaration(day(20), Declared.POOR, "nobody took it up"),
    )
    feature = Feature("a", "A", Declared.POOR, "4.3", notes="nobody took it up", history=history)
    assert feature.declared_at(day(5)) == history[0]
    assert feature.as_of(day(5)) == Feature("a", "A", Declared.GOOD, "4.3", notes="patches posted")
    assert feature.as_of(day(10)).status is Declared.POOR
    assert feature.as_of(day(25)) is feature
    # Before its first declaration the feature was not on the roadmap: nothing said it yet.
    assert feature.declared_at(datetime(2012, 1, 1, tzinfo=UTC)) is None
    assert declared_by([feature], datetime(2012, 1, 1, tzinfo=UTC)) == []
    # A feature known only as it is (no history) is always as it is.
    assert Feature("b", "B", Declared.OK, "4.3").declared_at(day(5)).status is Declared.OK


def test_a_features_changes_are_the_declarations_that_changed_its_status():
    from datetime import UTC, datetime

    from gate.roadmap import Declaration, StatusChange

    day = lambda n: datetime(2013, 3, n, tzinfo=UTC)  # noqa: E731
    history = (
        Declaration(day(1), Declared.GOOD, "planned"),
        Declaration(day(5), Declared.GOOD, "patches posted"),
        Declaration(day(10), Declared.DONE, "merged"),
    )
    feature = Feature("a", "A", Declared.DONE, "4.3", history=history)
    assert feature.changes == (
        StatusChange(day(1), None, Declared.GOOD, "planned"),
        StatusChange(day(10), Declared.GOOD, Declared.DONE, "merged"),
    )
    assert feature.first_declared == day(1)


def test_what_a_declared_status_means_is_said_by_the_status():
    """Xen's coordinators' words, as readiness weighs them: fair, poor and blocked say the
    feature is at risk; done and good that all is well; poor and blocked that it is in trouble."""
    said = {d: (d.at_risk, d.all_well, d.in_trouble) for d in Declared}
    assert said == {
        Declared.DONE: (False, True, False),
        Declared.GOOD: (False, True, False),
        Declared.OK: (False, False, False),
        Declared.FAIR: (True, False, False),
        Declared.POOR: (True, False, True),
        Declared.BLOCKED: (True, False, True),
        Declared.DROPPED: (False, False, False),
    }
