"""A ~40-flight history judged by pushgate and by an oracle written from osstest's own code.

The oracle (`tests/osstest_oracle.py`) re-reads osstest's `sg-report-flight`, `cr-daily-branch`
and `cri-common`; it shares no code with `gate.rules`. Every flight of the history is judged by
both, with the same flights before it and with the pushes the oracle decided, and they must agree
on the verdict, the push, the blocking steps and every report line. Below the history, one short
history per osstest rule, with expectations written by hand from osstest's code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest

from gate.allow import AllowList
from gate.model import (
    JOB_STATUS,
    NONE_EXECUTED,
    Finding,
    Flight,
    Job,
    Judgement,
    PriorFlight,
    Status,
    Step,
    TestKey,
    Verdict,
)
from gate.policy import Policy
from gate.report import described, headers, render_text
from gate.rules import judge
from tests import osstest_oracle as oracle

PASS, FAIL, BROKEN, BLOCKED = Status.PASS, Status.FAIL, Status.BROKEN, Status.BLOCKED
RUNNING, PREPARING, QUEUED = Status.RUNNING, Status.PREPARING, Status.QUEUED

BUILD = "build-amd64"
XL = "test-amd64-amd64-xl"
WIN7 = "test-amd64-i386-xl-qemuu-win7-amd64"
LIBVIRT = "test-amd64-amd64-libvirt"
ARM = "test-armhf-armhf-xl"
PAIR = "test-amd64-amd64-pair"
MSC = "migrate-support-check"  # a probe: it fails without failing its job, and never passes

TESTIDS = {
    BUILD: ("hosts-allocate", "host-build-prep", "xen-build"),
    XL: (
        "build-check(1)",
        "hosts-allocate",
        "host-install(3)",
        "xen-boot",
        "debian-install",
        "guest-start",
        "guest-saverestore",
        "guest-localmigrate",
        "guest-stop",
    ),
    WIN7: (
        "build-check(1)",
        "hosts-allocate",
        "host-install(3)",
        "xen-boot",
        "windows-install",
        "guest-saverestore",
        "guest-localmigrate",
        "guest-stop",
    ),
    LIBVIRT: (
        "build-check(1)",
        "hosts-allocate",
        "host-install(3)",
        "xen-boot",
        "debian-install",
        "guest-start",
        MSC,
        "guest-stop",
    ),
    ARM: (
        "build-check(1)",
        "hosts-allocate",
        "host-install(3)",
        "xen-boot",
        "debian-install",
        "guest-start",
        "guest-stop",
    ),
    PAIR: (
        "build-check(1)",
        "hosts-allocate",
        "xen-boot/src_host",
        "xen-boot/dst_host",
        "guest-migrate/src_host/dst_host",
    ),
}
MIGRATE = "guest-migrate/src_host/dst_host"

# The allow list of the whole history: osstest's own C15 entry for win7's guest-stop.
ALLOW = "test-@@-win7-@@ guest-stop\n"


def X(i: int) -> str:
    """A xen revision (hex, as `cr-daily-branch` wants it)."""
    return f"ae{i:02d}"


def L(i: int) -> str:
    """A linux revision."""
    return f"be{i:02d}"


def job(
    name: str,
    changes: dict[str, Status | None] | None = None,
    *,
    status: Status | None = None,
    testids: Sequence[str] | None = None,
) -> Job:
    """Build a job whose steps pass, but for `changes` (testid -> status, None: never reached).

    The job's status is the worst of its steps' (a failing probe aside) unless given.
    """
    changes = dict(changes or {})
    if name == LIBVIRT:
        changes.setdefault(MSC, FAIL)
    testids = TESTIDS[name] if testids is None else testids
    assert set(changes) <= set(testids), f"{name} has no {set(changes) - set(testids)}"
    steps = []
    for testid in testids:
        st = changes.get(testid, PASS)
        if testid in changes and st is None:
            continue
        steps.append(Step(TestKey(name, testid), len(steps) + 1, st))
    if status is None:
        seen = {s.status for s in steps if s.key.testid != MSC}
        status = next(
            (s for s in (BROKEN, FAIL, BLOCKED, RUNNING, PREPARING, QUEUED) if s in seen), PASS
        )
    return Job(name, status, tuple(steps))


def cut(name: str, testid: str, status: Status) -> Job:
    """Build a job that stopped at `testid` in `status`: the steps after it never ran."""
    ids = TESTIDS[name]
    after = ids[ids.index(testid) + 1 :]
    return job(name, {testid: status, **dict.fromkeys(after)})


def blocked(name: str) -> Job:
    """A test job whose build failed: only its build check ran, and it is blocked."""
    return Job(name, BLOCKED, (Step(TestKey(name, "build-check(1)"), 1, BLOCKED),))


STANDARD = (BUILD, XL, WIN7, LIBVIRT)


def flight(
    number: int,
    xen: str,
    linux: str,
    *jobs: Job,
    extra: Iterable[str] = (),
    without: Iterable[str] = (),
    blessing: str = "real",
    branch: str = "xen-unstable",
    baseline: dict[str, str] | None = None,
) -> Flight:
    """Build a flight of the standard jobs (plus `extra` ones, minus `without`), all passing but
    for the given `jobs`, which replace the standard job of their name or are added."""
    names = [n for n in (*STANDARD, *extra) if n not in set(without)]
    given = {j.name: j for j in jobs}
    built = [given.pop(n) if n in given else job(n) for n in names]
    return Flight(
        number=number,
        branch=branch,
        jobs=(*built, *given.values()),
        blessing=blessing,
        revisions={"xen": xen, "linux": linux},
        baseline=baseline or {},
    )


# ---------------------------------------------------------------------------------------------
# The history. Flight numbers are shared by the branches, as in osstest.
#
# xen-unstable tests xen (linux floats underneath it); linux-3.10 tests linux (xen floats).

HISTORY: list[Flight] = [
    # 100: the branch's first flight: nothing pushed, nothing declared -> no baseline, no push;
    # every line goes to the "did not succeed" section A (osstest's `A fail`).
    flight(100, X(1), L(1), extra=[ARM, PAIR]),
    # 101: declares its baseline (100's revision, which 100 built): tolerable -> PUSHED (xen X2).
    flight(101, X(2), L(1), extra=[ARM, PAIR], baseline={"xen": X(1)}),
    # 102: tests the pushed revision again (xen-unstable is in BRANCHES_ALWAYS): up to date.
    flight(102, X(2), L(1), extra=[ARM, PAIR]),
    # 103: linux moved (L2) under xen X3: 101 and 102 are still baseline flights.
    # guest-localmigrate fails: REGR. vs. 102; with the retest 104 it is `pass in 104-retest`.
    flight(103, X(3), L(2), job(XL, {"guest-localmigrate": FAIL}), extra=[ARM, PAIR]),
    # 104: the retest of 103: same revisions, blessed real-retest -> 103 is PUSHED (xen X3).
    flight(104, X(3), L(2), extra=[ARM, PAIR], blessing="real-retest"),
    # 105: two regressions vs. 103 (real before retest among equals): regressions.
    flight(
        105,
        X(4),
        L(2),
        cut(XL, "guest-saverestore", FAIL),
        cut(ARM, "guest-start", FAIL),
        extra=[ARM],
    ),
    # 106: win7 guest-localmigrate fails, passes in 105 (a heisenbug): 105 is justified in turn:
    # its guest-saverestore is `fail in 105 pass in 106`, its ARM guest-start `fail in 105 REGR.
    # vs. 103` (106 ran no ARM job) and still blocks 106.
    flight(106, X(4), L(3), job(WIN7, {"guest-localmigrate": FAIL})),
    # 107: all good -> PUSHED (xen X4).
    flight(107, X(4), L(3)),
    # 108: up to date; build-amd64 fails (the test jobs are blocked): REGR. vs. 107 (600).
    flight(
        108,
        X(4),
        L(3),
        job(BUILD, {"xen-build": FAIL}),
        blocked(XL),
        blocked(WIN7),
        blocked(LIBVIRT),
    ),
    # 109: up to date; win7's host broke: `failed in 106`, and guest-stop `pass in 107`; the
    # broken job's `<job status>` line blocks (today's osstest): trouble.
    flight(109, X(4), L(4), job(WIN7, {"guest-localmigrate": BROKEN, "guest-stop": BROKEN})),
    # 110: every baseline outcome against 105-109 (all X4; linux L2-L4):
    #   win7 guest-localmigrate broken: like 109 (beats `failed in 106` and REGR.)
    #   xl guest-saverestore broken: failed in 105 (beats REGR.)
    #   win7 guest-stop fail: broken in 109 (beats REGR.)
    #   xl guest-localmigrate fail: REGR. vs. 109 (beats `blocked in 105`/`108`)
    #   arm guest-stop fail: blocked in 105 (106-109 ran no ARM job: no evidence)
    #   pair guest-migrate fail: baseline untested (no X4 flight ran the pair job)
    flight(
        110,
        X(5),
        L(4),
        job(XL, {"guest-saverestore": BROKEN, "guest-localmigrate": FAIL}),
        job(WIN7, {"guest-localmigrate": BROKEN, "guest-stop": FAIL}),
        job(ARM, {"guest-stop": FAIL}),
        job(PAIR, {MIGRATE: FAIL}),
        extra=[ARM, PAIR],
    ),
    # 111: build-amd64 fails: REGR. vs. 109 (600) although 108 failed alike, and no heisenbug
    # search although 110 (same revision) built fine: regressions.
    flight(
        111,
        X(5),
        L(4),
        job(BUILD, {"xen-build": FAIL}),
        blocked(XL),
        blocked(WIN7),
        blocked(LIBVIRT),
    ),
    # 112: the pair job broke with every step passed: its `<job status>` line (today's osstest;
    # the 2015 code printed `<none executed>`) blocks: trouble.
    flight(112, X(6), L(4), job(PAIR, status=BROKEN), extra=[PAIR]),
    # 113: cut short: a running step (unfinished), a preparing step ([st=preparing!]) and a
    # queued job without steps (`<none executed>` queued): trouble.
    flight(
        113,
        X(6),
        L(4),
        job(XL, {"guest-stop": RUNNING}),
        job(WIN7, {"guest-localmigrate": PREPARING, "guest-stop": None}, status=RUNNING),
        Job(LIBVIRT, QUEUED, ()),
    ),
    # 114: all good -> PUSHED (xen X6).
    flight(114, X(6), L(4)),
    # 115: win7 guest-stop regressed, but the allow list excuses it: allowable -> PUSHED (X7).
    flight(115, X(7), L(4), job(WIN7, {"guest-stop": FAIL})),
    # 116: a bisection flight of X7: guest-saverestore fails there, the probe passes there.
    flight(
        116,
        X(7),
        L(4),
        job(XL, {"guest-saverestore": FAIL}),
        job(LIBVIRT, {MSC: PASS}),
        blessing="real-bisect",
    ),
    # 117: guest-saverestore fails: REGR. vs. 115, not `like 116-bisect`; the probe still
    # `never pass`: regressions.
    flight(117, X(8), L(4), job(XL, {"guest-saverestore": FAIL})),
    # 118: declares X6 as its baseline: win7 guest-stop is `REGR. vs. 114` (allowable), where
    # against X7 it would be `like 115`: PUSHED (X9).
    flight(118, X(9), L(4), job(WIN7, {"guest-stop": FAIL}), baseline={"xen": X(6)}),
    # 119: a flight without a single testcase: nothing failed, but it is not pushed.
    Flight(119, "xen-unstable", (Job(BUILD, PASS, ()),), revisions={"xen": X(10), "linux": L(4)}),
    # 120: win7 guest-saverestore regressed: regressions (its retest 122 ran no win7 job).
    flight(120, X(11), L(5), job(WIN7, {"guest-saverestore": FAIL})),
    # 121: xl guest-start fails but passed in 120 (a real flight: before the retest 122 in
    # osstest's order); 120's failure passed here: PUSHED (X11).
    flight(121, X(11), L(5), job(XL, {"guest-start": FAIL})),
    # 122: the retest of 121, without the win7 job.
    flight(122, X(11), L(5), without=[WIN7], blessing="real-retest"),
    # 124: all good, the pair job back: PUSHED (X12).
    flight(124, X(12), L(5), extra=[PAIR]),
    # 125-127: a chain of heisenbugs on X13, each flight excused by another.
    # 125: xl guest-saverestore regressed (no pair job): regressions.
    flight(125, X(13), L(5), job(XL, {"guest-saverestore": FAIL})),
    # 126: win7 guest-localmigrate passes in 125 (whose guest-saverestore passed here), but the
    # pair job's guest-migrate regressed and passed nowhere: regressions.
    flight(
        126,
        X(13),
        L(5),
        job(WIN7, {"guest-localmigrate": FAIL}),
        job(PAIR, {MIGRATE: FAIL}),
        extra=[PAIR],
    ),
    # 127: no win7 job; libvirt guest-start fails but passed in 126, whose win7 failure passed
    # in 125 and whose pair failure passed here; 125's failure passed here too: PUSHED (X13).
    flight(
        127,
        X(13),
        L(6),
        cut(LIBVIRT, "guest-start", FAIL),
        extra=[PAIR],
        without=[WIN7],
    ),
    # 128: a broken test step that passed in the baseline: REGR. vs. 127 with blocker `broken`;
    # the retest 129 excuses the step, but not the job's `<job status>` line: trouble, not
    # pushed (the 2015 code had no such line, and pushed).
    flight(128, X(14), L(6), cut(XL, "host-install(3)", BROKEN)),
    # 129: the retest of 128: `pass in 129-retest`.
    flight(129, X(14), L(6), blessing="real-retest"),
    # linux-3.10: tests linux, xen floats. 130: no baseline: perfect, not pushed.
    flight(130, X(13), L(30), branch="linux-3.10"),
    # 131: declares a baseline no flight built: `baseline untested`, not pushed.
    flight(
        131,
        X(13),
        L(31),
        job(XL, {"guest-saverestore": FAIL}),
        branch="linux-3.10",
        baseline={"linux": L(29)},
    ),
    # 132: declares 130's revision, which 130 built: PUSHED (L31).
    flight(132, X(14), L(31), branch="linux-3.10", baseline={"linux": L(30)}),
    # 133: xen moved (X14 -> X15): 131 and 132 still count; `like 131`: PUSHED (L32).
    flight(133, X(15), L(32), job(XL, {"guest-saverestore": FAIL}), branch="linux-3.10"),
    # 134: build-amd64 broke on host allocation: REGR. vs. 133 (600), blocker broken, and its
    # `<job status>` line: trouble.
    flight(
        134,
        X(15),
        L(33),
        cut(BUILD, "hosts-allocate", BROKEN),
        blocked(XL),
        blocked(WIN7),
        blocked(LIBVIRT),
        branch="linux-3.10",
    ),
    # 135: all good: PUSHED (L34).
    flight(135, X(15), L(34), branch="linux-3.10"),
    # xen-unstable again. 136: all good -> PUSHED (X15).
    flight(136, X(15), L(6)),
    # 137: up to date, cut short while xl's guest-stop was running: trouble.
    flight(137, X(15), L(6), job(XL, {"guest-stop": RUNNING})),
    # 138: guest-stop fails: `running in 137` (170) beats `REGR. vs. 136` (100): PUSHED (X16).
    flight(138, X(16), L(7), job(XL, {"guest-stop": FAIL})),
    # 139: a new testcase that never passed (`never pass`, though 138 ran the job), and win7's
    # guest-stop left queued: `[st=queued!]` blocks, whatever the allow list says: trouble.
    flight(
        139,
        X(17),
        L(7),
        job(XL, {"guest-start.2": FAIL}, testids=(*TESTIDS[XL], "guest-start.2")),
        job(WIN7, {"guest-stop": QUEUED}, status=RUNNING),
    ),
    # 140: all good -> PUSHED (X18).
    flight(140, X(18), L(7)),
]

# What osstest's code says of each flight of the history, written by hand from that code (the
# probe's `never pass` lines, present in nearly every flight, are left out): verdict, pushed, and
# the report's failure lines as `JOB TESTID STATUS SUMMARY` (`in N` for another flight's step).
STORY: dict[int, tuple[Verdict, bool, set[str]]] = {
    100: (Verdict.TOLERABLE, False, set()),
    101: (Verdict.TOLERABLE, True, set()),
    102: (Verdict.TOLERABLE, False, set()),
    103: (Verdict.TOLERABLE, True, {f"{XL} guest-localmigrate fail pass in 104-retest"}),
    104: (Verdict.TOLERABLE, False, set()),
    105: (
        Verdict.REGRESSIONS,
        False,
        {f"{XL} guest-saverestore fail REGR. vs. 103", f"{ARM} guest-start fail REGR. vs. 103"},
    ),
    106: (
        Verdict.REGRESSIONS,
        False,
        {
            f"{WIN7} guest-localmigrate fail pass in 105",
            f"{XL} guest-saverestore fail in 105 pass in 106",
            f"{ARM} guest-start fail in 105 REGR. vs. 103",
        },
    ),
    107: (Verdict.TOLERABLE, True, set()),
    108: (
        Verdict.REGRESSIONS,
        False,
        {
            f"{BUILD} xen-build fail REGR. vs. 107",
            f"{XL} build-check(1) blocked n/a",
            f"{WIN7} build-check(1) blocked n/a",
            f"{LIBVIRT} build-check(1) blocked n/a",
        },
    ),
    109: (
        Verdict.TROUBLE,
        False,
        {
            f"{WIN7} {JOB_STATUS} broken",
            f"{WIN7} guest-localmigrate broken failed in 106",
            f"{WIN7} guest-stop broken pass in 107",
        },
    ),
    110: (
        Verdict.REGRESSIONS,
        False,
        {
            f"{WIN7} guest-localmigrate broken like 109",
            f"{XL} guest-saverestore broken failed in 105",
            f"{XL} {JOB_STATUS} broken",
            f"{WIN7} {JOB_STATUS} broken",
            f"{WIN7} guest-stop fail broken in 109",
            f"{XL} guest-localmigrate fail REGR. vs. 109",
            f"{ARM} guest-stop fail blocked in 105",
            f"{PAIR} {MIGRATE} fail baseline untested",
        },
    ),
    111: (
        Verdict.REGRESSIONS,
        False,
        {
            f"{BUILD} xen-build fail REGR. vs. 109",
            f"{XL} build-check(1) blocked n/a",
            f"{WIN7} build-check(1) blocked n/a",
            f"{LIBVIRT} build-check(1) blocked n/a",
        },
    ),
    112: (Verdict.TROUBLE, False, {f"{PAIR} {JOB_STATUS} broken"}),
    113: (
        Verdict.TROUBLE,
        False,
        {
            f"{XL} guest-stop running",
            f"{WIN7} guest-localmigrate preparing [st=preparing!]",
            f"{LIBVIRT} {NONE_EXECUTED} queued",
        },
    ),
    114: (Verdict.TOLERABLE, True, set()),
    115: (Verdict.TOLERABLE, True, {f"{WIN7} guest-stop fail REGR. vs. 114"}),
    116: (
        Verdict.TOLERABLE,
        False,
        {
            f"{XL} guest-saverestore fail pass in 115",
            f"{WIN7} guest-stop fail in 115 baseline untested",
            f"{LIBVIRT} {MSC} fail in 115 never pass",
        },
    ),
    117: (Verdict.REGRESSIONS, False, {f"{XL} guest-saverestore fail REGR. vs. 115"}),
    118: (Verdict.TOLERABLE, True, {f"{WIN7} guest-stop fail REGR. vs. 114"}),
    119: (Verdict.PERFECT, False, set()),
    120: (Verdict.REGRESSIONS, False, {f"{WIN7} guest-saverestore fail REGR. vs. 118"}),
    121: (
        Verdict.TOLERABLE,
        True,
        {f"{XL} guest-start fail pass in 120", f"{WIN7} guest-saverestore fail in 120 pass in 121"},
    ),
    122: (Verdict.TOLERABLE, False, set()),
    124: (Verdict.TOLERABLE, True, set()),
    125: (Verdict.REGRESSIONS, False, {f"{XL} guest-saverestore fail REGR. vs. 124"}),
    126: (
        Verdict.REGRESSIONS,
        False,
        {
            f"{WIN7} guest-localmigrate fail pass in 125",
            f"{PAIR} {MIGRATE} fail REGR. vs. 124",
            f"{XL} guest-saverestore fail in 125 pass in 126",
        },
    ),
    127: (
        Verdict.TOLERABLE,
        True,
        {
            f"{LIBVIRT} guest-start fail pass in 126",
            f"{WIN7} guest-localmigrate fail in 126 pass in 125",
            f"{LIBVIRT} {MSC} fail in 126 never pass",
            f"{PAIR} {MIGRATE} fail in 126 pass in 127",
            f"{XL} guest-saverestore fail in 125 pass in 127",
        },
    ),
    128: (
        Verdict.TROUBLE,
        False,
        {f"{XL} host-install(3) broken pass in 129-retest", f"{XL} {JOB_STATUS} broken"},
    ),
    129: (Verdict.TOLERABLE, False, set()),
    130: (Verdict.TOLERABLE, False, set()),
    131: (Verdict.TOLERABLE, False, {f"{XL} guest-saverestore fail baseline untested"}),
    132: (Verdict.TOLERABLE, True, set()),
    133: (Verdict.TOLERABLE, True, {f"{XL} guest-saverestore fail like 131"}),
    134: (
        Verdict.TROUBLE,
        False,
        {
            f"{BUILD} hosts-allocate broken REGR. vs. 133",
            f"{BUILD} {JOB_STATUS} broken",
            f"{XL} build-check(1) blocked n/a",
            f"{WIN7} build-check(1) blocked n/a",
            f"{LIBVIRT} build-check(1) blocked n/a",
        },
    ),
    135: (Verdict.TOLERABLE, True, set()),
    136: (Verdict.TOLERABLE, True, set()),
    137: (Verdict.TROUBLE, False, {f"{XL} guest-stop running"}),
    138: (Verdict.TOLERABLE, True, {f"{XL} guest-stop fail running in 137"}),
    139: (
        Verdict.TROUBLE,
        False,
        {f"{XL} guest-start.2 fail never pass", f"{WIN7} guest-stop queued [st=queued!]"},
    ),
    140: (Verdict.TOLERABLE, True, set()),
}


# ---------------------------------------------------------------------------------------------
# Comparing the oracle with pushgate


def pushgate(
    flight: Flight, flights: Sequence[Flight], pushed: dict[int, bool], allow: str = ALLOW
) -> Judgement:
    """Judge a flight with pushgate, every other flight of its branch given as evidence."""
    others = [
        PriorFlight.of(f, pushed=pushed.get(f.number or 0, False))
        for f in flights
        if f.branch == flight.branch and f is not flight
    ]
    return judge(flight, others, allow=AllowList.parse(allow), policy=Policy())


def where(finding: Finding, flight: Flight) -> int:
    return finding.in_flight if finding.in_flight is not None else flight.number or 0


def oracle_failures(result: oracle.Expected) -> list[tuple[int, str, str, str, str]]:
    """Every failure osstest justified (its `@failures`, printed or not), as pushgate's findings."""
    return sorted(
        (line.flight, line.job, line.testid, line.status.value, line.described)
        for line in result.failures
    )


