"""Benchmark the dashboard's pages as the history grows.

For each stage (a number of the story's flights, 50, 250 and 1000 by default: about 100k, 500k
and 2M results), builds a database of that history once (history.py caches it), imports into it
a roadmap of 20 features for a release on the story's branch (again, it changes nothing), serves
it with gunicorn on 127.0.0.1 and times every page and its JSON twin, one client, over --requests
rounds after --warmup (--last-requests at the last stage). Reports each page's p50, p95 and size
at each stage and its growth, the web workers' RSS, and the rate at which each history was
ingested next to the floor (floor.py) measured in this run. Prints the tables and writes them to
their own section of bench/RESULTS.md. Progress goes to stderr. The databases stay in the cache,
to profile pages against.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

import commands
import floor
import history
import requests
import results
import stores
import story
from sqlalchemy.engine import make_url


def _ingest_bench() -> ModuleType:
    # bench/ingest.py is a script whose name is also pushgate's `ingest` package: load it under
    # another name, for the helpers that both benchmarks share.
    spec = importlib.util.spec_from_file_location(
        "ingest_bench", Path(__file__).with_name("ingest.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


ingest_bench = _ingest_bench()
progress: Callable[[str], None] = ingest_bench.progress

P50_TARGET_MS = 100  # every page, at the last stage
OVERVIEW_TARGET_MS = 50  # the overview and its twin, at the last stage
GROWTH_TARGET = 1.5  # p50 at the last stage over p50 at the first
RSS_TARGET_MB = 300  # the web workers' peak RSS (VmHWM)
HTML_TARGET_KB = 300  # every HTML page, at the last stage
FLOOR_TARGETS = {"sqlite": 0.5}  # the history's ingest rate over the floor's
FLOOR_ROUNDS = 3
WORKER_TIMEOUT = 300  # gunicorn's, in seconds: a slow page is measured, not killed
STARTUP_SECONDS = 60
KB = 1024
EXCEPTION = re.compile(r"[\w.]+(Error|Exception): ")  # the last line of a traceback
RELEASE = "4.20"
DEFAULTS = {"jobs": 167, "steps": 12, "requests": 50, "warmup": 5}  # 167 x 12: ~2,000 steps
QUICK = {"jobs": 30, "steps": 5, "requests": 3, "warmup": 1, "stages": [2, 4]}
# The roadmap's features: slug, title, declared status and test patterns. With the default plan
# libvirt links every libvirt job (hundreds of steps), some link a few steps, numa none.
FEATURES = (
    ("libvirt", "libvirt toolstack", "good", ["test-*-libvirt*"]),
    ("credit2", "Credit2 as the default scheduler", "ok", ["test-*-xl-credit2*"]),
    ("rtds", "RTDS real-time scheduler", "fair", ["test-*-xl-rtds guest-start"]),
    ("shadow-paging", "Shadow paging", "good", ["test-*-xl-shadow guest-*"]),
    ("pv-shim", "PV shim", "ok", ["test-*-xl-pvshim"]),
    ("arm64", "64-bit ARM hosts and guests", "good", ["test-arm64-arm64-*"]),
    ("armhf", "32-bit ARM guests", "fair", ["test-armhf-armhf-* guest-start"]),
    ("windows", "Windows HVM guests", "ok", ["test-*-qemuu-win7-amd64", "test-*-qemuu-ws16-amd64"]),
    ("ovmf", "OVMF UEFI firmware", "good", ["test-*-qemuu-ovmf-amd64", "build-* ovmf-build"]),
    ("stubdom", "qemu in a stub domain", "poor", ["test-*-qemut-stubdom-*"]),
    ("live-migration", "Local live migration", "good", ["test-*-xl guest-localmigrate*"]),
    ("debian-guests", "Debian guest installs", "done", ["test-*-xl debian-install"]),
    ("xsm", "XSM/FLASK policy", "ok", ["test-*-xsm", "build-*-xsm"]),
    ("pvh", "PVH dom0 and guests", "good", ["test-amd64-amd64-xl-pvhv2-amd"]),
    ("disk-formats", "vhd, raw and qcow2 disks", "ok", ["test-*-xl-vhd", "test-*-xl-qcow2"]),
    ("core-scheduling", "Core scheduling", "fair", ["test-amd64-coresched-amd64-*"]),
    ("leak-checks", "No leaks after a guest", "done", ["test-amd64-amd64-xl leak-check/*"]),
    ("multi-vcpu", "Guests with many vCPUs", "good", ["test-*-xl-multivcpu guest-start"]),
    ("qemu-traditional", "qemu-traditional retired", "blocked", ["test-*-qemut-debianhvm-*"]),
    ("numa", "NUMA placement", "good", ["test-*-xl-numa-*"]),
)


@dataclass(frozen=True)
class Page:
    """A page to time: its name in the table, its path, and whether it is HTML or JSON."""

    name: str
    path: str
    html: bool


@dataclass(frozen=True)
class Timing:
    """A page's times over the timed rounds, in seconds, its size in bytes and its status."""

    p50: float
    p95: float
    size: int
    status: int  # 200, the first other status seen, or 0 when no answer came

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass(frozen=True)
class Stage:
    """What one stage measured: the history, its pages' timings and the web workers' memory."""

    history: history.History
    url: str
    now: datetime
    pages: tuple[Page, ...]
    timings: dict[str, Timing]
    rounds: int  # timed
    linked: dict[str, int]  # the linked steps of the features timed
    rss_kb: int  # the largest VmRSS of a web worker after the rounds
    hwm_kb: int  # the largest VmHWM
    log: Path  # gunicorn's, with the app's errors

    def errors(self) -> list[str]:
        """Return the exceptions that the app logged, each once."""
        lines = self.log.read_text(errors="replace").splitlines() if self.log.is_file() else []
        return list(dict.fromkeys(line for line in lines if EXCEPTION.match(line)))

    @property
    def label(self) -> str:
        n = self.history.testcases
        return f"{n / 1e6:.1f}M" if n >= 10**6 else f"{n / 1e3:.0f}k" if n >= 10**3 else str(n)

    @property
    def ingest_rate(self) -> float:
        return self.history.testcases / self.history.ingest_seconds


