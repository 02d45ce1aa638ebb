"""A demo of the Xen 4.3 cycle: about 200 xen-unstable flights from 2012-10 to the 2013-07 release.

The job matrix and the events (bugs and their fixes, never-pass probes, a broken host, heisenbugs,
a quiet stretch) are data tables below. `story` plays them flight by flight and judges each flight
with `gate.rules.judge` as it goes, so that every flight's baseline is the revision the gate pushed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Protocol

from gate.allow import AllowList
from gate.model import Flight, Job, Judgement, PriorFlight, Status, Step, TestKey
from gate.rules import judge
from ingest.osstest_junit import write_flight

DATA = Path(__file__).with_name("data")
ALLOW_FILE = DATA / "allow.xen-unstable"  # osstest's allow.all of 2013: ingest the demo with it
ROADMAP_FILE = DATA / "xen-4.3-roadmap.toml"  # the newest of the demo's updates of 4.3
# The updates of the 4.3 roadmap, oldest first: the plan, an interim update, the seed's update.
ROADMAP_UPDATES = (
    DATA / "xen-4.3-roadmap-2012-10-01.toml",
    DATA / "xen-4.3-roadmap-2012-12-10.toml",
    ROADMAP_FILE,
)
# The known issues' rules, taken in when the release manager wrote them down (docs/triage.md).
TRIAGE_FILE = DATA / "xen-4.3-known-issues.toml"
TRIAGE_AS_OF = datetime(2013, 3, 12, 9, 0, tzinfo=UTC)
# One regression accepted for 4.3 while its fix was on its way: a qemu-xen restore bug of June.
ACCEPTED = ("test-amd64-amd64-xl-qemuu-win7-amd64", "guest-saverestore")
ACCEPTED_BY, ACCEPTED_UNTIL = "Stefano", date(2013, 6, 14)
ACCEPTED_AT = datetime(2013, 6, 4, 10, 0, tzinfo=UTC)
ACCEPTED_REASON = "qemu-xen cannot restore an offline vcpu: the fix is in qemu-xen staging"
BRANCH = "xen-unstable"
FIRST_FLIGHT = 15000
FLIGHTS = 200
START = datetime(2012, 10, 1, 1, 49, tzinfo=UTC)
END = datetime(2013, 7, 9, 12, 0, tzinfo=UTC)
CRON_HOURS = (1, 11, 14, 17, 19)  # osstest's 2013 crontab: daily runs at HH:49
CODE_FREEZE = date(2013, 4, 15)

# ---------------------------------------------------------------------------------------------
# The 4.3-era matrix (osstest.md 2.2 A) and its recipes (2.3). `*` in capture-logs(*) is the
# number the step gets when it runs, which is earlier when a job stops at a failure.

BUILD = ("hosts-allocate", "host-install(2)", "host-build-prep", "xen-build")
KERNEL = (*BUILD[:3], "kernel-build")
DEBIAN = (
    "xen-build-check(1)", "hosts-allocate", "host-install(3)", "xen-install", "xen-boot",
    "leak-check/basis(6)", "debian-install", "debian-fixup", "guest-start", "guest-saverestore",
    "guest-localmigrate", "guest-saverestore.2", "guest-localmigrate.2", "guest-localmigrate/x10",
    "guest-stop", "guest-start.2", "guest-destroy", "leak-check/check", "capture-logs(*)",
)  # fmt: skip
WINDOWS = (*DEBIAN[:6], "windows-install", *DEBIAN[9:])
RHEL = (*DEBIAN[:6], "redhat-install", *DEBIAN[14:])
PAIR = (
    "xen-build-check(1)", "hosts-allocate", "host-install/src_host(3)", "host-install/dst_host(4)",
    "xen-install/src_host", "xen-install/dst_host", "xen-boot/src_host", "xen-boot/dst_host",
    "leak-check/basis/src_host(9)", "leak-check/basis/dst_host(10)", "debian-install/dst_host",
    "debian-fixup/dst_host", "guests-nbd-mirror", "guest-start", "guest-migrate/src_host/dst_host",
    "guest-migrate/dst_host/src_host", "guest-stop/src_host", "leak-check/check/src_host",
    "leak-check/check/dst_host", "capture-logs/src_host(*)", "capture-logs/dst_host(*)",
)  # fmt: skip

BUILDS = (
    "build-amd64", "build-i386", "build-amd64-pvops", "build-i386-pvops", "build-amd64-oldkern",
    "build-i386-oldkern", "build-armhf",
)  # fmt: skip
TESTS = (
    "test-amd64-i386-pv", "test-amd64-i386-xl", "test-amd64-i386-xend-winxpsp3",
    "test-amd64-i386-xend-qemut-winxpsp3", "test-amd64-i386-xl-winxpsp3-vcpus1",
    "test-amd64-i386-xl-qemut-winxpsp3-vcpus1", "test-amd64-i386-xl-win7-amd64",
    "test-amd64-i386-xl-qemut-win7-amd64", "test-amd64-i386-rhel6hvm-amd",
    "test-amd64-i386-rhel6hvm-intel", "test-amd64-i386-qemut-rhel6hvm-amd",
    "test-amd64-i386-qemut-rhel6hvm-intel", "test-amd64-i386-qemuu-rhel6hvm-amd",
    "test-amd64-i386-qemuu-rhel6hvm-intel", "test-amd64-i386-pair", "test-amd64-i386-xl-multivcpu",
    "test-amd64-i386-xl-credit2", "test-amd64-amd64-pv", "test-amd64-amd64-xl",
    "test-amd64-amd64-xl-winxpsp3", "test-amd64-amd64-xl-qemut-winxpsp3",
    "test-amd64-amd64-xl-qemuu-winxpsp3", "test-amd64-amd64-xl-win7-amd64",
    "test-amd64-amd64-xl-qemut-win7-amd64", "test-amd64-amd64-xl-qemuu-win7-amd64",
    "test-amd64-amd64-pair", "test-amd64-amd64-xl-sedf", "test-amd64-amd64-xl-sedf-pin",
    "test-amd64-amd64-xl-pcipt-intel",
)  # fmt: skip
SINCE = {"build-armhf": date(2013, 1, 28), "test-amd64-amd64-xl-qemuu-win7-amd64": date(2013, 2, 6)}

INTEL = ("woodlouse", "itch-mite", "earwig", "bush-cricket", "field-cricket")
AMD = ("potato-beetle", "gall-mite", "italia0", "chiark-scnd")
ARM = ("marilith-n4", "marilith-n5")
PCIPT_HOST = "bush-cricket"  # the one host with a NIC for passthrough

SECONDS = {  # typical (low, high) duration of each osstest script
    "hosts-allocate": (3, 900), "host-install": (280, 520), "host-build-prep": (70, 160),
    "xen-build": (600, 950), "kernel-build": (1300, 2300), "xen-build-check": (0.1, 0.4),
    "xen-install": (40, 95), "xen-boot": (110, 230), "leak-check": (3, 9),
    "debian-install": (230, 420), "debian-fixup": (15, 45), "windows-install": (1400, 2700),
    "redhat-install": (850, 1500), "guests-nbd-mirror": (20, 60), "guest-start": (25, 75),
    "guest-saverestore": (30, 65), "guest-localmigrate": (35, 85), "guest-migrate": (40, 95),
    "guest-stop": (10, 45), "guest-destroy": (2, 8), "capture-logs": (8, 35),
}  # fmt: skip


@dataclass(frozen=True)
class Failure:
    """How a step fails: its status, osstest's one-line reason and the tail of its log."""

    status: Status
    message: str
    log: tuple[str, ...]


