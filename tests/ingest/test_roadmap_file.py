"""The roadmap file: reading, refusing with the line, and writing back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gate.roadmap import Declared
from ingest.roadmap_file import RoadmapError, parse_roadmap, render_roadmap

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "xen-4.3" / "roadmap.toml"
GOOD = """\
[release]
name = "4.3"
branch = "xen-unstable"
feature_freeze = 2013-03-25
code_freeze = 2013-04-15
release = 2013-06-15

[[feature]]
slug = "pvh"
title = "PVH virtualization mode"
owners = ["Mukesh Rathor (Oracle)"]
status = "good"
notes = "fully PV, using some HVM hardware extensions"
tests = ["test-amd64-amd64-xl-pvh-*", "test-*-*-xl-pvh-* guest-start"]

[[feature]]
slug = "vtpm"
title = "vTPM updates"
owners = []
status = "fair"
"""


def test_a_roadmap_file_reads_into_a_release_and_features():
    release, features = parse_roadmap(GOOD, "roadmap.toml")
    assert (release.name, release.branch, release.feature_freeze) == (
        "4.3",
        "xen-unstable",
        date(2013, 3, 25),
    )
    assert [(f.slug, f.status, len(f.tests)) for f in features] == [
        ("pvh", Declared.GOOD, 2),
        ("vtpm", Declared.FAIR, 0),
    ]
    assert str(features[0].tests[1]) == "test-*-*-xl-pvh-* guest-start"


def test_writing_a_roadmap_reads_back_the_same():
    release, features = parse_roadmap(GOOD, "a.toml")
    again = parse_roadmap(render_roadmap(release, features), "b.toml")
    assert again == (release, features)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('status = "fair"', 'status = "unlikely"'),
            r"line 20: feature 'vtpm': unknown status 'unlikely'",
        ),
        (
            ("release = 2013-06-15", 'release = "June"'),
            r"line 6: \[release\]: `release` must be a date",
        ),
        (('slug = "vtpm"', 'slug = "pvh"'), r"line 17: feature 'pvh' appears twice"),
        (("owners = []", "owner = []"), r"line 19: feature 'vtpm': unknown key `owner`"),
        (
            ('tests = ["test-amd64', 'tests = ["a b c", "test-amd64'),
            r"line 14: feature 'pvh': tests: expected",
        ),
        (('title = "vTPM updates"', 'title = "vTPM'), r"not valid TOML: .*line 18"),
        (('slug = "vtpm"', 'slug = "vTPM!"'), r"line 17: feature 'vTPM!': slug must be lowercase"),
    ],
    ids=["status", "date", "duplicate", "unknown-key", "pattern", "toml", "slug"],
)
def test_a_bad_roadmap_is_refused_naming_the_line(change, message):
    with pytest.raises(RoadmapError, match=message):
        parse_roadmap(GOOD.replace(*change), "roadmap.toml")


def test_the_xen_43_example_reads_cleanly():
    release, features = parse_roadmap(EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE))
    assert (release.name, release.branch) == ("4.3", "xen-unstable")
    assert (release.feature_freeze, release.code_freeze, release.release) == (
        date(2013, 3, 25),
        date(2013, 4, 15),
        date(2013, 6, 15),
    )
    assert len(features) >= 20
    untested = {"numa-affinity", "vtpm", "openvswitch", "qxl-spice", "blktap3", "pvaudio"}
    assert {f.slug for f in features if not f.tests} >= untested