@dataclass
class Run:
    """Everything the benchmark measured on one engine."""

    engine: str
    title: str
    jobs: int
    steps: int
    seed: int
    workers: int
    warmup: int
    floor: list[float] = field(default_factory=list)  # testcases per second, each round
    floor_testcases: int = 0
    stages: list[Stage] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def floor_rate(self) -> float:
        return statistics.median(self.floor)


def write_roadmap(path: Path, now: datetime, *, dated: bool = True) -> None:
    """Write the roadmap file: a release on the story's branch whose freezes are ahead of `now`,
    declared (when `dated`) as of the first day of its cycle, the year before its release."""
    day = now.date()
    lines = [
        "[release]",
        f'name = "{RELEASE}"',
        f'branch = "{story.BRANCH}"',
        f"feature_freeze = {day + timedelta(days=14)}",
        f"code_freeze = {day + timedelta(days=35)}",
        f"release = {day + timedelta(days=70)}",
    ]
    if dated:
        lines.append(f"as_of = {day + timedelta(days=70 - 365)}")
    for slug, title, status, tests in FEATURES:
        lines += ["", "[[feature]]", f'slug = "{slug}"', f'title = "{title}"']
        lines += [f'owners = ["{slug} maintainers"]', f'status = "{status}"']
        lines += [f"tests = {json.dumps(tests)}"]
    path.write_text("\n".join(lines) + "\n")


def database_url(store: stores.Store, database: str) -> str:
    """Return the SQLAlchemy URL of a built history."""
    if isinstance(store, stores.PostgreSQLStore):
        return make_url(store.url).set(database=database).render_as_string(hide_password=False)
    return f"sqlite:///{database}"


