"""Planning the import of one dated update: what it changes, and what it refuses."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from gate.roadmap import Declaration, Declared, Feature, Release, TestPattern, Update
from gate.roadmap_import import Change, ImportRefused, RoadmapUpdate, plan_import

R43 = Release("4.3", "xen-unstable", date(2013, 3, 25), date(2013, 4, 15), date(2013, 6, 15))
R44 = Release("4.4", "xen-unstable", date(2013, 12, 13), date(2014, 1, 10), date(2014, 3, 7))
OCT, FEB, MAR = (datetime(2012, 10, 1, tzinfo=UTC), datetime(2013, 2, 6, tzinfo=UTC),
                 datetime(2013, 3, 18, tzinfo=UTC))  # fmt: skip


def feature(slug: str, status: Declared = Declared.GOOD, release: str = "4.3", **more) -> Feature:
    title = more.pop("title", slug.upper())
    return Feature(slug, title, status, release, **more)


def stored_43() -> dict[str, tuple[Release, list[Feature]]]:
    """4.3 as the store holds it after its update of October: three features."""
    history = lambda s: (Declaration(OCT, s, "planned"),)  # noqa: E731
    features = [
        feature(s, d, notes="planned", history=history(d))
        for s, d in (("pvh", Declared.GOOD), ("blktap3", Declared.OK), ("vtpm", Declared.GOOD))
    ]
    return {"4.3": (replace(R43, updates=(Update(OCT, "the plan"),)), features)}


def update(release: Release, *features: Feature, source: str = "u.toml") -> RoadmapUpdate:
    return RoadmapUpdate(source, release, features, lines={("", "name"): 2})


def test_a_new_release_creates_every_feature():
    plan = plan_import(update(R44, feature("pvh-dom0", release="4.4")), MAR, stored_43())
    assert plan.new_release and plan.newest and plan.new_update
    assert [(c.slug, c.change, c.after) for c in plan.changes] == [
        ("pvh-dom0", Change.NEW, Declared.GOOD)
    ]
    assert plan.lines()[0] == "release 4.4 (new): a new update of 2013-03-18"


def test_a_status_declared_again_says_old_and_new_and_missing_features_are_kept():
    later = update(
        R43,
        feature("pvh", Declared.DONE, notes="merged"),
        feature("blktap3", Declared.OK, notes="planned"),
    )
    plan = plan_import(later, FEB, stored_43())
    by_slug = {c.slug: c for c in plan.changes}
    assert (by_slug["pvh"].change, by_slug["pvh"].before, by_slug["pvh"].after) == (
        Change.STATUS, Declared.GOOD, Declared.DONE
    )  # fmt: skip
    assert by_slug["pvh"].fields == ("notes",)
    assert by_slug["blktap3"].change is Change.UNCHANGED
    assert (by_slug["vtpm"].change, by_slug["vtpm"].before) == (Change.MISSING, Declared.GOOD)
    assert ("vtpm", Declaration(FEB, Declared.DROPPED, "not in the update of 2013-02-06")) not in (
        plan.declarations
    )
    assert "  status    pvh: good -> done (and notes)" in plan.lines()
    assert "  missing   vtpm: not in the file, kept (good)" in plan.lines()


def test_drop_missing_declares_the_missing_features_dropped_as_of_the_update():
    plan = plan_import(update(R43, feature("pvh")), FEB, stored_43(), drop_missing=True)
    dropped = {c.slug: (c.before, c.after) for c in plan.of(Change.DROPPED)}
    assert dropped == {
        "blktap3": (Declared.OK, Declared.DROPPED),
        "vtpm": (Declared.GOOD, Declared.DROPPED),
    }
    assert ("vtpm", Declaration(FEB, Declared.DROPPED, "not in the update of 2013-02-06")) in (
        plan.declarations
    )


def test_an_older_update_keeps_the_newer_ones_titles_owners_and_tests():
    older = update(
        R43, feature("pvh", Declared.FAIR, tests=(TestPattern("test-*-pvh"),), title="Old title")
    )
    plan = plan_import(older, datetime(2012, 9, 1, tzinfo=UTC), stored_43())
    assert not plan.newest
    assert plan.features == ()  # pvh is stored: only its declaration of September is added
    assert plan.changes[0].change is Change.STATUS  # nothing was declared by then
    assert plan.changes[0].before is None
    assert "(a later update is stored: only its statuses and notes are kept)" in plan.lines()[0]


def test_the_same_update_again_changes_nothing():
    same = [
        feature(s, d, notes="planned")
        for s, d in (("pvh", Declared.GOOD), ("blktap3", Declared.OK), ("vtpm", Declared.GOOD))
    ]
    plan = plan_import(
        RoadmapUpdate("u.toml", R43, tuple(same), summary="the plan"), OCT, stored_43()
    )
    assert not plan.changed
    assert plan.lines()[-1] == "  no change"


def test_a_new_release_named_like_a_typo_of_another_is_refused():
    typo = replace(R43, name="4.3.0")
    mistyped = update(typo, feature("pvh"), feature("blktap3"), feature("vtpm"), feature("new"))
    with pytest.raises(ImportRefused) as refused:
        plan_import(mistyped, MAR, stored_43())
    assert str(refused.value).startswith(
        "u.toml, line 2: release '4.3.0' is new, but 3 of its 4 features are features of "
        "release '4.3': is the name mistyped?"
    )
    assert plan_import(mistyped, MAR, stored_43(), new_release=True).new_release


def test_features_carried_from_another_release_are_no_typo():
    carried = [feature(s, release="4.4", carried_from="4.3") for s in ("pvh", "blktap3", "vtpm")]
    plan = plan_import(update(R44, *carried), MAR, stored_43())
    assert [(c.slug, c.carried_from) for c in plan.changes] == [
        ("pvh", "4.3"), ("blktap3", "4.3"), ("vtpm", "4.3")
    ]  # fmt: skip
    assert "  new       pvh: good (carried from 4.3)" in plan.lines()


@pytest.mark.parametrize(
    ("carried_from", "message"),
    [
        ("4.2", "carried_from = '4.2', but there is no release '4.2' (the releases: 4.3)"),
        ("4.3", "carried_from = '4.3', but release '4.3' has no feature 'arm'"),
        ("4.4", "carried_from names its own release '4.4'"),
    ],
)
def test_a_carried_from_the_store_does_not_have_is_refused_naming_the_line(carried_from, message):
    bad = RoadmapUpdate(
        "u.toml",
        R44,
        (feature("arm", release="4.4", carried_from=carried_from),),
        lines={("arm", "carried_from"): 12},
    )
    with pytest.raises(ImportRefused, match=r"^u\.toml, line 12: feature 'arm': ") as refused:
        plan_import(bad, MAR, stored_43())
    assert message in str(refused.value)


def test_an_update_carrying_its_history_adds_the_earlier_declarations_and_updates():
    history = (Declaration(OCT, Declared.FAIR, "early days"),)
    carrying = RoadmapUpdate(
        "u.toml",
        replace(R44, updates=(Update(OCT, "the plan"),)),
        (feature("arm", release="4.4", history=history),),
        summary="now",
    )
    plan = plan_import(carrying, MAR, {})
    assert plan.declarations == (
        ("arm", history[0]),
        ("arm", Declaration(MAR, Declared.GOOD, "")),
    )
    assert plan.updates == (Update(OCT, "the plan"), Update(MAR, "now"))


def test_an_earlier_declaration_of_a_date_no_update_names_gets_an_update_of_that_date():
    earlier = Declaration(OCT, Declared.FAIR, "early days")
    lone = RoadmapUpdate("u.toml", R44, (feature("arm", release="4.4", history=(earlier,)),))
    plan = plan_import(lone, MAR, {})
    assert plan.updates == (Update(OCT), Update(MAR))
