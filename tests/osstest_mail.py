"""Read an osstest report mail, and rebuild from it the flights that its judgement rests on.

A report mail (`sg-report-flight` and `cr-daily-branch`, as osstest posts them to xen-devel)
says of its flight: the jobs and their statuses (the `jobs:` table), every step that did not
pass with its section and summary (the body, and the `X-Osstest-Failures` header), the revisions
tested and the baseline, the basis flight, the retest flights, the verdict (its headline) and
whether it pushed (its subject). `read_mail` reads all of that; it reads pushgate's own report
(`gate.report.render_text` with `gate.report.headers`) just as well, which is how the two are
compared.

`rebuild` turns a mail into flights that pushgate can judge: the flight itself, and the other
flights its lines cite, each holding only what the mail says of it. What a mail cannot tell is
made up in the way that changes no line, and `rebuild`'s docstring says how.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from email.parser import HeaderParser
from pathlib import Path

from gate.allow import AllowList
from gate.model import PSEUDO_TESTIDS, Flight, Job, Status, Step, TestKey, Verdict
from gate.report import HEADLINES, Analysis
from ingest.junit import job_status

MAILS = Path(__file__).with_name("osstest_mails")
ANCIENT_REVISION = "0" * 40  # the made-up flight in which every compared step once passed
FILLER = "(steps that passed)"  # a job's passing steps, which a mail never names

_SECTIONS = {analysis.heading.split("\n")[0]: analysis for analysis in Analysis}
_VERDICTS = {headline: verdict for verdict, headline in HEADLINES.items()}
_SUBJECT = re.compile(
    r"^\[(?P<branch>\S+) (?P<kind>test|baseline test)\] (?P<flight>\d+): (?P<outcome>.*)$"
)
_FLIGHT = re.compile(
    r"^flight (?P<number>\d+) (?P<branch>\S+) (?P<blessing>\S+) \[(?P<intended>\S+)\]$"
)
_LINE = re.compile(
    r"^ (?P<job>\S+)\s+(?:(?P<stepno>\d+)\s+)?(?P<testid><[^>]*>|\S+)\s+(?P<status>[a-z]+)"
    r"(?:\s+(?P<summary>.*?))?\s*$"
)
_VERSION = re.compile(r"^ (?P<tree>\S+)\s+(?P<revision>\S+)$")
_BASIS = re.compile(r"^Last test of basis\s+(?P<number>\d+)\s")
_JOB = re.compile(r"^ (?P<name>\S+)\s+(?P<status>[a-z]+)\s*$")
# A summary that cites a flight: the flight, and what the step was there.
_CITES = re.compile(
    r"^(?:(?P<core>like|REGR\. vs\.|failed in|blocked in|pass in|(?P<other>[a-z]+) in) )"
    r"(?P<flight>\d+)(?P<label>-\S+)?$"
)


@dataclass(frozen=True)
class Line:
    """One line of a report about a step (or a whole job) that did not pass."""

    job: str
    stepno: int | None
    testid: str
    status: Status
    summary: str  # as printed: `REGR. vs. 173333`, `in 170891 pass in 170902`, `n/a`, ``
    section: Analysis

    @property
    def key(self) -> TestKey:
        return TestKey(self.job, self.testid)

    @property
    def in_flight(self) -> int | None:
        """The flight whose failure this is, when another flight's (`in 170891 ...`)."""
        found = re.match(r"^in (\d+)(?: |$)", self.summary)
        return int(found.group(1)) if found else None

    @property
    def said(self) -> str:
        """The summary without the `in N` of another flight's failure."""
        return re.sub(r"^in \d+ ?", "", self.summary) if self.in_flight else self.summary


@dataclass(frozen=True)
class Mail:
    """What an osstest report mail says of its flight."""

    path: Path | None
    subject: str
    branch: str
    number: int
    verdict: Verdict
    flights: tuple[tuple[int, str], ...]  # its own and its retests': (number, blessing)
    lines: tuple[Line, ...]  # the body's, section by section, in their order
    header: tuple[
        tuple[str, str, str, str], ...
    ]  # X-Osstest-Failures: job, testid, status, section
    tested: Mapping[str, str]
    baseline: Mapping[str, str]
    basis: int | None
    jobs: Mapping[str, Status]  # the `jobs:` table, in its order
    source: str = ""  # where the mail came from (the file's provenance header)

    @property
    def pushed(self) -> bool:
        return self.subject.endswith(" - PUSHED")

    @property
    def own(self) -> tuple[Line, ...]:
        """The lines of the flight's own steps."""
        return tuple(line for line in self.lines if line.in_flight is None)

    @property
    def blocking(self) -> frozenset[TestKey]:
        return frozenset(line.key for line in self.lines if line.section is Analysis.REGRESSION)


