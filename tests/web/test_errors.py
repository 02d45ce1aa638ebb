"""Every command of the README fails with one sentence, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

ROADMAP = Path(__file__).parents[2] / "examples" / "xen-4.3" / "roadmap.toml"

CASES = [
    (["--database", "bogus://x", "flights"], "names a kind of database SQLAlchemy does not know"),
    (["--database", "postgresql+pg8000://u@h/d", "flights"], "needs the Python package pg8000"),
    (["--database", "no url at all", "db", "upgrade"], "is not a URL"),
    (
        ["--database", "sqlite:////nonexistent/dir/x.sqlite", "ingest", "x.xml"],
        "cannot use the database sqlite:////nonexistent/dir/x.sqlite: unable to open database file",
    ),
    (["ingest", "missing.xml"], "missing.xml"),
    (["ingest", "garbage.xml"], "garbage.xml"),
    (["report", "99999"], "no flight 99999"),
    (["report", "1", "--now", "yesterday"], "expected a date"),
    (["flights", "--now", "someday"], "expected a date"),
    (["pull", "not-a-url", "--once"], "not-a-url"),
    (["token", "revoke", "nobody"], "nobody"),
    (["roadmap", "import", "missing.toml"], "missing.toml: No such file or directory"),
    (["roadmap", "import", "garbage.toml"], "garbage.toml"),
    (["roadmap", "export", "-o", "nowhere/x.toml"], "nowhere/x.toml: Not a directory"),
    (["features", "--release", "9.9"], "no release '9.9'"),
    (["feature", "nothing-like-it"], "nothing-like-it"),
    (["links", "--release", "9.9"], "no release '9.9'"),
    (["roadmap", "readiness", "--release", "9.9"], "no release '9.9'"),
    (["roadmap", "readiness", "--feature", "nothing-like-it"], "no feature 'nothing-like-it'"),
    (["serve", "--workers", "0"], "--workers"),
    (["demo", "--now", "soon"], "expected a date"),
    (["db", "rebuild-summaries", "--bogus"], "--bogus"),
    (["--database", "sqlite:///absent.sqlite", "features"], "no database at absent.sqlite"),
    (["--database", "sqlite:///absent.sqlite", "report", "1"], "no database at absent.sqlite"),
]


def test_a_read_after_the_demo_names_the_demos_database(pushgate, tmp_path: Path):
    (tmp_path / "pushgate-demo.sqlite").touch()
    result = pushgate("--database", "sqlite:///mine.sqlite", "features")
    assert result.exit_code == 2  # a --database the command cannot use
    assert result.stderr == (
        "Error: no database at mine.sqlite (ingest results into it first; the demo's is "
        "pushgate-demo.sqlite: --database sqlite:///pushgate-demo.sqlite)\n"
    )
    assert not (tmp_path / "mine.sqlite").exists()


@pytest.mark.parametrize(("args", "says"), CASES, ids=[" ".join(c[0][:3]) for c in CASES])
def test_a_command_error_is_one_line(pushgate, tmp_path: Path, args: list[str], says: str):
    (tmp_path / "garbage.xml").write_text("<testsuites><testsuite name='x'>")
    (tmp_path / "garbage.toml").write_text("[release\nname =")
    (tmp_path / "nowhere").touch()  # a file where a folder is expected
    if args[0] in ("roadmap", "feature") and args[1] != "import":
        assert pushgate("roadmap", "import", str(ROADMAP)).exit_code == 0
    result = pushgate(*args)
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.output
    # click's `Error: ...`, or the ingest and pull commands' `pushgate: INPUT: reason`.
    errors = [line for line in lines if line.startswith(("Error: ", "pushgate: "))]
    assert len(errors) == 1 and says in errors[0], result.stderr
