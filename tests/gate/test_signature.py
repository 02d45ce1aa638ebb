"""Failure signatures: the same cause reads the same on other flights, hosts and days."""

from __future__ import annotations

import csv

import pytest
from lxml import etree

from gate.signature import LONGEST, digest, failure_lines, signature
from tests.conftest import SHARED

CORPUS = SHARED / "junit-corpus"


@pytest.mark.parametrize(
    ("message", "text", "hosts", "expected"),
    [
        # Numbers in assertions and line numbers, and the directories of a path.
        (
            "/home/ivan/prj/tst/tests/failed/checks.cpp:35: error: check_lt(2, 2)failed!",
            None,
            (),
            "<PATH>/checks.cpp:<N>: error: check_lt(<N>, <N>)failed!",
        ),
        # An address and a timeout, as a guest that stopped answering on the network says.
        (
            "guest 172.16.144.33 did not respond to ping after 120 seconds",
            None,
            (),
            "guest <IP> did not respond to ping after <N> seconds",
        ),
        # A kernel panic: its addresses and hex values.
        (
            "BUG: unable to handle kernel paging request at ffff88003a5b7c00",
            "RIP: 0010:[<ffffffff8103c2a4>] xen_foo+0x24/0x80",
            (),
            "BUG: unable to handle kernel paging request at <HEX> / "
            "RIP: <N>:[<<HEX>>] xen_foo+<ADDR>/<ADDR>",
        ),
        # The host the job ran on, and a moment.
        (
            "host-install(3) on gall-mite failed at 2013-02-11 10:22:33",
            None,
            ("gall-mite",),
            "host-install(<N>) on <HOST> failed at <TIME>",
        ),
        # A text that repeats its message adds nothing.
        (
            "Single failure message",
            "AssertionError: Single failure message\n  at foo.py:3",
            (),
            "Single failure message / at foo.py:<N>",
        ),
        # A commit id, and a flight's directory.
        (
            "build of 5f86a42a1a27 failed, see /home/logs/results/180274/build-amd64/log.txt",
            None,
            (),
            "build of <HEX> failed, see <PATH>/log.txt",
        ),
    ],
)
def test_what_varies_between_runs_is_a_placeholder(message, text, hosts, expected):
    assert signature(message, text, hosts) == expected


def test_the_same_failure_on_another_host_day_and_flight_has_one_signature():
    first = signature(
        "guest-start on italia0 timed out at 2013-03-18T10:01:02Z after 301.5 s (flight 16594)",
        None,
        ["italia0"],
    )
    second = signature(
        "guest-start on gall-mite timed out at 2013-03-21T23:59:59Z after 299.9 s (flight 16631)",
        None,
        ["gall-mite"],
    )
    assert first == second
    assert digest(first or "") == digest(second or "")
    assert signature("guest-start refused a connection", None) != first
    # osstest's log lines start with their moment and zone.
    assert signature("2013-03-18 10:22:33 Z executing ssh", None) == "<TIME> executing ssh"
    # A number in a name stays; one with a unit goes.
    assert signature("migrate x10 of sda1 took 5ms", None) == "migrate x10 of sda1 took <N>ms"


def test_a_failure_that_says_nothing_has_no_signature():
    assert signature(None, None) is None
    assert signature("", "  \n\n") is None
    assert failure_lines("one\n\ntwo\nthree\nfour", "five") == ["one", "two", "three"]
    # osstest's message names the outcome only; its text says what failed.
    text = "ts-guest-start: step failed\n+ xl create /etc/xen/debian.cfg\nlibxl: error: domain did not respond in 120s"
    assert signature("fail", text) == (
        "ts-guest-start: step failed / + xl create <PATH>/debian.cfg / "
        "libxl: error: domain did not respond in <N>s"
    )
    assert signature("fail", None) is None


def test_a_long_failure_is_cut():
    said = signature("x" * 1000, None)
    assert said is not None and len(said) == LONGEST and said.endswith("…")


def _corpus_failures() -> list[tuple[str, str | None, str | None]]:
    found = []
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    for path in sorted(CORPUS.rglob("*.xml")):
        try:
            tree = etree.parse(str(path), parser)
        except etree.XMLSyntaxError:
            continue  # the corpus keeps some broken files on purpose
        for element in tree.iter("failure", "error"):
            found.append((path.name, element.get("message"), element.text))
    return found


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the JUnit corpus is not at {CORPUS}")
def test_real_failures_of_the_corpus_cluster_by_cause():
    assert (CORPUS / "expected.csv").is_file()
    with (CORPUS / "expected.csv").open() as f:
        assert next(csv.reader(f))  # the corpus is the one its expected counts describe
    failures = _corpus_failures()
    assert len(failures) > 50
    signatures = {signature(m, t) for _name, m, t in failures} - {None}
    # The same check failing with other values, in another checkout, is one cluster ...
    same = [
        signature(
            "/home/ivan/prj/tst/tests/failed/checks.cpp:19: error: check_eq(1, 2)failed!", None
        ),
        signature("/srv/ci/tst/tests/failed/checks.cpp:23: error: check_eq(7, 9)failed!", None),
    ]
    assert same[0] == same[1] and same[0] in signatures
    # ... and fewer clusters than failures remain, none of them empty.
    assert len(signatures) < len({(m, t) for _n, m, t in failures})
    assert all(s.strip() for s in signatures)