@dataclass(frozen=True)
class Bug:
    """Revisions made from `landed` until `fixed` fail `testid` in the jobs matching `jobs`."""

    jobs: str
    testid: str
    landed: date
    fixed: date
    failure: Failure


def _fail(message: str, *log: str) -> Failure:
    return Failure(Status.FAIL, message, log)


DAWN = START.date()
GUEST = "debian.guest.osstest"
PROBES = (  # steps that fail from the start (or from the job's first flight) until fixed
    Bug("test-amd64-amd64-xl-pcipt-intel", "guest-start", DAWN, date(2013, 4, 10), _fail(
        "guest-start: xl create failed: PCI device 0000:08:00.0 not assignable",
        "libxl: error: libxl_pci.c:989:libxl__device_pci_add: xc_assign_device failed",
        "libxl: error: libxl_create.c:1175:domcreate_attach_pci: libxl_device_pci_add failed: -3",
        "xl: fatal error: domain creation failed")),
    Bug("test-amd64-amd64-xl-qemuu-winxpsp3", "guest-localmigrate", DAWN, date(2013, 1, 10), _fail(
        "guest-localmigrate: qemu-xen cannot track dirty VRAM",
        "xc: error: Failed to enable log-dirty mode (95 = Operation not supported)",
        "libxl: error: libxl_dom.c:1030:libxl__domain_suspend_common_callback: qemu-xen: no log-dirty",
        "migration sender: libxl_domain_suspend failed (rc=-3)")),
    Bug("test-amd64-amd64-xl-qemuu-win7-amd64", "guest-stop", DAWN, date(2013, 4, 29), _fail(
        "guest-stop: win.guest.osstest did not shut down within 200s",
        "executing ssh ... xl shutdown -w win.guest.osstest",
        "guest win.guest.osstest state is r-----, waiting 200s...",
        "FAILURE: guest win.guest.osstest did not shut down")),
    Bug("test-amd64-amd64-xl-sedf-pin", "guest-localmigrate", DAWN, date(2013, 4, 25), _fail(
        f"guest-localmigrate: {GUEST} lost its pinned vcpus on migration (sedf)",
        "libxl: error: libxl.c:4092:libxl_set_vcpuaffinity: setting vcpu affinity: Invalid argument",
        "migration target: Domain creation failed (code -3)")),
)  # fmt: skip
BUGS = (  # regressions that reach staging, block the push and are fixed a few days later
    Bug("test-amd64-i386-*", "guest-localmigrate", date(2012, 10, 23), date(2012, 10, 26), _fail(
        f"guest-localmigrate: {GUEST} did not survive local migration",
        "xc: error: Failed to pin batch of 1024 page tables (22 = Invalid argument)",
        "libxl: error: libxl_dom.c:313:libxl__domain_restore_common: restoring domain: Invalid argument",
        "migration target: Domain creation failed (code -3)")),
    Bug("build-i386", "xen-build", date(2012, 11, 20), date(2012, 11, 23), _fail(
        "xen-build: make dist failed",
        "xc_dom_x86.c: In function 'setup_pgtables_x86_32_pae':",
        "xc_dom_x86.c:412:5: error: 'l3pfn' undeclared (first use in this function)",
        "make[3]: *** [xc_dom_x86.o] Error 1",
        "command nonzero waitstatus 512: timeout 9000 ssh root@10.80.249.100 make -j4 dist")),
    Bug("test-amd64-*-*win7-amd64", "guest-saverestore", date(2012, 12, 10), date(2012, 12, 14), _fail(
        "guest-saverestore: win.guest.osstest did not respond after restore",
        "executing ssh ... xl restore /home/osstest/image",
        "guest win.guest.osstest 10.80.228.33 tcp 3389: waiting 200s...",
        "FAILURE: guest win.guest.osstest tcp 3389: wait timed out")),
    Bug("test-amd64-i386-*rhel6hvm-amd", "redhat-install", date(2013, 1, 15), date(2013, 1, 18), _fail(
        "redhat-install: guest crashed during install",
        "(XEN) svm.c:1563:d3 Unhandled VMEXIT: exit reason 0x7b",
        "(XEN) domain_crash called from svm.c:1564",
        "FAILURE: guest redhat.guest.osstest install timed out after 3600s")),
    Bug("test-amd64-*", "guest-localmigrate/x10", date(2013, 3, 11), date(2013, 3, 22), _fail(
        "guest-localmigrate/x10: host crashed during repeated migration",
        "executing ssh ... xl migrate debian.guest.osstest localhost (iteration 4 of 10)",
        "(XEN) Assertion 'p2m_locked_by_me(p2m)' failed at p2m.c:582",
        "(XEN) ----[ Xen-4.3-unstable  x86_64  debug=y  Not tainted ]----",
        "(XEN) Xen call trace: [<ffff82c4c01e6c1d>] p2m_mem_paging_populate+0x2d/0x1a0")),
    Bug("build-armhf", "xen-build", date(2013, 4, 8), date(2013, 4, 11), _fail(
        "xen-build: make dist-xen failed",
        "arch/arm/domain_build.c: In function 'make_hypervisor_node':",
        "arch/arm/domain_build.c:328:9: error: implicit declaration of function 'dt_irq_xlate'",
        "cc1: all warnings being treated as errors")),
    Bug("test-amd64-*-*qemuu-*", "guest-saverestore", date(2013, 6, 3), date(2013, 6, 7), _fail(
        "guest-saverestore: qemu-xen failed to restore the device model",
        "xc: error: Failed to restore HVM context: vcpu 1 is offline in the saved image",
        "libxl: error: libxl_qmp.c:287:qmp_handle_error_response: Device 'cpu-add' not found")),
)  # fmt: skip
HOST_FAULT = (  # a dying disk breaks host-install on one host for a week
    "gall-mite", date(2013, 2, 11), date(2013, 2, 18), Failure(Status.BROKEN,
    "host-install: gall-mite did not come back after install", (
        "gall-mite: ata1.00: failed command: READ FPDMA QUEUED",
        "gall-mite: end_request: I/O error, dev sda, sector 1953519",
        "FAILURE: host gall-mite tcp 22: wait timed out after 1000s"))
)  # fmt: skip
HEISENBUGS = {  # the flight of that day retests the previous revision, and the next flight too
    date(2012, 11, 6): ("test-amd64-i386-pair", "guest-migrate/src_host/dst_host"),
    date(2013, 1, 8): ("test-amd64-i386-xl-multivcpu", "guest-start"),
    date(2013, 2, 26): ("test-amd64-amd64-xl-qemut-win7-amd64", "guest-localmigrate.2"),
    date(2013, 4, 23): ("test-amd64-i386-xl-credit2", "guest-saverestore"),
    date(2013, 6, 13): ("test-amd64-amd64-pv", "guest-start.2"),
}
FLAKY = (("test-amd64-amd64-xl-sedf", "guest-localmigrate", 0.15),)  # job, step, odds
FLAKE_ODDS = 0.1  # of one random heisenbug in a flight
PLAY_DAYS = (date(2012, 11, 14), date(2013, 2, 20), date(2013, 5, 28))  # developers' flights
QUIET = (date(2013, 4, 30), date(2013, 5, 21))  # no heisenbugs in the run-up to RC1
RETEST_ODDS = {True: 0.2, False: 0.4}  # of staging not moving, before the code freeze or after


