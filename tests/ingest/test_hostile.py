"""Hostile documents: each gets a clear IngestError or a correct parse, never a crash or a hang."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gate.model import Status
from ingest.junit import parse_flight
from ingest.source import IngestError, open_capped

CAP = 10_000_000
CASE = b'<testsuite name="s"><testcase name="a"><failure message="m">%s</failure></testcase></testsuite>'
NESTED = b"<testsuite>" + b"<x>" * 5000 + b"</x>" * 5000 + b"</testsuite>"
HTML = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
BOMB = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY a "aaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<testsuite name="s"><testcase name="a"><failure>&c;</failure></testcase></testsuite>"""
XXE = b"""<!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<testsuite name="s"><testcase name="a"><failure>&x;</failure></testcase></testsuite>"""
SCRIPT = b'<testsuite name="&lt;script&gt;j"><testcase name="&lt;script&gt;alert(1)&lt;/script&gt;"/></testsuite>'
NAMESPACED = b"""<testsuites xmlns="urn:x"><testsuite name="s"><properties>
  <property name="osstest.flight" value="9"/></properties>
  <testcase name="a"><failure message="m"/></testcase></testsuite></testsuites>"""
UTF16 = (
    '<?xml version="1.0" encoding="UTF-16"?><testsuite name="s"><testcase name="é"/></testsuite>'
)

REFUSED = [
    ("external entities", XXE, "DOCTYPE"),
    ("entity bomb", BOMB, "DOCTYPE"),
    ("gzip bomb", gzip.compress(b"<testsuite>" + b" " * (CAP + 1)), "larger than the limit"),
    ("5000 levels of nesting", NESTED, "not well-formed XML: Excessive depth"),
    ("invalid UTF-8", CASE % b"\xff\xfe\xc3", "not well-formed XML"),
    ("truncated file", CASE[:60], "not well-formed XML"),
    ("empty file", b"", "not well-formed XML"),
    ("HTML error page", HTML, "DOCTYPE"),
    (
        "HTML without a DOCTYPE",
        HTML.split(b">", 1)[1],
        r"not a JUnit XML document \(root element <html>\)",
    ),
    ("control characters", CASE % b"\x1b[31mred\x00", "not well-formed XML"),
    ("a 20 MB failure message", CASE % (b"x" * 20_000_000), "not well-formed XML"),
]


def parse(data: bytes, cap: int = CAP):
    return parse_flight(open_capped(io.BytesIO(data), cap))