def mail_files() -> list[Path]:
    """The mails of the suite, in flight order."""
    return sorted(MAILS.glob("*.txt"), key=lambda path: int(path.name.split("-", 1)[0]))


def read_file(path: Path) -> Mail:
    """Read a mail of the suite: its provenance header, a blank line, then the mail."""
    text = path.read_text(encoding="utf-8")
    provenance, _, mail = text.partition("\n\n")
    source = next(
        (
            line.removeprefix("Source: ")
            for line in provenance.splitlines()
            if line.startswith("Source: ")
        ),
        "",
    )
    found = read_mail(mail)
    return replace(found, path=path, source=source)


def read_mail(text: str) -> Mail:
    """Read a report mail (headers, a blank line, the body) or pushgate's report text."""
    head, _, body = text.partition("\n\n")
    headers = HeaderParser().parsestr(head + "\n\n", headersonly=True)
    subject = " ".join((headers["Subject"] or "").split())
    matched = _SUBJECT.match(subject)
    if matched is None:
        raise ValueError(f"not an osstest report: subject {subject!r}")
    failures = " ".join((headers["X-Osstest-Failures"] or "").split())
    # Folding may split `<none executed>` in two: entries are `branch:job:testid:status:section`.
    entries = re.split(rf" (?={re.escape(matched['branch'])}:)", failures) if failures else []
    header = []
    for entry in entries:
        _branch, job, *testid, status, section = entry.split(":")
        header.append((job, ":".join(testid), status, section))
    return _body(body, subject, matched, tuple(header))


def _body(
    body: str,
    subject: str,
    matched: re.Match[str],
    header: tuple[tuple[str, str, str, str], ...],
) -> Mail:
    flights: list[tuple[int, str]] = []
    lines: list[Line] = []
    tested: dict[str, str] = {}
    baseline: dict[str, str] = {}
    jobs: dict[str, Status] = {}
    verdict: Verdict | None = None
    basis: int | None = None
    section: Analysis | None = None
    versions: dict[str, str] | None = None
    in_jobs = False
    for raw in body.splitlines():
        text = raw.rstrip()
        if in_jobs:
            job = _JOB.match(text)
            if job is None:
                in_jobs = False
            else:
                jobs[job["name"]] = Status(job["status"])
            continue
        if (flight := _FLIGHT.match(text)) is not None:
            flights.append((int(flight["number"]), flight["blessing"]))
        elif text in _VERDICTS and verdict is None:
            verdict = _VERDICTS[text]
        elif text in _SECTIONS:
            section = _SECTIONS[text]
        elif section is not None and text.startswith(" ") and (line := _LINE.match(text)):
            lines.append(
                Line(
                    line["job"],
                    int(line["stepno"]) if line["stepno"] else None,
                    line["testid"],
                    Status(line["status"]),
                    " ".join((line["summary"] or "").split()),
                    section,
                )
            )
        elif text == "version targeted for testing:":
            section, versions = None, tested
        elif text == "baseline version:":
            section, versions = None, baseline
        elif versions is not None and (version := _VERSION.match(text)):
            versions[version["tree"]] = version["revision"]
        elif (found := _BASIS.match(text)) is not None:
            basis = int(found["number"])
        elif text == "jobs:":
            in_jobs, section, versions = True, None, None
        elif text and not text.startswith((" ", "including tests")):
            section = versions = None  # any other paragraph ends a section or a version list
    if verdict is None:
        raise ValueError(f"no headline in the report of {matched['flight']}")
    return Mail(
        path=None,
        subject=subject,
        branch=matched["branch"],
        number=int(matched["flight"]),
        verdict=verdict,
        flights=tuple(flights),
        lines=tuple(lines),
        header=header,
        tested=tested,
        baseline=baseline,
        basis=basis,
        jobs=jobs,
    )