class Revisions(Protocol):
    """Makes the story's xen revisions (`ingest.demo_repo.DemoRepo` makes them as git commits)."""

    def __call__(
        self,
        drawn: str,
        /,
        *,
        parent: str | None,
        at: datetime,
        lands: Sequence[Bug] = (),
        fixes: Sequence[Bug] = (),
        branch: str = "master",
    ) -> str:
        """Return the id of a new revision on `parent` made at `at`, which lands and fixes
        these bugs; `drawn` is the id the story drew for it from its random stream."""
        ...


def as_drawn(drawn: str, /, **_: object) -> str:
    """Name each revision by the id the story drew for it: the story without a repository."""
    return drawn


@dataclass(frozen=True)
class Story:
    """The flights of the demo, and the gate's judgement of each, by flight number."""

    flights: tuple[Flight, ...]
    judgements: Mapping[int, Judgement]


@cache
def _script(testid: str) -> str:
    return re.split(r"[/(.]", testid)[0]


def _recipe(job: str) -> tuple[str, ...]:
    if job.startswith("build-"):
        return KERNEL if job.endswith(("pvops", "oldkern")) else BUILD
    if "pair" in job:
        return PAIR
    return RHEL if "rhel6hvm" in job else WINDOWS if "win" in job else DEBIAN


