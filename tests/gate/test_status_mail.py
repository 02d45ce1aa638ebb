"""The status mail: the outlook rule, each feature's evidence, what changed, and the text."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from gate.model import Status
from gate.policy import Policy
from gate.readiness import Evidence, FeatureReadiness, Readiness, freeze_view, sentences
from gate.roadmap import Declaration, Declared, Feature, Release
from gate.status_mail import (
    WIDTH,
    Outlook,
    compose,
    evidence,
    render_markdown,
    render_text,
)
from tests.gate.test_readiness import NOW, PAIR, REGR, XL, F, P, feature, history, judge, window

RELEASE = Release("4.3", "xen-unstable", date(2013, 3, 25), date(2013, 4, 15), date(2013, 6, 15))
SINCE = NOW - timedelta(days=7)
D, R = Declared, Readiness
BLOCKS = Outlook.BLOCKED_OR_UNLIKELY


@pytest.mark.parametrize(
    ("declared", "readiness", "outlook"),
    [
        (D.DONE, R.READY, Outlook.DONE),
        (D.DONE, R.UNTESTED, Outlook.DONE),
        (D.DONE, R.STALE, Outlook.DONE),
        (D.DONE, R.AT_RISK, Outlook.AT_RISK),  # the claim is checked: done but failing
        (D.DONE, R.BLOCKED, BLOCKS),
        (D.GOOD, R.ON_TRACK, Outlook.ON_TRACK),
        (D.GOOD, R.UNTESTED, Outlook.ON_TRACK),  # on the owner's word: the line says untested
        (D.OK, R.STALE, Outlook.ON_TRACK),
        (D.GOOD, R.AT_RISK, Outlook.AT_RISK),
        (D.OK, R.BLOCKED, BLOCKS),
        (D.FAIR, R.AT_RISK, Outlook.AT_RISK),
        (D.FAIR, R.UNTESTED, Outlook.AT_RISK),
        (D.FAIR, R.BLOCKED, BLOCKS),
        (D.POOR, R.AT_RISK, BLOCKS),
        (D.POOR, R.UNTESTED, BLOCKS),
        (D.BLOCKED, R.AT_RISK, BLOCKS),
        (D.DROPPED, R.DROPPED, Outlook.DROPPED),
    ],
)
def test_the_outlook_is_the_worse_of_the_declaration_and_the_tests(declared, readiness, outlook):
    assert Outlook.of(declared, readiness) is outlook


def test_no_outlook_is_better_than_what_is_declared_or_what_the_tests_show():
    order = list(Outlook)
    for declared, readiness in itertools.product(Declared, Readiness):
        found = order.index(Outlook.of(declared, readiness))
        assert found >= order.index(Outlook.of(declared, Readiness.ON_TRACK))
        if readiness is Readiness.BLOCKED:
            assert found >= order.index(BLOCKS)
        if declared is Declared.DROPPED:
            assert found == order.index(Outlook.DROPPED)


def test_the_sections_come_in_the_mails_order_with_their_headings():
    assert [o.heading for o in Outlook] == [
        "Done",
        "On track",
        "At risk",
        "Blocked or unlikely",
        "Dropped",
    ]
    assert [o for o in Outlook if o.wants_owner] == [
        Outlook.ON_TRACK,
        Outlook.AT_RISK,
        BLOCKS,
    ]


def _evidence(judged: FeatureReadiness) -> str:
    return evidence(judged, Policy(), "xen-unstable")


def test_the_evidence_of_a_passing_feature_is_its_pass_rate_over_the_window():
    judged = judge(feature(), history({PAIR: [P] * 10, XL: [P] * 9 + [F]}))
    assert judged.readiness is Readiness.AT_RISK  # failing in the newest flight, not blocking
    said = _evidence(judged)
    assert said.startswith("pass rate 95% over the last 10 flights; failing: ")
    on_track = judge(feature(), history({PAIR: [P] * 10}))
    assert _evidence(on_track) == "pass rate 100% over the last 10 flights"


def test_a_low_pass_rate_says_it_is_below_the_bar():
    judged = judge(feature(), history({PAIR: [P, F, P, F, P, F, P, P, P, P]}))
    assert _evidence(judged) == "pass rate 70% over the last 10 flights, below 90%"


def test_the_evidence_of_a_blocked_feature_is_what_blocks_it():
    judged = judge(feature(), history({PAIR: [P] * 9 + [(F, REGR, 17079)]}))
    assert judged.readiness is Readiness.BLOCKED
    assert _evidence(judged) == sentences(judged.blocking)[0]
    assert "regressed in 17080 (REGR. vs. 17079)" in _evidence(judged)


def test_an_untested_feature_says_no_test_checks_it():
    untested = Evidence((), window(), (), None)
    assert _evidence(judge(feature(), untested)) == (
        "no test checks this (nothing its patterns match has run on xen-unstable)"
    )
    bare = dataclasses.replace(feature(), tests=())
    assert _evidence(judge(bare, untested)) == "no test checks this"


def test_a_dropped_feature_says_when_it_was_dropped_and_why():
    change = Declaration(NOW, Declared.DROPPED, "not in the roadmap")
    dropped = dataclasses.replace(feature(Declared.DROPPED), history=(change,))
    assert _evidence(judge(dropped, history({PAIR: [P] * 10}))) == (
        "dropped on 2013-03-11: not in the roadmap"
    )


def _named(slug: str, status: Declared = Declared.GOOD, **changes) -> Feature:
    return dataclasses.replace(feature(status), slug=slug, title=slug.capitalize(), **changes)


def _mail(judged, before, *, as_of=NOW, since=SINCE):
    return compose(
        freeze_view(RELEASE, as_of), judged, before, as_of=as_of, since=since, policy=Policy()
    )


PASSING = history({PAIR: [P] * 10})
REGRESSED = history({PAIR: [P] * 9 + [(F, REGR, 17079)]})
UNTESTED = Evidence((), window(), (), None)


def _week():
    """Four features, a week apart: one regresses, one is declared done, one has no owner."""
    moved = Declaration(NOW - timedelta(days=2), Declared.DONE, "merged")
    older = Declaration(SINCE, Declared.GOOD, "at the last update, not after it")
    features = {
        "migration": _named("migration", owners=("Andrew Cooper",)),
        "xl": _named("xl", Declared.DONE, owners=("Ian Jackson",), history=(older, moved)),
        "blktap3": _named("blktap3", Declared.POOR, owners=()),
        "vtpm": _named("vtpm", owners=("?",), tests=()),
    }
    now = [
        judge(features["migration"], REGRESSED),
        judge(features["xl"], PASSING),
        judge(features["blktap3"], UNTESTED),
        judge(features["vtpm"], UNTESTED),
    ]
    then = [
        judge(features["migration"], PASSING),
        judge(dataclasses.replace(features["xl"], status=Declared.GOOD), PASSING),
        judge(features["blktap3"], UNTESTED),
        judge(features["vtpm"], UNTESTED),
    ]
    return now, then


def test_every_feature_is_in_the_section_of_its_outlook_needing_attention_first():
    now, then = _week()
    mail = _mail(now, then)
    sections = {g.outlook: [line.slug for line in g.features] for g in mail.groups}
    assert sections == {
        Outlook.DONE: ["xl"],
        Outlook.ON_TRACK: ["vtpm"],
        Outlook.AT_RISK: [],
        BLOCKS: ["migration", "blktap3"],  # blocked before untested: the readiness order
        Outlook.DROPPED: [],
    }
    assert [line.slug for line in mail.unowned] == ["vtpm", "blktap3"]
    assert mail.window_flights == 10


def test_what_changed_since_the_last_update():
    now, then = _week()
    found = _mail(now, then).changes
    # Only the changes after `since`, up to and including this update's moment.
    assert [(c.slug, c.from_, c.to, c.note) for c in found.status_changes] == [
        ("xl", Declared.GOOD, Declared.DONE, "merged")
    ]
    assert [(c.slug, c.from_, c.to) for c in found.readiness_changes] == [
        ("migration", Readiness.ON_TRACK, Readiness.BLOCKED),
        ("xl", Readiness.ON_TRACK, Readiness.READY),
    ]
    assert [(b.features, b.sentence) for b in found.new_blockers] == [
        (("migration",), sentences(now[0].blocking)[0])
    ]


def test_a_blocker_that_was_there_at_the_last_update_is_not_new():
    now, _ = _week()
    found = _mail(now, now).changes
    assert found.new_blockers == ()
    assert found.readiness_changes == ()


def test_the_text_reads_like_a_coordinators_update():
    now, then = _week()
    text = render_text(_mail(now, then))
    assert text.startswith(
        "Release 4.3 status update, 2013-03-11\n"
        "=====================================\n"
        "\n"
        "The feature freeze is in 14 days (2013-03-25), the code freeze is in 35 days\n"
        "(2013-04-15) and the release is in 96 days (2013-06-15).\n"
        "\n"
        "Of the 4 features, 1 is done, 1 on track, none at risk, 2 blocked or\n"
        "unlikely and none dropped. No test checks 2 of them. What the tests show is\n"
        "read from the last 10 flights of xen-unstable up to 2013-03-11.\n"
    )
    assert (
        "Done (1):\n\n"
        "  * Xl [xl] - Ian Jackson: declared done; ready: pass rate 100% over the\n"
        "    last 10 flights\n"
    ) in text
    assert "At risk: none.\n" in text
    assert "  * Migration [migration] - Andrew Cooper: declared good; blocked:" in text
    assert "  * Vtpm [vtpm] - no owner: declared good; untested: no test checks this\n" in text
    assert "Changes since 2013-03-04:\n" in text
    assert "    * Xl [xl]: declared good -> done on 2013-03-09 (merged)\n" in text
    assert "    * Migration [migration] became blocked (was on track)\n" in text
    assert "    * Xl [xl] became ready (was on track)\n" in text
    assert (
        "    * test-amd64-amd64-pair guest-start regressed in 17080 (REGR. vs.\n"
        "      17079); holds up migration\n"
    ) in text
    assert text.endswith(
        "Features that need an owner (2):\n\n"
        "  * Vtpm [vtpm], declared good\n"
        "  * Blktap3 [blktap3], declared poor\n"
    )


def test_the_text_is_wrapped_deterministic_and_names_every_feature_once():
    now, then = _week()
    mail = _mail(now, then)
    text = render_text(mail)
    assert text == render_text(_mail(now, then))
    assert max(len(line) for line in text.splitlines()) <= WIDTH
    sections = text.split("Changes since")[0]
    for line in mail.features():
        assert sections.count(f"[{line.slug}]") == 1


def test_the_countdown_says_when_a_milestone_has_passed():
    now, then = _week()
    later = NOW + timedelta(days=15)
    text = render_text(_mail(now, then, as_of=later, since=later - timedelta(days=7)))
    assert "The feature freeze was yesterday (2013-03-25), the code freeze is in 20 days" in text
    moment = datetime(2013, 3, 11, 14, 30, tzinfo=UTC)
    text = render_text(_mail(now, then, as_of=moment))
    assert text.startswith("Release 4.3 status update, 2013-03-11 14:30 UTC\n")


def test_the_markdown_has_the_same_sections_as_headings_and_escapes_the_gates_words():
    now, then = _week()
    starred = history({PAIR: [P] * 10})
    odd = judge(_named("capture_logs", owners=("A*B",)), starred)
    markdown = render_markdown(_mail([*now, odd], then))
    assert markdown.startswith("# Release 4.3 status update, 2013-03-11\n")
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Done (1)",
        "## On track (2)",
        "## At risk (0)",
        "## Blocked or unlikely (2)",
        "## Dropped (0)",
        "## Changes since 2013-03-04",
        "## Features that need an owner (2)",
    ]
    assert "- **Capture\\_logs** (`capture_logs`), A\\*B: declared good; on track:" in markdown
    assert "### New blockers\n\n- " in markdown
    assert "## At risk (0)\n\nNone.\n" in markdown


def test_a_pass_rate_needs_counted_steps():
    blocked_only = history({PAIR: [Status.BLOCKED] * 10})
    judged = judge(_named("odd", Declared.FAIR), blocked_only)
    assert judged.readiness is Readiness.AT_RISK
    assert _evidence(judged).startswith(
        "no linked step was counted over the last 10 flights; failing: "
    )
