"""A brute-force oracle of osstest's push gate, written from osstest's code and not from pushgate's.

It reproduces what three osstest programs decide about one flight (read in the `yochow/osstest-1`
mirror; the names below are theirs):

- `sg-report-flight`: which non-pass steps a flight has (`examineflight`), how each is justified
  against the baseline flights (`justifyfailures`, with `findaflight` choosing the flights), which
  report line and section each gets (`printout`), and the machine-readable output's `tolerable`;
- `cr-daily-branch`: whether a push is wanted at all (`check_tested`, "up to date") and whether
  the flight is pushed;
- `cri-common`: `select_xenbranch`, the tree a branch tests.

It deliberately knows nothing of `gate.rules`: it works on the plain `gate.model` values, keeps
no index, and answers every question by scanning the whole list of flights again, as osstest's
SQL queries scan the database. Nothing here is fast, and nothing here needs to be.

How our data stands for osstest's database (modelling decisions, not osstest's):

- a `Flight` is a row of `flights` plus its `jobs` and `steps`; every job of a flight has the
  `built_revision_<tree>` runvars of `Flight.revisions` (so a flight without jobs has none);
- the flights that exist when flight F is judged are those numbered below F, F itself, and every
  retest flight (blessing `...-retest`) whatever its number;
- the "that" trees are F's declared baseline if it declares one, otherwise the branch's own tree at
  the revision of the newest pushed flight of the branch numbered below F (before any push, the
  baseline the newest flight below F declared); the "this" trees are the same trees at F's
  revisions;
- production `--blessings=real`, plus the `real-retest` flights, are the evidence blessings;
- in the report, section M (allowable) holds only the regressions an allow list excused, as in
  modern osstest reports (the 2013-2015 code put every compared failure there).

What osstest gained after the mirror's 2015 code, read from its report mails of 2020-2024 (the
code of those years is not in the mirror):

- the status `starved`, of a job or step that got no host before the flight gave up on it: a
  starved step's line says `n/a` and never blocks, and a step that was starved in a baseline
  flight is `<status> in N` there like any other status (`fail starved in 180253`);
- a `<job status>` line for every broken job, blocking as broken with an empty summary, printed
  whatever the job's steps say (`test-armhf-armhf-xl-rtds <job status> broken` beside its
  `host-install(5) broken starved in 180253`). A broken job without a non-pass step gets that
  line alone, not a `<none executed>` one as well (the mails show no such job: our decision);
- a step absent from a baseline flight whose job was starved there reads `starved in N`
  (`test-armhf-armhf-xl 8 xen-boot fail starved in 180253`, where 180253 starved the job at its
  `build-check(1)`): we take the job's status for the step's, as any other status there (170).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from gate.model import Flight, Job, Push, Status, Verdict

NONE_EXECUTED = "<none executed>"
JOB_STATUS = "<job status>"
EVIDENCE_BLESSINGS = ("real", "real-retest")  # `--blessings=real`, plus the retests of real flights
PUSH_BLESSING = "real"  # `$OSSTEST_BLESSING`: the blessing `check_tested` and pushing want
HISTORY_LIMIT = 1000  # `findaflight` looks at the newest 1000 candidate flights only

# `printout`'s categories. osstest compares the whole category strings with `ge`; the strings
# differ within these leading words, so comparing the words orders them the same way.
CAT_FAIL = "A fail"  # used for every failure when no baseline ("that") tree is given
CAT_REGRESSION = "A regression"
CAT_HEISENBUG = "K heisenbug"
CAT_ALLOWABLE = "M allowable"
CAT_NONBLOCKING = "P nonblocking"

# `printout`'s heading of each category, by the category's word.
HEADINGS = {
    "fail": "Tests which did not succeed,\nincluding tests which could not be run:",
    "regression": "Tests which did not succeed and are blocking,\n"
    "including tests which could not be run:",
    "heisenbug": "Tests which are failing intermittently (not blocking):",
    "allowable": "Regressions which are regarded as allowable (not blocking):",
    "nonblocking": "Tests which did not succeed, but are not blocking:",
}


@dataclass(frozen=True)
class Line:
    """One failure line of the report, as osstest's `printout` would print it.

    `flight` is the flight the failing step is in: the judged flight, or (`foreign`) a flight
    that excused one of its heisenbugs, which osstest prints as `in N <summary>`.
    `section` is the word of osstest's category: regression, fail, heisenbug, allowable,
    nonblocking. `blocker` is osstest's blocker kind ('' when the line does not block).
    """

    flight: int
    job: str
    testid: str
    status: Status
    summary: str
    section: str
    blocker: str
    foreign: bool
    stepno: int | None = None

    @property
    def described(self) -> str:
        """Return the text after the status, `in 105 REGR. vs. 103` for another flight's step."""
        return f"in {self.flight} {self.summary}".rstrip() if self.foreign else self.summary

    @property
    def text(self) -> str:
        """Return the report line: job (28 wide), step number (2), testid (28), status (8) and the
        summary, trailing spaces dropped, then one space taken from the last run of two spaces
        until the line fits in 79 columns (or no such run is left)."""
        stepno = "" if self.stepno is None else str(self.stepno)
        text = f" {self.job:<28} {stepno:>2} {self.testid:<28} {self.status.value:<8} "
        text = (text + self.described).rstrip(" ")
        while len(text) > 79 and "  " in text:
            at = text.rindex("  ")
            text = text[: at + 1] + text[at + 2 :]
        return text

    @property
    def header(self) -> str:
        """Return the line's `X-Osstest-Failures` entry (without the branch and its colon)."""
        return f"{self.job}:{self.testid}:{self.status.value}:{self.section}"


