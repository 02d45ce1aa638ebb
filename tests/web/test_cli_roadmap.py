"""The roadmap commands over a small gate: import, export, features, feature, links."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from gate.model import Status
from tests.builders import flight, write
from tests.conftest import Build, Copy
from web.cli import main

P, F = Status.PASS, Status.FAIL
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "xen-4.3" / "roadmap.toml"
ROADMAP = """\
[release]
name = "4.3"
branch = "xen-unstable"
feature_freeze = 2013-03-25
code_freeze = 2013-04-15
release = 2013-06-15
as_of = 2013-03-01

[[feature]]
slug = "xl"
title = "xl toolstack"
owners = ["Ian Jackson"]
status = "done"
tests = ["test-amd64-amd64-xl"]

[[feature]]
slug = "migration"
title = "Live migration"
owners = ["Andrew Cooper"]
status = "good"
tests = ["test-*-pair guest-*"]

[[feature]]
slug = "sedf"
title = "SEDF scheduler"
owners = []
status = "good"
tests = ["test-*-sedf"]

[[feature]]
slug = "arm"
title = "ARM v7 server port"
owners = ["Stefano Stabellini"]
status = "good"

[[feature]]
slug = "oldkern"
title = "linux-2.6.18 dom0"
owners = []
status = "ok"
tests = ["test-amd64-i386-oldkern"]

[[feature]]
slug = "vtpm"
title = "vTPM"
owners = ["Matthew Fioravante"]
status = "good"

[[feature]]
slug = "blktap3"
title = "blktap3"
owners = ["Thanos Makatos"]
status = "dropped"
tests = ["test-*-xl"]
"""
EXPECTED = {
    "xl": "ready",
    "migration": "blocked",
    "sedf": "at_risk",
    "arm": "on_track",
    "oldkern": "stale",
    "vtpm": "untested",
    "blktap3": "dropped",
}


@pytest.fixture(scope="module")
def twelve_flights(build_sqlite: Build, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twelve flights: sedf flaky, the pair regressing in the newest, oldkern only at first."""
    here = tmp_path_factory.mktemp("gate")
    paths = []
    for n in range(1, 13):
        steps = {
            "build-armhf xen-build": P,
            "test-amd64-amd64-xl guest-start": P,
            "test-amd64-amd64-xl guest-stop": P,
            "test-amd64-amd64-pair guest-migrate/src_host/dst_host": F if n == 12 else P,
            "test-amd64-amd64-xl-sedf guest-start": F if n in (5, 8, 10) else P,
        }
        if n <= 2:
            steps["test-amd64-i386-oldkern guest-start"] = P
        tags = {"build-armhf xen-build": frozenset({"arm"})}
        started = datetime(2013, 3, 1, tzinfo=UTC) + timedelta(hours=12 * n)
        first = "rev1" if n == 1 else None  # the first tests master itself: the baseline
        made = flight(17000 + n, steps, xen=f"rev{n}", baseline=first, tags=tags, started=started)
        paths.append(str(write(made, here / f"{17000 + n}.xml")))
    return build_sqlite(["ingest", *paths])


@pytest.fixture
def gate(twelve_flights: Path, sqlite_copy: Copy, tmp_path: Path) -> Path:
    """The twelve flights in the test's own database, and the roadmap of their features."""
    sqlite_copy(twelve_flights)
    roadmap = tmp_path / "roadmap.toml"
    roadmap.write_text(ROADMAP)
    return roadmap


def test_import_then_features_gives_every_readiness(pushgate, gate):
    imported = pushgate("roadmap", "import", str(gate))
    assert imported.exit_code == 0, imported.stderr
    assert imported.stdout.splitlines() == [
        "release 4.3 (new): a new update of 2013-03-01",
        "  new       xl: done",
        "  new       migration: good",
        "  new       sedf: good",
        "  new       arm: good",
        "  new       oldkern: ok",
        "  new       vtpm: good",
        "  new       blktap3: dropped",
        "  in all: 7 new",
    ]
    result = pushgate("features", "--format", "json", "--now", "2013-03-11")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {r["slug"]: r["readiness"] for r in rows} == EXPECTED
    by_slug = {r["slug"]: r for r in rows}
    assert set(by_slug["migration"]) >= {
        "slug", "title", "owners", "declared_status", "readiness", "pass_rate", "tests",
        "blocking", "reasons", "mismatch", "projection",
    }  # fmt: skip
    assert by_slug["migration"]["mismatch"] is True
    assert by_slug["migration"]["reasons"] == [
        "test-amd64-amd64-pair guest-migrate/src_host/dst_host regressed in 17012 (REGR. vs. 17011)"
    ]
    assert by_slug["sedf"]["pass_rate"] == 0.7
    assert by_slug["arm"]["tests"] == ["build-armhf xen-build"]  # linked by property
    assert by_slug["xl"]["tests"] == [
        "test-amd64-amd64-xl guest-start",
        "test-amd64-amd64-xl guest-stop",
    ]
    assert by_slug["vtpm"]["pass_rate"] is None


