"""The roadmap file: reading, refusing with the line, and writing back."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from gate.roadmap import Declaration, Declared, Feature, Release, Update
from gate.roadmap_import import RoadmapUpdate
from ingest.roadmap_file import RoadmapError, parse_roadmap, read_update, render_roadmap

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


# The lines of GOOD, for the messages below: 1 [release], 2 name, 3 branch, 4 feature_freeze,
# 5 code_freeze, 6 release; 8 [[feature]] "pvh" (9 slug .. 14 tests); 16 [[feature]] "vtpm"
# (17 slug, 18 title, 19 owners, 20 status).


def _refusal(text: str) -> str:
    with pytest.raises(RoadmapError) as caught:
        read_update(text, "roadmap.toml")
    return str(caught.value)


def _changed(*changes: tuple[str, str]) -> str:
    text = GOOD
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("feature_freeze = 2013-03-25", "feature_freze = 2013-03-25"),
            "roadmap.toml, line 4: [release]: unknown key `feature_freze` "
            "(did you mean `feature_freeze`?)",
        ),
        (
            ('branch = "xen-unstable"', 'brunch = "xen-unstable"'),
            "roadmap.toml, line 3: [release]: unknown key `brunch` (did you mean `branch`?)",
        ),
        (
            ("owners = []", "owner = []"),
            "roadmap.toml, line 19: feature 'vtpm': unknown key `owner` (did you mean `owners`?)",
        ),
        (
            ('notes = "fully PV', 'note = "fully PV'),
            "roadmap.toml, line 13: feature 'pvh': unknown key `note` (did you mean `notes`?)",
        ),
        (
            ('[[feature]]\nslug = "vtpm"', '[[features]]\nslug = "vtpm"'),
            "roadmap.toml, line 16: unknown table or key `features` (did you mean [[feature]]?)",
        ),
        (
            ("[release]", "[relase]"),
            "roadmap.toml, line 1: unknown table or key `relase` (did you mean [release]?)",
        ),
        (
            ("[release]", 'colour = "blue"\n\n[release]'),
            "roadmap.toml, line 1: unknown table or key `colour`",
        ),
    ],
    ids=["release-key", "release-key-2", "feature-key", "feature-key-2", "table", "release", "top"],
)
def test_an_unknown_key_or_table_names_the_nearest_known_one(change, message):
    assert _refusal(_changed(change)) == message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("code_freeze = 2013-04-15", "code_freeze = 2013-03-01"),
            "roadmap.toml, line 5: [release]: the code freeze (2013-03-01) is before the "
            "feature freeze (2013-03-25)",
        ),
        (
            ("release = 2013-06-15", "release = 2013-04-01"),
            "roadmap.toml, line 6: [release]: the release (2013-04-01) is before the code "
            "freeze (2013-04-15)",
        ),
    ],
    ids=["code-freeze", "release"],
)
def test_dates_out_of_order_name_the_line_of_the_later_one(change, message):
    assert _refusal(_changed(change)) == message


def test_dates_on_the_same_day_are_in_order():
    release, _ = parse_roadmap(
        _changed(
            ("code_freeze = 2013-04-15", "code_freeze = 2013-03-25"),
            ("release = 2013-06-15", "release = 2013-03-25"),
        ),
        "roadmap.toml",
    )
    assert release.feature_freeze == release.code_freeze == release.release == date(2013, 3, 25)


EXPECTED = "a date written YYYY-MM-DD without quotes, e.g. 2013-03-25"


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (
            '"2013-03-25"',
            f"[release]: `feature_freeze` must be {EXPECTED}, got a string '2013-03-25'",
        ),
        ("2013-3-25", f"`feature_freeze` must be {EXPECTED}, got 2013-3-25"),
        ("2013/03/25", f"`feature_freeze` must be {EXPECTED}, got 2013/03/25"),
    ],
    ids=["quoted", "one-digit-month", "slashes"],
)
def test_a_date_written_another_way_says_the_format_and_the_line(written, message):
    text = _changed(("feature_freeze = 2013-03-25", f"feature_freeze = {written}"))
    assert _refusal(text) == f"roadmap.toml, line 4: {message}"


@pytest.mark.parametrize("key", ["code_freeze", "release"])
def test_a_quoted_date_is_refused_on_its_own_line(key):
    line = {"code_freeze": 5, "release": 6}[key]
    old = {"code_freeze": "2013-04-15", "release": "2013-06-15"}[key]
    text = _changed((f"{key} = {old}", f'{key} = "{old}"'))
    assert _refusal(text) == (
        f"roadmap.toml, line {line}: [release]: `{key}` must be {EXPECTED}, got a string '{old}'"
    )


@pytest.mark.parametrize(
    ("written", "moment"),
    [
        ("2013-03-18", datetime(2013, 3, 18, tzinfo=UTC)),
        ("2013-03-18T09:00:00+02:00", datetime(2013, 3, 18, 7, tzinfo=UTC)),
        ("2013-03-18T09:00:00Z", datetime(2013, 3, 18, 9, tzinfo=UTC)),
        ("2013-03-18T09:00:00", datetime(2013, 3, 18, 9, tzinfo=UTC)),
    ],
    ids=["date", "offset", "utc", "local"],
)
def test_as_of_is_a_moment(written, moment):
    update = read_update(
        _changed(("release = 2013-06-15", f"release = 2013-06-15\nas_of = {written}")),
        "roadmap.toml",
    )
    assert update.as_of == moment
    assert update.as_of is not None and update.as_of.utcoffset() is not None
    if written.endswith("+02:00"):  # the moment as written, not moved to another
        assert update.as_of.utcoffset() == timedelta(hours=2)
        assert update.as_of.hour == 9
    else:
        assert update.as_of.utcoffset() == timedelta(0)


def test_as_of_is_none_when_the_file_gives_none():
    assert read_update(GOOD, "roadmap.toml").as_of is None


@pytest.mark.parametrize(
    ("written", "got"),
    [('"2013-03-18"', "a string '2013-03-18'"), ("09:00:00", "a date datetime.time(9, 0)")],
    ids=["string", "time"],
)
def test_as_of_that_is_not_a_date_is_refused_naming_the_format(written, got):
    text = _changed(("release = 2013-06-15", f"release = 2013-06-15\nas_of = {written}"))
    assert _refusal(text) == (
        f"roadmap.toml, line 7: [release]: `as_of` must be {EXPECTED}, or a date and time "
        f"such as 2013-03-18T09:00:00Z, got {got}"
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            [('slug = "vtpm"', 'slug = "pvh"')],
            "roadmap.toml, line 17: feature 'pvh' appears twice (first on line 9)",
        ),
        (
            [
                (
                    'status = "fair"',
                    'status = "fair"\n\n[[feature]]\nslug = "vtpm"\ntitle = "x"\nstatus = "ok"',
                )
            ],
            "roadmap.toml, line 23: feature 'vtpm' appears twice (first on line 17)",
        ),
    ],
    ids=["second", "third"],
)
def test_a_duplicate_slug_names_both_lines(changes, message):
    assert _refusal(_changed(*changes)) == message


@pytest.mark.parametrize(
    ("owners", "message"),
    [
        ('["A", 3]', "`owners`: each owner must be a string; number 2 is 3"),
        ('[["A"]]', "`owners`: each owner must be a string; number 1 is ['A']"),
        ('"A"', "`owners` must be a list of strings, got a string 'A'"),
        ("{ name = 'A' }", "`owners` must be a list of strings, got a table {'name': 'A'}"),
    ],
    ids=["number", "nested-list", "string", "table"],
)
def test_owners_must_be_a_list_of_strings(owners, message):
    text = _changed(("owners = []", f"owners = {owners}"))
    assert _refusal(text) == f"roadmap.toml, line 19: feature 'vtpm': {message}"


@pytest.mark.parametrize(
    ("written", "got"),
    [("43", "a number 43"), ('""', "a string ''"), ('["4.2"]', "a list ['4.2']")],
    ids=["number", "empty", "list"],
)
def test_carried_from_must_be_a_release_name(written, got):
    text = _changed(('status = "fair"', f'status = "fair"\ncarried_from = {written}'))
    assert _refusal(text) == (
        f"roadmap.toml, line 21: feature 'vtpm': `carried_from` must be a release's name, got {got}"
    )


def test_carried_from_names_the_release_a_feature_slipped_from():
    update = read_update(
        _changed(('status = "fair"', 'status = "fair"\ncarried_from = "4.2"')), "roadmap.toml"
    )
    assert [(f.slug, f.carried_from) for f in update.features] == [("pvh", None), ("vtpm", "4.2")]
    assert update.where("vtpm", "carried_from") == "roadmap.toml, line 21"


# A file as `pushgate roadmap export --history` writes it: earlier updates and declarations.
RICH = r'''[release]
name = "4.3"
branch = "xen-unstable"
feature_freeze = 2013-03-25
code_freeze = 2013-04-15
release = 2013-06-15
as_of = 2013-04-02T09:30:00+02:00
summary = """
The "feature freeze" is past; the tools live in C:\\xen\\tools.
He said ""\"not yet""\" twice, and 'maybe' once."""