def pushgate_findings(flight: Flight, judgement: Judgement) -> list[tuple[int, str, str, str, str]]:
    return sorted(
        (where(f, flight), f.step.key.job, f.step.key.testid, f.step.status.value, described(f))
        for f in judgement.findings
    )


def pushgate_blocking(flight: Flight, judgement: Judgement) -> set[tuple[int, str, str]]:
    return {(where(f, flight), f.step.key.job, f.step.key.testid) for f in judgement.blocking()}


HEADINGS = list(oracle.HEADINGS.values())


def sections_of(text: str) -> list[tuple[str, list[str]]]:
    """Return the failure sections of a report body: each heading and the lines under it."""
    lines = text.split("\n")
    out: list[tuple[str, list[str]]] = []
    n = 0
    while n < len(lines):
        for heading in HEADINGS:
            size = heading.count("\n") + 1
            if "\n".join(lines[n : n + size]) == heading:
                n += size
                body = []
                while n < len(lines) and lines[n].startswith(" "):
                    body.append(lines[n])
                    n += 1
                out.append((heading, body))
                break
        else:
            n += 1
    return out


def unordered(sections: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """Sections with their lines sorted: osstest orders equal sort keys by estimated duration."""
    return [(heading, sorted(body)) for heading, body in sections]


def pushgate_printed(flight: Flight, judgement: Judgement) -> list[tuple[str, list[str]]]:
    return unordered(sections_of(render_text(flight, judgement)))


def oracle_printed(result: oracle.Expected) -> list[tuple[str, list[str]]]:
    return unordered(oracle.printed(result))


def pushgate_failures_header(flight: Flight, judgement: Judgement) -> list[str]:
    lines = headers(flight, judgement).split("\n")
    if "X-Osstest-Failures:" not in lines:
        return []
    rest = lines[lines.index("X-Osstest-Failures:") + 1 :]
    entries = []
    for line in rest:
        if not line.startswith("    "):
            break
        entries.append(line.strip())
    return sorted(entries)


def oracle_failures_header(result: oracle.Expected) -> list[str]:
    return sorted(f"{result.branch}:{line.header}" for line in result.lines)


def report_lines(result: oracle.Expected) -> set[str]:
    """The oracle's lines as `JOB TESTID STATUS SUMMARY`, the probe's `never pass` left out."""
    return {
        f"{line.job} {line.testid} {line.status.value} {line.described}".rstrip()
        for line in result.lines
        if not (line.testid == MSC and line.summary == "never pass" and not line.foreign)
    }


def assert_agree(flight: Flight, result: oracle.Expected, judgement: Judgement) -> None:
    """Assert pushgate's judgement says what the oracle says (verdict, push, blocking, lines)."""
    assert (judgement.verdict, judgement.pushed) == (result.verdict, result.pushed)
    assert dict(judgement.baseline) == dict(result.that)
    assert pushgate_blocking(flight, judgement) == set(result.blocking)
    assert pushgate_findings(flight, judgement) == oracle_failures(result)
    assert pushgate_printed(flight, judgement) == oracle_printed(result)


def run(history: list[Flight], allow: str = "") -> dict[int, tuple[oracle.Expected, Judgement]]:
    """Judge every flight of a history with the oracle, then with pushgate as the oracle pushed."""
    results = oracle.expected(history, allow)
    pushed = {r.flight: r.pushed for r in results}
    return {
        r.flight: (r, pushgate(f, history, pushed, allow))
        for f, r in zip(history, results, strict=True)
    }


EXPECTED = oracle.expected(HISTORY, ALLOW)
PUSHED = {r.flight: r.pushed for r in EXPECTED}
CASES = list(zip(HISTORY, EXPECTED, strict=True))
IDS = [str(f.number) for f in HISTORY]


@pytest.fixture(scope="module")
def judgements() -> dict[int, Judgement]:
    return {f.number or 0: pushgate(f, HISTORY, PUSHED) for f in HISTORY}


# ---------------------------------------------------------------------------------------------
# The history: the oracle against the hand-written story, then pushgate against the oracle


def test_history_has_about_forty_flights_on_two_branches():
    assert 38 <= len(HISTORY) <= 42
    assert {f.branch for f in HISTORY} == {"xen-unstable", "linux-3.10"}
    assert set(STORY) == {f.number for f in HISTORY}


@pytest.mark.parametrize(("flight", "result"), CASES, ids=IDS)
def test_oracle_reads_the_story_as_written(flight, result):
    verdict, pushed, lines = STORY[flight.number]
    assert (result.verdict, result.pushed) == (verdict, pushed)
    assert report_lines(result) == lines


def test_history_covers_every_phrase_verdict_and_push():
    texts = [
        f"{line.status.value} {line.described}" for result in EXPECTED for line in result.lines
    ]
    for phrase in (
        "REGR. vs.",
        "like ",
        "failed in ",
        "broken in ",
        "running in ",
        "blocked in ",
        "baseline untested",
        "never pass",
        "pass in ",
        "fail in ",
        "blocked n/a",
        "[st=",
    ):
        assert any(phrase in t for t in texts), phrase
    assert any(t.startswith("fail in ") and "REGR. vs." in t for t in texts)
    assert any(t.startswith("fail pass in ") and t.endswith("-retest") for t in texts)
    testids = {(line.testid, line.summary) for r in EXPECTED for line in r.lines}
    assert (NONE_EXECUTED, "") in testids
    assert any(line.status is RUNNING for r in EXPECTED for line in r.lines)
    sections = {line.section for r in EXPECTED for line in r.lines}
    assert sections == {"fail", "regression", "heisenbug", "allowable", "nonblocking"}
    assert any(len(r.failures) > len(r.lines) for r in EXPECTED)  # a line printout skips
    assert all(sum(len(body) for _, body in oracle.printed(r)) == len(r.lines) for r in EXPECTED)
    assert {r.verdict for r in EXPECTED} == set(Verdict)
    assert {r.push for r in EXPECTED} == {
        oracle.Push.PUSHED,
        oracle.Push.NOT_PUSHING,
        oracle.Push.UP_TO_DATE,
        oracle.Push.BASELINE_UNTESTED,
        oracle.Push.NO_BASELINE,
        oracle.Push.NO_TESTS,
        oracle.Push.NOT_A_PUSH_FLIGHT,
    }


@pytest.mark.parametrize(("flight", "result"), CASES, ids=IDS)
def test_history_verdict_agrees_with_osstest(flight, result, judgements):
    assert judgements[flight.number].verdict == result.verdict


@pytest.mark.parametrize(("flight", "result"), CASES, ids=IDS)
def test_history_push_agrees_with_osstest(flight, result, judgements):
    assert judgements[flight.number].pushed == result.pushed


@pytest.mark.parametrize(("flight", "result"), CASES, ids=IDS)
def test_history_baseline_agrees_with_osstest(flight, result, judgements):
    assert dict(judgements[flight.number].baseline) == dict(result.that)


@pytest.mark.parametrize(("flight", "result"), CASES, ids=IDS)
def test_history_blocking_steps_agree_with_osstest(flight, result, judgements):
    assert pushgate_blocking(flight, judgements[flight.number]) == set(result.blocking)


@pytest.mark.parametrize(("flight", "result"), CASES, ids=IDS)
def test_history_findings_agree_with_osstest(flight, result, judgements):
    """Every failure justified, with its summary (`in N ...` for a heisenbug flight's)."""
    assert pushgate_findings(flight, judgements[flight.number]) == oracle_failures(result)


@pytest.mark.parametrize(("flight", "result"), CASES, ids=IDS)
def test_history_report_sections_agree_with_osstest(flight, result, judgements):
    """The failure sections of the report body: headings, and the lines printed under each."""
    assert pushgate_printed(flight, judgements[flight.number]) == oracle_printed(result)


@pytest.mark.parametrize(("flight", "result"), CASES, ids=IDS)
def test_history_failures_header_agrees_with_osstest(flight, result, judgements):
    """The `X-Osstest-Failures` header: `branch:job:testid:status:analysis` per printed line."""
    assert pushgate_failures_header(flight, judgements[flight.number]) == oracle_failures_header(
        result
    )


def test_oracle_judges_a_flight_as_it_was_before_its_retest():
    """103 alone is a regression; once its retest 104 has run, osstest pushes it."""
    f103 = next(f for f in HISTORY if f.number == 103)
    before = [f for f in HISTORY if (f.number or 0) < 104]
    result = oracle.judge(f103, before, PUSHED, ALLOW)
    assert (result.verdict, result.pushed) == (Verdict.REGRESSIONS, False)
    assert report_lines(result) == {f"{XL} guest-localmigrate fail REGR. vs. 102"}
    assert_agree(f103, result, pushgate(f103, before, PUSHED))


# ---------------------------------------------------------------------------------------------
# One short history per osstest rule: hard expectations from osstest's code, then the oracle and
# pushgate must agree on every flight of it.


def only(number: int, xen: str, *jobs: Job, linux: str = L(1), **kwargs: object) -> Flight:
    """A flight of exactly the given jobs."""
    return flight(number, xen, linux, *jobs, without=STANDARD, **kwargs)  # type: ignore[arg-type]


def start(*names: str, linux: str = L(1)) -> list[Flight]:
    """Flights 1 (X1, no baseline) and 2 (X2, declaring X1, which 1 built): 2 is pushed."""
    return [
        only(1, X(1), *map(job, names), linux=linux),
        only(2, X(2), *map(job, names), linux=linux, baseline={"xen": X(1)}),
    ]


def check(history: list[Flight], allow: str = "") -> dict[int, oracle.Expected]:
    """Judge a history with both; assert they agree on every flight; return the oracle's."""
    results = run(history, allow)
    for f in history:
        expected_result, judgement = results[f.number or 0]
        assert_agree(f, expected_result, judgement)
    return {n: r for n, (r, _) in results.items()}


def oracle_of(history: list[Flight], allow: str = "") -> dict[int, oracle.Expected]:
    return {r.flight: r for r in oracle.expected(history, allow)}


def said(result: oracle.Expected) -> tuple[Verdict, bool, set[str]]:
    return result.verdict, result.pushed, report_lines(result)


def test_osstest_build_job_regression_outranks_like_and_skips_heisen_search():
    """`justifyfailures`: a pass there is priority 600 for a job named `build...`, above `like`
    (190); at 500 or more no flight of the tested revision is searched for a pass."""
    history = [
        *start(BUILD, XL),
        only(3, X(2), job(BUILD, {"xen-build": FAIL}), blocked(XL)),  # the baseline failed alike
        only(4, X(3), job(BUILD), cut(XL, "guest-start", FAIL)),  # X3 built fine here
        only(5, X(3), job(BUILD, {"xen-build": FAIL}), blocked(XL)),
    ]
    results = oracle_of(history)
    assert said(results[5]) == (
        Verdict.REGRESSIONS,
        False,
        {f"{BUILD} xen-build fail REGR. vs. 2", f"{XL} build-check(1) blocked n/a"},
    )
    assert results[5].blocking == {(5, BUILD, "xen-build")}
    check(history)


def test_osstest_like_outranks_failed_in_which_outranks_regression():
    """Every baseline flight gives an outcome, the highest priority wins: the same status there
    `like` (190), a fail there `failed in` (180), a pass there `REGR. vs.` (100)."""
    history = [
        *start(XL),
        only(3, X(2), job(XL, {"guest-start": BROKEN, "guest-stop": FAIL})),
        only(4, X(2), job(XL, {"guest-start": FAIL, "guest-stop": FAIL})),
        only(5, X(3), job(XL, {"guest-start": BROKEN, "guest-stop": BROKEN})),
    ]
    # The broken job's `<job status>` line blocks whatever its steps' outcomes (today's osstest).
    assert said(oracle_of(history)[5]) == (
        Verdict.TROUBLE,
        False,
        {
            f"{XL} guest-start broken like 3",
            f"{XL} guest-stop broken failed in 4",
            f"{XL} {JOB_STATUS} broken",
        },
    )
    check(history)


def test_osstest_fail_against_broken_baseline_is_broken_in():
    """A fail now against a broken step there is `broken in N` (170, another status there)."""
    history = [
        *start(XL),
        only(3, X(2), job(XL, {"guest-start": BROKEN})),
        only(4, X(3), job(XL, {"guest-start": FAIL})),
    ]
    assert said(oracle_of(history)[4]) == (
        Verdict.TOLERABLE,
        True,
        {f"{XL} guest-start fail broken in 3"},
    )
    check(history)


def test_osstest_other_status_in_baseline_outranks_regression():
    """Any other status there (here a step left running) is `<status> in N` at 170, above 100."""
    history = [
        *start(XL),
        only(3, X(2), job(XL, {"guest-stop": RUNNING})),
        only(4, X(3), job(XL, {"guest-stop": FAIL})),
    ]
    assert said(oracle_of(history)[4]) == (
        Verdict.TOLERABLE,
        True,
        {f"{XL} guest-stop fail running in 3"},
    )
    check(history)


def test_osstest_regression_outranks_step_absent_in_baseline():
    """A baseline flight that ran the job but not the step says `blocked in N` at 50 only."""
    history = [
        *start(XL),
        only(3, X(2), cut(XL, "debian-install", FAIL)),
        only(4, X(3), job(XL, {"guest-start": FAIL})),
    ]
    results = oracle_of(history)
    assert said(results[4]) == (Verdict.REGRESSIONS, False, {f"{XL} guest-start fail REGR. vs. 2"})
    assert results[4].blocking == {(4, XL, "guest-start")}
    check(history)


def test_osstest_step_absent_where_the_job_ran_is_blocked_in_and_jobless_flights_are_no_evidence():
    """`findaflight` takes only flights that have the job: 2 and 4 ran no ARM job, so the step
    is `blocked in 3` (3 ran the job but stopped before the step), not `blocked in 4`."""
    history = [
        only(1, X(1), job(XL), job(ARM)),
        only(2, X(2), job(XL), baseline={"xen": X(1)}),
        only(3, X(2), job(XL), cut(ARM, "guest-start", BROKEN)),
        only(4, X(2), job(XL)),
        only(5, X(3), job(XL), job(ARM, {"guest-stop": FAIL})),
    ]
    assert said(oracle_of(history)[5]) == (
        Verdict.TOLERABLE,
        True,
        {f"{ARM} guest-stop fail blocked in 3"},
    )
    check(history)


def test_osstest_no_baseline_flight_with_the_job_is_baseline_untested():
    """With no qualifying flight only the initial `baseline untested` (10) is left: not blocking."""
    history = [
        only(1, X(1), job(XL), job(ARM)),
        only(2, X(2), job(XL), baseline={"xen": X(1)}),
        only(3, X(3), job(XL), job(ARM, {"guest-start": FAIL})),
    ]
    assert said(oracle_of(history)[3]) == (
        Verdict.TOLERABLE,
        True,
        {f"{ARM} guest-start fail baseline untested"},
    )
    check(history)


def test_osstest_never_passed_step_is_never_pass_before_any_comparison():
    """`anypassq`: a step that never passed in an evidence flight of the branch is `never pass`,
    even with a baseline flight that failed it alike; a bisection flight's pass does not count."""
    history = [
        only(1, X(1), job(XL, {"guest-stop": FAIL})),
        only(2, X(2), job(XL, {"guest-stop": FAIL}), baseline={"xen": X(1)}),
        only(3, X(2), job(XL), blessing="real-bisect"),
        only(4, X(3), job(XL, {"guest-stop": FAIL})),
    ]
    results = oracle_of(history)
    for n in (2, 4):
        assert said(results[n]) == (Verdict.TOLERABLE, True, {f"{XL} guest-stop fail never pass"})
    check(history)


def test_osstest_non_pass_job_without_failing_step_is_none_executed_and_blocks():
    """`examineflight`: a job that is not `pass` with no non-pass step gets `<none executed>`
    with the job's status; `justifyfailures` makes it a `broken` blocker, whatever the status.
    A broken job gets today's `<job status>` line instead, which blocks alike."""
    history = [
        *start(XL, WIN7, ARM),
        only(3, X(3), job(XL, status=BROKEN), Job(WIN7, QUEUED, ()), Job(ARM, BLOCKED, ())),
    ]
    results = oracle_of(history)
    assert said(results[3]) == (
        Verdict.TROUBLE,
        False,
        {
            f"{XL} {JOB_STATUS} broken",
            f"{WIN7} {NONE_EXECUTED} queued",
            f"{ARM} {NONE_EXECUTED} blocked",
        },
    )
    assert results[3].blocking == {
        (3, XL, JOB_STATUS),
        *((3, j, NONE_EXECUTED) for j in (WIN7, ARM)),
    }
    check(history)


def test_osstest_running_step_is_unfinished_and_blocks():
    """A `running` step has an empty summary and blocks as `unfinished`: trouble."""
    history = [*start(XL), only(3, X(3), job(XL, {"guest-stop": RUNNING}))]
    results = oracle_of(history)
    assert said(results[3]) == (Verdict.TROUBLE, False, {f"{XL} guest-stop running"})
    assert [line.blocker for line in results[3].lines] == ["unfinished"]
    check(history)


def test_osstest_step_in_another_status_is_st_marker_and_no_allow_list_excuses_it():
    """A status other than fail and broken is `[st=<status>!]`, a `broken` blocker; the allow list
    is only consulted for compared failures."""
    history = [
        *start(XL, WIN7),
        only(3, X(3), job(XL, {"guest-start": PREPARING}), job(WIN7, {"guest-stop": QUEUED})),
    ]
    results = oracle_of(history, ALLOW)
    assert said(results[3]) == (
        Verdict.TROUBLE,
        False,
        {f"{XL} guest-start preparing [st=preparing!]", f"{WIN7} guest-stop queued [st=queued!]"},
    )
    check(history, ALLOW)


def test_osstest_blocked_step_is_not_applicable_and_does_not_block():
    """A `blocked` step is `n/a`, not blocking (the build that blocked it is judged instead)."""
    history = [*start(BUILD, XL), only(3, X(3), job(BUILD), blocked(XL))]
    assert said(oracle_of(history)[3]) == (
        Verdict.TOLERABLE,
        True,
        {f"{XL} build-check(1) blocked n/a"},
    )
    check(history)


def test_osstest_heisenbug_flight_is_justified_in_turn_and_its_regression_still_blocks():
    """`pass in N`: N's failures are justified too and printed `in N ...`; a regression of N
    that no flight excuses blocks the flight being judged."""
    history = [
        *start(XL, WIN7, ARM),
        only(
            3, X(3), job(XL, {"guest-saverestore": FAIL}), job(WIN7), cut(ARM, "guest-start", FAIL)
        ),
        only(4, X(3), job(XL), job(WIN7, {"guest-localmigrate": FAIL})),
    ]
    results = oracle_of(history)
    assert said(results[4]) == (
        Verdict.REGRESSIONS,
        False,
        {
            f"{WIN7} guest-localmigrate fail pass in 3",
            f"{XL} guest-saverestore fail in 3 pass in 4",
            f"{ARM} guest-start fail in 3 REGR. vs. 2",
        },
    )
    assert results[4].blocking == {(3, ARM, "guest-start")}
    check(history)


def test_osstest_retest_flight_excuses_as_pass_in_n_retest():
    """`displayflightnum` shows a retest as `N-retest`; once the retest has run the original is
    tolerable and pushed, before it the same flight was a regression."""
    history = [
        *start(XL),
        only(3, X(3), job(XL, {"guest-start": FAIL})),
        only(4, X(3), job(XL), blessing="real-retest"),
    ]
    results = check(history)
    assert said(results[3]) == (
        Verdict.TOLERABLE,
        True,
        {f"{XL} guest-start fail pass in 4-retest"},
    )
    assert results[4].push is oracle.Push.NOT_A_PUSH_FLIGHT
    pushed = {1: False, 2: True}
    before = oracle.judge(history[2], history[:3], pushed)
    assert said(before) == (Verdict.REGRESSIONS, False, {f"{XL} guest-start fail REGR. vs. 2"})
    assert_agree(history[2], before, pushgate(history[2], history[:3], pushed, ""))


def test_osstest_real_flight_is_searched_before_retest_flight():
    """`findaflight` orders candidates by blessing, then newest first: `real` comes before
    `real-retest`, so the heisenbug is `pass in 3`, not `pass in 5-retest`."""
    history = [
        *start(XL, WIN7),
        only(3, X(3), job(XL), job(WIN7, {"guest-saverestore": FAIL})),
        only(4, X(3), job(XL, {"guest-start": FAIL}), job(WIN7)),
        only(5, X(3), job(XL), blessing="real-retest"),
    ]
    results = check(history)
    assert said(results[3]) == (
        Verdict.REGRESSIONS,
        False,
        {f"{WIN7} guest-saverestore fail REGR. vs. 2"},
    )
    assert said(results[4]) == (
        Verdict.TOLERABLE,
        True,
        {f"{XL} guest-start fail pass in 3", f"{WIN7} guest-saverestore fail in 3 pass in 4"},
    )


def test_osstest_equal_outcomes_go_to_the_real_flight_before_the_newer_retest():
    """Among equal priorities the first flight found wins: real flights before retests."""
    history = [
        *start(XL),
        only(3, X(2), job(XL)),
        only(4, X(2), job(XL), blessing="real-retest"),
        only(5, X(3), job(XL, {"guest-start": FAIL})),
    ]
    assert said(oracle_of(history)[5]) == (
        Verdict.REGRESSIONS,
        False,
        {f"{XL} guest-start fail REGR. vs. 3"},
    )
    check(history)


def test_osstest_bisection_flight_is_not_evidence():
    """Production passes `--blessings=real`: a `real-bisect` flight is neither a baseline flight
    (no `like 3-bisect`) nor a heisenbug flight (no `pass in 5-bisect`)."""
    history = [
        *start(XL),
        only(3, X(2), job(XL, {"guest-start": FAIL}), blessing="real-bisect"),
        only(4, X(3), job(XL, {"guest-start": FAIL})),
        only(5, X(3), job(XL), blessing="real-bisect"),
        only(6, X(3), job(XL, {"guest-start": FAIL})),
    ]
    results = oracle_of(history)
    for n in (4, 6):
        assert said(results[n]) == (
            Verdict.REGRESSIONS,
            False,
            {f"{XL} guest-start fail REGR. vs. 2"},
        )
    check(history)


def test_osstest_later_flights_are_not_evidence():
    """When 3 is judged, 4 (a later real flight of the same revision) does not exist yet."""
    history = [*start(XL), only(3, X(3), job(XL, {"guest-start": FAIL})), only(4, X(3), job(XL))]
    results = check(history)
    assert said(results[3]) == (Verdict.REGRESSIONS, False, {f"{XL} guest-start fail REGR. vs. 2"})
    assert said(results[4]) == (Verdict.PERFECT, True, set())


def test_osstest_compares_only_the_branch_tree_so_linux_floats_under_xen():
    """Only the `--that-<tree>` trees are matched: 3 ran another linux and is still a baseline
    flight of xen X2."""
    history = [
        *start(XL),
        only(3, X(2), job(XL, {"guest-start": FAIL}), linux=L(2)),
        only(4, X(3), job(XL, {"guest-start": FAIL}), linux=L(3)),
    ]
    assert said(oracle_of(history)[4]) == (
        Verdict.TOLERABLE,
        True,
        {f"{XL} guest-start fail like 3"},
    )
    check(history)


def test_osstest_linux_branch_compares_linux_while_xen_floats():
    """`select_xenbranch`: `linux-*` branches test linux; xen may differ in every flight."""
    history = [
        only(1, X(1), job(XL), linux=L(1), branch="linux-3.10"),
        only(2, X(2), job(XL), linux=L(2), branch="linux-3.10", baseline={"linux": L(1)}),
        only(3, X(3), job(XL, {"guest-start": FAIL}), linux=L(2), branch="linux-3.10"),
        only(4, X(4), job(XL, {"guest-start": FAIL}), linux=L(3), branch="linux-3.10"),
        only(5, X(4), job(XL, {"guest-stop": FAIL}), linux=L(4), branch="linux-3.10"),
    ]
    results = check(history)
    assert results[3].push is oracle.Push.UP_TO_DATE
    assert said(results[4]) == (Verdict.TOLERABLE, True, {f"{XL} guest-start fail like 3"})
    assert said(results[5]) == (Verdict.REGRESSIONS, False, {f"{XL} guest-stop fail REGR. vs. 4"})
    assert dict(results[5].that) == {"linux": L(3)}


def test_osstest_declared_baseline_is_matched_on_every_declared_tree():
    """`--that-<tree>` for each declared tree: with linux declared too, 3 (another linux) is no
    baseline flight; with xen alone it is."""
    history = [
        *start(XL),
        only(3, X(2), job(XL, {"guest-start": FAIL}), linux=L(2)),
        only(4, X(3), job(XL, {"guest-start": FAIL}), baseline={"xen": X(2), "linux": L(1)}),
        only(5, X(3), job(XL, {"guest-start": FAIL}), baseline={"xen": X(2)}),
    ]
    results = oracle_of(history)
    assert said(results[4]) == (Verdict.REGRESSIONS, False, {f"{XL} guest-start fail REGR. vs. 2"})
    assert said(results[5]) == (Verdict.TOLERABLE, True, {f"{XL} guest-start fail like 3"})
    check(history)


def test_osstest_untested_baseline_is_not_pushed():
    """`check_tested` wants a `real` flight that built the baseline: a retest that built it is a
    baseline flight for the comparison, but no push is wanted."""
    history = [
        only(1, X(1), job(XL), blessing="real-retest"),
        only(2, X(2), job(XL), baseline={"xen": X(1)}),
        only(3, X(3), job(XL, {"guest-start": FAIL}), baseline={"xen": X(9)}),
    ]
    results = oracle_of(history)
    assert results[2].verdict is Verdict.PERFECT
    assert results[2].push is oracle.Push.BASELINE_UNTESTED
    assert said(results[3]) == (
        Verdict.TOLERABLE,
        False,
        {f"{XL} guest-start fail baseline untested"},
    )
    check(history)


def test_osstest_up_to_date_flight_is_not_pushed():
    """`cr-daily-branch`: the revision under test equals the baseline: no push is wanted."""
    history = [*start(XL), only(3, X(2), job(XL)), only(4, X(3), job(XL))]
    results = check(history)
    assert (results[3].verdict, results[3].push) == (Verdict.PERFECT, oracle.Push.UP_TO_DATE)
    assert results[4].pushed


def test_osstest_flight_without_testcases_is_not_pushed():
    """Nothing failed, so the MRO says tolerable, but a flight without steps is never pushed."""
    history = [
        *start(XL),
        only(3, X(3), Job(XL, PASS, ())),
        Flight(4, "xen-unstable", (), revisions={"xen": X(4), "linux": L(1)}),
    ]
    results = check(history)
    for n in (3, 4):
        assert (results[n].verdict, results[n].push) == (Verdict.PERFECT, oracle.Push.NO_TESTS)


def test_osstest_pushes_move_the_baseline():
    """The baseline is the newest pushed revision: after 3 is pushed, 4 is compared with X3."""
    history = [*start(XL), only(3, X(3), job(XL)), only(4, X(4), job(XL, {"guest-start": FAIL}))]
    results = check(history)
    assert dict(results[4].that) == {"xen": X(3)}
    assert said(results[4]) == (Verdict.REGRESSIONS, False, {f"{XL} guest-start fail REGR. vs. 3"})


def test_osstest_allow_list_excuses_regression_as_allowable():
    """A regression whose `JOB TESTID` an allow entry matches stops blocking (section M); a
    `!` line takes the identical entry out again."""
    history = [*start(WIN7), only(3, X(3), job(WIN7, {"guest-stop": FAIL}))]
    results = check(history, ALLOW)
    assert said(results[3]) == (Verdict.TOLERABLE, True, {f"{WIN7} guest-stop fail REGR. vs. 2"})
    assert [line.section for line in results[3].lines] == ["allowable"]
    removed = ALLOW + "! test-@@-win7-@@   guest-stop\n"
    assert oracle_of(history, removed)[3].verdict is Verdict.REGRESSIONS
    check(history, removed)


def test_osstest_allow_list_excuses_build_regressions_but_not_broken_jobs():
    """The allow list is consulted for every compared blocker, priority 600 included, and never
    for a broken job's `<job status>` (a one-word entry means any testid)."""
    history = [
        *start(BUILD, XL),
        only(3, X(3), job(BUILD, {"xen-build": FAIL}), blocked(XL)),
        only(4, X(4), job(BUILD), job(XL, status=BROKEN)),
    ]
    allow = "build-@@ xen-build\ntest-@@\n"
    results = oracle_of(history, allow)
    assert said(results[3])[:2] == (Verdict.TOLERABLE, True)
    assert {line.section for line in results[3].lines} == {"allowable", "nonblocking"}
    assert said(results[4]) == (Verdict.TROUBLE, False, {f"{XL} {JOB_STATUS} broken"})
    check(history, allow)


def test_osstest_allow_at_sign_stops_at_punctuation():
    """`@` becomes `[^ -/]*`: no character from space to `/`, so `guest-@` does not match
    `guest-start.2` (`.` is in that range) while `guest-@@` does."""
    testids = (*TESTIDS[XL], "guest-start.2")
    history = [
        only(1, X(1), job(XL, testids=testids)),
        only(2, X(2), job(XL, testids=testids), baseline={"xen": X(1)}),
        only(3, X(3), job(XL, {"guest-start.2": FAIL}, testids=testids)),
    ]
    narrow, wide = "test-@-@-xl guest-@\n", "test-@-@-xl guest-@@\n"
    assert oracle_of(history, narrow)[3].verdict is Verdict.REGRESSIONS
    assert oracle_of(history, wide)[3].verdict is Verdict.TOLERABLE
    check(history, wide)
    check(history, narrow)


def test_osstest_broken_step_regression_is_trouble_not_regressions():
    """A broken step that passed there is `REGR. vs.` with blocker `broken`: only a `regression`
    blocker makes `Regressions :-(`; this is `Failures and problems with tests`."""
    history = [*start(XL), only(3, X(3), cut(XL, "host-install(3)", BROKEN))]
    results = check(history)
    assert said(results[3]) == (
        Verdict.TROUBLE,
        False,
        {f"{XL} host-install(3) broken REGR. vs. 2", f"{XL} {JOB_STATUS} broken"},
    )


def test_osstest_without_baseline_tree_every_failure_is_in_the_plain_section():
    """`printout`: with no `--that-` tree every failure goes to `Tests which did not succeed,
    including tests which could not be run:` (category `A fail`), blocking or not."""
    history = [only(1, X(1), job(XL, {"guest-start": FAIL}), job(WIN7, status=BROKEN))]
    results = oracle_of(history)
    assert said(results[1]) == (
        Verdict.TROUBLE,
        False,
        {f"{XL} guest-start fail never pass", f"{WIN7} {JOB_STATUS} broken"},
    )
    assert {line.section for line in results[1].lines} == {"fail"}
    check(history)


def test_osstest_with_baseline_tree_but_no_baseline_flight_blockers_are_in_the_blocking_section():
    """The plain section is chosen by the absence of `--that-` trees, not of baseline flights:
    with a declared (untested) baseline a blocker is under `... and are blocking`."""
    history = [
        *start(XL, WIN7),
        only(
            3,
            X(3),
            job(XL, {"guest-start": FAIL}),
            job(WIN7, status=BROKEN),
            baseline={"xen": X(9)},
        ),
    ]
    results = oracle_of(history)
    assert {(line.testid, line.section) for line in results[3].lines} == {
        ("guest-start", "nonblocking"),
        (JOB_STATUS, "regression"),
    }
    check(history)


def test_osstest_heisenbug_flight_lines_already_reported_are_not_repeated():
    """`printout` remembers the category printed per `JOB TESTID` and skips a later failure of the
    same job and testid in the same category (or one sorting before it): the heisenbug flight's
    `like 3` is not printed a second time."""
    history = [
        *start(XL, WIN7),
        only(3, X(2), job(XL), job(WIN7, {"guest-stop": FAIL})),
        only(4, X(3), job(XL, {"guest-start": FAIL}), job(WIN7, {"guest-stop": FAIL})),
        only(5, X(3), job(XL, {"guest-saverestore": FAIL}), job(WIN7, {"guest-stop": FAIL})),
    ]
    results = oracle_of(history)
    assert said(results[5]) == (
        Verdict.TOLERABLE,
        True,
        {
            f"{XL} guest-saverestore fail pass in 4",
            f"{WIN7} guest-stop fail like 3",
            f"{XL} guest-start fail in 4 pass in 5",
        },
    )
    assert (4, WIN7, "guest-stop", FAIL, "like 3") in {
        (ln.flight, ln.job, ln.testid, ln.status, ln.summary) for ln in results[5].failures
    }
    check(history)


def test_osstest_allowed_regression_that_passed_elsewhere_is_a_heisenbug():
    """The heisenbug search comes before the allow list: `pass in N`, not an allowable REGR."""
    history = [
        *start(WIN7),
        only(3, X(3), job(WIN7, {"guest-stop": FAIL})),
        only(4, X(3), job(WIN7), blessing="real-retest"),
    ]
    results = check(history, ALLOW)
    assert said(results[3]) == (
        Verdict.TOLERABLE,
        True,
        {f"{WIN7} guest-stop fail pass in 4-retest"},
    )
    assert [line.section for line in results[3].lines] == ["heisenbug"]


def test_osstest_retest_baseline_flight_is_shown_as_n_retest():
    """A retest of the baseline revision is a baseline flight, shown `N-retest`."""
    history = [
        *start(XL),
        only(3, X(2), job(XL, {"guest-start": FAIL}), blessing="real-retest"),
        only(4, X(3), job(XL, {"guest-start": FAIL})),
    ]
    assert said(check(history)[4]) == (
        Verdict.TOLERABLE,
        True,
        {f"{XL} guest-start fail like 3-retest"},
    )


def test_osstest_later_retest_of_the_baseline_is_a_baseline_flight():
    """Retests exist whatever their numbers: 5 (a retest of X2 run after 4) is a baseline
    flight for 4, while a later real flight would not be."""
    history = [
        *start(XL),
        only(3, X(2), job(XL)),
        only(4, X(3), job(XL, {"guest-start": FAIL})),
        only(5, X(2), job(XL, {"guest-start": FAIL}), blessing="real-retest"),
    ]
    assert said(check(history)[4]) == (
        Verdict.TOLERABLE,
        True,
        {f"{XL} guest-start fail like 5-retest"},
    )


def test_osstest_later_real_flights_are_neither_baseline_flights_nor_passes():
    """When a flight is judged a later real flight does not exist: not as a baseline flight (4's
    fail would make 3 `like 4`), not as a pass (6's pass would stop 5's `never pass`)."""
    history = [
        *start(XL),
        only(3, X(3), job(XL, {"guest-start": FAIL})),
        only(4, X(2), job(XL, {"guest-start": FAIL})),
    ]
    assert said(check(history)[3]) == (
        Verdict.REGRESSIONS,
        False,
        {f"{XL} guest-start fail REGR. vs. 2"},
    )
    never = [
        only(1, X(1), job(XL, {"guest-start": FAIL})),
        only(2, X(2), job(XL, {"guest-start": FAIL}), baseline={"xen": X(1)}),
        only(3, X(3), job(XL)),
    ]
    assert said(check(never)[2]) == (Verdict.TOLERABLE, True, {f"{XL} guest-start fail never pass"})


def test_osstest_later_flight_does_not_make_the_declared_baseline_tested():
    """`check_tested` runs before the flight: a flight built later does not make its baseline
    tested. (4 declares its own baseline, so that only `check_tested` is at stake.)"""
    history = [
        *start(XL),
        only(3, X(4), job(XL), baseline={"xen": X(3)}),
        only(4, X(3), job(XL), baseline={"xen": X(2)}),
    ]
    results = check(history)
    assert (results[3].verdict, results[3].push) == (
        Verdict.PERFECT,
        oracle.Push.BASELINE_UNTESTED,
    )
    assert results[4].pushed


def test_osstest_baseline_is_the_last_pushed_revision_not_another_flights_declared_baseline():
    """Our reading of `cr-daily-branch`: without `--that-` of its own a flight is compared with
    the last pushed revision (`ap-fetch-version-old`); a baseline another flight declared for
    itself (3 declared X1, and was not pushed) does not move it."""
    history = [
        *start(XL),
        only(3, X(4), job(XL, {"guest-start": FAIL}), baseline={"xen": X(1)}),
        only(4, X(5), job(XL, {"guest-stop": FAIL})),
    ]
    results = oracle_of(history)
    assert dict(results[4].that) == {"xen": X(2)}
    assert said(results[4]) == (Verdict.REGRESSIONS, False, {f"{XL} guest-stop fail REGR. vs. 2"})
    check(history)


def test_osstest_heisenbug_flight_must_match_every_declared_tree():
    """The heisenbug search matches the `--this-` trees: with linux declared, 3 (same xen,
    another linux) does not excuse the failure."""
    history = [
        *start(XL),
        only(3, X(3), job(XL), linux=L(2)),
        only(
            4,
            X(3),
            job(XL, {"guest-start": FAIL}),
            linux=L(3),
            baseline={"xen": X(2), "linux": L(1)},
        ),
    ]
    results = check(history)
    assert dict(results[4].this) == {"xen": X(3), "linux": L(3)}
    assert said(results[4]) == (Verdict.REGRESSIONS, False, {f"{XL} guest-start fail REGR. vs. 2"})


def test_osstest_heisenbug_flights_broken_job_blocks_the_judged_flight():
    """The heisenbug flight's own `<job status>` is printed `in N` and blocks (as broken)."""
    history = [
        *start(XL, WIN7),
        only(3, X(3), job(XL), job(WIN7, status=BROKEN)),
        only(4, X(3), job(XL, {"guest-start": FAIL}), job(WIN7)),
    ]
    results = check(history)
    assert said(results[4]) == (
        Verdict.TROUBLE,
        False,
        {f"{XL} guest-start fail pass in 3", f"{WIN7} {JOB_STATUS} broken in 3"},
    )
    assert results[4].blocking == {(3, WIN7, JOB_STATUS)}


def test_osstest_blocked_step_in_baseline_is_another_status_and_outranks_regression():
    """A step that is `blocked` there (not absent) is `blocked in N` at 170, above a pass (100);
    only an absent step is the weak `blocked in N` (50)."""
    history = [
        *start(XL),
        only(3, X(2), job(XL, {"guest-start": BLOCKED})),
        only(4, X(3), job(XL, {"guest-start": FAIL})),
    ]
    assert said(check(history)[4]) == (
        Verdict.TOLERABLE,
        True,
        {f"{XL} guest-start fail blocked in 3"},
    )


def test_osstest_heisenbug_flight_is_justified_once_per_report():
    """`%heisenjustified`: 3 excuses a failure of 5 and one of 4 (itself 5's heisenbug flight);
    its failures are printed once."""
    history = [
        *start(XL, WIN7, ARM),
        only(3, X(3), job(XL), job(WIN7), job(ARM, {"guest-start": FAIL})),
        only(4, X(3), job(XL, {"guest-stop": FAIL}), cut(WIN7, "guest-saverestore", FAIL)),
        only(
            5, X(3), cut(XL, "guest-start", FAIL), job(WIN7, {"guest-localmigrate": FAIL}), job(ARM)
        ),
    ]
    results = check(history)
    assert said(results[4])[:2] == (Verdict.REGRESSIONS, False)
    assert said(results[5]) == (
        Verdict.TOLERABLE,
        True,
        {
            f"{XL} guest-start fail pass in 4",
            f"{WIN7} guest-localmigrate fail pass in 3",
            f"{XL} guest-stop fail in 4 pass in 3",
            f"{WIN7} guest-saverestore fail in 4 pass in 5",
            f"{ARM} guest-start fail in 3 pass in 5",
        },
    )
    assert len(results[5].failures) == 5
