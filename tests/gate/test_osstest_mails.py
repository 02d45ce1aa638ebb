"""Real osstest report mails (xen-devel, 2022-2024), each rebuilt as flights and judged again.

Every mail of `tests/osstest_mails/` is read (`tests.osstest_mail.read_file`), rebuilt as its
flight and the flights its lines cite (`tests.osstest_mail.rebuild`, whose docstring says what
a mail cannot tell and how it is made up; a cited flight whose own mail is in the suite, such as
the basis 180253 of linux-linus 180274, is rebuilt from that mail, so the mails are replayed in
flight order and the later one rests on what the earlier said), stored flight by flight in a store
of its own (`gate.store.flights.save_flight`, which judges each as it comes and judges again
what a later retest touches), and its report rendered as pushgate writes it. That report must
say what the mail says: the subject (outcome words and push), the headline (the verdict),
every line's section, status and summary, the `X-Osstest-Failures` header, and so the blocking
set.

What the rebuild cannot know: the steps that passed (a mail lists only those that did not); a
basis flight known only through the lines that cite it, so a cited flight holds the cited steps
and nothing else, and the flights of the baseline revision that no line names are not there;
when a step once passed (an earlier flight of another revision stands in for that); the allow
list (rebuilt from the allowable lines); hosts, durations and osstest's job order. None of that
changes a line of these mails; a line that cannot agree from the mail alone would be listed in
`CANNOT_AGREE` with its reason (none is).

Add a mail by saving it, as the list archive holds it, as `tests/osstest_mails/<flight>-<branch>.txt`
under a provenance header (`Source: ...`, `Flight: ...`, `Kinds: ...`, then a blank line).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from gate.model import Status, Verdict
from gate.report import headers, render_text
from gate.store.db import make_engine
from gate.store.flights import load_flight, save_flight
from tests.osstest_mail import Mail, mail_files, read_file, read_mail, rebuild, table

NOW = datetime(2025, 1, 1, tzinfo=UTC)
MAILS = mail_files()
# (mail, job, testid): why that line cannot agree from the mail alone. None so far.
CANNOT_AGREE: dict[tuple[str, str, str], str] = {}


KNOWN = {mail.number: mail for mail in map(read_file, MAILS)}


def judged_again(mail: Mail, url: str) -> Mail:
    """Store the rebuilt flights in flight order, then read pushgate's report of the mail's."""
    rebuilt = rebuild(mail, {n: m for n, m in KNOWN.items() if n < mail.number})
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            for flight in rebuilt.flights:
                save_flight(
                    session,
                    flight,
                    digest=f"mail-{flight.number}",
                    source=str(mail.path),
                    now=NOW,
                    allow=rebuilt.allow,
                )
            session.commit()
            loaded = load_flight(session, mail.number)
    finally:
        engine.dispose()
    assert loaded is not None
    flight, judgement, _ids = loaded
    return read_mail(headers(flight, judgement) + render_text(flight, judgement))


def _lines(mail: Mail, name: str) -> Counter[tuple[object, ...]]:
    return Counter(
        (line.job, line.testid, line.status.value, line.summary, line.section.value)
        for line in mail.lines
        if (name, line.job, line.testid) not in CANNOT_AGREE
    )


def _header(mail: Mail, name: str) -> Counter[tuple[str, ...]]:
    return Counter(h for h in mail.header if (name, h[0], h[1]) not in CANNOT_AGREE)


@pytest.mark.parametrize("path", MAILS, ids=[p.stem for p in MAILS])
def test_pushgate_says_what_osstest_said(path: Path, sqlite_url: str):
    mail = read_file(path)
    ours = judged_again(mail, sqlite_url)
    assert ours.subject == mail.subject
    assert ours.verdict is mail.verdict
    assert _lines(ours, path.name) == _lines(mail, path.name)
    assert _header(ours, path.name) == _header(mail, path.name)
    assert ours.blocking == mail.blocking


def test_the_suite_holds_what_the_issue_asks_for():
    """At least 20 mails of 2022 and 2024, of three branches or more, with pushes, regressions,
    heisenbugs, broken jobs and starved steps, each saying where it came from."""
    mails = [read_file(path) for path in MAILS]
    assert len(mails) >= 20
    assert all(m.source.startswith("linux-mailinglist-archives/") for m in mails)
    years = Counter(
        path.read_text(encoding="utf-8").split("\nDate: ", 1)[1][12:16] for path in MAILS
    )
    assert years["2022"] >= 5 and years["2024"] >= 5, years
    assert len({m.branch for m in mails}) >= 3
    lines = [line for m in mails for line in m.lines]
    assert any(m.pushed for m in mails)
    assert {Verdict.REGRESSIONS, Verdict.TOLERABLE, Verdict.TROUBLE, Verdict.PERFECT} <= {
        m.verdict for m in mails
    }
    assert any(line.said.startswith("pass in") for line in lines)  # heisenbugs
    assert any(line.testid == "<job status>" for line in lines)  # broken jobs
    assert any(line.status is Status.STARVED for line in lines)
    assert any(line.said.startswith("starved in") for line in lines)
    assert any(m.flights[1:] for m in mails)  # retests


def test_the_reader_reads_a_line_of_each_kind():
    mail = read_file(next(p for p in MAILS if p.name.startswith("170902-")))
    rows = table(mail.lines)
    assert rows[("test-amd64-amd64-xl-rtds", "<job status>")] == (
        "broken",
        "in 170891",
        "regression",
    )
    assert rows[("test-amd64-amd64-xl-rtds", "host-install(5)")] == (
        "broken",
        "in 170891 pass in 170902",
        "heisenbug",
    )
    assert mail.jobs["test-amd64-amd64-xl-rtds"] is Status.PASS
    assert (mail.number, mail.branch, mail.basis, mail.verdict) == (
        170902,
        "qemu-mainline",
        170884,
        Verdict.TROUBLE,
    )