def test_the_text_views_read_like_a_release_status(pushgate, gate):
    pushgate("roadmap", "import", str(gate))
    table = pushgate("features", "--now", "2013-03-11").stdout.splitlines()
    assert table[0] == (
        "release 4.3 on xen-unstable: feature freeze 2013-03-25 (in 14 days), code freeze "
        "2013-04-15 (in 35 days), release 2013-06-15 (in 96 days)"
    )
    # Long past: days ago, never a negative count.
    later = pushgate("features", "--now", "2026-11-01").stdout.splitlines()[0]
    assert later == (
        "release 4.3 on xen-unstable: feature freeze 2013-03-25 (4969 days ago), code freeze "
        "2013-04-15 (4948 days ago), release 2013-06-15 (4887 days ago)"
    )
    assert "(tomorrow)" in pushgate("features", "--now", "2013-03-24").stdout.splitlines()[0]
    migration = next(line for line in table if line.startswith("migration "))
    assert migration.split()[:5] == ["migration", "blocked", "good", "90%", "1"]
    assert "!" in migration
    one = pushgate("feature", "migration", "--now", "2013-03-11")
    assert one.exit_code == 0
    assert "readiness:  blocked  (contradicts the declaration)" in one.stdout
    assert "regressed in 17012 (REGR. vs. 17011)" in one.stdout
    assert "(new) -> good" in one.stdout
    unknown = pushgate("feature", "nothing")
    assert unknown.exit_code == 1
    assert unknown.stderr == "Error: no feature 'nothing'\n"


NO_CHANGE = "release 4.3: the update of 2013-03-01\n  in all: 7 unchanged\n  no change\n"


def test_reimport_changes_statuses_keeps_the_missing_and_keeps_history(pushgate, gate, tmp_path):
    pushgate("roadmap", "import", str(gate))
    assert pushgate("roadmap", "import", str(gate)).stdout == NO_CHANGE
    changed = tmp_path / "changed.toml"
    text = ROADMAP.replace("as_of = 2013-03-01", "as_of = 2013-03-08").replace(
        'status = "good"\ntests = ["test-*-sedf"]',
        'status = "poor"\nnotes = "taking stock"\ntests = ["test-*-sedf"]',
    )
    changed.write_text(text.split('[[feature]]\nslug = "vtpm"')[0])
    result = pushgate("roadmap", "import", str(changed))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "release 4.3: a new update of 2013-03-08",
        "  status    sedf: good -> poor (and notes)",
        "  missing   vtpm: not in the file, kept (good)",
        "  missing   blktap3: not in the file, kept (dropped)",
        "  in all: 1 status, 4 unchanged, 2 missing",
    ]
    sedf = json.loads(pushgate("feature", "sedf", "--format", "json").stdout)
    assert [(h["from"], h["to"], h["note"], h["at"][:10]) for h in sedf["history"]] == [
        (None, "good", "", "2013-03-01"),
        ("good", "poor", "taking stock", "2013-03-08"),
    ]
    assert sedf["notes"] == "taking stock"
    before = json.loads(
        pushgate("feature", "sedf", "--format", "json", "--now", "2013-03-05").stdout
    )
    assert (before["declared_status"], before["notes"]) == ("good", "")
    vtpm = json.loads(pushgate("feature", "vtpm", "--format", "json").stdout)
    assert vtpm["declared_status"] == "good"  # missing from the update: kept
    dropped = pushgate("roadmap", "import", "--drop-missing", str(changed))
    assert "  dropped   vtpm: good -> dropped" in dropped.stdout.splitlines()
    vtpm = json.loads(pushgate("feature", "vtpm", "--format", "json").stdout)
    assert vtpm["declared_status"] == "dropped"
    assert vtpm["history"][-1]["note"] == "not in the update of 2013-03-08"


