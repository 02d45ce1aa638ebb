"""The triage file: rules read whole, or refused with one line naming the file and the line."""

from __future__ import annotations

import pytest

from gate.triage import Kind, Rule
from ingest.triage_file import TriageFileError, read_rules, render_rules

GOOD = """\
# Known issues of xen-unstable.
[[rule]]
name = "guest-start-timeout"
kind = "product"
bug_url = "https://bugs.xenproject.org/xen/bug/12"
testid = "guest-start*"
message = 'did not respond in <N>s'

[[rule]]
name = "lab-power"
kind = "infrastructure"
host = "gall-*"
"""


def test_a_good_file_reads_into_rules_that_render_back_to_themselves():
    rules = read_rules(GOOD, "known.toml")
    assert rules[0] == Rule(
        "guest-start-timeout",
        Kind.PRODUCT,
        "https://bugs.xenproject.org/xen/bug/12",
        testid="guest-start*",
        message="did not respond in <N>s",
    )
    assert rules[1].kind is Kind.INFRASTRUCTURE and rules[1].job == "*"
    assert read_rules(render_rules(rules), "again") == rules
    assert read_rules("", "empty.toml") == ()


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (
            ('host = "gall-*"', 'hots = "gall-*"'),
            "line 12: rule 'lab-power': unknown key `hots` (did you mean `host`?)",
        ),
        (
            ('"infrastructure"', '"infra"'),
            "line 11: rule 'lab-power': unknown kind 'infra' (use one of product, infrastructure, test, expected)",
        ),
        (
            ("'did not respond in <N>s'", "'did not (respond'"),
            "line 7: rule 'guest-start-timeout': `message` is not a regular expression",
        ),
        (
            ('bug_url = "https://bugs.xenproject.org/xen/bug/12"\n', ""),
            "line 2: rule 'guest-start-timeout': a product rule needs the `bug_url` of its bug",
        ),
        (
            ('"lab-power"', '"guest-start-timeout"'),
            "line 10: rule 'guest-start-timeout' appears twice (first on line 3)",
        ),
        (('host = "gall-*"', 'host = ""'), "line 12: rule 'lab-power': `host` must be a glob"),
        (
            ('host = "gall-*"', "host = 3"),
            "line 12: rule 'lab-power': `host` must be a string, got 3",
        ),
        (
            ('[[rule]]\nname = "lab', '[[rules]]\nname = "lab'),
            "line 9: unknown table or key `rules` (did you mean [[rule]]?)",
        ),
        (('kind = "infrastructure"\n', ""), "line 10: rule 'lab-power': `kind` is missing"),
        (('name = "lab-power"', "name = lab"), "known.toml: not valid TOML"),
    ],
    ids=[
        "unknown-key",
        "kind",
        "regex",
        "bug-url",
        "duplicate",
        "glob",
        "type",
        "table",
        "missing",
        "toml",
    ],
)
def test_each_mistake_is_one_line_naming_the_file_and_the_line(change, said):
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(TriageFileError) as raised:
        read_rules(text, "known.toml")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("known.toml")
    assert said in message, message