@dataclass(frozen=True)
class Expected:
    """What osstest decides about one flight.

    `blocking` holds (flight the failure is in, job, testid) for every failure with a blocker,
    whether or not `printout` prints its line; `lines` are the lines it prints; `failures` are
    every justified failure (printed or not), in the order they were justified.
    """

    flight: int
    branch: str
    verdict: Verdict
    push: Push
    this: Mapping[str, str]
    that: Mapping[str, str]
    blocking: frozenset[tuple[int, str, str]]
    lines: tuple[Line, ...]
    failures: tuple[Line, ...] = field(default=())

    @property
    def pushed(self) -> bool:
        return self.push is Push.PUSHED

    @property
    def tolerable(self) -> bool:
        """Tell whether the machine-readable output has the line `tolerable`."""
        return self.verdict in (Verdict.PERFECT, Verdict.TOLERABLE)


# ---------------------------------------------------------------------------------------------
# cri-common: select_xenbranch


def branch_tree(branch: str) -> str | None:
    """Return the tree a branch tests, by its name, as `select_xenbranch` sets `$tree`.

    Anything starting `xen` tests xen; `qemu-mainline` and `qemu-upstream-*` test qemuu; `linux`
    and `linux-*` test linux; a few branches are named after the one tree they test.
    """
    if branch.startswith("xen"):
        return "xen"
    if branch == "qemu-mainline" or branch.startswith("qemu-upstream-"):
        return "qemuu"
    if branch == "linux" or branch.startswith("linux-"):
        return "linux"
    if branch in ("linuxfirmware", "libvirt", "rumpuserxen", "seabios", "ovmf", "osstest"):
        return branch
    return None


# ---------------------------------------------------------------------------------------------
# sg-report-flight: --allow


def allow_patterns(text: str) -> list[re.Pattern[str]]:
    """Read an allow file the way `sg-report-flight --allow=` does.

    Each line is trimmed; blank lines and lines starting with `#` are skipped; runs of white space
    become one space. A line is one or two words (a job pattern, and a testid pattern that defaults
    to `@@`). `@@` stands for any run of non-spaces, `@` for a run of characters outside the range
    from space to `/`; the rest of the line is a regular expression, anchored at both ends and
    matched against `JOB TESTID`. A line starting `!` takes an identical earlier entry out again.
    """
    entries: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = re.sub(r"\s+", " ", line)
        remove = line.startswith("!")
        if remove:
            line = line[1:].lstrip()
        if line.count(" ") > 1:
            raise ValueError(f"allow line with more than two words: {raw!r}")
        if " " not in line:
            line += " @@"
        line = line.replace("@@", "\0").replace("@", "[^ -/]*").replace("\0", "[^ ]*")
        entry = f"^(?:{line})$"
        if remove:
            entries = [e for e in entries if e != entry]
        else:
            entries.append(entry)
    return [re.compile(e) for e in entries]


