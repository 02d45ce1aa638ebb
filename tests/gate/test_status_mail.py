"""The status mail: its sections (the features' readiness), each feature's evidence, what
changed, the push gate, and the text."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from gate.model import Status, TestKey
from gate.policy import Policy
from gate.readiness import (
    Evidence,
    FeatureReadiness,
    Observation,
    Readiness,
    freeze_view,
    sentences,
)
from gate.roadmap import Declaration, Declared, Feature, Release, TestPattern
from gate.status_mail import (
    WIDTH,
    PushGate,
    compose,
    evidence,
    render_markdown,
    render_text,
)
from tests.gate.test_readiness import NOW, PAIR, REGR, XL, F, P, feature, history, judge, window

RELEASE = Release("4.3", "xen-unstable", date(2013, 3, 25), date(2013, 4, 15), date(2013, 6, 15))
SINCE = NOW - timedelta(days=7)
D, R = Declared, Readiness


def test_the_sections_are_the_readiness_states_worst_first_with_their_headings():
    assert [state.heading for state in Readiness.by_severity()] == [
        "Blocked",
        "At risk",
        "Missed the freeze",
        "Stale",
        "Untested",
        "On track",
        "Ready",
        "Dropped",
    ]
    assert [s for s in Readiness.by_severity() if not s.wants_owner] == [R.READY, R.DROPPED]


def _evidence(judged: FeatureReadiness) -> str:
    return evidence(judged, Policy(), "xen-unstable")


def test_the_evidence_of_a_passing_feature_is_its_pass_rate_over_the_window():
    judged = judge(feature(), history({PAIR: [P] * 10, XL: [P] * 9 + [F]}))
    assert judged.readiness is Readiness.AT_RISK  # failing in the newest flight, not blocking
    said = _evidence(judged)
    assert said.startswith("pass rate 95% over the last 10 flights; failing: ")
    on_track = judge(feature(), history({PAIR: [P] * 10}))
    # `test-*-pair` links the whole job: the mail says the claim rests on it
    assert _evidence(on_track) == (
        "pass rate 100% over the last 10 flights (indirect: whole jobs only)"
    )
    by_step = dataclasses.replace(feature(), tests=(TestPattern("test-*-pair", "guest-*"),))
    assert _evidence(judge(by_step, history({PAIR: [P] * 10}))) == (
        "pass rate 100% over the last 10 flights"
    )


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


def test_every_feature_is_in_the_section_of_its_readiness_the_one_every_page_shows():
    now, then = _week()
    mail = _mail(now, then)
    sections = {g.readiness: [line.slug for line in g.features] for g in mail.groups}
    assert sections == {
        R.BLOCKED: ["migration"],
        R.AT_RISK: ["blktap3"],  # declared poor, and no test says otherwise
        R.STALE: [],
        R.UNTESTED: ["vtpm"],
        R.ON_TRACK: [],
        R.READY: ["xl"],
        R.DROPPED: [],
    }
    assert all(line.readiness is j.readiness for line, j in zip(
        sorted(mail.features(), key=lambda line: line.slug),
        sorted(now, key=lambda j: j.feature.slug),
        strict=True,
    ))  # fmt: skip
    assert [line.slug for line in mail.unowned] == ["blktap3", "vtpm"]
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
        "4.3 is open for features: the feature freeze is in 14 days (2013-03-25), the\n"
        "code freeze is in 35 days (2013-04-15) and the release is in 96 days\n"
        "(2013-06-15).\n"
        "\n"
        "Of the 4 features, 1 is blocked, 1 at risk, 1 untested and 1 ready. What the\n"
        "tests show is read from the last 10 flights of xen-unstable up to\n"
        "2013-03-11.\n"
    )
    assert (
        "Ready (1):\n\n"
        "  * Xl [xl] - Ian Jackson: declared done; ready: pass rate 100% over the\n"
        "    last 10 flights (indirect: whole jobs only)\n"
    ) in text
    assert "Stale: none.\n" in text
    assert (
        "  * Blktap3 [blktap3] - no owner: declared poor; at risk: declared poor by\n"
        "    its owner, and no test says otherwise: no linked test has ever run on\n"
        "    the branch\n"
    ) in text
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
        "  * Blktap3 [blktap3], declared poor\n"
        "  * Vtpm [vtpm], declared good\n"
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
    assert (
        "4.3 is feature frozen: the feature freeze was yesterday (2013-03-25), the\ncode freeze"
        " is in 20 days"
    ) in text
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
        "## Blocked (1)",
        "## At risk (1)",
        "## Stale (0)",
        "## Untested (1)",
        "## On track (1)",
        "## Ready (1)",
        "## Dropped (0)",
        "## Changes since 2013-03-04",
        "## Features that need an owner (2)",
    ]
    assert "- **Capture\\_logs** (`capture_logs`), A\\*B: declared good; on track:" in markdown
    assert "### New blockers\n\n- " in markdown
    assert "## Stale (0)\n\nNone.\n" in markdown


def test_a_pass_rate_needs_counted_steps():
    blocked_only = history({PAIR: [Status.BLOCKED] * 10})
    judged = judge(_named("odd", Declared.FAIR), blocked_only)
    assert judged.readiness is Readiness.AT_RISK  # on its owner's word: no step had a result
    assert _evidence(judged) == (
        "declared fair by its owner, and no test says otherwise: no linked step ran to a "
        "result in the last 10 flights: the test infrastructure got in the way; evidence "
        "missing: guest-start blocked in 17080: test-amd64-amd64-pair"
    )


def test_the_push_gate_names_where_each_blocking_step_came_in_with_its_revisions():
    came_in = Observation(17080, PAIR, F, REGR, 17070, since=17077, attempts=4)
    fresh = Observation(17080, XL, F, REGR, 17070)
    gate = PushGate(
        "xen-unstable",
        last_push=17070,
        last_push_at=NOW - timedelta(days=9),
        days_since_push=9.0,
        flights_since=10,
        newest=17080,
        blocking=(came_in, fresh),
        revisions={17077: {"xen": "5f86a42a1a27c0ffee", "linux": "e6fca6cfc033aa"}},
    )
    mail = dataclasses.replace(_mail([], []), gate=gate)
    text = " ".join(render_text(mail).split())
    assert (
        "test-amd64-amd64-pair guest-start regressed (REGR. vs. 17070), came in in 17077 "
        "(4 flights; linux e6fca6cfc033, xen 5f86a42a1a27)"
    ) in text
    assert (
        "test-amd64-amd64-xl guest-localmigrate regressed (REGR. vs. 17070), came in in 17080"
        in text
    )


def test_the_push_gate_gathers_each_step_with_its_jobs_and_says_what_is_infrastructure():
    other_job = TestKey("test-amd64-i386-pair", PAIR.testid)
    install = TestKey("test-amd64-amd64-xl", "host-install(3)")
    gate = PushGate(
        "xen-unstable",
        last_push=17070,
        last_push_at=NOW - timedelta(days=2),
        days_since_push=2.0,
        flights_since=3,
        newest=17080,
        blocking=(
            Observation(17080, PAIR, F, REGR, 17070, since=17078, attempts=3),
            Observation(17080, install, Status.BROKEN, REGR, 17070),
            Observation(17080, other_job, F, REGR, 17070, since=17078, attempts=3),
        ),
        revisions={17078: {"xen": "aaaabbbbccccdddd"}},
    )
    pair, broken = gate.steps
    assert (pair.jobs, pair.came_in, pair.flights, pair.revisions, pair.infrastructure) == (
        ("test-amd64-amd64-pair", "test-amd64-i386-pair"),
        17078,
        3,
        {"xen": "aaaabbbbccccdddd"},
        False,
    )
    assert (broken.jobs, broken.came_in, broken.flights, broken.infrastructure) == (
        ("test-amd64-amd64-xl",),
        17080,
        1,
        True,
    )
    text = " ".join(render_text(dataclasses.replace(_mail([], []), gate=gate)).split())
    assert (
        "* guest-start regressed (REGR. vs. 17070), came in in 17078 (3 flights; xen "
        "aaaabbbbcccc) in 2 jobs: test-amd64-amd64-pair, test-amd64-i386-pair"
    ) in text
    assert "* test-amd64-amd64-xl infrastructure: host-install(3) broken" in text


def test_with_a_base_url_the_mail_links_its_page_features_and_flights_as_of_its_moment():
    now, then = _week()
    gate = PushGate(
        "xen-unstable",
        last_push=17070,
        last_push_at=NOW - timedelta(days=2),
        days_since_push=2.0,
        flights_since=3,
        newest=17080,
        blocking=(Observation(17080, PAIR, F, REGR, 17070, since=17078, attempts=3),),
    )
    plain = dataclasses.replace(_mail(now, then), gate=gate)
    assert "http" not in render_text(plain) and "http" not in render_markdown(plain)
    linked = dataclasses.replace(plain, base_url="https://gate.example.org/")
    text = render_text(linked)
    assert (
        "\nOn the dashboard: https://gate.example.org/releases/4.3/status?as_of=2013-03-11\n"
        in (text)
    )
    assert "\n    https://gate.example.org/flights/17078?as_of=2013-03-11\n" in text
    for slug in ("migration", "xl", "blktap3", "vtpm"):
        assert f"\n    https://gate.example.org/features/{slug}?release=4.3&as_of=2013-03-11\n" in (
            text
        )
    markdown = render_markdown(linked)
    assert "  <https://gate.example.org/features/xl?release=4.3&as_of=2013-03-11>\n" in markdown
    later = dataclasses.replace(linked, as_of=datetime(2013, 3, 11, 14, 30, tzinfo=UTC))
    assert (
        later.flight_link(1) == "https://gate.example.org/flights/1?as_of=2013-03-11T14%3A30%3A00"
    )
