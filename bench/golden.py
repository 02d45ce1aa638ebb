"""Crawl the demo's pages and twins at several moments and write what each answered.

    python bench/golden.py DATABASE_URL OUT.json       # crawl and write
    python bench/golden.py --compare BEFORE.json AFTER.json

A refactoring of the read side must leave every page and twin as it was: crawl before, crawl
after, compare. Each URL maps to its status, its type and a digest of its body (the content
digest in asset URLs is left out, since it names the build, not the page).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import deque
from pathlib import Path
from urllib.parse import urlsplit

MOMENTS = ("2012-12-20", "2013-02-01", "2013-03-18", "2013-03-27", "2013-07-31")
ROOTS = ("/", "/api/v1/overview", "/api/v1/features", "/api/v1/flights", "/api/v1/releases")
LIMIT = 1200  # pages per moment
HREF = re.compile(r'href="(/[^"]*)"')
ASSET = re.compile(r"/assets/[0-9a-f]+/")


def crawl(url: str) -> dict[str, list[object]]:
    """Breadth first from ROOTS under each moment: every page, twin and CSV it links."""
    # Run as a script, this directory comes first on the path, and its ingest.py would hide
    # the ingest package: the app is imported from the checkout above it.
    root = str(Path(__file__).resolve().parents[1])
    sys.path[:] = [root, *(p for p in sys.path if p != str(Path(__file__).parent))]
    from web.app import create_app

    client = create_app({"DATABASE_URL": url, "NOW": "2013-07-31"}).test_client()
    answers: dict[str, list[object]] = {}
    for moment in MOMENTS:
        queue = deque(f"{root}?as_of={moment}" for root in ROOTS)
        seen = set(queue)
        crawled = 0
        while queue and crawled < LIMIT:
            path = queue.popleft()
            response = client.get(path)
            crawled += 1
            body = ASSET.sub("/assets/-/", response.get_data(as_text=True))
            answers[path] = [response.status_code, response.mimetype, _digest(body)]
            if response.mimetype != "text/html":
                continue
            for link in HREF.findall(body):
                link = link.replace("&amp;", "&")
                if urlsplit(link).path.startswith(("/static/", "/vendor/", "/assets/")):
                    continue
                if link not in seen:
                    seen.add(link)
                    queue.append(link)
    return answers


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def compare(before: dict[str, list[object]], after: dict[str, list[object]]) -> int:
    """Print each URL whose answer differs or that only one crawl reached; return how many."""
    differ = sorted(u for u in before.keys() & after.keys() if before[u] != after[u])
    only = sorted(before.keys() ^ after.keys())
    for url in differ:
        print(f"differs: {url} {before[url]} -> {after[url]}")
    for url in only:
        print(f"only in {'before' if url in before else 'after'}: {url}")
    print(
        f"{len(before)} before, {len(after)} after, {len(differ)} differ, {len(only)} in one only"
    )
    return len(differ) + len(only)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--compare"] and len(argv) == 3:
        with open(argv[1]) as first, open(argv[2]) as second:
            return 1 if compare(json.load(first), json.load(second)) else 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    answers = crawl(argv[0])
    with open(argv[1], "w") as out:
        json.dump(answers, out, indent=0, sort_keys=True)
    print(f"{len(answers)} URLs crawled", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