# ---------------------------------------------------------------------------------------------
# The database: the flights that exist, queried by brute force.


class _Database:
    """The flights that exist while one flight is judged, asked the questions osstest's SQL asks."""

    def __init__(self, flights: Sequence[Flight]) -> None:
        self.flights = list(flights)

    def flight(self, number: int) -> Flight:
        for f in self.flights:
            if f.number == number:
                return f
        raise KeyError(number)

    def step_status(self, number: int, job: str, testid: str) -> Status | None:
        """`SELECT status FROM steps WHERE flight=? AND job=? AND testid=?` (the first row)."""
        for f in self.flights:
            if f.number != number:
                continue
            for j in f.jobs:
                if j.name != job:
                    continue
                for step in sorted(j.steps, key=lambda s: s.stepno):
                    if step.key.testid == testid:
                        return step.status
        return None

    def job_status(self, number: int, job: str) -> Status | None:
        """`SELECT status FROM jobs WHERE flight=? AND job=?`."""
        return next((j.status for j in self.flight(number).jobs if j.name == job), None)

    def built_revisions(self, number: int, tree: str) -> list[str]:
        """Every `built_revision_<tree>` runvar of a flight: one per job (all the same here)."""
        f = self.flight(number)
        if tree not in f.revisions:
            return []
        return [f.revisions[tree] for _ in f.jobs]

    def display(self, number: int) -> str:
        """`displayflightnum`: the number, with the part of its blessing from the first `-` on."""
        blessing = self.flight(number).blessing
        return f"{number}{blessing[blessing.index('-') :]}" if "-" in blessing else str(number)


def _matches_built(value: str, wanted: str) -> bool:
    """`findaflight`'s revision test: the runvar starts with the revision (after an `N:` part)."""
    return re.match(rf"(?:.*:)?{re.escape(wanted)}", value) is not None


def _findaflight(
    db: _Database,
    branch: str,
    trees: Mapping[str, str],
    except_flight: int | None,
    job: str | None,
    testid: str | None,
    check: Callable[[int, Status | None], str | None],
) -> int | None:
    """Return the first flight that qualifies and that `check` accepts, as `findaflight` does.

    Without trees nothing is looked for. Otherwise the candidates are the flights of the branch
    with an evidence blessing that ran the job (when a job is given), the newest 1000 of them,
    taken in the order blessing ascending then flight descending (so every `real` flight, newest
    first, comes before every `real-retest` one). A candidate qualifies when every one of its
    `built_revision_<tree>` runvars matches the wanted revision of each tree, and it has at least
    one for each tree; the flight in question is skipped. `check` gets the candidate and the
    status of the (job, testid) step there (None when it has no such step) and returns None to
    accept it or a reason to go on. Since `justifyfailures` always returns a reason, it sees
    every qualifying flight.
    """
    if not trees:
        return None
    candidates = [
        f
        for f in db.flights
        if f.branch == branch
        and f.blessing in EVIDENCE_BLESSINGS
        and (job is None or any(j.name == job for j in f.jobs))
    ]
    candidates.sort(key=lambda f: -_number(f))
    candidates = candidates[:HISTORY_LIMIT]
    candidates.sort(key=lambda f: (f.blessing, -_number(f)))
    for f in candidates:
        number = _number(f)
        qualifies = True
        for tree, wanted in trees.items():
            built = db.built_revisions(number, tree)
            if not built or any(not _matches_built(v, wanted) for v in built):
                qualifies = False
                break
        if not qualifies or number == except_flight:
            continue
        status = db.step_status(number, job, testid) if job is not None and testid else None
        if (
            status is None
            and job is not None
            and testid
            and db.job_status(number, job) is (Status.STARVED)
        ):
            status = Status.STARVED
        if check(number, status) is None:
            return number
    return None