def _builds(job: str) -> tuple[str, ...]:
    if job.startswith("build-"):
        return ()
    dom0 = job.split("-")[2]
    return tuple(dict.fromkeys(("build-amd64", f"build-{dom0}", f"build-{dom0}-pvops")))


def _hosts(job: str) -> tuple[str, ...]:
    if "armhf" in job:
        return ARM
    if "pcipt" in job:
        return (PCIPT_HOST,)
    return INTEL if job.endswith("-intel") else AMD if job.endswith("-amd") else INTEL + AMD


def _sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def _schedule(rng: random.Random) -> list[tuple[int, datetime]]:
    """Return each flight's number and start: the next cron slot after a jittered even spacing."""
    spacing = (END - START) / FLIGHTS
    flights: list[tuple[int, datetime]] = []
    number, previous = FIRST_FLIGHT, START - timedelta(minutes=1)
    for index in range(FLIGHTS):
        moment = max(START + spacing * (index + rng.uniform(-0.3, 0.3)), previous)
        day = moment.replace(minute=49, second=0, microsecond=0)
        slots = [day.replace(hour=h) + timedelta(days=d) for d in (0, 1) for h in CRON_HOURS]
        previous = min(s for s in slots if s > moment)
        flights.append((number, previous))
        number += rng.randint(4, 24)  # the other branches' flights come in between
    return flights


