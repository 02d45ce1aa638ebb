"""Failure signatures: what a failing step said, with what differs from one run to the next
taken out, so that the same cause on other flights, hosts and days reads the same.

A signature is made of the first lines of the step's failure: its JUnit message, then its text,
each line once. In them, moments, addresses, long hex numbers (commits, hashes), the
directories of paths, the names of the hosts the job ran on, IP addresses and numbers are
replaced by placeholders. Two failures with the same signature are one cluster.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

LINES = 3  # lines of the failure a signature is made from
# A message that only names the outcome says nothing of its cause (osstest writes `fail`).
SAYS_NOTHING = frozenset(("fail", "failed", "failure", "error", "broken"))
LONGEST = 200  # characters a signature keeps
TIME, ADDR, HEX, PATH, HOST, IP, N = "<TIME>", "<ADDR>", "<HEX>", "<PATH>", "<HOST>", "<IP>", "<N>"

# A moment, with its zone when it says one (`Z`, ` Z` as osstest's logs write it, `UTC`, `+01:00`).
_ZONE = r"(?:\s?(?:Z|UTC)\b|[+-]\d{2}:?\d{2})?"
_MOMENT = re.compile(
    rf"\b\d{{4}}-\d{{2}}-\d{{2}}(?:[T ]\d{{1,2}}:\d{{2}}(?::\d{{2}}(?:[.,]\d+)?)?)?{_ZONE}"
    rf"|\b\d{{1,2}}:\d{{2}}:\d{{2}}(?:[.,]\d+)?\b{_ZONE}"
)
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]+\b")
_LONG_HEX = re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,}\b")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b")
# A path of two or more directories keeps only its last part: the file it names.
_PATH = re.compile(r"(?<![\w.])(?:[A-Za-z]:)?(?:[/\\][\w.+@~-]+){2,}(?=[/\\][^/\\\s:]+)[/\\]")
# A number, or one with a unit (`120s`, `5ms`); never one inside a name (`x10`, `sda1`).
_NUMBER = re.compile(r"(?<![\w<])[-+]?\d+(?:\.\d+)?(?=(?:[a-zA-Z]{1,3})?(?![\w>]))")
_SPACE = re.compile(r"\s+")


def failure_lines(message: str | None, text: str | None) -> list[str]:
    """Return the first LINES non-empty lines of a failure's message, then its text, leaving
    out a line that holds another or is held by it, and one that only names the outcome."""
    found: list[str] = []
    for part in (message, text):
        for line in (part or "").splitlines():
            line = _SPACE.sub(" ", line).strip()
            if line.lower() in SAYS_NOTHING:
                continue
            # A text that repeats its message (`AssertionError: <the message>`) adds nothing.
            if line and not any(line in seen or seen in line for seen in found):
                found.append(line)
            if len(found) == LINES:
                return found
    return found


def normalise(line: str, hosts: Iterable[str] = ()) -> str:
    """Replace in one line what varies between runs of the same failure by placeholders."""
    for host in sorted({h for h in hosts if h}, key=len, reverse=True):
        line = re.sub(rf"(?<![\w-]){re.escape(host)}(?![\w-])", HOST, line)
    line = _MOMENT.sub(TIME, line)
    line = _ADDRESS.sub(ADDR, line)
    line = _IPV4.sub(IP, line)
    line = _LONG_HEX.sub(HEX, line)
    line = _PATH.sub(f"{PATH}/", line)
    return _NUMBER.sub(N, line)


def signature(message: str | None, text: str | None, hosts: Iterable[str] = ()) -> str | None:
    """Return the signature of a failure (None when it said nothing): its first lines, each
    normalised, joined by ` / `, at most LONGEST characters."""
    lines = failure_lines(message, text)
    if not lines:
        return None
    kept = list(hosts)
    joined = " / ".join(normalise(line, kept) for line in lines)
    return joined if len(joined) <= LONGEST else joined[: LONGEST - 1] + "…"


def digest(signature: str) -> str:
    """Return the key a signature is stored under: a digest of its text."""
    return hashlib.sha256(signature.encode()).hexdigest()[:20]
