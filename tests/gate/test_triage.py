"""Known issues' rules: what they match, which wins, what they refuse, and what an import plans."""

from __future__ import annotations

import re

import pytest

from gate.signature import signature
from gate.triage import (
    MESSAGE_LINES,
    Failing,
    Kind,
    Known,
    Rule,
    RuleError,
    Tally,
    classify,
    common_glob,
    in_order,
    known_of,
    matches,
    pattern_of,
    plan_rules,
)

BUG = "https://bugs.xenproject.org/xen/bug/12"
SAID = "ts-guest-start: step failed / libxl: error: domain did not respond in <N>s"


def failing(
    job: str = "test-amd64-amd64-xl",
    testid: str = "guest-start",
    host: str | None = "italia0",
    message: str | None = "fail",
) -> Failing:
    return Failing(job, testid, host, SAID, message)


def test_globs_match_job_testid_and_host_and_the_expression_searches_what_was_said():
    rule = Rule(
        "timeout", Kind.PRODUCT, BUG, "test-amd64-*", "guest-*", r"respond in <N>s", "ital*"
    )
    assert matches(rule, failing())
    assert not matches(rule, failing(job="test-i386-i386-xl"))
    assert not matches(rule, failing(testid="xen-boot"))
    assert not matches(rule, failing(host="gall-mite"))
    assert not matches(rule, failing(host=None))
    assert matches(Rule("any", Kind.INFRASTRUCTURE), failing(host=None))
    # The signature replaced the number; the message keeps it, and is searched too.
    assert not matches(Rule("n", Kind.TEST, message=r"in 120s"), failing())
    assert matches(
        Rule("n", Kind.TEST, message=r"in 120s"), failing(message="did not respond in 120s")
    )


def test_only_the_first_lines_of_the_message_are_searched():
    lines = ["line"] * MESSAGE_LINES + ["deep down"]
    rule = Rule("deep", Kind.TEST, message="deep down")
    assert not matches(rule, failing(message="\n".join(lines)))
    assert matches(rule, failing(message="\n".join(lines[1:])))


def test_the_most_specific_rule_wins_then_the_name():
    broad = Rule("a-lab", Kind.INFRASTRUCTURE, job="test-*")
    narrow = Rule("z-bug", Kind.PRODUCT, BUG, testid="guest-start", message="did not respond")
    twin = Rule("b-lab", Kind.INFRASTRUCTURE, job="test-amd64-*")
    rules = in_order([broad, twin, narrow])
    assert rules == [narrow, broad, twin]
    assert classify(rules, failing()) == narrow
    assert classify(rules, failing(testid="xen-boot")) == broad
    assert classify(rules, failing(job="build-i386", testid="host-install")) is None
    assert known_of(rules, failing()) == Known("z-bug", Kind.PRODUCT, BUG)


@pytest.mark.parametrize(
    ("fields", "key", "said"),
    [
        ({"kind": Kind.PRODUCT}, "bug_url", "a product rule needs the `bug_url`"),
        ({"kind": Kind.TEST, "message": "(unclosed"}, "message", "is not a regular expression"),
        ({"kind": Kind.TEST, "message": "x" * 501}, "message", "longer than 500"),
        ({"kind": Kind.TEST, "job": ""}, "job", "`job` must be a glob"),
        ({"kind": Kind.TEST, "bug_url": "bugs/12"}, "bug_url", "http:// or https://"),
    ],
)
def test_a_rule_that_cannot_be_kept_says_why_in_one_sentence(fields, key, said):
    with pytest.raises(RuleError) as raised:
        Rule("r", **fields)
    assert raised.value.key == key
    assert said in str(raised.value) and "\n" not in str(raised.value)


def test_a_name_is_a_word():
    with pytest.raises(RuleError, match="a rule's name"):
        Rule("two words", Kind.TEST)


def test_a_cluster_proposes_a_rule_that_matches_its_own_signature():
    said = signature("libxl: error: domain 3 did not respond in 120s (x+y)", None)
    assert said is not None
    assert re.search(pattern_of(said), said)
    assert common_glob(["test-amd64-amd64-xl", "test-amd64-i386-xl"]) == "test-amd64-*"
    assert common_glob(["guest-start"]) == "guest-start"
    assert common_glob(["build-i386", "test-amd64"]) == "*"


def test_the_tally_says_how_many_failures_are_known():
    assert Tally(12, 15).words == "12 of 15 failures known"
    assert Tally(0, 1).words == "0 of 1 failure known"


def test_an_import_plans_created_changed_unchanged_and_missing_rules():
    old = Rule("lab", Kind.INFRASTRUCTURE, job="test-*")
    kept = Rule("kept", Kind.EXPECTED, testid="leak-check*")
    gone = Rule("gone", Kind.TEST)
    new = Rule("bug", Kind.PRODUCT, BUG)
    changed = Rule("lab", Kind.INFRASTRUCTURE, job="test-*", host="gall-*")
    current = {r.name: r for r in (old, kept, gone)}
    plan = plan_rules(current, [new, changed, kept])
    assert plan.created == (new,) and plan.changed == ((old, changed),)
    assert plan.unchanged == ("kept",) and plan.retired == () and plan.missing == ("gone",)
    lines = plan.lines()
    assert "changed rule lab: host '*' -> 'gall-*'" in lines
    assert any("--retire-missing" in line and "gone" in line for line in lines)
    retiring = plan_rules(current, [kept], retire_missing=True)
    assert retiring.retired == (gone, old) and retiring.missing == ()
    assert not plan_rules(current, [old, kept, gone]).changes