def test_export_imports_back_to_the_same_state(pushgate, gate, tmp_path):
    pushgate("roadmap", "import", str(gate))
    exported = tmp_path / "exported.toml"
    assert pushgate("roadmap", "export", "-o", str(exported)).exit_code == 0
    assert pushgate("roadmap", "import", str(exported)).stdout == NO_CHANGE
    assert pushgate("roadmap", "export").stdout == exported.read_text()


def test_a_bad_roadmap_changes_nothing(pushgate, gate, tmp_path, sqlite_url):
    pushgate("roadmap", "import", str(gate))

    def stored() -> list[tuple[str, str]]:
        with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as db:
            return db.execute(
                "SELECT f.slug, d.status FROM feature f JOIN declaration d ON d.feature_id = f.id "
                "ORDER BY f.slug"
            ).fetchall()

    before = stored()
    bad = tmp_path / "bad.toml"
    bad.write_text(
        ROADMAP.replace('status = "ok"', 'status = "unlikely"').replace('"done"', '"good"')
    )
    result = pushgate("roadmap", "import", str(bad))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {bad}, line 40: feature 'oldkern': unknown status")
    assert stored() == before


def test_links_lists_unserved_tests_and_untested_features(pushgate, gate):
    pushgate("roadmap", "import", str(gate))
    result = json.loads(pushgate("links", "--format", "json").stdout)
    assert result == {"unlinked_tests": [], "untested_features": ["vtpm"]}
    text = pushgate("links").stdout
    assert "features linked to no test that has run: 1\n  vtpm  (no patterns)" in text


def test_features_without_a_roadmap_say_what_to_do(pushgate):
    result = pushgate("features")
    assert result.exit_code == 1
    assert "no release yet: run `pushgate roadmap import FILE`" in result.stderr


def test_the_xen_43_example_imports_cleanly(pushgate):
    result = pushgate("roadmap", "import", str(EXAMPLE))
    assert result.exit_code == 0, result.stderr
    rows = json.loads(pushgate("features", "--format", "json", "--now", "2013-03-18").stdout)
    assert len(rows) >= 20
    # No flight ingested yet: untested, or at risk on the owner's word for the fair and poor.
    assert {r["readiness"] for r in rows} == {"untested", "at_risk"}
    at_risk = {r["declared_status"] for r in rows if r["readiness"] == "at_risk"}
    assert at_risk <= {"fair", "poor", "blocked"}
    # Today, years after 4.3's feature freeze, every feature that is not done has missed it.
    today = json.loads(pushgate("features", "--format", "json").stdout)
    assert {r["slug"] for r in today if r["readiness"] == "missed_freeze"} == {
        r["slug"] for r in rows if r["declared_status"] not in ("done", "dropped")
    }


def test_the_window_and_threshold_come_from_the_settings(pushgate, gate, monkeypatch):
    pushgate("roadmap", "import", str(gate))

    def sedf() -> str:
        rows = json.loads(pushgate("features", "--format", "json", "--now", "2013-03-18").stdout)
        return next(r["readiness"] for r in rows if r["slug"] == "sedf")

    assert sedf() == "at_risk"
    monkeypatch.setenv("PUSHGATE_AT_RISK_BELOW", "0.6")
    assert sedf() == "on_track"
    monkeypatch.setenv("PUSHGATE_AT_RISK_BELOW", "0.9")
    monkeypatch.setenv("PUSHGATE_WINDOW_FLIGHTS", "2")
    assert sedf() == "on_track"


def test_now_looks_at_the_gate_as_it_was_then(pushgate, gate):
    pushgate("roadmap", "import", str(gate))
    before = json.loads(pushgate("features", "--format", "json", "--now", "2013-03-06").stdout)
    readiness = {r["slug"]: r["readiness"] for r in before}
    assert readiness["migration"] == "on_track"  # the pair regressed only in flight 17012
    assert readiness["sedf"] == "blocked"  # it regressed in 17010, the newest flight then
    assert readiness["oldkern"] == "on_track"  # its flights were still in the window


