"""The git adapter: the commits of base..tip read from a real repository made here."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gate.settings import Settings, SettingsError
from ingest.git_log import GitLog, history, parse

PEOPLE = [
    ("Ian Jackson", "ian.jackson@xen.example"),
    ("Jan Beulich", "jan.beulich@xen.example"),
    ("Ian Jackson", "ian.jackson@xen.example"),
    ('"Andrey Jr. Melnikov"', "andrey@xen.example"),
    ("Roger Pau Monné", "roger.pau@xen.example"),
]


def git(path: Path, *args: str, **env: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(path), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", **env},
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A repository of one commit per person, a day apart; return it and the ids, oldest first."""
    path = tmp_path_factory.mktemp("xen")
    git(path, "init", "--quiet", "--initial-branch=master")
    shas = []
    for day, (name, email) in enumerate(PEOPLE, start=1):
        when = f"{int(datetime(2013, 3, day, 12, tzinfo=UTC).timestamp())} +0000"
        git(
            path,
            "commit",
            "--quiet",
            "--allow-empty",
            "--no-gpg-sign",
            "-m",
            f"change {day}",
            GIT_AUTHOR_NAME=name,
            GIT_AUTHOR_EMAIL=email,
            GIT_AUTHOR_DATE=when,
            GIT_COMMITTER_NAME="Committer",
            GIT_COMMITTER_EMAIL="committer@xen.example",
            GIT_COMMITTER_DATE=when,
        )
        shas.append(git(path, "rev-parse", "HEAD"))
    return path, shas


def test_the_commits_after_base_up_to_tip_newest_first_with_their_authors(repo):
    path, shas = repo
    found = GitLog({"xen": path})("xen", shas[0], shas[4])
    assert found is not None and found.reason is None
    assert (found.tree, found.base, found.tip) == ("xen", shas[0], shas[4])
    assert [c.sha for c in found.commits] == shas[4:0:-1]
    assert [c.subject for c in found.commits] == ["change 5", "change 4", "change 3", "change 2"]
    newest = found.commits[0]
    assert (newest.author, newest.email) == ("Roger Pau Monné", "roger.pau@xen.example")
    assert newest.date == datetime(2013, 3, 5, 12, tzinfo=UTC)
    # Each author once, sorted as osstest sorts them: the quoted name first.
    assert found.people == (
        '"Andrey Jr. Melnikov" <andrey@xen.example>',
        "Ian Jackson <ian.jackson@xen.example>",
        "Jan Beulich <jan.beulich@xen.example>",
        "Roger Pau Monné <roger.pau@xen.example>",
    )
    assert (found.count, found.more) == (4, 0)


def test_a_long_range_keeps_the_newest_commits_counts_the_rest_and_names_every_author(repo):
    path, shas = repo
    found = GitLog({"xen": path}, limit=2)("xen", shas[0], shas[4])
    assert found is not None
    assert [c.sha for c in found.commits] == [shas[4], shas[3]]
    assert (found.more, found.count) == (2, 4)
    assert "Ian Jackson <ian.jackson@xen.example>" in found.people  # of a commit left out


def test_a_ref_name_is_a_revision_too(repo):
    path, shas = repo
    found = GitLog({"xen": path})("xen", shas[3], "master")
    assert found is not None and [c.sha for c in found.commits] == [shas[4]]


def test_the_same_revision_has_no_commits_and_runs_nothing(repo, tmp_path):
    found = GitLog({"xen": tmp_path / "nowhere"})("xen", "abc", "abc")
    assert found is not None and (found.commits, found.reason) == ((), None)


def test_a_tree_without_a_clone_has_no_history(repo):
    path, shas = repo
    assert GitLog({"xen": path})("linux", shas[0], shas[1]) is None


@pytest.mark.parametrize(
    ("base", "tip", "reason"),
    [
        ("0" * 40, "master", "the clone of xen has no 000000000000..master"),
        ("--output=/tmp/x", "master", "'--output=/tmp/x' is not a revision"),
        ("HEAD~1..HEAD", "master", "'HEAD~1..HEAD' is not a revision"),
    ],
)
def test_a_revision_the_clone_has_not_gives_a_reason_not_an_error(repo, base, tip, reason):
    path, _shas = repo
    found = GitLog({"xen": path})("xen", base, tip)
    assert found is not None and found.commits == () and found.reason == reason


def test_a_missing_clone_or_git_gives_a_reason(repo, tmp_path):
    path, shas = repo
    missing = GitLog({"xen": tmp_path / "gone"})("xen", shas[0], shas[1])
    assert missing is not None and missing.reason == f"no clone of xen at {tmp_path / 'gone'}"
    no_git = GitLog({"xen": path}, git=str(tmp_path / "no-git"))("xen", shas[0], shas[1])
    assert no_git is not None and no_git.reason == f"{tmp_path / 'no-git'} is not installed"
    not_a_repo = GitLog({"xen": tmp_path})("xen", shas[0], shas[1])
    assert not_a_repo is not None and "not a git repository" in (not_a_repo.reason or "")


def test_parse_skips_what_is_not_a_commit():
    assert parse("") == []
    [commit] = parse("a\x1fN\x1fn@x\x1f2013-03-01T12:00:00+00:00\x1fsubject\x1e\nnoise\x1e")
    assert (commit.sha, commit.person, commit.subject) == ("a", "N <n@x>", "subject")


def test_the_setting_names_a_clone_per_tree():
    assert history(Settings()) is None
    settings = Settings(tree_repos="xen=/srv/xen.git, linux=/srv/linux")
    assert settings.repos() == {"xen": "/srv/xen.git", "linux": "/srv/linux"}
    found = history(settings)
    assert found is not None and found.repos == {
        "xen": Path("/srv/xen.git"),
        "linux": Path("/srv/linux"),
    }
    for bad in ("xen", "=/srv", "xen=", "xen=/a,xen=/b"):
        with pytest.raises(SettingsError, match="PUSHGATE_TREE_REPOS"):
            Settings(tree_repos=bad).repos()