def _number(f: Flight) -> int:
    assert f.number is not None, "osstest flights have numbers"
    return f.number


# ---------------------------------------------------------------------------------------------
# sg-report-flight: examineflight and justifyfailures


@dataclass
class _Failure:
    """One entry of `examineflight`'s `Failures`, with what `justifyfailures` adds to it."""

    flight: int
    job: Job
    testid: str
    stepno: int | None  # None for the `<none executed>` and `<job status>` pseudo-steps
    status: Status
    summary: str = ""
    blocker: str = ""
    heisen: bool = False
    allowed: bool = False  # an allow list took its blocker away (the modern meaning of `Allow`)


def _examine(flight: Flight) -> list[_Failure]:
    """Return a flight's failures as `examineflight` collects them.

    Every step that is not `pass` is a failure, keyed by job and testid (a later step with the
    same testid replaces an earlier one). A broken job gets a failure of its own, testid
    `<job status>` (today's osstest); any other job that is not `pass` but has no such step gets
    one, testid `<none executed>`, with the job's status and no step number.
    The order is the document order (osstest sorts by an estimate of each job's duration, which
    our data does not carry; only the heisenbug recursion's order can depend on it).
    """
    number = _number(flight)
    found: dict[tuple[str, str], _Failure] = {}
    for job in flight.jobs:
        any_fail = False
        for step in sorted(job.steps, key=lambda s: s.stepno):
            if step.status is not Status.PASS:
                any_fail = True
                found.pop((job.name, step.key.testid), None)
                found[(job.name, step.key.testid)] = _Failure(
                    number, job, step.key.testid, step.stepno, step.status
                )
        if job.status is Status.BROKEN:
            found[(job.name, JOB_STATUS)] = _Failure(number, job, JOB_STATUS, None, job.status)
        elif job.status is not Status.PASS and not any_fail:
            found[(job.name, NONE_EXECUTED)] = _Failure(
                number, job, NONE_EXECUTED, None, job.status
            )
    return list(found.values())