def test_readiness_day_by_day_counts_the_features_as_the_days_ended(pushgate, gate):
    pushgate("roadmap", "import", str(gate))
    result = pushgate("roadmap", "readiness", "--now", "2013-03-11")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "Readiness of release 4.3 day by day, 2013-03-01 to 2013-03-11 (feature freeze "
        "2013-03-25, in 14 days; code freeze 2013-04-15, in 35 days)"
    )
    assert lines[1].split() == [
        "day", "blocked", "at", "risk", "stale", "untested", "on", "track", "ready", "dropped",
    ]  # fmt: skip
    rows = {line.split()[0]: [int(n) for n in line.split()[1:]] for line in lines[2:]}
    assert list(rows) == [f"2013-03-{d:02}" for d in range(1, 12)]
    # On the 5th sedf's step failed in the newest flight (17010, at midnight of the 6th, which
    # the 5th's end saw); 17012 regressed the pair at midnight of the 7th, and oldkern's last
    # run (17002) left the window of ten flights: from the 6th on, one feature in each state.
    assert rows["2013-03-05"] == [1, 0, 0, 1, 3, 1, 1]
    assert rows["2013-03-06"] == rows["2013-03-11"] == [1, 1, 1, 1, 1, 1, 1]
    found = pushgate("roadmap", "readiness", "--now", "2013-03-11", "--format", "json")
    twin = json.loads(found.stdout)
    assert twin["features"] == []  # each feature's days are asked for by --feature
    assert [[d["counts"][s] for s in twin["readiness_states"]] for d in twin["days"]] == list(
        rows.values()
    )
    for slug, state in EXPECTED.items():
        args = ("roadmap", "readiness", "--now", "2013-03-11", "--feature", slug)
        days = json.loads(pushgate(*args, "--format", "json").stdout)["features"][0]["days"]
        assert days[-1]["readiness"] == state, slug
        assert len(days) == len(rows)  # the release's cycle, whichever the feature
        if slug == "sedf":  # flights 17001-17010 by then, its step failed in 5, 8 and 10
            assert days[4] == {"day": "2013-03-05", "readiness": "blocked", "pass_rate": 0.7}
    one = pushgate("roadmap", "readiness", "--now", "2013-03-11", "--feature", "migration")
    assert one.exit_code == 0, one.stderr
    assert one.stdout.splitlines()[1:3] == [
        "day         readiness  pass rate",
        "2013-03-01  on track   100%",
    ]
    assert one.stdout.splitlines()[-1] == "2013-03-11  blocked    90%"  # 9 passes of 10


NEXT = """\
[release]
name = "4.4"
branch = "xen-unstable"
feature_freeze = 2013-10-18
code_freeze = 2013-11-08
release = 2014-01-15
as_of = 2013-03-10
summary = "The plan for 4.4."

[[feature]]
slug = "sedf"
title = "SEDF, carried"
status = "fair"
tests = ["test-*-sedf"]
carried_from = "4.3"

[[feature]]
slug = "xl"
title = "xl, next"
status = "good"
tests = ["test-amd64-amd64-xl"]
"""


def _counts(sqlite_url: str) -> tuple[int, ...]:
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as db:
        return tuple(
            db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("release", "feature", "roadmap_update", "declaration", "test_feature")
        )


def test_a_dry_run_says_what_an_import_would_do_and_stores_nothing(pushgate, gate, sqlite_url):
    before = _counts(sqlite_url)
    dry = pushgate("roadmap", "import", "--dry-run", str(gate))
    assert dry.exit_code == 0, dry.stderr
    assert dry.stdout.splitlines()[0] == "release 4.3 (new): a new update of 2013-03-01"
    assert dry.stdout.splitlines()[-1] == "dry run: nothing was stored"
    assert _counts(sqlite_url) == before
    done = pushgate("roadmap", "import", str(gate))
    assert done.stdout.splitlines() == dry.stdout.splitlines()[:-1]
    assert _counts(sqlite_url) != before


