"""Benchmark `pushgate ingest`: against a floor, and as the history it ingests into grows.

Plays a story of osstest-like flights (story.py), then, round after round, each command in a
process of its own: times `pushgate ingest` of the first flights into an empty database and the
floor (floor.py) over the same files; and, unless --history 0, the flights that follow a history
of N flights into a copy of a database that already holds them, beside as many flights into an
empty one. The history is built once and cached. Prints the medians and the ratios and writes
them to bench/RESULTS.md. With --big, ingests very large flights (--shape) and reports pushgate's
peak RSS of each against its target, also in bench/RESULTS.md. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import commands
import floor
import history
import results
import stores
import story

FLOOR_TARGETS = {"sqlite": 0.5, "postgresql": 0.3}  # pushgate's rate over the floor's (issue 11)
HISTORY_TARGET = 0.8  # the rate after the history over the rate into an empty database
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
RESULTS = Path(__file__).with_name("RESULTS.md")
CACHE = Path(tempfile.gettempdir(), "pushgate-bench-cache")


def progress(text: str) -> None:
    """Tell the person waiting what is happening."""
    print(f"bench: {text}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Inputs:
    """The flights that the rounds ingest, each set in a directory of its own."""

    flights: Path  # the story's first --flights flights
    testcases: int
    megabytes: float
    first: Path  # its first --next flights
    first_testcases: int
    later: Path  # the --next flights after the history
    later_testcases: int


def write_inputs(
    args: argparse.Namespace, plan: story.Plan, specs: list[story.Spec], scratch: Path
) -> Inputs:
    """Write the flights of the rounds."""
    progress(f"writing {args.flights} flights of {args.jobs} jobs x {args.steps} steps...")
    flights = args.out or scratch / "flights"
    testcases = story.write_specs(args.seed, plan, specs[: args.flights], flights)
    size = sum(p.stat().st_size for p in flights.glob("*.xml")) / story.MB
    if not args.history:
        return Inputs(flights, testcases, size, flights, testcases, scratch / "later", 0)
    progress(f"writing the {args.next} flights after flight {args.history}...")
    later = scratch / "later"
    later_testcases = story.write_specs(
        args.seed, plan, specs[args.history : args.history + args.next], later
    )
    if args.next == args.flights:
        return Inputs(flights, testcases, size, flights, testcases, later, later_testcases)
    first = scratch / "first"
    first_testcases = story.write_specs(args.seed, plan, specs[: args.next], first)
    return Inputs(flights, testcases, size, first, first_testcases, later, later_testcases)


@dataclass
class Rates:
    """Testcases per second of each round, and the verdicts of the flights after the history."""

    empty: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    empty_next: list[float] = field(default_factory=list)
    after: list[float] = field(default_factory=list)
    verdicts: Counter[str] = field(default_factory=Counter)


def time_rounds(
    args: argparse.Namespace,
    pushgate: commands.Pushgate,
    store: stores.Store,
    inputs: Inputs,
    built: history.History | None,
) -> Rates:
    """Time each round: pushgate into an empty database, the floor, then after the history."""
    rates = Rates()
    for n in range(1, args.rounds + 1):
        say = f"round {n}/{args.rounds}: pushgate ingest of"
        progress(f"{say} {args.flights} flights into an empty database")
        rates.empty.append(
            time_empty(pushgate, store, f"empty{n}", inputs.flights, inputs.testcases)
        )
        progress(f"round {n}/{args.rounds}: the floor")
        with store.fresh(f"floor{n}") as url:
            seconds = commands.floor(inputs.flights, url, inputs.testcases, pushgate.cwd)
        rates.floor.append(inputs.testcases / seconds)
        if built is None:
            continue
        if inputs.first == inputs.flights:
            rates.empty_next.append(rates.empty[-1])
        else:
            progress(f"{say} {args.next} flights into an empty database")
            first, testcases = inputs.first, inputs.first_testcases
            rates.empty_next.append(time_empty(pushgate, store, f"first{n}", first, testcases))
        progress(f"{say} {args.next} flights after {args.history}")
        with store.copy(built.database, f"history{n}") as url:
            seconds, stored, _ = pushgate.ingest(url, inputs.later, inputs.later_testcases)
        rates.after.append(inputs.later_testcases / seconds)
        rates.verdicts = Counter(str(r["verdict"]) for r in stored)
    return rates


def time_empty(
    pushgate: commands.Pushgate, store: stores.Store, name: str, flights: Path, testcases: int
) -> float:
    """Ingest flights into an empty database; return the testcases stored per second."""
    with store.fresh(name) as url:
        pushgate.upgrade(url)
        seconds, _, _ = pushgate.ingest(url, flights, testcases)
    return testcases / seconds


def compare(
    args: argparse.Namespace, pushgate: commands.Pushgate, store: stores.Store, scratch: Path
) -> results.Comparison:
    """Time pushgate and the floor over the same flights, and pushgate after the history."""
    started = time.perf_counter()
    plan = story.make_plan(args.seed, args.jobs, args.steps)
    specs = story.play(args.seed, plan, max(args.flights, args.history + args.next))
    inputs = write_inputs(args, plan, specs, scratch)
    generated = time.perf_counter()
    built = None
    if args.history:
        built = history.history(
            store, pushgate, args.cache, args.seed, plan, specs[: args.history], progress
        )
        if built.cached:
            progress(f"the history of {args.history} flights is cached: {built.database}")
    rounds_started = time.perf_counter()
    rates = time_rounds(args, pushgate, store, inputs, built)
    finished = time.perf_counter()
    return results.Comparison(
        engine=store.title,
        floor_kind=floor.KINDS[store.engine],
        flights=args.flights,
        testcases=inputs.testcases,
        megabytes=inputs.megabytes,
        jobs=len(plan.jobs),
        steps=args.steps,
        seed=args.seed,
        empty=rates.empty,
        floor=rates.floor,
        floor_target=FLOOR_TARGETS[store.engine],
        history_target=HISTORY_TARGET,
        history=built,
        copying=store.copying,
        next_flights=args.next if built else 0,
        next_testcases=inputs.later_testcases,
        empty_next=rates.empty_next,
        after=rates.after,
        next_verdicts=dict(rates.verdicts.most_common()),
        phases={
            "generate": generated - started,
            "rounds": finished - rounds_started,
            "total": finished - started,
        },
    )


@dataclass(frozen=True)
class Shape:
    """A very large flight of the --big run, and the peak RSS its ingest must stay under."""

    name: str
    what: str
    target_mb: int  # issue 25: a 150 MB flight under 200 MB, the 650,000 steps under 250 MB


SHAPES = {
    "logs": Shape("logs", "the story's jobs, every step failing with a long log", 200),
    "steps": Shape("steps", f"{150_000:,} passing steps with a log each", 200),
    "tiny": Shape("tiny", f"{650_000:,} passing steps without a log", 250),
}
STEPS_PER_JOB = 40  # in the flights of many steps, as osstest's longest jobs


@dataclass(frozen=True)
class Peak:
    """One big flight's ingest: how big it was, how long it took and the peak RSS."""

    shape: Shape
    testcases: int
    megabytes: float
    seconds: float
    rss_mb: int

    @property
    def met(self) -> bool:
        return self.rss_mb < self.shape.target_mb