@pytest.mark.parametrize(("data", "reason"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_a_hostile_document_is_refused_with_a_reason(data, reason):
    with pytest.raises(IngestError, match=reason):
        parse(data, cap=CAP if len(data) < CAP else 3 * CAP)


def test_utf16_with_a_bom_is_read():
    [step] = parse(UTF16.encode("utf-16")).steps()
    assert step.key.testid == "é"


def test_a_namespaced_document_is_read_in_full():
    flight = parse(NAMESPACED)
    assert flight.number == 9
    assert [s.status for s in flight.steps()] == [Status.FAIL]


def test_script_in_names_is_kept_as_text():
    flight = parse(SCRIPT)
    [job] = flight.jobs
    assert job.name == "<script>j"
    assert [s.key.testid for s in job.steps] == ["<script>alert(1)</script>"]


def test_a_long_message_within_the_limits_is_cut_not_refused():
    [step] = parse(CASE % (b"y" * 9_000_000)).steps()
    assert step.status is Status.FAIL
    assert len(step.output) < 5000


PEAK_RSS = """
import resource, sys
from ingest.junit import parse_flight
from ingest.source import open_capped
with open(sys.argv[1], "rb") as raw:
    flight = parse_flight(open_capped(raw, 10**9))
assert [s.key.testid for s in flight.steps()] == ["a", "b"], list(flight.steps())
"""


def _junk_document(path: Path, siblings: int) -> None:
    with path.open("wb") as f:
        f.write(b'<testsuites><testsuite name="s"><testcase name="a"/>')
        f.write(b"<x/>" * siblings)
        f.write(b"<y>" + b"<x><z/>t</x>" * (siblings // 8) + b"</y>")
        f.write(b'<testcase name="b"><failure/></testcase></testsuite></testsuites>')


# Run by a small launcher, so that the peak counts the parse and not what pytest's process held
# when it forked. ru_maxrss is in kilobytes (on Linux).
LAUNCHER = """
import resource, subprocess, sys
subprocess.run([sys.executable, *sys.argv[1:]], check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@pytest.mark.slow
def test_memory_stays_bounded_whatever_junk_the_document_holds(tmp_path: Path):
    """Peak RSS of a child parsing 11 MB of junk siblings and nested junk (2.5M elements)."""
    document = tmp_path / "junk.xml"
    _junk_document(document, 2_000_000)
    script = tmp_path / "peak.py"
    script.write_text(textwrap.dedent(PEAK_RSS))
    root = Path(__file__).resolve().parents[2]
    launched = subprocess.run(
        [sys.executable, "-c", LAUNCHER, str(script), str(document)],
        check=True,
        cwd=root,
        capture_output=True,
        text=True,
    )
    peak_mb = int(launched.stdout.split()[-1]) / 1024
    assert peak_mb < 100, f"peak RSS {peak_mb:.0f} MB"


def _big_flight(path: Path, steps: int, log: int) -> None:
    """Write an osstest-style flight whose steps each carry `log` bytes of output."""
    output = (b"console line of a long log\n" * (log // 27 + 1))[:log]
    with path.open("wb") as f:
        f.write(b"<testsuites>")
        for job in range(steps // 40):
            f.write(b'<testsuite name="test-amd64-amd64-xl-%d"><properties>' % job)
            f.write(b'<property name="osstest.flight" value="150"/>')
            f.write(b'<property name="osstest.branch" value="xen-unstable"/></properties>')
            for n in range(40):
                f.write(b'<testcase name="step-%d"><system-out>' % n)
                f.write(output)
                f.write(b"</system-out></testcase>")
            f.write(b"</testsuite>")
        f.write(b"</testsuites>")


def _ingested_at_peak(url: str, document: Path) -> tuple[str, float]:
    """Run `pushgate ingest` of a document; return what it printed and its peak RSS in MB."""
    pushgate = Path(sys.executable).with_name("pushgate")
    launched = subprocess.run(
        [
            sys.executable,
            "-c",
            LAUNCHER.replace("[sys.executable, *sys.argv[1:]]", "sys.argv[1:]"),
            str(pushgate),
            "--database",
            url,
            "ingest",
            str(document),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return launched.stdout, int(launched.stdout.split()[-1]) / 1024


@pytest.mark.slow
def test_a_150_mb_flight_is_stored_whole_in_bounded_memory(tmp_path: Path):
    """The whole path, parse to store: peak RSS of `pushgate ingest` of a 150 MB flight."""
    document = tmp_path / "big.xml"
    _big_flight(document, 2400, 64 * 1024)
    assert document.stat().st_size > 150_000_000
    printed, peak_mb = _ingested_at_peak(f"sqlite:///{tmp_path / 'big.sqlite'}", document)
    assert "created   flight 150 xen-unstable perfect: 2400 tests" in printed
    assert peak_mb < 250, f"peak RSS {peak_mb:.0f} MB"


@pytest.mark.slow
def test_the_texts_of_a_150_mb_flight_of_many_steps_stay_out_of_memory(db_url, tmp_path: Path):
    """38,400 steps, each with a log as long as the excerpt kept of it: 150 MB of texts to store,
    which go from the parser to the step rows through a spool, on either engine."""
    document = tmp_path / "many.xml"
    _big_flight(document, 38_400, 4000)
    assert document.stat().st_size > 150_000_000
    printed, peak_mb = _ingested_at_peak(db_url, document)
    assert "created   flight 150 xen-unstable perfect: 38400 tests" in printed
    # Holding the texts took 334 MB on SQLite and 283 MB on PostgreSQL; spooled, what remains
    # is the steps without their texts, SQLite's page cache and a batch of rows.
    assert peak_mb < 250, f"peak RSS {peak_mb:.0f} MB"
