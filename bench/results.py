"""What a comparison measured, as a table for the terminal and as a part of bench/RESULTS.md.

RESULTS.md holds a section per `--section` (`latest` unless told) and, in each, a part per
engine; a run replaces its own part and leaves the rest of the file as it was.
"""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from commands import Pushgate
from history import History

HEADER = """# Ingest benchmark results

Written by `bench/ingest.py` (see its `--help`). Each run replaces its engine's part of its
section (`--section`, `latest` by default) and leaves the rest of this file alone. Rates are
testcases stored per second, the median of the rounds; a ratio is the median of the rounds'
ratios, each round timing both sides back to back.
"""


@dataclass(frozen=True)
class Comparison:
    """Everything one comparison measured: per-round rates in testcases per second."""

    engine: str
    floor_kind: str
    flights: int
    testcases: int
    megabytes: float
    jobs: int
    steps: int
    seed: int
    empty: Sequence[float]  # `flights` flights into an empty database
    floor: Sequence[float]  # the same flights, by the floor
    floor_target: float
    history_target: float
    history: History | None = None
    copying: str = ""  # how each round gets its copy of the history
    next_flights: int = 0
    next_testcases: int = 0
    empty_next: Sequence[float] = ()  # the story's first `next_flights` flights, empty database
    after: Sequence[float] = ()  # the `next_flights` flights after the history
    next_verdicts: dict[str, int] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)  # seconds

    def floor_ratio(self) -> float:
        """Return pushgate's rate into an empty database over the floor's."""
        return _paired(self.empty, self.floor)

    def history_ratio(self) -> float | None:
        """Return the rate after the history over the rate of as many flights into nothing."""
        return _paired(self.after, self.empty_next) if self.history else None

    def missed(self) -> bool:
        """Tell whether a target was missed."""
        ratio = self.history_ratio()
        return self.floor_ratio() < self.floor_target or (
            ratio is not None and ratio < self.history_target
        )


def _paired(mine: Sequence[float], other: Sequence[float]) -> float:
    # Each round times both back to back, so its ratio is a paired measurement: on a noisy
    # machine the median of the rounds' ratios is steadier than the ratio of the medians.
    return statistics.median(a / b for a, b in zip(mine, other, strict=True))


def _verdict(ratio: float, target: float) -> str:
    return f"{ratio:.2f} (target >= {target}: {'met' if ratio >= target else 'missed'})"


def machine() -> str:
    """Describe this machine: cores, memory and system."""
    model = ""
    if Path("/proc/cpuinfo").is_file():
        names = [
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ]
        model = f" ({names[0]})" if names else ""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores{model}, {memory:.1f} GiB of memory, {platform.platform()}"


def versions(pushgate: Pushgate, postgresql: str) -> str:
    """Describe what the pushgate under test runs on."""
    v = pushgate.versions
    return (
        f"Python {v['python']}, SQLite {v['sqlite']}, PostgreSQL {postgresql}; "
        f"SQLAlchemy {v['sqlalchemy']}, lxml {v['lxml']}, psycopg {v['psycopg'] or 'absent'}"
    )


def _phases(c: Comparison) -> str:
    said = [f"flights written in {c.phases['generate']:.0f} s"]
    if c.history is not None:
        h = c.history
        built = f"{h.generate_seconds:.0f} s to write + {h.ingest_seconds:.0f} s to ingest"
        said.append(
            f"history cached (built on {h.built} in {built})"
            if h.cached
            else f"history built now in {built}"
        )
    said.append(f"rounds {c.phases['rounds']:.0f} s")
    said.append(f"total {c.phases['total']:.0f} s")
    return "; ".join(said)


def _history_line(c: Comparison) -> str:
    h = c.history
    assert h is not None
    verdicts = ", ".join(f"{n} {v}" for v, n in h.verdicts.items())
    return (
        f"{h.flights} flights, {h.testcases:,} testcases; the gate judged {verdicts}, "
        f"pushed {h.pushed}; the story guessed {h.guessed} of {h.flights} (verdict and push)"
    )


