"""Fuzz the JUnit reader with random mutations of the shared corpus; not part of the test run.

    python -m bench.fuzz_junit [--seconds 30] [--seed N] [--corpus DIR]

(run as a module: bench/ingest.py would shadow the ingest package).

Every mutated document must parse or raise the reader's own IngestError; anything else is a bug,
printed with its seed, which `--seed` replays. Prints the counts at the end.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

from ingest.junit import parse_flight
from ingest.source import IngestError, open_capped

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "junit-corpus"
CAP = 5_000_000
SNIPPETS = [
    b"<testcase name='9 x'>",
    b"</testcase>",
    b"<testsuite>",
    b"<failure message='m'/>",
    b"<properties><property name='osstest.stepno' value='99999999999999999999'/></properties>",
    b"<property name='osstest.flight' value='-1'/>",
    b' xmlns="urn:x"',
    b' time="1,2e5s"',
    b"<![CDATA[",
    b"&amp;",
    b"&#0;",
    b"\x00",
    b"\xff",
    b"<!DOCTYPE x>",
    b"<x><y/></x>",
]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """Apply one to four random edits: cut, duplicate, delete, flip a byte or insert a snippet."""
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(data) + 1)
        kind = rng.randrange(5)
        if kind == 0:
            data = data[:at]
        elif kind == 1:
            end = min(len(data), at + rng.randint(1, 200))
            data = data[:end] + data[at:end] + data[end:]
        elif kind == 2:
            data = data[:at] + data[at + rng.randint(1, 50) :]
        elif kind == 3 and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([rng.randrange(256)]) + data[at + 1 :]
        else:
            data = data[:at] + rng.choice(SNIPPETS) + data[at:]
    return data


def main(argv: list[str] | None = None) -> int:
    """Mutate and parse until the time is up; return 1 if any document raised something else."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to run")
    parser.add_argument("--seed", type=int, default=None, help="seed of the first document")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder of seed documents")
    args = parser.parse_args(argv)
    seeds = [p.read_bytes() for p in sorted(args.corpus.rglob("*")) if p.is_file()]
    seeds = [s for s in seeds if s.lstrip().startswith(b"<")]
    if not seeds:
        print(f"no seed documents below {args.corpus}", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    counts: Counter[str] = Counter()
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        rng = random.Random(seed)
        data = mutate(rng.choice(seeds), rng)
        try:
            parse_flight(open_capped(io.BytesIO(data), CAP))
            counts["parsed"] += 1
        except IngestError:
            counts["refused"] += 1
        except Exception:  # noqa: BLE001 - finding these is the point
            counts["crashed"] += 1
            print(f"seed {seed}: {traceback.format_exc(limit=-3)}", file=sys.stderr)
        seed += 1
    print(" ".join(f"{k}={counts[k]}" for k in ("parsed", "refused", "crashed")))
    return 1 if counts["crashed"] else 0


if __name__ == "__main__":
    sys.exit(main())
