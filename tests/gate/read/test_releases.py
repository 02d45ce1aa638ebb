"""The list of releases and a release's page, shaped from roadmaps without a store."""

from __future__ import annotations

from datetime import UTC, date, datetime

from gate.read.releases import release_line, release_list_of, release_page_of
from gate.readiness import Readiness
from gate.roadmap import Declaration, Declared, Feature, Release, Update


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


R43 = Release(
    "4.3",
    "xen-unstable",
    date(2013, 3, 11),
    date(2013, 4, 1),
    date(2013, 6, 1),
    updates=(Update(at("2013-01-10"), "first"), Update(at("2013-03-20"), "second")),
)
R44 = Release(
    "4.4",
    "xen-unstable",
    date(2013, 10, 18),
    date(2013, 11, 1),
    date(2014, 1, 15),
    updates=(Update(at("2013-07-01"), "opened"),),
)
PVH = Feature(
    "pvh",
    "PVH dom0",
    Declared.FAIR,
    "4.3",
    history=(
        Declaration(at("2013-01-10"), Declared.GOOD, "on its way"),
        Declaration(at("2013-03-20"), Declared.FAIR, "slipping"),
    ),
)
ARM = Feature(
    "arm", "ARM", Declared.OK, "4.3", history=(Declaration(at("2013-03-20"), Declared.OK),)
)
KEPT = ["ready", "at_risk", "ready", "blocked"]


def test_a_release_line_counts_what_was_written_and_declared_by_then():
    line = release_line(R43, [PVH, ARM], KEPT, at("2013-02-01"))
    assert line is not None
    assert (line.release.release, line.features, line.updates) == ("4.3", 1, 1)
    assert line.newest_update == at("2013-01-10")
    assert line.at_feature_freeze is None  # the freeze had not come: what is kept is not shown
    later = release_line(R43, [PVH, ARM], KEPT, at("2013-03-27"))
    assert later is not None
    assert (later.features, later.updates, later.newest_update) == (2, 2, at("2013-03-20"))
    assert later.at_feature_freeze is not None
    assert list(later.at_feature_freeze) == list(Readiness.by_severity())
    assert {state: n for state, n in later.at_feature_freeze.items() if n} == {
        Readiness.READY: 2,
        Readiness.AT_RISK: 1,
        Readiness.BLOCKED: 1,
    }


def test_a_freeze_passed_with_nothing_kept_counts_nothing():
    line = release_line(R43, [PVH], [], at("2013-03-27"))
    assert line is not None and line.at_feature_freeze is None


def test_the_list_leaves_out_a_release_whose_roadmap_was_written_later():
    roadmaps = [(R44, []), (R43, [PVH, ARM])]
    listed = release_list_of(roadmaps, {"4.3": KEPT}, at("2013-03-27"))
    assert [line.release.release for line in listed.releases] == ["4.3"]
    both = release_list_of(roadmaps, {"4.3": KEPT}, at("2013-07-31"))
    assert [line.release.release for line in both.releases] == ["4.4", "4.3"]
    assert both.releases[0].at_feature_freeze is None  # 4.4's freeze was months ahead
    unwritten = Release("4.5", "xen-unstable", date(2014, 3, 1), date(2014, 4, 1), date(2014, 6, 1))
    (line,) = release_list_of([(unwritten, [])], {}, at("2013-07-31")).releases
    assert (line.updates, line.newest_update) == (0, None)  # no updates at all: still listed


def test_a_release_page_shows_each_feature_as_declared_then_and_where_it_went():
    page = release_page_of(R43, [PVH, ARM], {"pvh": ["4.4", "4.5"]}, at("2013-02-01"))
    assert page.update == Update(at("2013-01-10"), "first")
    assert (page.updates, page.later_updates) == ((Update(at("2013-01-10"), "first"),), 1)
    (pvh,) = page.features  # ARM was declared later
    assert (pvh.declared_status, pvh.notes, pvh.declared_at) == (
        Declared.GOOD,
        "on its way",
        at("2013-01-10"),
    )
    assert pvh.carried_to == ("4.4", "4.5")
    now = release_page_of(R43, [PVH, ARM], {}, at("2013-03-27"))
    assert [u.summary for u in now.updates] == ["second", "first"]  # newest first
    assert [(f.slug, f.declared_status, f.carried_to) for f in now.features] == [
        ("pvh", Declared.FAIR, ()),
        ("arm", Declared.OK, ()),
    ]
    assert now.later_updates == 0