def _first_on(schedule: Sequence[tuple[int, datetime]], day: date) -> int:
    return next(i for i, (_, started) in enumerate(schedule) if started.date() >= day)


def _noise(jobs: Sequence[str], day: date, rng: random.Random) -> dict[tuple[str, str], Failure]:
    """Draw this flight's heisenbugs: sedf's flaky migration and the odd random guest failure."""
    if QUIET[0] <= day < QUIET[1]:
        return {}
    found: dict[tuple[str, str], Failure] = {}
    for pattern, testid, odds in FLAKY:
        for job in (j for j in jobs if fnmatchcase(j, pattern) and rng.random() < odds):
            found[job, testid] = _heisenbug(job, testid, Status.FAIL)
    if rng.random() < FLAKE_ODDS:
        job = rng.choice([j for j in jobs if j.startswith("test-")])
        testid = rng.choice([t for t in _recipe(job) if t.startswith("guest-")])
        status = Status.BROKEN if rng.random() < 0.15 else Status.FAIL
        found[job, testid] = _heisenbug(job, testid, status)
    return found


def _heisenbug(job: str, testid: str, status: Status) -> Failure:
    """Return an intermittent failure: the guest, or for a broken step the host, stops answering."""
    if status is Status.BROKEN:
        wait = "FAILURE: host tcp 22: wait timed out after 1000s"
        return Failure(status, f"{testid}: lost contact with the host", (wait,))
    guest = "win" if "win" in job else "redhat" if "rhel" in job else "debian"
    waiting = f"guest {guest}.guest.osstest tcp 22: waiting 200s..."
    failed = f"FAILURE: guest {guest}.guest.osstest tcp 22: wait timed out"
    return Failure(status, f"{testid}: guest did not respond", (waiting, failed))


def _failures(
    job: str, host: str, made: date, day: date, noise: Mapping[tuple[str, str], Failure]
) -> dict[str, Failure]:
    """Return how this job's steps fail, by testid, for a revision made on `made`."""
    found = {t: f for (j, t), f in noise.items() if j == job}
    for bug in (*PROBES, *BUGS):
        if fnmatchcase(job, bug.jobs) and bug.landed <= made < bug.fixed:
            found[bug.testid] = bug.failure
    faulty, first, last, failure = HOST_FAULT
    if host == faulty and first <= day < last:
        found |= {t: failure for t in _recipe(job) if _script(t) == "host-install"}
    return found


@cache
def _plan(job: str) -> tuple[tuple[str, float, float], ...]:
    """Return a job's steps with the range of their durations (a build captures logs on failure)."""
    recipe = _recipe(job) + (("capture-logs(*)",) if job.startswith("build-") else ())
    ranges = {t: (SECONDS[_script(t)], 10 if t.endswith("/x10") else 1) for t in recipe}
    return tuple((t, low * n, high * n) for t, ((low, high), n) in ranges.items())


def _run(
    name: str, host: str, failures: Mapping[str, Failure], started: datetime, rng: random.Random
) -> Job:
    """Run a job's recipe: it stops at the first failure, but still captures the logs."""
    steps: list[Step] = []
    elapsed, failed = 0.0, None
    for planned, low, high in _plan(name):
        capture = planned.startswith("capture-logs")
        if (failed and not capture) or (capture and not failed and name.startswith("build-")):
            continue
        key = TestKey(name, planned.replace("*", str(len(steps) + 1)))
        seconds = round(rng.uniform(low, high), 3)
        failure = failures.get(key.testid)
        if failure is None:
            steps.append(Step(key, len(steps) + 1, Status.PASS, seconds))
        else:
            stamp = f"{started + timedelta(seconds=elapsed):%Y-%m-%d %H:%M:%S} Z"
            log = "\n".join(f"{stamp} {line}" for line in (f"{host}: {key.testid}", *failure.log))
            steps.append(Step(key, len(steps) + 1, failure.status, seconds, failure.message, log))
            failed = failed or failure.status
        elapsed += seconds
    return Job(name, failed or Status.PASS, tuple(steps), host)