def write_steps(path: Path, steps: int, log: int) -> int:
    """Write one flight of `steps` passing steps, in jobs of STEPS_PER_JOB, each step with `log`
    bytes of output (none when 0); return how many testcases it holds. Streamed: the generator
    holds one log. The job names begin one another (`...-xl-1`, `...-xl-10`), as osstest's do."""
    line = b"console line of a long log\n"
    output = (line * (log // len(line) + 1))[:log]
    jobs = steps // STEPS_PER_JOB
    with path.open("wb") as out:
        out.write(b"<testsuites>")
        for job in range(1, jobs + 1):
            out.write(b'<testsuite name="test-amd64-amd64-xl-%d"><properties>' % job)
            out.write(b'<property name="osstest.flight" value="%d"/>' % story.FIRST_FLIGHT)
            out.write(b'<property name="osstest.branch" value="%s"/>' % story.BRANCH.encode())
            out.write(b"</properties>")
            for n in range(1, STEPS_PER_JOB + 1):
                out.write(b'<testcase name="%d step-%d" time="1.5">' % (n, n))
                if output:
                    out.write(b"<system-out>" + output + b"</system-out>")
                out.write(b"</testcase>")
            out.write(b"</testsuite>")
        out.write(b"</testsuites>")
    return jobs * STEPS_PER_JOB


def write_big(args: argparse.Namespace, shape: Shape, directory: Path) -> int:
    """Write the big flight of a shape into an empty directory; return its testcases."""
    directory.mkdir(parents=True, exist_ok=True)
    document = directory / f"{story.FIRST_FLIGHT}.xml"
    if shape.name == "tiny":
        return write_steps(document, 650_000, 0)
    if shape.name == "steps":
        markup = 80  # bytes of XML around each step's log, its job's share included
        return write_steps(document, 150_000, max(0, args.big_mb * story.MB // 150_000 - markup))
    plan = story.make_plan(args.seed, args.jobs, args.steps)
    rng = random.Random(f"{args.seed}:big")
    sha, outcomes = rng.randbytes(20).hex(), story.big_outcomes(rng, plan, args.big_mb)
    flight = story.make_flight(rng, story.FIRST_FLIGHT, plan, sha, sha, outcomes)
    return story.write(flight, directory)


def big(
    args: argparse.Namespace, pushgate: commands.Pushgate, store: stores.Store, scratch: Path
) -> list[Peak]:
    """Ingest one very large flight of each shape asked for; return its time and peak RSS."""
    peaks = []
    for shape in [SHAPES[args.shape]] if args.shape != "all" else list(SHAPES.values()):
        directory = (args.out or scratch / "flights") / shape.name
        progress(f"writing the {shape.name} flight: {shape.what}...")
        testcases = write_big(args, shape, directory)
        size = (directory / f"{story.FIRST_FLIGHT}.xml").stat().st_size / story.MB
        progress(f"wrote {size:.1f} MB; pushgate ingest of it...")
        with store.fresh(f"big_{shape.name}") as url:
            pushgate.upgrade(url)
            seconds, _, stderr = pushgate.ingest(url, directory, testcases, rss=True)
        rss_mb = int(stderr.rsplit("maxrss", 1)[-1]) // 1024
        peaks.append(Peak(shape, testcases, size, seconds, rss_mb))
        if not args.out:
            for path in directory.iterdir():
                path.unlink()
    return peaks


def peak_lines(peaks: list[Peak]) -> list[str]:
    """Return the table of the big flights: each one's figure, target and whether it was met."""
    lines = [
        "| flight | testcases | MB of JUnit XML | ingest s | tc/s | peak RSS MB | target | |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for p in peaks:
        lines.append(
            f"| {p.shape.name}: {p.shape.what} | {p.testcases:,} | {p.megabytes:.1f} |"
            f" {p.seconds:.1f} | {p.testcases / p.seconds:,.0f} | {p.rss_mb} |"
            f" < {p.shape.target_mb} MB | {'met' if p.met else 'missed'} |"
        )
    return lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--flights", type=int, default=40, help="flights into an empty database (default 40)")
    add("--jobs", type=int, default=150, help="jobs per flight (default 150, at most 167)")
    add("--steps", type=int, help="steps per job (default 12, 16 with --big; 4 to 16)")
    add("--history", type=int, default=1000, help="flights of history (default 1000; 0: none)")
    add("--next", type=int, default=20, help="flights timed after the history (default 20)")
    add("--rounds", type=int, default=5, help="rounds of each (default 5)")
    add("--seed", type=int, default=4242, help="seed of the story")
    add("--engine", choices=("sqlite", "postgresql"), default="sqlite", help="default sqlite")
    add("--postgres", default=POSTGRES_URL, metavar="URL", help=f"server (default {POSTGRES_URL})")
    add("--pushgate", type=Path, default=Path(sys.executable).with_name("pushgate"),
        help="the pushgate executable to measure (default: the one beside this Python)")  # fmt: skip
    add("--cache", type=Path, default=CACHE, help=f"where histories are kept (default {CACHE})")
    add("--results", type=Path, default=RESULTS, help="the results file (default bench/RESULTS.md)")
    add("--section", default="latest", help="its section for this run (default latest)")
    add("--note", action="append", default=[], help="a line to add to the results, repeatable")
    add("--out", type=Path, help="write the flights into DIR and keep them")
    add("--check", action="store_true", help="exit 1 when a target is missed")
    add("--big", action="store_true", help="ingest very large flights; report peak RSS")
    add("--shape", choices=(*SHAPES, "all"), default="all",
        help="with --big: which flight (default all: " + ", ".join(SHAPES) + ")")  # fmt: skip
    add("--big-mb", type=int, default=150, help="the logs and steps flights' MB (default 150)")
    args = parser.parse_args(argv)
    args.steps = args.steps or (16 if args.big else 12)
    if not story.MIN_STEPS <= args.steps <= len(story.TEST_STEPS) + 1:
        parser.error(f"--steps must be from {story.MIN_STEPS} to {len(story.TEST_STEPS) + 1}")
    if min(args.flights, args.next, args.rounds, args.jobs) < 1 or args.history < 0:
        parser.error(
            "--flights, --next, --rounds and --jobs must be positive, --history not negative"
        )
    return args


def describe(pushgate: commands.Pushgate, args: argparse.Namespace) -> list[str]:
    """Return the lines that say what was measured, on what."""
    server = stores.PostgreSQLStore(args.postgres, "")
    try:
        postgresql = server.version()
    except stores.StoreError:
        postgresql = "(no server answered)"
    return [
        f"Machine: {results.machine()}",
        f"Versions: {results.versions(pushgate, postgresql)}",
        f"pushgate: {pushgate.executable}, source {pushgate.source} ({pushgate.revision()},"
        f" digest {pushgate.digest[:12]})",
        *args.note,
    ]


def _quoted(word: str) -> str:
    # shlex quotes a ' as '"'"': double quotes read better where nothing in them expands.
    if "'" in word and not any(c in word for c in '"$`\\!'):
        return f'"{word}"'
    return shlex.quote(word)


def _shown(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def main() -> int:
    """Run the benchmark."""
    args = parse_args()
    # Run as a script, this file's folder comes first on the path, where `import ingest` would
    # find this file (bench/ingest.py) instead of pushgate's package. Its modules are imported.
    if Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        del sys.path[0]
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pushgate-bench-")))
        store: stores.Store = (
            stores.PostgreSQLStore(args.postgres, f"bench_{os.getpid()}")
            if args.engine == "postgresql"
            else stores.SQLiteStore(scratch)
        )
        try:
            pushgate = commands.Pushgate.at(args.pushgate.absolute(), scratch)
            context = describe(pushgate, args)
            if args.big:
                peaks = big(args, pushgate, store, scratch)
            else:
                found = compare(args, pushgate, store, scratch)
        except (commands.CommandFailed, stores.StoreError) as error:
            sys.exit(f"bench: {error}")
    command = " ".join(_quoted(word) for word in [_shown(sys.executable), *sys.argv])
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if args.big:
        table = peak_lines(peaks)
        print(f"peak RSS of pushgate ingest, one flight each ({store.title})")
        print("\n".join(table))
        lines = [f"`{command}`, {when}.", "", *[f"- {line}" for line in context], "", *table]
        title = f"{store.title}: peak memory"
        results.write(args.results, args.section, title, lines)
        progress(f"wrote the {title!r} part of section {args.section!r} of {args.results}")
        return 1 if args.check and not all(p.met for p in peaks) else 0
    print("\n".join(results.terminal(found)))
    results.write(
        args.results, args.section, found.engine, results.part(found, command, when, context)
    )
    progress(f"wrote the {found.engine} part of section {args.section!r} of {args.results}")
    return 1 if args.check and found.missed() else 0


if __name__ == "__main__":
    sys.exit(main())