def terminal(c: Comparison) -> list[str]:
    """Return the lines printed at the end of a comparison."""
    per_flight = c.testcases // c.flights
    lines = [
        f"{c.engine}: {c.flights} flights, {c.testcases:,} testcases, {c.megabytes:.1f} MB of"
        f" JUnit XML ({c.jobs} jobs x {c.steps} steps, about {per_flight:,} testcases a flight)",
        f"floor: {c.floor_kind}",
    ]
    if c.history is not None:
        lines.append(f"history: {_history_line(c)}")
        verdicts = ", ".join(f"{n} {v}" for v, n in c.next_verdicts.items())
        lines.append(f"then {c.next_flights} flights, {c.next_testcases:,} testcases: {verdicts}")
    columns = [(f"empty {c.flights}", c.empty), (f"floor {c.flights}", c.floor)]
    if c.history is not None:
        columns += [(f"empty {c.next_flights}", c.empty_next)]
        columns += [(f"after {c.history.flights}", c.after)]
    lines.append(f"{'round':<8}" + "".join(f"{title:>16}" for title, _ in columns))
    for n in range(len(c.empty)):
        lines.append(f"{n + 1:<8}" + "".join(f"{rates[n]:>16,.0f}" for _, rates in columns))
    medians = [statistics.median(rates) for _, rates in columns]
    lines.append(f"{'median':<8}" + "".join(f"{m:>16,.0f}" for m in medians))
    lines.append("testcases per second; a ratio is the median of the rounds' ratios")
    lines.append(f"empty/floor {_verdict(c.floor_ratio(), c.floor_target)}")
    ratio = c.history_ratio()
    if ratio is not None:
        lines.append(
            f"after/empty {_verdict(ratio, c.history_target)}, "
            f"as many flights a command on both sides"
        )
    lines.append(f"phases: {_phases(c)}")
    return lines


def part(c: Comparison, command: str, when: str, context: Sequence[str]) -> list[str]:
    """Return the lines of the engine's part of RESULTS.md."""
    per_flight = c.testcases // c.flights
    lines = [
        f"`{command}`, {when}.",
        "",
        *[f"- {line}" for line in context],
        f"- Flights: {c.jobs} jobs x {c.steps} steps, about {per_flight:,} testcases and"
        f" {c.megabytes / c.flights:.2f} MB of JUnit XML each (story seed {c.seed})",
        f"- Floor: {c.floor_kind}",
    ]
    if c.history is not None:
        lines.append(f"- History: {_history_line(c)}")
        lines.append(f"- History database: {c.copying}")
    lines += [
        f"- Phases: {_phases(c)}",
        "",
        "| pushgate ingest | flights | testcases | median tc/s | ratio | target |",
        "| --- | ---: | ---: | ---: | --- | --- |",
        f"| the floor | {c.flights} | {c.testcases:,} | {statistics.median(c.floor):,.0f} | | |",
        f"| into an empty database | {c.flights} | {c.testcases:,} |"
        f" {statistics.median(c.empty):,.0f} | {c.floor_ratio():.2f} of the floor |"
        f" >= {c.floor_target} |",
    ]
    ratio = c.history_ratio()
    if c.history is not None and ratio is not None:
        lines += [
            f"| into an empty database | {c.next_flights} | {c.next_testcases:,} |"
            f" {statistics.median(c.empty_next):,.0f} | | |",
            f"| after {c.history.flights} flights | {c.next_flights} | {c.next_testcases:,} |"
            f" {statistics.median(c.after):,.0f} | {ratio:.2f} of the empty one |"
            f" >= {c.history_target} |",
        ]
    rounds = [("empty", c.empty), ("floor", c.floor)]
    if c.history is not None:
        rounds += [(f"empty {c.next_flights}", c.empty_next), ("after history", c.after)]
    said = "; ".join(f"{name} {', '.join(f'{r:,.0f}' for r in rates)}" for name, rates in rounds)
    lines += ["", f"Rounds (tc/s): {said}."]
    return lines


@dataclass
class _Section:
    title: str
    intro: list[str] = field(default_factory=list)
    parts: dict[str, list[str]] = field(default_factory=dict)


def write(path: Path, section: str, engine: str, lines: Sequence[str]) -> None:
    """Put an engine's part into a section of RESULTS.md, replacing the one it had."""
    text = path.read_text() if path.is_file() else ""
    preamble, sections = _parse(text if text.strip() else HEADER)
    found = next((s for s in sections if s.title == section), None)
    if found is None:
        found = _Section(section)
        sections.append(found)
    found.parts[engine] = list(lines)
    out = [*_strip(preamble), ""]
    for s in sections:
        intro = _strip(s.intro)
        out += [f"## {s.title}", "", *intro, *([""] if intro else [])]
        for title, body in s.parts.items():
            out += [f"### {title}", "", *_strip(body), ""]
    path.write_text("\n".join(_strip(out)) + "\n")


def _parse(text: str) -> tuple[list[str], list[_Section]]:
    preamble: list[str] = []
    sections: list[_Section] = []
    part: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            sections.append(_Section(line[3:].strip()))
            part = None
        elif line.startswith("### ") and sections:
            part = sections[-1].parts.setdefault(line[4:].strip(), [])
        elif part is not None:
            part.append(line)
        elif sections:
            sections[-1].intro.append(line)
        else:
            preamble.append(line)
    return preamble, sections


def _strip(lines: Sequence[str]) -> list[str]:
    """Drop the blank lines at both ends."""
    kept = list(lines)
    while kept and not kept[0].strip():
        kept.pop(0)
    while kept and not kept[-1].strip():
        kept.pop()
    return kept
