"""Benchmark `pushgate ingest` against a floor: lxml's iterparse into the standard sqlite3.

Generates osstest-style flights, then times `pushgate ingest` and the floor over the same files,
each in a process of its own, round after round, and reports the median testcases per second of
both and their ratio. With --big, ingests one very large flight and reports pushgate's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

if TYPE_CHECKING:
    from gate.model import Flight

# gate and ingest are imported where flights are built, not above, so that the floor's process,
# which runs this file, pays for lxml and sqlite3 only.

PUSHGATE = Path(sys.executable).with_name("pushgate")
TARGET, GOAL, BIG_RSS_TARGET_MB = 0.3, 0.5, 250
BRANCH, FIRST_FLIGHT, EPOCH = "xen-unstable", 185000, datetime(2024, 5, 1, tzinfo=UTC)
MB = 1024 * 1024
STEP_MARKUP = 450  # bytes of XML that write_flight puts around a step's log
HOSTS = ["albana0", "chardonnay1", "elbling0", "fiano1", "godello0", "huxelrebe1", "italia0"]
ARCHES = ["amd64", "i386", "arm64", "armhf"]
BUILDS = [f"build-{arch}{v}" for arch in ARCHES for v in ("", "-xsm", "-pvops", "-prev")]
PLATFORMS = ["amd64-amd64", "amd64-i386", "amd64-coresched-amd64", "arm64-arm64", "armhf-armhf"]
VARIANTS = ["", "-credit1", "-credit2", "-rtds", "-shadow", "-pvshim", "-multivcpu", "-vhd", "-raw"]
VARIANTS += ["-qcow2", "-xsm", "-credit2-xsm", "-shadow-xsm"]
HVM = ["-pvhv2-amd", "-qemuu-debianhvm-amd64", "-qemut-debianhvm-amd64", "-qemuu-win7-amd64"]
HVM += ["-qemuu-ws16-amd64", "-qemuu-ovmf-amd64", "-qemut-stubdom-debianhvm-amd64-xsm"]
BUILD_STEPS = ["hosts-allocate", "host-install", "host-build-prep", "xen-build", "xen-build/dist"]
BUILD_STEPS += ["kernel-build", "kernel-build/config", "libvirt-build", "qemu-build", "ovmf-build"]
BUILD_STEPS += ["seabios-build", "syms-build", "xen-build/tools", "xen-build/docs", "dist-check"]
TEST_STEPS = ["build-check", "hosts-allocate", "host-install", "host-ping-check-native"]
TEST_STEPS += ["xen-install", "xen-boot", "leak-check/basis", "debian-install", "guest-start"]
TEST_STEPS += ["guest-localmigrate", "guest-saverestore", "guest-start/debian.repeat"]
TEST_STEPS += ["guest-localmigrate/x10", "guest-stop", "leak-check/check"]
NUMBERED = ("build-check", "host-install", "leak-check/basis", "capture-logs")
LOG_LINES = (
    "executing ssh -o StrictHostKeyChecking=no -o BatchMode=yes root@{ip} xl list",
    "command nonzero waitstatus 256: timeout 130 ssh root@{ip} xl migrate debian.guest.osstest localhost",
    "guest debian.guest.osstest 5a:36:0e:{x:.2}:00:01 22 link/ip/tcp: waiting {n}s...",
    "FAILURE: guest debian.guest.osstest 5a:36:0e:{x:.2}:00:01 22 link/ip/tcp: wait timed out",
    "{host} (XEN) [{t:12.6f}] d{n}v0 Unhandled: vec 14, #PF[0000] at ffff82d0{x}",
    "{host} [{t:12.6f}] xenbr0: port {n}(vif{n}.0) entered forwarding state",
    "{host} [{t:12.6f}] BUG: unable to handle page fault for address: ffffc900{x}",
    "{host} [{t:12.6f}] Call Trace: xen_mc_flush+0x1{x:.2}/0x1b0 xen_irq_enable_direct+0x{x:.2}",
    "logfile /home/logs/logs/serial-{host}.log: {n} bytes, last modified {n} minutes ago",
)
MESSAGES = {
    "fail": ("guest did not respond to ping", "host did not come up: timeout 600", "leak found"),
    "broken": ("hosts-allocate: no free host", "ssh: connect to host port 22: Connection refused"),
    "blocked": ("blocked: build-amd64-pvops failed",),
}
FLOOR_STATUS = {"failure": "fail", "error": "broken", "skipped": "skip"}
# Ingests in this process, so that the peak RSS it prints is exactly that of the ingest.
RSS_WRAPPER = """import resource, sys
from web.cli import main
try:
    main(sys.argv[1:], prog_name="pushgate")
