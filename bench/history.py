"""A database that already holds the story's first N flights, built once and kept in a cache.

The cache key is everything the built database depends on: the story's code and parameters, the
engine (and server), and the source of the pushgate that built it, so that a history is never
used by code that would have stored it otherwise. A few histories are kept per engine, the most
recently used ones.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import story
from commands import Pushgate
from stores import PostgreSQLStore, Store

KEEP = 3  # histories kept per engine


@dataclass(frozen=True)
class History:
    """A built history: where it is, what it holds, and what building it cost."""

    key: str
    database: str
    flights: int
    testcases: int
    generate_seconds: float
    ingest_seconds: float
    built: str  # when, in UTC
    verdicts: dict[str, int]  # the gate's verdicts of its flights
    pushed: int  # flights the gate pushed
    guessed: int  # flights whose verdict and push the story guessed right
    cached: bool = False


def cache_key(store: Store, pushgate: Pushgate, seed: int, plan: story.Plan, flights: int) -> str:
    """Return the key of the history that these parameters build."""
    parts = {
        "story": hashlib.sha256(Path(story.__file__).read_bytes()).hexdigest(),
        "seed": seed,
        "jobs": {job: list(testids) for job, testids in plan.jobs.items()},
        "flights": flights,
        "engine": store.engine,
        "server": store.url if isinstance(store, PostgreSQLStore) else "",
        "pushgate": pushgate.digest,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def history(
    store: Store,
    pushgate: Pushgate,
    cache: Path,
    seed: int,
    plan: story.Plan,
    specs: Sequence[story.Spec],
    say: Callable[[str], None],
) -> History:
    """Return the history of these flights: the cached one, or one built now."""
    key = cache_key(store, pushgate, seed, plan, len(specs))
    entry = cache / f"{store.engine}-{key}"
    meta = entry / "meta.json"
    if meta.is_file():
        found = History(**json.loads(meta.read_text()))
        if store.holds(found.database):
            meta.touch()  # recently used: pruned last
            return History(**{**asdict(found), "cached": True})
    _prune(store, cache, keep=KEEP - 1)
    built = _build(store, pushgate, entry, store.history_name(key, entry), seed, plan, specs, say)
    meta.write_text(json.dumps(asdict(built), indent=2))
    return built


def _build(
    store: Store,
    pushgate: Pushgate,
    entry: Path,
    database: str,
    seed: int,
    plan: story.Plan,
    specs: Sequence[story.Spec],
    say: Callable[[str], None],
) -> History:
    flights_dir = entry / "flights"
    shutil.rmtree(flights_dir, ignore_errors=True)
    entry.mkdir(parents=True, exist_ok=True)
    say(f"building a history of {len(specs)} flights, once (it is cached in {entry})")
    start = time.perf_counter()
    testcases = story.write_specs(seed, plan, specs, flights_dir, say)
    generate_seconds = time.perf_counter() - start
    say(f"wrote {len(specs)} flights in {generate_seconds:.0f} s; pushgate ingest...")

    def watch(done: int, seconds: float) -> None:
        say(f"history: {done}/{len(specs)} flights ingested in {seconds:.0f} s")

    with store.building(database) as url:
        pushgate.upgrade(url)
        ingest_seconds, _ = pushgate.ingest_watched(url, flights_dir, testcases, watch)
        judged = {int(f["flight"]): f for f in pushgate.flights(url, len(specs))}  # type: ignore[call-overload]
    shutil.rmtree(flights_dir)
    guessed = sum(
        (judged[s.number]["verdict"], judged[s.number]["pushed"]) == (s.verdict, s.pushed)
        for s in specs
    )
    return History(
        key=entry.name,
        database=database,
        flights=len(specs),
        testcases=testcases,
        generate_seconds=round(generate_seconds, 1),
        ingest_seconds=round(ingest_seconds, 1),
        built=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        verdicts=dict(Counter(str(f["verdict"]) for f in judged.values()).most_common()),
        pushed=sum(bool(f["pushed"]) for f in judged.values()),
        guessed=guessed,
    )


def _prune(store: Store, cache: Path, keep: int) -> None:
    """Remove all but the `keep` most recently used histories of the store's engine."""
    metas = sorted(cache.glob(f"{store.engine}-*/meta.json"), key=lambda p: -p.stat().st_mtime)
    for meta in metas[keep:]:
        store.forget(json.loads(meta.read_text())["database"])
        shutil.rmtree(meta.parent)
    if isinstance(store, PostgreSQLStore):  # and those whose cache entry is gone
        known = {json.loads(m.read_text())["database"] for m in metas[:keep]}
        for name in set(store.histories()) - known:
            if not name.endswith("_partial"):  # another run may be building it now
                store.forget(name)