[[update]]
as_of = 2013-03-18
summary = "Second update: \"ok\" means on track \\ roughly."

[[update]]
as_of = 2013-02-04T10:00:00

[[feature]]
slug = "pvh"
title = "PVH virtualization mode"
owners = ["Mukesh Rathor (Oracle)"]
status = "good"
notes = "fully PV"
tests = ["test-amd64-amd64-xl-pvh-*"]
carried_from = "4.2"

[[feature.history]]
as_of = 2013-03-18
status = "ok"
notes = "patches posted"

[[feature.history]]
as_of = 2013-02-04
status = "poor"

[[feature]]
slug = "vtpm"
title = "vTPM updates"
owners = []
status = "fair"
'''
# Lines of RICH: 12 and 16 [[update]] (13 as_of, 14 summary; 17 as_of); 19 [[feature]] "pvh"
# (20 slug .. 26 carried_from); 28 and 33 [[feature.history]] (29 as_of, 30 status, 31 notes;
# 34 as_of, 35 status); 37 [[feature]] "vtpm".


def _rich(*changes: tuple[str, str]) -> str:
    text = RICH
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def test_a_freeze_exception_reads_stripped_for_the_feature_and_each_declaration():
    update = read_update(
        _rich(
            ('carried_from = "4.2"', 'carried_from = "4.2"\nfreeze_exception = " until 04-10 "'),
            ('notes = "patches posted"', 'notes = "patches posted"\nfreeze_exception = "asked"'),
        ),
        "roadmap.toml",
    )
    pvh, vtpm = update.features
    assert (pvh.exception, vtpm.exception) == ("until 04-10", "")
    assert [d.exception for d in pvh.history] == ["", "asked"]


def test_feature_history_reads_oldest_first():
    update = read_update(RICH, "roadmap.toml")
    pvh, vtpm = update.features
    assert [(d.at, d.status, d.notes) for d in pvh.history] == [
        (datetime(2013, 2, 4, tzinfo=UTC), Declared.POOR, ""),
        (datetime(2013, 3, 18, tzinfo=UTC), Declared.OK, "patches posted"),
    ]
    assert (pvh.status, pvh.notes, pvh.carried_from) == (Declared.GOOD, "fully PV", "4.2")
    assert vtpm.history == ()


def test_updates_read_into_the_release_oldest_first():
    update = read_update(RICH, "roadmap.toml")
    assert update.release.updates == (
        Update(datetime(2013, 2, 4, 10, tzinfo=UTC), ""),
        Update(datetime(2013, 3, 18, tzinfo=UTC), 'Second update: "ok" means on track \\ roughly.'),
    )
    assert update.as_of == datetime(2013, 4, 2, 7, 30, tzinfo=UTC)
    assert update.summary == (
        'The "feature freeze" is past; the tools live in C:\\xen\\tools.\n'
        'He said """not yet""" twice, and \'maybe\' once.'
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            [("as_of = 2013-02-04\n", "")],
            "roadmap.toml, line 33: feature 'pvh': each [[feature.history]] needs its `as_of` date",
        ),
        (
            [('status = "poor"', 'status = "meh"')],
            "roadmap.toml, line 35: feature 'pvh', history: unknown status 'meh' (use one of "
            "done, good, ok, fair, poor, blocked, dropped)",
        ),
        (
            [('notes = "patches posted"', "notes = 3")],
            "roadmap.toml, line 31: feature 'pvh', history: `notes` must be a string, got a "
            "number 3",
        ),
        (
            [('status = "poor"', 'state = "poor"')],
            "roadmap.toml, line 35: feature 'pvh', history: unknown key `state` (did you mean "
            "`status`?)",
        ),
        (
            [("as_of = 2013-02-04\n", 'as_of = "2013-02-04"\n')],
            f"roadmap.toml, line 34: feature 'pvh', history: `as_of` must be {EXPECTED}, or a "
            "date and time such as 2013-03-18T09:00:00Z, got a string '2013-02-04'",
        ),
        (
            [('status = "good"\n', "")],
            "roadmap.toml, line 19: feature 'pvh': `status` must be a non-empty string "
            "(it is missing)",
        ),
        (
            [("as_of = 2013-02-04T10:00:00\n", "")],
            "roadmap.toml, line 16: [[update]]: each earlier update needs its `as_of` date",
        ),
        (
            [("as_of = 2013-03-18\nsummary", 'as_of = "2013-03-18"\nsummary')],
            f"roadmap.toml, line 13: [[update]]: `as_of` must be {EXPECTED}, or a date and time "
            "such as 2013-03-18T09:00:00Z, got a string '2013-03-18'",
        ),
        (
            [('summary = "Second', 'sumary = "Second')],
            "roadmap.toml, line 14: [[update]]: unknown key `sumary` (did you mean `summary`?)",
        ),
    ],
    ids=[
        "history-as-of",
        "history-status",
        "history-notes",
        "history-key",
        "history-quoted",
        "feature-status",
        "update-as-of",
        "update-quoted",
        "update-key",
    ],
)
def test_a_bad_history_or_update_names_its_own_line(changes, message):
    assert _refusal(_rich(*changes)) == message


def _as_stored(update: RoadmapUpdate) -> tuple[Release, list[Feature]]:
    """The release and features as a store holds them once `update` is imported (what
    `roadmap export` renders): the update ends the release's updates, and each feature's history
    ends with the declaration the file makes of it, as of its own `as_of` or the update's."""
    assert update.as_of is not None
    release = replace(
        update.release, updates=(*update.release.updates, Update(update.as_of, update.summary))
    )
    features = [
        replace(
            f,
            history=(
                *f.history,
                Declaration(
                    update.declared_at.get(f.slug, update.as_of), f.status, f.notes, f.exception
                ),
            ),
        )
        for f in update.features
    ]
    return release, features


@pytest.mark.parametrize(
    "changes",
    [
        [],
        [('status = "fair"', 'status = "fair"\nas_of = 2013-03-18')],
        [
            ('carried_from = "4.2"', 'carried_from = "4.2"\nfreeze_exception = "until 04-10"'),
            ('notes = "patches posted"', 'notes = "patches posted"\nfreeze_exception = " asked "'),
        ],
    ],
    ids=["declared-by-the-update", "declared-by-an-earlier-update", "freeze-exceptions"],
)
def test_writing_history_reads_back_the_same(changes):
    first = read_update(_rich(*changes), "a.toml")
    release, features = _as_stored(first)
    text = render_roadmap(release, features, as_of=first.as_of, summary=first.summary, history=True)
    again = read_update(text, "b.toml")
    assert again.release == first.release
    assert again.release.updates == first.release.updates
    assert again.features == first.features
    assert [f.history for f in again.features] == [f.history for f in first.features]
    assert [f.carried_from for f in again.features] == ["4.2", None]
    assert [f.exception for f in again.features] == [f.exception for f in first.features]
    assert (again.as_of, again.summary, again.declared_at) == (
        first.as_of,
        first.summary,
        first.declared_at,
    )
    assert (
        render_roadmap(*_as_stored(again), as_of=again.as_of, summary=again.summary, history=True)
        == text
    )


@pytest.mark.parametrize(
    "summary",
    [
        'one "quoted" line \\ with a backslash',
        'ends with a quote: "',
        'two lines\nthe second ends with two quotes ""',
        'three quotes """ inside\nand a backslash \\ and \\" an escaped-looking quote',
        '""""\n"""',
        "\nstarts with a line end\n\nand has paragraphs\n",
        "a backslash at the end of a line \\\nand\ttabs",
        "ends with a backslash \\",
    ],
)
def test_a_summary_reads_back_as_written(summary):
    release, features = parse_roadmap(GOOD, "a.toml")
    as_of = datetime(2013, 3, 18, tzinfo=UTC)
    text = render_roadmap(release, features, as_of=as_of, summary=summary)
    again = read_update(text, "b.toml")
    assert (again.as_of, again.summary) == (as_of, summary)


@pytest.mark.parametrize(
    "change",
    [
        ('[[feature]]\nslug = "vtpm"', '[[feature]]  # the second\nslug = "vtpm"'),
        ('[[feature]]\nslug = "vtpm"', '  [[ feature ]]\nslug = "vtpm"'),
    ],
    ids=["comment", "spaces"],
)
def test_a_header_written_loosely_still_finds_its_line(change):
    text = _changed(change, ("owners = []", "owner = []"))
    assert _refusal(text).startswith("roadmap.toml, line 19: feature 'vtpm': unknown key `owner`")


@pytest.mark.parametrize(
    ("tests", "message"),
    [
        ('"x"', "`tests` must be a list of strings, got a string 'x'"),
        ("[1]", "`tests`: each test must be a string; number 1 is 1"),
        ('["a b c"]', "tests: expected 'JOB-GLOB [TESTID-GLOB]', got 'a b c'"),
    ],
    ids=["string", "number", "pattern"],
)
def test_tests_must_be_a_list_of_patterns(tests, message):
    text = _changed(('status = "fair"', f'status = "fair"\ntests = {tests}'))
    assert _refusal(text) == f"roadmap.toml, line 21: feature 'vtpm': {message}"


RELEASE = GOOD[: GOOD.index("[[feature]]")]

# Every way a file can be wrong, including shapes TOML allows and a roadmap does not.
BAD = {
    "empty": "",
    "no-release": GOOD.replace(RELEASE, ""),
    "release-array": GOOD.replace("[release]", "[[release]]"),
    "release-value": 'release = "4.3"\n',
    "feature-value": "feature = 3\n\n" + RELEASE,
    "feature-numbers": "feature = [1, 2]\n\n" + RELEASE,
    "feature-table": RELEASE + '[feature]\nslug = "pvh"\n',
    "update-value": "update = 3\n\n" + GOOD,
    "update-table": "[update]\nas_of = 2013-01-01\n\n" + GOOD,
    "update-numbers": "update = [1, 2]\n\n" + GOOD,
    "history-value": _changed(("owners = []", "owners = []\nhistory = 3")),
    "history-numbers": _changed(("owners = []", "owners = []\nhistory = [1]")),
    "links-numbers": _changed(("owners = []", "owners = []\nlinks = [1]")),
    "slug-number": _changed(('slug = "vtpm"', "slug = 3")),
    "status-number": _changed(('status = "fair"', "status = 3")),
    "title-missing": _changed(('title = "vTPM updates"\n', "")),
    "name-empty": _changed(('name = "4.3"', 'name = ""')),
    "feature-freeze-missing": _changed(("feature_freeze = 2013-03-25\n", "")),
    "summary-number": _changed(("release = 2013-06-15", "release = 2013-06-15\nsummary = 3")),
    "date-time": _changed(("release = 2013-06-15", "release = 2013-06-15T00:00:00Z")),
    "date-no-such-day": _changed(("release = 2013-06-15", "release = 2013-02-30")),
    "not-toml": _changed(('title = "vTPM updates"', 'title = "vTPM')),
}


@pytest.mark.parametrize("text", BAD.values(), ids=BAD.keys())
def test_every_refusal_is_a_roadmap_error_of_one_line_naming_file_and_line(text):
    message = _refusal(text)  # a RoadmapError, never another exception nor a partial result
    assert "\n" not in message
    assert re.match(r"roadmap\.toml, line [1-9]\d*: \S", message), message