class _Judge:
    """One run of `sg-report-flight` on one flight (its `%heisenjustified` lives here)."""

    def __init__(
        self,
        db: _Database,
        flight: Flight,
        this: Mapping[str, str],
        that: Mapping[str, str],
        allows: list[re.Pattern[str]],
    ) -> None:
        self.db = db
        self.branch = flight.branch
        self.spec = _number(flight)
        self.this = this
        self.that = that
        self.allows = allows
        self.heisen_justified: set[int] = set()

    def ever_passed(self, job: str, testid: str) -> bool:
        """The `anypassq` query: did the step pass in any evidence flight of the branch at all?"""
        return any(
            f.branch == self.branch
            and f.blessing in EVIDENCE_BLESSINGS
            and self.db.step_status(_number(f), job, testid) is Status.PASS
            for f in self.db.flights
        )

    def justify(self, flight: Flight, heisen_why: int | None = None) -> list[_Failure]:
        """Justify every failure of a flight, then, recursively, those of its heisenbug flights.

        The rules, in the order `justifyfailures` tries them:
        0. a `starved` step or job (today's osstest): `n/a`, not blocking.
        1. `<none executed>` and `<job status>`: blocks, as broken, with an empty summary.
        2. a `blocked` step: `n/a`, not blocking (and a `skip`, which osstest never records).
        3. a `running` step: blocks, as unfinished, with an empty summary.
        4. any other status but fail and broken: `[st=<status>!]`, blocks as broken.
        5. a step that never passed in an evidence flight of the branch: `never pass`.
        6. otherwise every baseline flight (qualifying for the "that" trees, the flight in
           question aside) gives an outcome and the one of highest priority wins, the first found
           among equals: the same status there `like` 190, `fail` there `failed in` 180, `pass`
           there `REGR. vs.` (600 for a job whose name starts `build`, else 100; blocker
           `regression` for a fail, else the status), any other status there `<status> in` 170,
           no such step there `blocked in` 50; with no baseline flight `baseline untested` 10.
        7. a blocker below priority 500 is a heisenbug when a flight of the "this" trees (the
           flight in question aside) passed the step: `pass in N`, not blocking, and N's own
           failures are justified in turn (once per run, never the judged flight itself).
        8. a blocker that is still one is excused by a matching allow-list entry.
        """
        failures = _examine(flight)
        heisen_flights: list[int] = []
        for fv in failures:
            job = fv.job.name
            st = fv.status
            if st is Status.STARVED:
                fv.summary, fv.blocker = "n/a", ""
                continue
            if fv.stepno is None:
                fv.summary, fv.blocker = "", "broken"
                continue
            if st in (Status.BLOCKED, Status.SKIP):
                # osstest never records `skip`; other producers' skipped testcases are judged as
                # osstest judges `blocked` (our modelling decision).
                fv.summary, fv.blocker = "n/a", ""
                continue
            if st is Status.RUNNING:
                fv.summary, fv.blocker = "", "unfinished"
                continue
            if st not in (Status.FAIL, Status.BROKEN):
                fv.summary, fv.blocker = f"[st={st.value}!]", "broken"
                continue
            if not self.ever_passed(job, fv.testid):
                fv.summary, fv.blocker = "never pass", ""
                continue

            priority, blocker, core, ref = self.strongest(flight, job, fv.testid, st)
            if blocker and priority < 500:
                good = self.heisen_pass(flight, job, fv.testid)
                if good is not None:
                    core, ref = "pass in", good
                    fv.heisen = True
                    heisen_flights.append(good)
                    blocker = ""
            if blocker:
                item = f"{job} {fv.testid}"
                if any(p.search(item) for p in self.allows):
                    blocker = ""
                    fv.allowed = True
            fv.blocker = blocker
            fv.summary = core if ref is None else f"{core} {self.db.display(ref)}"

        for number in heisen_flights:
            if number == self.spec or number in self.heisen_justified:
                continue
            self.heisen_justified.add(number)
            failures += self.justify(self.db.flight(number), _number(flight))
        return failures

    def strongest(
        self, flight: Flight, job: str, testid: str, st: Status
    ) -> tuple[int, str, str, int | None]:
        """Return (priority, blocker, summary core, reference flight) of the strongest outcome.

        Every baseline flight is asked (the callback always gives a reason to go on); the list
        starts with `baseline untested` and is sorted stably, highest priority first, so the first
        flight found wins among equals.
        """
        outcomes: list[tuple[int, str, str, int | None]] = [(10, "", "baseline untested", None)]

        def compare(ref: int, there: Status | None) -> str:
            if there is None:
                outcome = (50, "", "blocked in", ref)
            elif there is st:
                outcome = (190, "", "like", ref)
            elif there is Status.FAIL:
                outcome = (180, "", "failed in", ref)
            elif there is Status.PASS:
                kind = "regression" if st is Status.FAIL else st.value
                outcome = (600 if job.startswith("build") else 100, kind, "REGR. vs.", ref)
            else:
                outcome = (170, "", f"{there.value} in", ref)
            outcomes.append(outcome)
            return outcome[2]

        _findaflight(self.db, self.branch, self.that, _number(flight), job, testid, compare)
        outcomes.sort(key=lambda o: -o[0])
        return outcomes[0]

    def heisen_pass(self, flight: Flight, job: str, testid: str) -> int | None:
        """Return the first flight of the "this" trees (not this one) where the step passed."""

        def passed(_ref: int, there: Status | None) -> str | None:
            if there is None:
                return "not executed"
            return None if there is Status.PASS else f"not pass ({there.value})"

        return _findaflight(self.db, self.branch, self.this, _number(flight), job, testid, passed)

    def category(self, fv: _Failure) -> str:
        """`printout`'s category of a failure."""
        if not self.that:
            return CAT_FAIL
        if fv.blocker:
            return CAT_REGRESSION
        if fv.heisen:
            return CAT_HEISENBUG
        if fv.allowed:
            return CAT_ALLOWABLE
        return CAT_NONBLOCKING

    def lines(self, failures: list[_Failure]) -> list[Line]:
        """Return the lines `printout` prints, in the order it considers them.

        `printout` remembers, per `JOB TESTID` (whatever flight it is in), the category of the
        last line it printed, and skips a later failure of the same job and testid whose category
        sorts at or before the remembered one: so a heisenbug flight's failure of a step the
        judged flight already reported in the same category is not printed again.
        """
        seen: dict[str, str] = {}
        out = []
        for fv in failures:
            cat = self.category(fv)
            key = f"{fv.job.name} {fv.testid}"
            if key in seen and seen[key] >= cat:
                continue
            seen[key] = cat
            out.append(self.line(fv))
        return out

    def line(self, fv: _Failure) -> Line:
        return Line(
            flight=fv.flight,
            job=fv.job.name,
            testid=fv.testid,
            status=fv.status,
            summary=fv.summary,
            section=self.category(fv).split(" ", 1)[1],
            blocker=fv.blocker,
            foreign=fv.flight != self.spec,
            stepno=fv.stepno,
        )