def test_a_second_release_sharing_slugs_leaves_the_first_as_it_was(pushgate, gate, tmp_path):
    pushgate("roadmap", "import", str(gate))
    first = pushgate("features", "--release", "4.3", "--format", "json", "--now", "2013-03-11")
    nxt = tmp_path / "next.toml"
    nxt.write_text(NEXT)
    result = pushgate("roadmap", "import", str(nxt))
    assert result.exit_code == 0, result.stderr
    assert "  new       sedf: fair (carried from 4.3)" in result.stdout.splitlines()
    again = pushgate("features", "--release", "4.3", "--format", "json", "--now", "2013-03-11")
    assert again.stdout == first.stdout  # 4.3 keeps its 7 features, statuses and links
    latest = json.loads(pushgate("features", "--format", "json", "--now", "2013-03-11").stdout)
    assert [(r["slug"], r["title"], r["carried_from"]) for r in latest] == [
        ("sedf", "SEDF, carried", "4.3"),
        ("xl", "xl, next", None),
    ]
    one = json.loads(pushgate("feature", "sedf", "--release", "4.3", "--format", "json").stdout)
    assert (one["title"], one["carried_to"]) == ("SEDF scheduler", ["4.4"])


def test_a_mistyped_release_name_is_refused_and_stores_nothing(pushgate, gate, sqlite_url):
    pushgate("roadmap", "import", str(gate))
    before = _counts(sqlite_url)
    typo = gate.with_name("typo.toml")
    typo.write_text(ROADMAP.replace('name = "4.3"', 'name = "4.3.0"'))
    refused = pushgate("roadmap", "import", str(typo))
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"Error: {typo}, line 2: release '4.3.0' is new, but 7 of its 7 features are features "
        "of release '4.3': is the name mistyped? (--new-release imports it as a new release, "
        "and carried_from = '4.3' marks a feature carried from 4.3)\n"
    )
    assert _counts(sqlite_url) == before
    meant = pushgate("roadmap", "import", "--new-release", str(typo))
    assert meant.exit_code == 0, meant.stderr
    assert meant.stdout.startswith("release 4.3.0 (new)")


def test_as_of_dates_the_update_and_a_carried_from_that_is_not_stored_is_refused(
    pushgate, gate, tmp_path
):
    dated = pushgate("roadmap", "import", "--as-of", "2013-02-20", str(gate))
    assert dated.stdout.splitlines()[0] == "release 4.3 (new): a new update of 2013-02-20"
    bad_date = pushgate("roadmap", "import", "--as-of", "20 Feb", str(gate))
    assert bad_date.exit_code == 2 and "'--as-of'" in bad_date.stderr
    orphan = tmp_path / "orphan.toml"
    orphan.write_text(NEXT.replace('carried_from = "4.3"', 'carried_from = "4.2"'))
    refused = pushgate("roadmap", "import", str(orphan))
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"Error: {orphan}, line 15: feature 'sedf': carried_from = '4.2', but there is no "
        "release '4.2' (the releases: 4.3)\n"
    )


def test_the_template_imports_and_an_export_with_history_carries_every_update(
    pushgate, gate, tmp_path
):
    template = pushgate("roadmap", "template")
    assert template.exit_code == 0
    skeleton = tmp_path / "template.toml"
    skeleton.write_text(template.stdout)
    assert pushgate("roadmap", "import", "--dry-run", str(skeleton)).exit_code == 0
    pushgate("roadmap", "import", str(gate))
    later = tmp_path / "later.toml"
    later.write_text(
        ROADMAP.replace("as_of = 2013-03-01", 'as_of = 2013-03-08\nsummary = "a week on"')
        .replace('status = "done"', 'status = "good"', 1)
        .split('[[feature]]\nslug = "blktap3"')[0]
    )
    pushgate("roadmap", "import", str(later))
    exported = pushgate("roadmap", "export", "--history")
    assert "[[update]]\nas_of = 2013-03-01" in exported.stdout
    assert "as_of = 2013-03-01  # its newest declaration" in exported.stdout  # blktap3's
    path = tmp_path / "history.toml"
    path.write_text(exported.stdout)
    assert pushgate("roadmap", "import", str(path)).stdout.splitlines()[-1] == "  no change"
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    moved = CliRunner().invoke(main, ["--database", other, "roadmap", "import", str(path)])
    assert moved.exit_code == 0, moved.output
    again = CliRunner().invoke(main, ["--database", other, "roadmap", "export", "--history"])
    assert again.stdout == exported.stdout
