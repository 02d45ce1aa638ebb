"""Where results documents come from: paths, directories and globs; capped, hashed byte streams;
and what the caller says beside them (allow lists, TREE=SHA revisions)."""

from __future__ import annotations

import glob
import gzip
import hashlib
import io
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from gate.allow import BRANCH_PREFIX, AllowFile, AllowList, AllowListError

GZIP_MAGIC = b"\x1f\x8b"


class IngestError(Exception):
    """A results document that cannot be ingested; the message is the reason, in one sentence."""


class DocumentTooLarge(IngestError):
    """A document over the size limit."""


class NotATreeRevision(ValueError):
    """A revision that is not written TREE=SHA; `value` is what was given."""

    def __init__(self, value: str) -> None:
        super().__init__(f"expected TREE=SHA, got {value!r}")
        self.value = value


class CappedReader(io.RawIOBase):
    """A read-only stream that hashes what it reads and refuses to read more than `cap` bytes."""

    def __init__(self, raw: BinaryIO, cap: int) -> None:
        self._raw = raw
        self._cap = cap
        self.size = 0
        self._hash = hashlib.sha256()
        self._ahead = b""

    def readable(self) -> bool:
        return True

    def _read(self, size: int) -> bytes:
        try:
            chunk = self._raw.read(size)
        except (OSError, EOFError, zlib.error) as exc:
            raise IngestError(f"cannot read the document: {exc}") from exc
        self.size += len(chunk)
        if self.size > self._cap:
            raise DocumentTooLarge(f"document is larger than the limit of {self._cap} bytes")
        self._hash.update(chunk)
        return chunk

    def peek(self, size: int = 65536) -> bytes:
        """Return the next bytes without consuming them (for sniffing the document's start)."""
        while len(self._ahead) < size:
            chunk = self._read(size - len(self._ahead))
            if not chunk:
                break
            self._ahead += chunk
        return self._ahead[:size]

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._ahead:
            n = min(len(buffer), len(self._ahead))
            buffer[:n] = self._ahead[:n]
            self._ahead = self._ahead[n:]
            return n
        chunk = self._read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def drain(self) -> None:
        """Read to the end, so that the digest covers the whole document."""
        while self.read(65536):
            pass

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def close(self) -> None:
        self._raw.close()
        super().close()


def decompressing(raw: BinaryIO) -> BinaryIO:
    """Return a stream of the document's bytes, gunzipped when it starts with gzip's magic."""
    # Peeking needs a buffered stream; open(path, "rb") is one already, BytesIO is not.
    buffered: Any = raw if hasattr(raw, "peek") else io.BufferedReader(cast(Any, raw))
    if buffered.peek(2)[:2] == GZIP_MAGIC:
        return cast(BinaryIO, gzip.GzipFile(fileobj=buffered, mode="rb"))
    return cast(BinaryIO, buffered)


def open_capped(raw: BinaryIO, cap: int) -> CappedReader:
    """Wrap a binary stream (gzip or not) so that it is capped and hashed after decompression."""
    return CappedReader(decompressing(raw), cap)


@dataclass(frozen=True)
class Input:
    """One thing named on the command line: a document's path, or the reason it names none."""

    path: str
    error: str | None = None


def tree_revisions(values: Iterable[str]) -> dict[str, str]:
    """Read TREE=SHA pairs (a flight's tested or baseline revisions), the last one of a tree winning.

    Raises NotATreeRevision for a value without a tree or a SHA.
    """
    pairs = {}
    for value in values:
        tree, sep, sha = value.partition("=")
        if not sep or not tree.strip() or not sha.strip():
            raise NotATreeRevision(value)
        pairs[tree.strip()] = sha.strip()
    return pairs


def _read_allow_file(path: Path) -> AllowFile:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise AllowListError(f"cannot read allow file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise AllowListError(f"cannot read allow file {path}: it is not UTF-8 text") from None
    return AllowFile(str(path), text)


def _allow_directory(directory: Path) -> dict[str, AllowFile]:
    try:
        names = sorted(p.name for p in directory.iterdir() if p.name.startswith(BRANCH_PREFIX))
    except OSError as exc:
        raise AllowListError(f"cannot read allow directory {directory}: {exc.strerror}") from None
    # Like osstest, a file that is not there (a dangling link, say) is no allow file at all.
    return {
        name: _read_allow_file(directory / name) for name in names if (directory / name).exists()
    }


def read_allow_list(path: str = "", *, directory: str = "") -> AllowList:
    """Read every branch's allow list: the directory's allow.all and allow.BRANCH, then `path`.

    An empty name means none. A file the directory lacks is simply absent, as osstest ignores
    an allow file that does not exist; a missing `path` or directory is refused. Raises
    AllowListError.
    """
    after = [_read_allow_file(Path(path))] if path else []
    if not directory:
        return AllowList.read(after)
    return AllowList.from_directory(_allow_directory(Path(directory)), after=after)


def _natural(path: str) -> list[object]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path)]


def _documents_below(directory: Path) -> list[str]:
    found = [
        str(p)
        for p in directory.rglob("*")
        if p.is_file() and (p.name.endswith(".xml") or p.name.endswith(".xml.gz"))
    ]
    return sorted(found, key=_natural)


def expand(names: Iterable[str]) -> list[Input]:
    """Expand files, directories (every *.xml and *.xml.gz below) and globs, in natural order."""
    inputs: list[Input] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            below = _documents_below(path)
            inputs += [Input(p) for p in below] or [Input(name, "no *.xml or *.xml.gz files below")]
        elif path.is_file():
            inputs.append(Input(name))
        elif glob.has_magic(name):
            matches = sorted(glob.glob(name, recursive=True), key=_natural)
            if not matches:
                inputs.append(Input(name, "no file matches this pattern"))
            for match in matches:
                inputs += expand([match]) if Path(match).is_dir() else [Input(match)]
        else:
            inputs.append(Input(name, "no such file or directory"))
    return inputs
