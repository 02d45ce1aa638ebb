"""osstest's allow lists, read the way sg-report-flight reads `--allow=FILE`."""

from __future__ import annotations

import pytest

from gate.allow import AllowFile, AllowList, AllowListError
from gate.model import TestKey

OSSTEST_2013 = """
# allow.all, as osstest had it in 2013
test-@@-sedf@@
build-@@ logs-capture@@
test-@@-pcipt@@
test-@@-qemuu-@@ guest-localmigrate
"""


def allows(text: str, job: str, testid: str) -> bool:
    return AllowList.parse(text).allows(TestKey(job, testid))


@pytest.mark.parametrize(
    ("job", "testid", "allowed"),
    [
        ("test-amd64-amd64-xl-sedf", "guest-start", True),
        ("test-amd64-amd64-xl-sedf-pin", "xen-boot", True),
        ("test-amd64-amd64-xl", "guest-start", False),
        ("build-amd64", "logs-capture(5)", True),
        ("build-i386-pvops", "logs-capture", True),
        ("build-amd64", "xen-build", False),
        ("test-amd64-amd64-xl", "logs-capture(12)", False),
        ("test-amd64-amd64-xl-pcipt-intel", "guest-start", True),
        ("test-amd64-i386-xl-qemuu-win7-amd64", "guest-localmigrate", True),
        ("test-amd64-i386-xl-qemuu-win7-amd64", "guest-localmigrate.2", False),
        ("test-amd64-i386-xl-qemuu-win7-amd64", "guest-localmigrate/x10", False),
        ("test-amd64-amd64-qemuu-nested", "guest-localmigrate", True),
        ("test-amd64-i386-xl-win7-amd64", "guest-localmigrate", False),
    ],
)
def test_osstest_2013_entries(job, testid, allowed):
    assert allows(OSSTEST_2013, job, testid) is allowed


def test_osstest_at_excludes_the_range_from_space_to_slash():
    # [ -/] is a range: space ! " # $ % & ' ( ) * + , - . / all end a single @.
    for stop in " !\"#$%&'()*+,-./":
        assert not allows("x@y", f"xa{stop}by", "t"), stop
    for goes_on in "0:;<=>?AZ[]^_`az{|}~":
        assert allows("x@y", f"xa{goes_on}by", "t"), goes_on
    assert allows("test-@-xl guest-@", "test-amd64-xl", "guest-start")
    assert not allows("test-@-xl guest-@", "test-amd64-amd64-xl", "guest-start")
    assert not allows("test-@-xl guest-@", "test-amd64-xl", "guest-migrate/src_host")


def test_osstest_double_at_is_any_run_of_non_space():
    assert allows("test-@@ guest-@@", "test-amd64-i386-xl", "guest-migrate/src_host/dst_host")
    assert not allows("@@", "job", "two words")


def test_osstest_hash_is_a_comment_only_at_the_start_of_a_line():
    assert not allows("   # test-@@ @@\n", "test-amd64", "anything")
    # Later in a line it is part of the pattern: this entry is a testid that ends in "#1".
    later = AllowList.parse("test-@@ guest-start#1\n")
    assert later.allows(TestKey("test-amd64", "guest-start#1"))
    assert not later.allows(TestKey("test-amd64", "guest-start"))


def test_osstest_strips_lines_skips_empty_ones_and_squeezes_whitespace():
    allow = AllowList.parse("\n  \t\n\t build-@@ \t  logs-capture@@   \r\n\n")
    assert allow.allows(TestKey("build-amd64", "logs-capture(3)"))
    assert len(allow.entries) == 1


def test_osstest_single_pattern_matches_any_testid():
    allow = AllowList.parse("test-@@-sedf@@\n")
    assert allow.allows(TestKey("test-amd64-amd64-xl-sedf", "guest-saverestore.2"))
    assert allow.allows(TestKey("test-amd64-amd64-xl-sedf", ""))
    assert allow.entries[0].pattern.pattern == "^(?:test-[^ ]*-sedf[^ ]* [^ ]*)$"


def test_osstest_rest_of_pattern_is_an_anchored_regex():
    allow = AllowList.parse("test.x (host-install\\(3\\)|xen-boot)\n")
    assert allow.allows(TestKey("test.x", "host-install(3)"))
    assert allow.allows(TestKey("testyx", "host-install(3)"))  # `.` is any character
    assert allow.allows(TestKey("test.x", "xen-boot"))
    assert not allow.allows(TestKey("test.x", "xen-boot-early"))  # anchored at the end
    assert not allow.allows(TestKey("a-test.x", "xen-boot"))  # and at the start
    # Parentheses group, as in osstest: this one never matches a literal "(3)".
    assert not allows("test.x host-install(3)", "test.x", "host-install(3)")