def _jobs(
    started: datetime, made: date, noise: Mapping[tuple[str, str], Failure], rng: random.Random
) -> tuple[Job, ...]:
    """Run the flight's jobs in order; a test job whose build did not pass is blocked."""
    day = started.date()
    jobs: dict[str, Job] = {}
    for name in (*BUILDS, *TESTS):
        if name in SINCE and day < SINCE[name]:
            continue
        unbuilt = [b for b in _builds(name) if jobs[b].status is not Status.PASS]
        if unbuilt:
            why = f"blocked: {', '.join(unbuilt)} did not pass"
            step = Step(TestKey(name, _recipe(name)[0]), 1, Status.BLOCKED, 0.0, why)
            jobs[name] = Job(name, Status.BLOCKED, (step,))
            continue
        host = rng.choice(_hosts(name))
        jobs[name] = _run(name, host, _failures(name, host, made, day, noise), started, rng)
    return tuple(jobs.values())


def story(
    seed: int = 4_3,
    allow: AllowList | None = None,
    revisions: Revisions = as_drawn,
    played: Callable[[], None] | None = None,
) -> Story:
    """Play the 4.3 cycle flight by flight, judging each so that pushes move the baseline.

    Give the allow list that pushgate will ingest the flights with (`ALLOW_FILE` for the demo),
    so that pushgate judges every flight as the story did, and what makes the xen revisions
    (a `DemoRepo` for the demo): whatever their ids, the story is the same. `played` is told
    of each flight as it is judged (of `FLIGHTS`).
    """
    rng = random.Random(seed)  # noqa: S311 - a story, not a secret
    schedule = _schedule(rng)
    retests = {_first_on(schedule, day): flake for day, flake in HEISENBUGS.items()}
    heisenbugs = retests | {index + 1: flake for index, flake in retests.items()}
    plays = {_first_on(schedule, day) for day in PLAY_DAYS}
    commits = {_first_on(schedule, day) for bug in BUGS for day in (bug.landed, bug.fixed)}
    made = DAWN - timedelta(days=1)  # master when the story begins
    tip = revisions(_sha(rng), parent=None, at=START - timedelta(days=1))
    pushed, trees = tip, {"linux": _sha(rng), "qemu": _sha(rng)}
    prior: list[PriorFlight] = []  # all of them: judge keeps the newest Policy.history_flights
    flights: list[Flight] = []
    judgements: dict[int, Judgement] = {}
    for index, (number, started) in enumerate(schedule):
        day = started.date()
        noise = _noise([*BUILDS, *TESTS], day, rng)
        if index in heisenbugs:
            noise = {heisenbugs[index]: _heisenbug(*heisenbugs[index], Status.FAIL)}
        moved = rng.random() >= RETEST_ODDS[day < CODE_FREEZE] and index not in retests
        moved = (moved or index in commits) and index > 0  # the first tests master itself
        if moved and index not in plays:  # else osstest retests the same revisions
            lands = [b for b in BUGS if made < b.landed <= day]
            fixes = [b for b in (*PROBES, *BUGS) if made < b.fixed <= day]
            tip = revisions(_sha(rng), parent=tip, at=started, lands=lands, fixes=fixes)
            made = day
            trees = {tree: _sha(rng) if rng.random() < 0.05 else sha for tree, sha in trees.items()}
        blessing, xen, bugs_of = "real", tip, made
        if index in plays:
            xen = revisions(_sha(rng), parent=tip, at=started, branch=f"play/{number}")
            blessing, bugs_of = "play", day  # a developer's own branch
        flight = Flight(
            number=number,
            branch=BRANCH,
            jobs=_jobs(started, bugs_of, noise, rng),
            blessing=blessing,
            revisions={"xen": xen, **trees},
            baseline={"xen": pushed},
            started=started,
        )
        judgements[number] = judgement = judge(flight, prior, allow)
        prior.append(PriorFlight.of(flight, judgement.pushed))
        pushed = xen if judgement.pushed else pushed
        flights.append(flight)
        if played is not None:
            played()
    return Story(tuple(flights), judgements)


def write_story(
    flights: Sequence[Flight], directory: Path, written: Callable[[], None] | None = None
) -> list[Path]:
    """Write each flight as `<directory>/<number>.xml` in osstest's JUnit; return the paths.

    `written` is told of each file as it is written.
    """
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for flight in flights:
        path = directory / f"{flight.number}.xml"
        with path.open("wb") as out:
            write_flight(flight, out)
        paths.append(path)
        if written is not None:
            written()
    return paths