def _verdict(failures: list[_Failure]) -> Verdict:
    """The end of `justifyfailures` for the judged flight (the heisenbug flights' failures too)."""
    if not failures:
        return Verdict.PERFECT  # MRO: tolerable, perfect
    if any(fv.blocker == "regression" for fv in failures):
        return Verdict.REGRESSIONS
    if not any(fv.blocker for fv in failures):
        return Verdict.TOLERABLE  # MRO: tolerable
    return Verdict.TROUBLE


# ---------------------------------------------------------------------------------------------
# cr-daily-branch


def _newest_pushed_below(
    flights: Sequence[Flight], flight: Flight, pushed: Mapping[int, bool]
) -> Flight | None:
    below = [
        f
        for f in flights
        if f.branch == flight.branch
        and f.number is not None
        and f.number < _number(flight)
        and pushed.get(f.number, False)
    ]
    return max(below, key=_number, default=None)


def trees_compared(
    flights: Sequence[Flight], flight: Flight, pushed: Mapping[int, bool]
) -> tuple[dict[str, str], dict[str, str]]:
    """Return the `--this-<tree>` and `--that-<tree>` values `cr-daily-branch` passes.

    A declared baseline gives its trees. Otherwise the branch's tree (`select_xenbranch`) is
    compared at the revision of the newest pushed flight of the branch below this one (osstest's
    `OLD_REVISION`, master). Before any push (our modelling decision: osstest always knows master)
    the baseline declared by the newest flight below that declared one stands for master; when
    there is none either, nothing is known of the baseline and only `--this-<tree>` is given.
    """
    if flight.baseline:
        that = dict(flight.baseline)
        this = {t: flight.revisions[t] for t in that if t in flight.revisions}
        return this, that
    tree = branch_tree(flight.branch)
    if tree is None:
        return {}, {}
    this = {tree: flight.revisions[tree]} if tree in flight.revisions else {}
    pushed_flight = _newest_pushed_below(flights, flight, pushed)
    if pushed_flight is not None:
        master = dict(pushed_flight.revisions)
    else:
        declared = [
            f
            for f in flights
            if f.branch == flight.branch
            and f.number is not None
            and f.number < _number(flight)
            and f.baseline
        ]
        newest = max(declared, key=_number, default=None)
        master = dict(newest.baseline) if newest is not None else {}
    if tree not in master:
        return this, {}
    return this, {tree: master[tree]}


def baseline_tested(flights: Sequence[Flight], flight: Flight, that: Mapping[str, str]) -> bool:
    """`check_tested` (`sg-check-tested --branch --blessings=real --revision-<tree>=`).

    Some `real` flight of the branch (not a retest, not the flight in question) has, for every
    baseline tree, at least one `built_revision_<tree>` and none that differs from the revision
    (a runvar equals it, or ends with `:` and it).
    """
    for f in flights:
        if f is flight or f.branch != flight.branch or f.blessing != PUSH_BLESSING:
            continue
        if not f.jobs:
            continue  # no jobs, no runvars: it built nothing
        if all(
            tree in f.revisions
            and (f.revisions[tree] == rev or f.revisions[tree].endswith(":" + rev))
            for tree, rev in that.items()
        ):
            return True
    return False