def test_osstest_bang_removes_only_an_identical_earlier_entry():
    allow = AllowList.parse(
        "test-@@-libvirt@@\n"
        "test-amd64-amd64-libvirt\n"
        "!  test-amd64-amd64-libvirt\n"  # the same entry: `!`, then spaces, are removed first
        "!test-@@-libvirt@@ guest-start\n"  # not identical to `test-@@-libvirt@@` + ` @@`
    )
    assert [e.line for e in allow.entries] == [1]
    assert allow.allows(TestKey("test-amd64-amd64-libvirt", "guest-start"))


def test_osstest_bang_never_negates_a_later_entry():
    allow = AllowList.parse("!test-@@-xl guest-start\ntest-@@-xl guest-start\n")
    assert allow.allows(TestKey("test-amd64-amd64-xl", "guest-start"))


def test_osstest_bang_removes_every_identical_entry():
    allow = AllowList.parse("test-@@ @@\ntest-@@\n!test-@@ @@\n")
    assert allow.entries == ()


def test_osstest_allows_when_any_remaining_entry_matches():
    allow = AllowList.parse("test-@@-xl guest-start\n!test-@@-xl guest-start\ntest-@@ guest-@@\n")
    assert allow.allows(TestKey("test-amd64-amd64-xl", "guest-start"))


def test_osstest_refuses_three_fields_with_its_line_number():
    with pytest.raises(AllowListError, match=r"^allow\.all, line 2: expected"):
        AllowList.parse("ok\na  b\tc\n", source="allow.all")
    with pytest.raises(AllowListError, match=r"line 1: .*a '#' starts a comment only at the start"):
        AllowList.parse("build-@@ logs-capture@@ # flaky\n", source="allow.all")


def test_osstest_refuses_a_pattern_that_is_not_a_regex_with_its_line_number():
    with pytest.raises(
        AllowListError, match=r"^allow\.xen-unstable, line 3: .*not a valid regular"
    ):
        AllowList.parse(
            "# two good lines\ntest-@@\ntest-( guest-start\n", source="allow.xen-unstable"
        )


def test_osstest_reads_allow_all_then_allow_branch_so_a_branch_removes_common_entries():
    files = {
        "allow.all": AllowFile("d/allow.all", "test-@@-sedf@@\nbuild-@@ logs-capture@@\n"),
        "allow.xen-4.2-testing": AllowFile("d/allow.xen-4.2-testing", "!test-@@-sedf@@\n"),
        "allow.qemu-upstream-unstable": AllowFile("d/q", "test-@@-qemuu-@@ guest-localmigrate\n"),
    }
    lists = AllowList.from_directory(files)
    sedf = TestKey("test-amd64-amd64-xl-sedf", "guest-start")
    qemuu = TestKey("test-amd64-i386-qemuu-rhel6hvm-amd", "guest-localmigrate")
    capture = TestKey("build-amd64", "logs-capture(4)")
    assert lists.for_branch("xen-unstable").allows(sedf)
    assert not lists.for_branch("xen-4.2-testing").allows(sedf)
    assert lists.for_branch("xen-4.2-testing").allows(capture)
    assert lists.for_branch("qemu-upstream-unstable").allows(qemuu)
    assert not lists.for_branch("xen-unstable").allows(qemuu)


def test_osstest_ignores_a_missing_allow_file():
    only_branch = {"allow.linux": AllowFile("d/allow.linux", "test-@@-pvops@@\n")}
    lists = AllowList.from_directory(only_branch)
    assert lists.for_branch("linux").allows(TestKey("test-amd64-i386-pvops", "guest-start"))
    assert lists.for_branch("xen-unstable").entries == ()
    assert AllowList.from_directory({}).for_branch("xen-unstable").entries == ()


def test_the_allow_file_is_read_after_the_directory_and_can_remove_its_entries():
    files = {"allow.all": AllowFile("d/allow.all", "test-@@-sedf@@\ntest-@@-pcipt@@\n")}
    after = [AllowFile("extra", "!test-@@-pcipt@@\nbuild-@@ logs-capture@@\n")]
    lists = AllowList.from_directory(files, after=after).for_branch("xen-unstable")
    assert lists.allows(TestKey("test-amd64-amd64-xl-sedf", "guest-start"))
    assert not lists.allows(TestKey("test-amd64-amd64-xl-pcipt-intel", "guest-start"))
    assert lists.allows(TestKey("build-amd64", "logs-capture"))


def test_a_list_without_branch_files_is_the_same_for_every_branch():
    allow = AllowList.parse(OSSTEST_2013)
    assert allow.for_branch("xen-unstable") == allow.for_branch("linux") == allow


def test_an_empty_list_allows_nothing():
    assert not AllowList().allows(TestKey("any", "thing"))