@dataclass
class _Draft:
    """A flight being rebuilt: its jobs' steps by testid, and its jobs' statuses."""

    number: int
    blessing: str
    revisions: Mapping[str, str]
    jobs: dict[str, Status | None]  # None: worked out from its steps
    steps: dict[str, dict[str, tuple[int, Status]]] = field(default_factory=dict)

    def put(self, job: str, testid: str, stepno: int | None, status: Status) -> None:
        self.jobs.setdefault(job, None)
        self.steps.setdefault(job, {})[testid] = (stepno or 0, status)

    def flight(self, branch: str, baseline: Mapping[str, str] | None = None) -> Flight:
        jobs = []
        for name, status in self.jobs.items():
            found = self.steps.get(name, {})
            steps = [Step(TestKey(name, FILLER), 0, Status.PASS)]
            steps += [
                Step(TestKey(name, testid), stepno, st)
                for testid, (stepno, st) in sorted(found.items(), key=lambda kv: kv[1][0])
            ]
            # A job the mail does not give a status of has its worst step's, as ingest says.
            jobs.append(Job(name, status or job_status(None, steps), tuple(steps)))
        return Flight(
            number=self.number,
            branch=branch,
            jobs=tuple(jobs),
            blessing=self.blessing,
            revisions=dict(self.revisions),
            baseline=dict(baseline or {}),
        )


def _as_found(mail: Mail, untested_jobs: Iterable[str]) -> _Draft:
    """A flight as its own mail tells it: its jobs with their statuses and its failing steps."""
    left_out = set(untested_jobs)
    draft = _Draft(
        mail.number,
        "real",
        dict(mail.tested),
        {job: status for job, status in mail.jobs.items() if job not in left_out},
    )
    for line in mail.own:
        if line.job not in left_out and line.testid not in PSEUDO_TESTIDS:
            draft.put(line.job, line.testid, line.stepno, line.status)
    return draft


@dataclass(frozen=True)
class Rebuilt:
    """A mail's flight and the flights it cites, in flight order, with the allow list."""

    flights: tuple[Flight, ...]
    allow: AllowList