def _push(
    flights: Sequence[Flight],
    flight: Flight,
    this: Mapping[str, str],
    that: Mapping[str, str],
    verdict: Verdict,
) -> Push:
    """`cr-daily-branch`'s decision: push iff a push is wanted and the MRO says `tolerable`."""
    if flight.blessing != PUSH_BLESSING:
        return Push.NOT_A_PUSH_FLIGHT
    if not that:
        return Push.NO_BASELINE
    if not baseline_tested(flights, flight, that):
        return Push.BASELINE_UNTESTED  # it would have tested the baseline instead
    if dict(this) == dict(that):
        return Push.UP_TO_DATE
    if not flight.steps():
        return Push.NO_TESTS
    return Push.PUSHED if verdict in (Verdict.PERFECT, Verdict.TOLERABLE) else Push.NOT_PUSHING


# ---------------------------------------------------------------------------------------------
# The oracle's API


def existing(flights: Sequence[Flight], flight: Flight) -> list[Flight]:
    """Return the flights that exist when `flight` is judged: below it, itself, and retests."""
    return [
        f
        for f in flights
        if f is flight
        or (f.number is not None and f.number < _number(flight))
        or f.blessing.endswith("-retest")
    ]


def judge(
    flight: Flight,
    flights: Sequence[Flight],
    pushed: Mapping[int, bool],
    allow_text: str = "",
) -> Expected:
    """Judge one flight against exactly the given flights (the flight itself among them or not).

    `pushed` tells which earlier flights were pushed (it decides the baseline when the flight
    declares none). Use `existing()` for the flights osstest would see; pass another set to judge
    a flight as it was before its retest ran.
    """
    world = list(flights) if any(f is flight for f in flights) else [*flights, flight]
    db = _Database(world)
    this, that = trees_compared(world, flight, pushed)
    judge_run = _Judge(db, flight, this, that, allow_patterns(allow_text))
    failures = judge_run.justify(flight)
    verdict = _verdict(failures)
    return Expected(
        flight=_number(flight),
        branch=flight.branch,
        verdict=verdict,
        push=_push(world, flight, this, that, verdict),
        this=this,
        that=that,
        blocking=frozenset((fv.flight, fv.job.name, fv.testid) for fv in failures if fv.blocker),
        lines=tuple(judge_run.lines(failures)),
        failures=tuple(judge_run.line(fv) for fv in failures),
    )


def _sort_key(line: Line) -> str:
    """`printout`'s sort key: the status, a space, then `in N ` for another flight, the summary."""
    return f"{line.status.value} {f'in {line.flight} ' if line.foreign else ''}{line.summary}"


def printed(result: Expected) -> list[tuple[str, list[str]]]:
    """Return the failure part of the report body, as `printout` prints it: the sections in the
    order of their categories (A, K, M, P), each its heading and its lines, sorted by `STATUS
    SUMMARY` (`in N ...` included; a stable sort, so equal keys keep the order considered)."""
    order = {word: n for n, word in enumerate(HEADINGS)}
    order["fail"] = order["regression"]  # both are category A; only one is used in a report
    out = []
    for word in sorted({line.section for line in result.lines}, key=order.__getitem__):
        lines = [line for line in result.lines if line.section == word]
        lines.sort(key=_sort_key)
        out.append((HEADINGS[word], [line.text for line in lines]))
    return out


def expected(flights: Sequence[Flight], allow_text: str = "") -> list[Expected]:
    """Judge every flight in order, each with the flights that exist then (see `existing`).

    A flight's retests are there when it is judged, whatever their numbers, so a flight excused
    by a later retest is judged (and pushed) as osstest judges it once the retest has run. The
    flights must be in ascending order of number.
    """
    numbers = [_number(f) for f in flights]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers), numbers
    pushed: dict[int, bool] = {}
    out = []
    for flight in flights:
        result = judge(flight, existing(flights, flight), pushed, allow_text)
        pushed[result.flight] = result.pushed
        out.append(result)
    return out
