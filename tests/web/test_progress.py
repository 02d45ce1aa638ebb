"""Long commands show progress on stderr: a bar on a terminal, plain lines elsewhere, nothing
with --quiet; stdout stays the results alone."""

from __future__ import annotations

import io
import os
import pty
import select
import shutil
from pathlib import Path

import pytest

from tests.terminal import on_terminal
from web import progress
from web.progress import Reporter

EXAMPLES = Path(__file__).parents[2] / "examples" / "flights"
FLIGHTS = sorted(EXAMPLES.glob("*.xml"))


def _drained(leader: int) -> str:
    """Read what a terminal received, once its far side is closed: a pty hands it over in pieces,
    then Linux says EIO."""
    received = b""
    while select.select([leader], [], [], 5.0)[0]:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        received += chunk
    os.close(leader)
    return received.decode()


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_plain_stderr_gets_one_line_per_stage_with_its_totals():
    stream, clock = io.StringIO(), Clock()
    reporter = Reporter(stream=stream, clock=clock)
    with reporter.stage("ingesting files", 4) as stage:
        for _ in range(4):
            clock.now += 0.5
            stage.advance()
    with reporter.stage("judging the days"):
        clock.now += 0.25
    with reporter.stage("nothing new", 0):
        pass
    assert stream.getvalue().splitlines() == [
        "ingesting files: 4/4 in 2.0 s (2.0/s)",
        "judging the days: done in 0.2 s",
    ]


def test_a_long_stage_on_plain_stderr_says_how_far_it_got_every_period():
    stream, clock = io.StringIO(), Clock()
    with Reporter(stream=stream, clock=clock).stage("ingesting files", 100) as stage:
        for _ in range(100):
            clock.now += 1.0
            stage.advance()
    assert stream.getvalue().splitlines() == [
        "ingesting files: 30/100 after 30.0 s",
        "ingesting files: 60/100 after 1 min 00 s",
        "ingesting files: 90/100 after 1 min 30 s",
        "ingesting files: 100/100 in 1 min 40 s (1.0/s)",
    ]


def test_a_bar_on_a_terminal_is_redrawn_in_place_at_most_every_tenth_of_a_second():
    leader, follower = pty.openpty()
    clock = Clock()
    with os.fdopen(follower, "w") as terminal:
        reporter = Reporter(stream=terminal, clock=clock)
        assert reporter.mode is progress.Mode.BAR
        with reporter.stage("ingesting files", 8) as stage:
            for _ in range(8):
                clock.now += 0.0625  # exact in binary: each frame falls where the test says
                stage.advance()
    drawn = _drained(leader)
    frames = drawn.split("\r\x1b[K")[1:]
    # The first frame, one every other item (0.1 s apart at least), then the totals.
    assert len(frames) == 1 + 4 + 1
    assert frames[0] == "ingesting files  [------------------------]  0/8  0.0/s  0.0 s"
    assert frames[-1] == "ingesting files  [########################]  8/8  16/s  0.5 s\r\n"


def test_quiet_shows_nothing_and_a_cut_short_bar_leaves_its_line():
    stream = io.StringIO()
    with Reporter(quiet=True, stream=stream).stage("ingesting files", 3) as stage:
        stage.advance()
    assert stream.getvalue() == ""
    leader, follower = pty.openpty()
    with (
        os.fdopen(follower, "w") as terminal,
        pytest.raises(KeyboardInterrupt),
        Reporter(stream=terminal, clock=Clock()).stage("ingesting", 3) as stage,
    ):
        stage.advance()
        raise KeyboardInterrupt
    drawn = _drained(leader)
    assert drawn.endswith("1/3  0.0/s  0.0 s\r\n")  # what follows starts on a line of its own


VERDICTS = ("tolerable", "regressions", "regressions", "trouble", "regressions", "tolerable")
INGESTED = [  # how each of examples/flights' lines begins
    f"[{n}/6] created   flight {17000 + n} xen-unstable {verdict}: "
    for n, verdict in enumerate(VERDICTS, start=1)
]


def test_ingest_of_several_files_ends_its_stderr_with_the_count(pushgate):
    result = pushgate("ingest", str(EXAMPLES))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line[: len(begins)] for line, begins in zip(lines, INGESTED, strict=True)] == INGESTED
    assert lines[0].endswith(f"110 tests, 1 failed, 0 broken, 0 skipped  {FLIGHTS[0]}")
    assert result.stderr.startswith("ingesting files: 6/6 in ")
    assert result.stderr.count("\n") == 1
    again = pushgate("ingest", "--quiet", str(EXAMPLES))
    assert again.stderr == ""
    assert [line.split()[1] for line in again.stdout.splitlines()] == ["unchanged"] * 6


def test_ingest_of_one_file_shows_no_progress(pushgate):
    result = pushgate("ingest", str(FLIGHTS[0]))
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.startswith("created   flight 17001 xen-unstable tolerable: ")


def test_a_long_ingest_on_plain_stderr_says_how_far_it_got(pushgate, monkeypatch):
    monkeypatch.setattr(progress, "PERIOD", 0.0)  # every flight is past the period
    result = pushgate("ingest", "--format", "json", str(EXAMPLES))
    assert result.exit_code == 0
    said = result.stderr.splitlines()
    assert [line.split(" after ")[0] for line in said[:-1]] == [
        f"ingesting files: {n}/6" for n in range(1, 7)
    ]
    assert said[-1].startswith("ingesting files: 6/6 in ")
    assert len(result.stdout.splitlines()) == 6


def test_ingest_on_a_terminal_draws_a_bar_and_keeps_stdout_as_it_is(
    pushgate, template_db, tmp_path
):
    bad = tmp_path / "17000.xml"
    bad.write_bytes(b"<testsuites><testsuite")
    inputs = [str(bad), str(EXAMPLES)]
    plain = pushgate("ingest", *inputs)
    shutil.copy(template_db, tmp_path / "other.sqlite")
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    ran = on_terminal("--database", other, "ingest", *inputs, cwd=tmp_path)
    assert ran.returncode == 1, ran.terminal
    assert ran.stdout == plain.stdout  # the results, not a byte of progress
    assert len(ran.stdout.splitlines()) == 6
    assert "\r\x1b[Kingesting files  [------------------------]  0/7  " in ran.terminal
    screen = ran.screen()  # the failure is written above the bar, which goes on below it
    assert screen[0].startswith(f"pushgate: {bad}: not well-formed XML")
    assert screen[1].startswith("ingesting files  [########################]  7/7  ")
    assert len(screen) == 2
    assert ran.terminal.endswith("\r\n")


@pytest.mark.slow  # generates the Xen 4.3 story and ingests its 200 flights
def test_demo_on_a_terminal_draws_a_bar_for_each_stage(tmp_path):
    ran = on_terminal("demo", "--no-serve", cwd=tmp_path, within=300)
    assert ran.returncode == 0, ran.terminal
    assert ran.stdout == ""
    screen = ran.screen()
    full = "[########################]  200/200  "
    assert screen[0].startswith(f"generating flights  {full}")
    assert screen[1].startswith(f"writing them as JUnit  {full}")
    assert screen[2].startswith(f"ingesting flights  {full}")
    assert screen[3].startswith("judging the roadmap's days  ")
    assert screen[4].startswith("pushgate-demo.sqlite: 200 flights of xen-unstable")
    assert ran.terminal.count("ingesting flights  [") > 10  # redrawn as the flights go in