finally:
    print("maxrss", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""

Outcomes = dict[tuple[str, str], tuple[str, str, str]]  # (job, testid): (status, message, output)


@dataclass(frozen=True)
class Plan:
    """The jobs that every flight runs, each with its testids and its host."""

    jobs: dict[str, tuple[str, ...]]
    hosts: dict[str, str]

    def keys(self) -> list[tuple[str, str]]:
        """Return every (job, testid) of a flight."""
        return [(job, testid) for job, testids in self.jobs.items() for testid in testids]


def progress(text: str) -> None:
    """Tell the person waiting what is happening."""
    print(f"bench: {text}", file=sys.stderr, flush=True)


def make_plan(rng: random.Random, jobs: int, steps: int) -> Plan:
    """Choose the build and test jobs of the flights (up to 167), each with up to 16 steps."""
    tests = [f"test-{p}-{t}{v}" for p in PLATFORMS for t in ("xl", "libvirt") for v in VARIANTS]
    tests += [f"test-{p}-xl{v}" for p in PLATFORMS[:3] for v in HVM]  # HVM guests on x86 only
    count = min(len(tests), max(0, jobs - len(BUILDS)))
    names = BUILDS[:jobs] + sorted(rng.sample(tests, count))
    return Plan({n: _testids(n, steps) for n in names}, {n: rng.choice(HOSTS) for n in names})


def _testids(job: str, steps: int) -> tuple[str, ...]:
    names = BUILD_STEPS if job.startswith("build-") else TEST_STEPS
    stems = [*names[: steps - 2], names[-1], "capture-logs"]
    return tuple(f"{s}({n})" if s in NUMBERED else s for n, s in enumerate(stems, start=1))


def make_log(rng: random.Random, host: str, size: int) -> str:
    """Return about `size` characters of osstest-like log lines."""
    lines, length, moment = [], 0, EPOCH + timedelta(seconds=rng.randint(0, 10**7))
    while length < size:
        moment += timedelta(seconds=rng.randint(0, 9))
        ip, x = f"172.16.14{rng.randint(5, 9)}.{rng.randint(2, 254)}", rng.randbytes(4).hex()
        text = rng.choice(LOG_LINES).format(
            host=host, ip=ip, t=rng.uniform(0, 9999), n=rng.randint(10, 9999), x=x
        )
        lines.append(f"{moment:%Y-%m-%d %H:%M:%S} Z {text}")
        length += len(lines[-1]) + 1
    return "\n".join(lines)


def everyday_outcomes(rng: random.Random, plan: Plan, chronic: list[tuple[str, str]]) -> Outcomes:
    """Choose a flight's few failing, broken and blocked steps, with a few KB of log each."""
    outcomes: Outcomes = {}
    for job, testid in chronic + rng.sample(plan.keys(), rng.randint(1, 4)):
        status = rng.choice(("fail", "fail", "fail", "broken"))
        log = make_log(rng, plan.hosts[job], rng.randint(2000, 6000))
        outcomes[job, testid] = (status, rng.choice(MESSAGES[status]), log)
    blocked = rng.choice([job for job in plan.jobs if job.startswith("test-")])
    outcomes[blocked, plan.jobs[blocked][0]] = ("blocked", MESSAGES["blocked"][0], "")
    return outcomes


def big_outcomes(rng: random.Random, plan: Plan, size_mb: int) -> Outcomes:
    """Make every step fail with a long log, so that the flight's document is about `size_mb`."""
    keys = plan.keys()
    size = max(0, size_mb * MB // len(keys) - STEP_MARKUP)
    # A few logs that all steps share: the generator must not hold the whole document in memory.
    pool = [make_log(rng, rng.choice(HOSTS), size) for _ in range(8)]
    return {key: ("fail", rng.choice(MESSAGES["fail"]), rng.choice(pool)) for key in keys}


def make_flight(
    rng: random.Random, number: int, plan: Plan, revision: str, baseline: str, outcomes: Outcomes
) -> Flight:
    """Build one flight of the plan: every step passes unless `outcomes` says otherwise."""
    from gate.model import Flight, Job, Status, Step, TestKey

    jobs = []
    for name, testids in plan.jobs.items():
        steps = []
        for stepno, testid in enumerate(testids, start=1):
            status, message, output = outcomes.get((name, testid), ("pass", "", ""))
            key, duration = TestKey(name, testid), rng.uniform(1, 900)
            steps.append(
                Step(key, stepno, Status(status), duration, message=message, output=output)
            )
        seen = {step.status.value for step in steps}
        status = next((s for s in ("broken", "fail", "blocked") if s in seen), "pass")
        jobs.append(Job(name, Status(status), tuple(steps), host=plan.hosts[name]))
    return Flight(
        number=number,
        branch=BRANCH,
        jobs=tuple(jobs),
        revisions={"xen": revision},
        baseline={"xen": baseline},
        started=EPOCH + timedelta(hours=6 * (number - FIRST_FLIGHT)),
    )


def write(flight: Flight, directory: Path) -> int:
    """Write a flight to `DIRECTORY/NUMBER.xml`, streaming; return how many testcases it holds."""
    from ingest.osstest_junit import write_flight

    with (directory / f"{flight.number}.xml").open("wb") as out:
        write_flight(flight, out)
    return len(flight.steps())


def write_flights(rng: random.Random, directory: Path, flights: int, plan: Plan) -> int:
    """Write consecutive flights of the branch; return how many testcases they hold."""
    middle = [(job, testid) for job, testids in plan.jobs.items() for testid in testids[2:-1]]
    chronic = rng.sample(middle, 2)  # steps that fail in every flight, like a never-pass test
    baseline = revision = rng.randbytes(20).hex()  # the first flight tests the pushed revision
    total = 0
    for number in range(FIRST_FLIGHT, FIRST_FLIGHT + flights):
        outcomes = everyday_outcomes(rng, plan, chronic)
        flight = make_flight(rng, number, plan, revision, baseline, outcomes)
        total += write(flight, directory)
        if rng.random() < 0.75:  # else osstest tests the same revision again
            revision = rng.randbytes(20).hex()
    return total


def run(command: list[str]) -> tuple[float, str, str]:
    """Run a command; return its wall-clock seconds, stdout and stderr; stop if it fails."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"bench: {command[0]} exited {done.returncode}:\n{done.stderr}")
    return seconds, done.stdout, done.stderr


def pushgate_ingest(
    program: list[str], directory: Path, database: Path, testcases: int
) -> tuple[float, str]:
    """Ingest a directory into a fresh SQLite file; return the seconds taken and stderr.

    The schema is created first, untimed: a store is created once and ingested into for years,
    so creating it is not part of the ingest rate.
    """
    url = f"sqlite:///{database}"
    run([*program, "--database", url, "db", "upgrade"])
    command = [*program, "--database", url, "ingest", "--format", "json", str(directory)]
    seconds, stdout, stderr = run(command)
    results = [json.loads(line) for line in stdout.splitlines()]
    stored = sum(r["tests"] for r in results if r["status"] == "created")
    if stored != testcases:
        sys.exit(f"bench: pushgate stored {stored} testcases, not {testcases}")
    return seconds, stderr


def time_floor(directory: Path, database: Path, testcases: int) -> float:
    """Load a directory with the floor in a process of its own; return the seconds taken."""
    seconds, stdout, _ = run([sys.executable, __file__, "--floor", str(directory), str(database)])
    if int(stdout) != testcases:
        sys.exit(f"bench: the floor stored {stdout.strip()} testcases, not {testcases}")
    return seconds


def floor(directory: Path, database: Path) -> int:
    """Store every flight of a directory the plainest way, a transaction each; count the rows."""
    db = sqlite3.connect(database)
    db.execute("CREATE TABLE step (job TEXT, testid TEXT, status TEXT, time REAL, message TEXT)")
    total = 0
    for path in sorted(directory.glob("*.xml")):
        rows = list(_floor_rows(path))
        with db:
            db.executemany("INSERT INTO step VALUES (?, ?, ?, ?, ?)", rows)
        total += len(rows)
    db.close()
    return total


def _floor_rows(path: Path) -> Iterator[tuple[str, str, str, float | None, str]]:
    for _event, case in etree.iterparse(str(path), tag="testcase"):
        status, message = "pass", ""
        for child in case:
            if child.tag in FLOOR_STATUS:
                status, message = FLOOR_STATUS[child.tag], child.get("message", "")
        seconds = case.get("time")
        job = case.getparent().get("name")
        yield job, case.get("name"), status, float(seconds) if seconds else None, message
        case.clear()


def compare(args: argparse.Namespace, flights_dir: Path, scratch: Path) -> float:
    """Time pushgate and the floor over the same flights; print the table; return the ratio."""
    rng = random.Random(args.seed)
    progress(f"generating {args.flights} flights of {args.jobs} jobs x {args.steps} steps...")
    testcases = write_flights(rng, flights_dir, args.flights, make_plan(rng, args.jobs, args.steps))
    size = sum(p.stat().st_size for p in flights_dir.glob("*.xml")) / MB
    ours, floors = [], []
    for n in range(1, args.rounds + 1):
        progress(f"round {n}/{args.rounds}: pushgate ingest")
        database = scratch / f"pushgate-{n}.sqlite"
        seconds, _ = pushgate_ingest([str(PUSHGATE)], flights_dir, database, testcases)
        ours.append(testcases / seconds)
        progress(f"round {n}/{args.rounds}: floor")
        floors.append(testcases / time_floor(flights_dir, scratch / f"floor-{n}.sqlite", testcases))
    print(f"{args.flights} flights, {testcases:,} testcases, {size:.1f} MB of JUnit XML")
    print(f"{'round':<8}{'pushgate tc/s':>15}{'floor tc/s':>13}{'ratio':>8}")
    medians = ("median", statistics.median(ours), statistics.median(floors))
    for label, mine, plain in [*zip(range(1, args.rounds + 1), ours, floors, strict=True), medians]:
        print(f"{label:<8}{mine:>15,.0f}{plain:>13,.0f}{mine / plain:>8.2f}")
    # Each round times both back to back, so its ratio is a paired measurement: on a noisy
    # machine the median of the rounds' ratios is steadier than the ratio of the medians.
    ratio = statistics.median(mine / plain for mine, plain in zip(ours, floors, strict=True))
    print(f"ratio {ratio:.2f}, the median of the rounds' ratios (target >= {TARGET}, goal {GOAL})")
    return ratio


def big(args: argparse.Namespace, flights_dir: Path, scratch: Path) -> int:
    """Ingest one very large flight; print its time and peak RSS; return the RSS in MB."""
    rng = random.Random(args.seed)
    progress(f"generating a flight of {args.big_mb} MB, {args.jobs} jobs x {args.steps} steps...")
    plan = make_plan(rng, args.jobs, args.steps)
    sha, outcomes = rng.randbytes(20).hex(), big_outcomes(rng, plan, args.big_mb)
    testcases = write(make_flight(rng, FIRST_FLIGHT, plan, sha, sha, outcomes), flights_dir)
    size = (flights_dir / f"{FIRST_FLIGHT}.xml").stat().st_size / MB
    generator_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    progress(f"wrote {size:.1f} MB; the generator's peak RSS was {generator_mb} MB")
    progress("pushgate ingest of the big flight...")
    program = [sys.executable, "-c", RSS_WRAPPER]
    seconds, stderr = pushgate_ingest(program, flights_dir, scratch / "big.sqlite", testcases)
    rss_mb = int(stderr.rsplit("maxrss", 1)[-1]) // 1024
    print(f"one flight, {testcases:,} testcases, {size:.1f} MB of JUnit XML")
    print(f"pushgate ingest {seconds:.1f} s, {testcases / seconds:,.0f} tc/s")
    print(f"peak RSS {rss_mb} MB (target <= {BIG_RSS_TARGET_MB} MB)")
    return rss_mb


def parse_args() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--flights", type=int, default=40, help="flights to generate (default 40: a bulk ingest)"
    )
    parser.add_argument("--jobs", type=int, default=150, help="jobs per flight (default 150)")
    parser.add_argument("--steps", type=int, help="steps per job (default 12, 16 with --big)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each (default 5)")
    parser.add_argument("--seed", type=int, default=4242, help="seed of the generator")
    parser.add_argument("--out", type=Path, help="write the flights into DIR and keep them")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    parser.add_argument("--big", action="store_true", help="ingest one big flight; report peak RSS")
    parser.add_argument("--big-mb", type=int, default=150, help="its size in MB (default 150)")
    parser.add_argument("--floor", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.steps = args.steps or (16 if args.big else 12)
    return args


def main() -> int:
    """Run the benchmark, or the floor when this file is the floor's child process."""
    args = parse_args()
    # Run as a script, this file's folder comes first on the path, where `import ingest` would
    # find this file (bench/ingest.py) instead of pushgate's package.
    if Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        del sys.path[0]
    if args.floor:
        print(floor(*args.floor))
        return 0
    with tempfile.TemporaryDirectory(prefix="pushgate-bench-") as scratch:
        flights_dir = args.out or Path(scratch, "flights")
        flights_dir.mkdir(parents=True, exist_ok=True)
        if args.big:
            missed = big(args, flights_dir, Path(scratch)) > BIG_RSS_TARGET_MB
        else:
            missed = compare(args, flights_dir, Path(scratch)) < TARGET
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