def rebuild(mail: Mail, known: Mapping[int, Mail] | None = None) -> Rebuilt:
    """Rebuild the flights a mail's judgement rests on, from the mail and the mails of `known`.

    The flight itself has the jobs of the `jobs:` table with their statuses, and in them the
    steps of its own lines. Every other flight a line cites is rebuilt from what the lines say
    of it, and nothing else:

    - a flight cited as `like N`, `REGR. vs. N`, `failed in N`, `<status> in N` or `blocked in N`,
      and the basis (`Last test of basis`), built the baseline: it ran every job of the flight
      but those whose lines say `baseline untested`, and a cited step had there what the summary
      says (the same status, a pass, a fail, that status; absent for `blocked in`);
    - a step called a heisenbug (`pass in N`) was a regression first: it passed in the basis;
    - a retest (`flight N ... real-retest`) and a flight cited as `pass in N` tested the same
      revisions: a step cited `pass in N` passed there, its own failures are the lines `in N ...`,
      and the flight's other failing steps failed there alike (else they would be heisenbugs);
      a step that one of them failed and the flight itself passed (`in N ... pass in F`) is a
      passing step of the flight;
    - an earlier flight, of another revision, in which every compared step once passed (else
      it would be `never pass`);
    - the allow list is made of the steps of the allowable section, one exact entry each;
    - a cited flight whose own mail is in `known` is that mail's flight (its jobs table and
      its own lines) instead: the lines that cite it add only the passes its mail could not
      list, so `starved in N` must come from the job that starved there, not from the line.
      A job whose line says `baseline untested` is left out of it all the same: such a job of
      that flight reused builds of another revision (osstest matches the built revisions job by
      job, which a mail does not show).

    What no mail can say is left as the lines need it: every step it does not name passed (a
    mail lists no passing step, so each job gets one passing stand-in step); a cited flight
    holds only the steps cited from it, so a basis flight known only through the lines that cite
    it may have run far more, and other flights of the baseline revision that no line names are
    not there at all; hosts, durations and the order osstest sorts jobs in are not known.
    """
    tested, baseline = dict(mail.tested), dict(mail.baseline)
    untested_jobs = {line.job for line in mail.lines if line.said == "baseline untested"}
    table: dict[str, Status | None] = dict(mail.jobs)
    own = _Draft(mail.number, "real", tested, table)
    drafts: dict[int, _Draft] = {}

    known = known or {}

    def baseline_flight(number: int) -> _Draft:
        if number not in drafts:
            if number in known and dict(known[number].tested) == baseline:
                drafts[number] = _as_found(known[number], untested_jobs)
            else:
                jobs = {job: None for job in table if job not in untested_jobs}
                drafts[number] = _Draft(number, "real", baseline, jobs)
        return drafts[number]

    retests = {number: blessing for number, blessing in mail.flights[1:]}

    def same_revisions(number: int) -> _Draft:
        if number not in drafts:
            drafts[number] = _Draft(
                number, retests.get(number, "real"), tested, dict.fromkeys(table)
            )
        return drafts[number]

    if mail.basis is not None and baseline:
        baseline_flight(mail.basis)
    for number in retests:
        same_revisions(number)
    compared: list[Line] = []
    for line in mail.lines:
        if line.key.testid in PSEUDO_TESTIDS:
            if line.in_flight is not None and line.status is Status.BROKEN:
                same_revisions(line.in_flight).jobs[line.job] = Status.BROKEN
            continue
        where = own if line.in_flight is None else same_revisions(line.in_flight)
        where.put(line.job, line.testid, line.stepno, line.status)
        cited = _CITES.match(line.said)
        if cited is None:
            if line.said not in ("never pass", "n/a", "") and not line.said.startswith("[st="):
                compared.append(line)
            continue
        compared.append(line)
        number, core = int(cited["flight"]), cited["core"]
        if core == "pass in":
            other = own if number == mail.number else same_revisions(number)
            other.put(line.job, line.testid, line.stepno, Status.PASS)
            # A heisenbug is a regression first: the step passed in a flight of the baseline.
            if mail.basis is not None and baseline:
                basis = baseline_flight(mail.basis)
                if line.testid not in basis.steps.get(line.job, {}):
                    basis.put(line.job, line.testid, line.stepno, Status.PASS)
            continue
        there = baseline_flight(number)
        if number in known and core != "REGR. vs.":
            continue  # its own mail says what the step was there
        if core == "like":
            there.put(line.job, line.testid, line.stepno, line.status)
        elif core == "REGR. vs.":
            there.put(line.job, line.testid, line.stepno, Status.PASS)
        elif core == "failed in":
            there.put(line.job, line.testid, line.stepno, Status.FAIL)
        elif cited["other"]:
            there.put(line.job, line.testid, line.stepno, Status(cited["other"]))
    # The flight's failing steps failed alike in the flights of its revisions, unless a line
    # says they passed there: so nothing turns into a heisenbug that the mail does not call one.
    for draft in drafts.values():
        if draft.revisions is not tested:
            continue
        for line in mail.own:
            if line.key.testid in PSEUDO_TESTIDS or line.status is Status.PASS:
                continue
            found = draft.steps.get(line.job, {})
            if line.testid not in found:
                draft.put(line.job, line.testid, line.stepno, line.status)
    numbers = [mail.number, *drafts]
    ancient = _Draft(
        min(numbers) - 1, "real", {tree: ANCIENT_REVISION for tree in baseline or tested}, {}
    )
    for line in compared:
        ancient.put(line.job, line.testid, line.stepno, Status.PASS)
    flights = [ancient.flight(mail.branch)]
    flights += [draft.flight(mail.branch) for _n, draft in sorted(drafts.items())]
    flights.append(own.flight(mail.branch, baseline))
    allowed = [line for line in mail.own if line.section is Analysis.ALLOWABLE]
    allow = AllowList.parse(
        "".join(f"{re.escape(line.job)} {re.escape(line.testid)}\n" for line in allowed)
    )
    return Rebuilt(tuple(sorted(flights, key=lambda f: f.number or 0)), allow)


def table(lines: Iterable[Line]) -> dict[TestKey, tuple[str, str, str]]:
    """The lines of a report by step: its status, its summary and its section."""
    return {line.key: (line.status.value, line.summary, line.section.value) for line in lines}