def free_port() -> int:
    """Return a port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(
    pushgate: commands.Pushgate, url: str, now: datetime, workers: int, log: Path
) -> Iterator[tuple[str, int]]:
    """Serve a database with gunicorn; yield its base URL and the master's pid once it answers."""
    port = free_port()
    command = [pushgate.python, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    command += ["--timeout", str(WORKER_TIMEOUT), "wsgi:app"]
    env = {**os.environ, "PUSHGATE_DATABASE_URL": url, "PUSHGATE_NOW": now.isoformat()}
    with log.open("wb") as out:
        master = subprocess.Popen(command, cwd=pushgate.cwd, env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers(base):
            if master.poll() is not None or time.monotonic() > deadline:
                said = log.read_text(errors="replace")[-3000:]
                raise commands.CommandFailed(f"gunicorn did not start on {base}:\n{said}")
            time.sleep(0.2)
        yield base, master.pid
    finally:
        master.send_signal(signal.SIGTERM)  # a graceful stop of the master and its workers
        try:
            master.wait(timeout=30)
        except subprocess.TimeoutExpired:
            master.kill()
            master.wait()


def _answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def worker_memory(master: int) -> tuple[int, int]:
    """Return the largest VmRSS and VmHWM, in kB, of the master's child processes."""
    rss = hwm = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The parent's pid is the second field after the command, which is in parentheses.
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) != master:
                continue
            status = stat.with_name("status").read_text()
        except (OSError, IndexError, ValueError):
            continue  # a process that ended meanwhile
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rss = max(rss, int(fields.get("VmRSS", "0 kB").split()[0]))
        hwm = max(hwm, int(fields.get("VmHWM", "0 kB").split()[0]))
    return rss, hwm


def choose_pages(client: requests.Session, base: str) -> tuple[tuple[Page, ...], dict[str, int]]:
    """Choose the pages from the database: the newest flight, a failed step, two features."""

    def get(path: str) -> Any:  # JSON
        answer = client.get(base + path, timeout=WORKER_TIMEOUT)
        answer.raise_for_status()
        return answer.json()

    newest = get("/api/v1/flights")["flights"][0]["flight"]
    flight = get(f"/api/v1/flights/{newest}")
    failed = [f for f in flight["failures"] if f["status"] == "fail"] or flight["failures"]
    if failed:
        job, testid = failed[0]["job"], failed[0]["testid"]
    else:  # a flight that passed everything: a step of its first job
        board = flight["scoreboard"]
        job = board["jobs"][0]
        testid = next(row["testid"] for row in board["rows"] if row["cells"][0] is not None)
    test = f"{job}/{quote(testid)}"
    features = get("/api/v1/features")
    linked: dict[str, int] = {f["slug"]: len(f["tests"]) for f in features}
    big = max(linked, key=lambda slug: linked[slug])
    small = min((s for s in linked if linked[s]), key=lambda slug: linked[slug], default=big)
    release = get("/api/v1/overview")["release"]["release"]
    twins = [
        ("overview", "/", "/api/v1/overview"),
        ("big feature", f"/features/{big}", f"/api/v1/features/{big}"),
        ("small feature", f"/features/{small}", f"/api/v1/features/{small}"),
        ("flights", "/flights", "/api/v1/flights"),
        ("flight", f"/flights/{newest}", f"/api/v1/flights/{newest}"),
        ("test", f"/tests/{test}", f"/api/v1/tests/{test}"),
        ("branch", f"/branches/{story.BRANCH}", f"/api/v1/branches/{story.BRANCH}"),
        ("readiness", f"/releases/{release}/readiness", f"/api/v1/releases/{release}/readiness"),
        ("status", f"/releases/{release}/status", f"/api/v1/releases/{release}/status"),
        ("failures", "/failures/", "/api/v1/failures"),
        ("regressions", "/regressions/", "/api/v1/regressions"),
    ]
    clusters = get("/api/v1/failures")["clusters"]
    if clusters:  # the biggest cluster's page
        biggest = max(clusters, key=lambda c: c["occurrences"])["digest"]
        twins.append(("cluster", f"/failures/{biggest}", f"/api/v1/failures/{biggest}"))
    pages = [Page(name, path, html=True) for name, path, _ in twins]
    pages += [Page(f"{name} JSON", path, html=False) for name, _, path in twins]
    return tuple(pages), {big: linked[big], small: linked[small]}


def time_pages(
    client: requests.Session, base: str, pages: Sequence[Page], rounds: int, warmup: int
) -> dict[str, Timing]:
    """Get every page in turn, `warmup` rounds untimed then `rounds` timed; return the timings."""
    samples: dict[str, list[tuple[float, int, int]]] = {page.name: [] for page in pages}
    started = time.perf_counter()
    for n in range(-warmup, rounds):
        for page in pages:
            sample = _get(client, base + page.path)
            if n >= 0:
                samples[page.name].append(sample)
        done = n + 1  # timed rounds done
        if done == 0 or (done > 0 and (done in (1, rounds) or done % 10 == 0)):
            said = f"{warmup} warm-up rounds" if done == 0 else f"round {done}/{rounds}"
            progress(f"{said} done in {time.perf_counter() - started:.0f} s")
    return {name: _timing(found) for name, found in samples.items()}


def _get(client: requests.Session, url: str) -> tuple[float, int, int]:
    start = time.perf_counter()
    try:
        answer = client.get(url, timeout=WORKER_TIMEOUT + 30)
        size, status = len(answer.content), answer.status_code
    except requests.RequestException:
        size, status = 0, 0
    return time.perf_counter() - start, size, status


def _timing(samples: Sequence[tuple[float, int, int]]) -> Timing:
    seconds = sorted(s for s, _, _ in samples)
    status = next((status for _, _, status in samples if status != 200), 200)
    p95 = seconds[max(0, -(-len(seconds) * 95 // 100) - 1)]  # nearest rank
    return Timing(statistics.median(seconds), p95, samples[-1][1], status)


def measure_stage(
    args: argparse.Namespace,
    pushgate: commands.Pushgate,
    store: stores.Store,
    plan: story.Plan,
    specs: Sequence[story.Spec],
    scratch: Path,
) -> Stage:
    """Build (or find) the history of these flights, import the roadmap, serve it and time it."""
    built = history.history(store, pushgate, args.cache, args.seed, plan, specs, progress)
    if built.cached:
        progress(f"the history of {len(specs)} flights is cached: {built.database}")
    url = database_url(store, built.database)
    newest = pushgate.flights(url, 1)[0]
    now = datetime.fromisoformat(str(newest["started"])) + timedelta(hours=12)
    roadmap = scratch / f"roadmap-{len(specs)}.toml"
    write_roadmap(roadmap, now)
    try:
        commands.run(pushgate.command(url, "roadmap", "import", str(roadmap)), pushgate.cwd)
    except commands.CommandFailed:  # a pushgate from before dated updates (migration 0010)
        write_roadmap(roadmap, now, dated=False)
        commands.run(pushgate.command(url, "roadmap", "import", str(roadmap)), pushgate.cwd)
    progress(f"serving {url} with gunicorn ({args.workers} workers), now {now:%Y-%m-%d %H:%M}")
    log = args.cache / built.key / "gunicorn.log"  # kept beside the history, for its errors
    with serving(pushgate, url, now, args.workers, log) as (base, master), requests.Session() as c:
        pages, linked = choose_pages(c, base)
        rounds = args.last_requests if len(specs) == args.stages[-1] else args.requests
        timings = time_pages(c, base, pages, rounds, args.warmup)
        for name, t in timings.items():
            if not t.ok:
                progress(f"{name} answered {t.status or 'nothing'} (see {log})")
        rss, hwm = worker_memory(master)
    return Stage(built, url, now, pages, timings, rounds, linked, rss, hwm, log)


def measure(
    args: argparse.Namespace, pushgate: commands.Pushgate, store: stores.Store, scratch: Path
) -> Run:
    """Measure the floor over the first stage's flights, then every stage."""
    started = time.perf_counter()
    run = Run(
        store.engine, store.title, args.jobs, args.steps, args.seed, args.workers, args.warmup
    )
    plan = story.make_plan(args.seed, args.jobs, args.steps)
    specs = story.play(args.seed, plan, args.stages[-1])
    progress(f"writing the first {args.stages[0]} flights for the floor...")
    flights = scratch / "floor"
    run.floor_testcases = story.write_specs(args.seed, plan, specs[: args.stages[0]], flights)
    for n in range(1, FLOOR_ROUNDS + 1):
        progress(f"the floor, round {n}/{FLOOR_ROUNDS}")
        with store.fresh(f"floor{n}") as url:
            seconds = commands.floor(flights, url, run.floor_testcases, pushgate.cwd)
        run.floor.append(run.floor_testcases / seconds)
    for count in args.stages:
        progress(f"stage of {count} flights")
        run.stages.append(measure_stage(args, pushgate, store, plan, specs[:count], scratch))
    run.seconds = time.perf_counter() - started
    return run


def _ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.1f}" if ms < 100 else f"{ms:,.0f}"


def _met(ok: bool) -> str:
    return "met" if ok else "missed"


@dataclass(frozen=True)
class Verdicts:
    """Each target, met or missed: by page, then the memory's and the ingest's."""

    p50: dict[str, bool]
    growth: dict[str, bool]
    size: dict[str, bool | None]  # None for a JSON twin, which has no size target
    rss: bool
    ingest: dict[str, bool | None]  # by stage label; None where the engine has no target

    def missed(self) -> list[str]:
        """Name every target missed."""
        said = [f"{name} p50" for name, ok in self.p50.items() if not ok]
        said += [f"{name} growth" for name, ok in self.growth.items() if not ok]
        said += [f"{name} size" for name, ok in self.size.items() if ok is False]
        said += [f"ingest at {label}" for label, ok in self.ingest.items() if ok is False]
        return said + ([] if self.rss else ["worker RSS"])


def judge(run: Run) -> Verdicts:
    """Check the last stage against the targets, and the growth from the first."""
    first, last = run.stages[0], run.stages[-1]
    p50, growth, size = {}, {}, {}
    for page in last.pages:
        t, t0 = last.timings[page.name], first.timings[page.name]
        limit = OVERVIEW_TARGET_MS if page.name.startswith("overview") else P50_TARGET_MS
        p50[page.name] = t.ok and t.p50 * 1000 < limit
        growth[page.name] = t.ok and t0.ok and t.p50 / t0.p50 < GROWTH_TARGET
        size[page.name] = (t.ok and t.size < HTML_TARGET_KB * KB) if page.html else None
    target = FLOOR_TARGETS.get(run.engine)
    ingest = {
        s.label: None if target is None else s.ingest_rate / run.floor_rate >= target
        for s in run.stages
    }
    rss = max(s.hwm_kb for s in run.stages) < RSS_TARGET_MB * KB
    return Verdicts(p50, growth, size, rss, ingest)


def table(run: Run) -> list[str]:
    """Return the markdown tables of a run: the pages, then the memory and the ingest."""
    verdicts = judge(run)
    first, last = run.stages[0], run.stages[-1]
    head = ["page", "status"]
    for s in run.stages:
        head += [f"{s.label} p50 ms", "p95 ms", "KB"]
    head += ["growth", "p50 target", "growth target", "size target"]
    numbers = " ---: |" * (3 * len(run.stages) + 1)  # the times, sizes and growth
    lines = ["| " + " | ".join(head) + " |", f"| --- | --- |{numbers} --- | --- | --- |"]
    for page in last.pages:
        statuses = {s.label: s.timings[page.name].status for s in run.stages}
        bad = [f"{status} at {label}" for label, status in statuses.items() if status != 200]
        row = [page.name, ", ".join(bad) or "200"]
        for s in run.stages:
            t = s.timings[page.name]
            row += [_ms(t.p50), _ms(t.p95), f"{t.size / KB:,.1f}"]
        t, t0 = last.timings[page.name], first.timings[page.name]
        row.append(f"{t.p50 / t0.p50:.2f}x")
        fits = verdicts.size[page.name]
        row += [_met(verdicts.p50[page.name]), _met(verdicts.growth[page.name])]
        row.append("" if fits is None else _met(fits))
        lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        "| stage | flights | results | worker RSS MB | worker peak RSS MB | ingest tc/s"
        " | floor tc/s | ingest / floor | ingest target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for s in run.stages:
        ok = verdicts.ingest[s.label]
        lines.append(
            f"| {s.label} | {s.history.flights} | {s.history.testcases:,} | {s.rss_kb / KB:.0f}"
            f" | {s.hwm_kb / KB:.0f} | {s.ingest_rate:,.0f} | {run.floor_rate:,.0f}"
            f" | {s.ingest_rate / run.floor_rate:.2f} | {'' if ok is None else _met(ok)} |"
        )
    return lines


def targets_line(run: Run) -> str:
    """Say what the targets are and which were missed."""
    missed = judge(run).missed()
    floor_target = FLOOR_TARGETS.get(run.engine)
    ingest = f"; ingest >= {floor_target} of the floor" if floor_target else ""
    return (
        f"Targets at the last stage: p50 < {P50_TARGET_MS} ms (the overview and its twin"
        f" < {OVERVIEW_TARGET_MS} ms), growth < {GROWTH_TARGET}x from the first stage, HTML"
        f" < {HTML_TARGET_KB} KB, worker peak RSS < {RSS_TARGET_MB} MB{ingest}."
        f" Missed: {', '.join(missed) if missed else 'none'}."
    )


def part(run: Run, command: str, when: str, context: Sequence[str]) -> list[str]:
    """Return the lines of the engine's part of RESULTS.md."""
    last = run.stages[-1]
    per_flight = last.history.testcases // last.history.flights
    pages = ", ".join(f"`{p.path}`" for p in last.pages if p.html)
    lines = [
        f"`{command}`, {when}.",
        "",
        *[f"- {line}" for line in context],
        f"- Flights: {run.jobs} jobs x {run.steps} steps, about {per_flight:,} results each"
        f" (story seed {run.seed}); a roadmap of {len(FEATURES)} features for release {RELEASE}"
        f" on {story.BRANCH}; the dashboard's now is 12 hours after the newest flight started",
        f"- Served by gunicorn, {run.workers} sync workers on 127.0.0.1 (timeout"
        f" {WORKER_TIMEOUT} s); one client (a requests Session) gets every page in turn, first"
        f" untimed (warm-up rounds: {run.warmup}), then timed (rounds:"
        f" {', '.join(f'{s.rounds} at {s.label}' for s in run.stages)}); a time is the whole"
        " request, body read",
        f"- Pages at the last stage: {pages}, and their JSON twins under `/api/v1`; the big and"
        f" the small feature link {' and '.join(f'{n} steps ({s})' for s, n in last.linked.items())}",
        f"- Floor: {floor.KINDS[run.engine]}, over the first {run.stages[0].history.flights}"
        f" flights ({run.floor_testcases:,} results), median of {FLOOR_ROUNDS} rounds:"
        f" {', '.join(f'{r:,.0f}' for r in run.floor)} tc/s",
    ]
    for s in run.stages:
        h = s.history
        how = "cached, built" if h.cached else "built now"
        lines.append(
            f"- {s.label}: {s.url} ({how} on {h.built}: {h.generate_seconds:.0f} s to write,"
            f" {h.ingest_seconds:.0f} s to ingest {h.flights} flights)"
        )
    for s in run.stages:
        failed = [f"{name} ({t.status})" for name, t in s.timings.items() if not t.ok]
        if failed:
            said = "; ".join(f"`{e}`" for e in s.errors()[:3]) or "none"
            lines.append(
                f"- Errors at {s.label}: {', '.join(failed)}; the app logged {said} (in {s.log})"
            )
    lines += [f"- Run: {run.seconds:.0f} s", "", *table(run), "", targets_line(run)]
    return lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--engine", choices=("sqlite", "postgresql"), default="sqlite", help="default sqlite")
    add("--flights", type=int, help="flights of the last stage (default 1000)")
    add("--stages", help="flight counts measured, e.g. 50,250,1000 (default: --flights/20,"
        " --flights/4 and --flights)")  # fmt: skip
    add("--jobs", type=int, help=f"jobs per flight (default {DEFAULTS['jobs']}, at most 167)")
    add("--steps", type=int, help=f"steps per job (default {DEFAULTS['steps']}; 4 to 16)")
    add("--requests", type=int, help=f"timed rounds (default {DEFAULTS['requests']})")
    add("--last-requests", type=int, help="timed rounds of the last stage (default --requests)")
    add("--warmup", type=int, help=f"untimed rounds first (default {DEFAULTS['warmup']})")
    add("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    add("--seed", type=int, default=4242, help="seed of the story")
    add("--quick", action="store_true", help="a smoke run: stages of 2 and 4 small flights, "
        "3 rounds (options given still win)")  # fmt: skip
    add("--postgres", default=ingest_bench.POSTGRES_URL, metavar="URL",
        help=f"server (default {ingest_bench.POSTGRES_URL})")  # fmt: skip
    add("--pushgate", type=Path, default=Path(sys.executable).with_name("pushgate"),
        help="the pushgate to measure (default: the one beside this Python)")  # fmt: skip
    add("--cache", type=Path, default=ingest_bench.CACHE,
        help=f"where histories are kept (default {ingest_bench.CACHE})")  # fmt: skip
    add("--results", type=Path, default=ingest_bench.RESULTS, help="default bench/RESULTS.md")
    add("--section", default="scale", help="its section for this run (default scale)")
    add("--note", action="append", default=[], help="a line to add to the results, repeatable")
    add("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    for name, value in DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, QUICK[name] if args.quick else value)
    args.last_requests = args.last_requests or args.requests
    if args.stages:
        try:
            args.stages = sorted({int(n) for n in args.stages.split(",")})
        except ValueError:
            parser.error(f"--stages {args.stages!r}: expected flight counts such as 50,250,1000")
    elif args.quick and args.flights is None:
        args.stages = QUICK["stages"]
    else:
        flights = args.flights or 1000
        args.stages = sorted({n for n in (flights // 20, flights // 4, flights) if n > 0})
    if args.flights is not None and args.stages[-1] != args.flights:
        parser.error("the last of --stages must be --flights")
    if not story.MIN_STEPS <= args.steps <= len(story.TEST_STEPS) + 1:
        parser.error(f"--steps must be from {story.MIN_STEPS} to {len(story.TEST_STEPS) + 1}")
    if min(args.stages[0], args.jobs, args.requests, args.last_requests, args.workers) < 1:
        parser.error("stages, --jobs, --requests, --last-requests and --workers must be positive")
    if args.warmup < 0:
        parser.error("--warmup must not be negative")
    return args


def main() -> int:
    """Run the benchmark."""
    args = parse_args()
    # Run as a script, this file's folder comes first on the path, where `import ingest` would
    # find bench/ingest.py instead of pushgate's package. Its modules are imported.
    if Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        del sys.path[0]
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pushgate-scale-")))
        store: stores.Store = (
            stores.PostgreSQLStore(args.postgres, f"bench_{os.getpid()}")
            if args.engine == "postgresql"
            else stores.SQLiteStore(scratch)
        )
        try:
            pushgate = commands.Pushgate.at(args.pushgate.absolute(), scratch)
            context = ingest_bench.describe(pushgate, args)
            run = measure(args, pushgate, store, scratch)
        except (commands.CommandFailed, stores.StoreError, requests.RequestException) as error:
            sys.exit(f"bench: {error}")
    print(f"{run.title}:")
    print("\n".join([*table(run), "", targets_line(run)]))
    words = [ingest_bench._shown(sys.executable), *sys.argv]
    command = " ".join(ingest_bench._quoted(word) for word in words)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    results.write(args.results, args.section, run.title, part(run, command, when, context))
    progress(f"wrote the {run.title} part of section {args.section!r} of {args.results}")
    return 1 if args.check and judge(run).missed() else 0


if __name__ == "__main__":
    sys.exit(main())
