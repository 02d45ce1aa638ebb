"""The demo's xen tree: commits made by the roadmap's owners, the same ids on every run."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

from ingest.demo import BUGS
from ingest.demo_repo import DemoRepo, roadmap_owners

AT = datetime(2013, 3, 11, 17, 49, tzinfo=UTC)


def _build(path: Path) -> tuple[DemoRepo, list[str]]:
    repo = DemoRepo.create(path)
    first = repo("1" * 40, parent=None, at=AT)
    second = repo("2" * 40, parent=first, at=AT, lands=[BUGS[4]])
    fixed = repo("3" * 40, parent=second, at=AT, fixes=[BUGS[4]])
    play = repo("4" * 40, parent=second, at=AT, branch="play/16600")
    repo.finish()
    return repo, [first, second, fixed, play]


def _log(path: Path, *args: str) -> list[str]:
    done = subprocess.run(
        ["git", "-C", str(path), "log", "--format=%H|%an <%ae>|%aI|%s", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.splitlines()


def test_the_same_story_makes_the_same_commits_in_any_folder(tmp_path):
    _, here = _build(tmp_path / "a.git")
    _, there = _build(tmp_path / "b.git")
    assert here == there
    assert len(set(here)) == 4


def test_each_revision_is_commits_by_the_roadmaps_owners_on_master_or_a_play_branch(tmp_path):
    repo, (first, second, fixed, play) = _build(tmp_path / "xen.git")
    owners = {f"{p.name} <{p.email}>" for p in roadmap_owners()}
    assert len(owners) > 10 and "Ian Jackson <ian.jackson@xen.example>" in owners
    master = _log(repo.path, "master")
    assert master[0].split("|")[0] == fixed and master[-1].split("|")[0] == first
    assert all(line.split("|")[1] in owners for line in master)
    assert all(line.split("|")[2] <= AT.isoformat() for line in master)
    subjects = [line.split("|")[3] for line in _log(repo.path, f"{first}..{second}")]
    assert "x86/mm: drop the p2m lock across paging populate" in subjects
    reverted = _log(repo.path, f"{second}..{fixed}")
    [revert] = [line for line in reverted if line.split("|")[3].startswith("Revert")]
    [landing] = [line for line in _log(repo.path, f"{first}..{second}") if "p2m lock" in line]
    assert revert.split("|")[1] == landing.split("|")[1]  # its author takes it back
    assert _log(repo.path, "play/16600")[0].split("|")[0] == play


def test_create_replaces_an_older_repository(tmp_path):
    path = tmp_path / "xen.git"
    path.mkdir()
    (path / "stale").write_text("an older demo")
    repo = DemoRepo.create(path, people=roadmap_owners()[:1])
    assert not (path / "stale").exists()
    assert repo("5" * 40, parent=None, at=AT)
