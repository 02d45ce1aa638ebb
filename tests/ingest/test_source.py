"""Expanding what the command line names into documents."""

from __future__ import annotations

from pathlib import Path

from ingest.source import Input, expand


def test_directories_globs_and_missing_paths(tmp_path: Path):
    for name in ("10.xml", "9.xml", "sub/2.xml.gz", "notes.txt"):
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text("x")
    assert expand([str(tmp_path)]) == [
        Input(str(tmp_path / "9.xml")),
        Input(str(tmp_path / "10.xml")),
        Input(str(tmp_path / "sub/2.xml.gz")),
    ]
    assert expand([str(tmp_path / "*.xml")]) == [
        Input(str(tmp_path / "9.xml")),
        Input(str(tmp_path / "10.xml")),
    ]
    assert expand([str(tmp_path / "nothing-*.xml")]) == [
        Input(str(tmp_path / "nothing-*.xml"), "no file matches this pattern")
    ]
    assert expand([str(tmp_path / "gone.xml")]) == [
        Input(str(tmp_path / "gone.xml"), "no such file or directory")
    ]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert expand([str(empty)]) == [Input(str(empty), "no *.xml or *.xml.gz files below")]
