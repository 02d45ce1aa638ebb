"""osstest's allow-list syntax."""

from __future__ import annotations

import pytest

from gate.allow import AllowList, AllowListError
from gate.model import TestKey

OSSTEST_2013 = """
# allow.all, as osstest had it in 2013
test-@@-sedf@@
build-@@ logs-capture@@
test-@@-pcipt@@
test-@@-qemuu-@@ guest-localmigrate
"""


@pytest.mark.parametrize(
    ("job", "testid", "allowed"),
    [
        ("test-amd64-amd64-xl-sedf", "guest-start", True),
        ("test-amd64-amd64-xl-sedf-pin", "xen-boot", True),
        ("test-amd64-amd64-xl", "guest-start", False),
        ("build-amd64", "logs-capture(5)", True),
        ("build-amd64", "xen-build", False),
        ("test-amd64-i386-xl-qemuu-win7-amd64", "guest-localmigrate", True),
        ("test-amd64-i386-xl-qemuu-win7-amd64", "guest-localmigrate.2", False),
        ("test-amd64-amd64-xl-pcipt-intel", "guest-start", True),
    ],
)
def test_osstest_patterns_match_whole_names(job, testid, allowed):
    assert AllowList.parse(OSSTEST_2013).allows(TestKey(job, testid)) is allowed


def test_a_single_at_does_not_cross_dashes_or_slashes():
    allow = AllowList.parse("test-@-xl guest-@\n")
    assert allow.allows(TestKey("test-amd64-xl", "guest-start"))
    assert not allow.allows(TestKey("test-amd64-amd64-xl", "guest-start"))
    assert not allow.allows(TestKey("test-amd64-xl", "guest-migrate/src_host"))


def test_a_negated_entry_takes_back_an_earlier_one():
    allow = AllowList.parse("test-@@-libvirt@@\n!test-amd64-amd64-libvirt\n")
    assert allow.allows(TestKey("test-amd64-i386-libvirt", "guest-start"))
    assert not allow.allows(TestKey("test-amd64-amd64-libvirt", "guest-start"))


def test_regex_characters_are_literal():
    allow = AllowList.parse("test.x host-install(3)\n")
    assert allow.allows(TestKey("test.x", "host-install(3)"))
    assert not allow.allows(TestKey("testyx", "host-install(3)"))


def test_a_line_with_three_fields_is_refused_with_its_line_number():
    with pytest.raises(AllowListError, match=r"allow.all, line 2"):
        AllowList.parse("ok\na b c\n", source="allow.all")


def test_an_empty_list_allows_nothing():
    assert not AllowList().allows(TestKey("any", "thing"))
