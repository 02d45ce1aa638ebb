"""The texts of a flight's steps (message and output), kept out of memory from parse to store.

They are most of a big document's weight, and judging reads none of them: the parser hands each
step's texts to a `StepTexts` as it reads the step, and the store reads them back, in the order
of the flight's steps, while it writes the step rows. Up to IN_MEMORY bytes stay in memory; more
go to an anonymous temporary file, which the system frees when the `StepTexts` is closed or
dropped, however the process ends.
"""

from __future__ import annotations

import contextlib
import os
import struct
import tempfile
import weakref
from array import array
from collections.abc import Iterable, Iterator
from typing import IO, Any

IN_MEMORY = 8 * 1024 * 1024  # bytes of texts a flight keeps in memory before they go to disk
WRITE_EVERY = 256 * 1024  # bytes of records gathered before each write to the file
NO_TEXTS = -1  # where a step with neither message nor output is: nowhere
_HEADER = struct.Struct("<II")  # a record: the byte lengths of its message and its output
_ENCODING = ("utf-8", "surrogatepass")


class StepTexts:
    """The message and output of each step of one flight, read back in `Flight.steps()` order.

    Written while the document is parsed (`add`, then `arrange`), then read as often as the
    store needs (each iteration starts from the first step; one at a time). Spooled to a named
    file in `directory` instead, the texts can travel to another process, once: unpickling a
    `StepTexts` opens its file and removes its name, so that the receiver owns it.
    """

    def __init__(self, directory: str | None = None) -> None:
        # Each file is closed by close() or, when the StepTexts goes, by its finalizer.
        if directory is None:
            spooled = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115
            self._hold(spooled, None, array("q"))
        else:
            handle, path = tempfile.mkstemp(prefix="texts-", dir=directory)
            self._hold(open(handle, "w+b"), path, array("q"))  # noqa: SIM115

    def _hold(self, file: IO[bytes], path: str | None, order: array[int]) -> None:
        self._file = file
        self._path = path  # the file's name, while this process must remove it
        self._order = order
        self._gathered = bytearray()  # the newest records, not yet written to the file
        self._end = 0  # where the next record goes (a received StepTexts is only read)
        self._closing = weakref.finalize(self, file.close)

    @classmethod
    def _received(cls, path: str, order: array[int]) -> StepTexts:
        received = cls.__new__(cls)
        received._hold(open(path, "rb"), None, order)  # noqa: SIM115
        os.unlink(path)  # the open file lives on until it is closed
        return received

    def __reduce__(self) -> tuple[Any, ...]:
        if self._path is None:
            raise TypeError("texts spooled without a directory cannot leave their process")
        self._write()
        return (StepTexts._received, (self._path, self._order))

    def add(self, message: str, output: str) -> int:
        """Keep one step's texts; return where they are, for `arrange`."""
        if not message and not output:
            return NO_TEXTS
        said = message.encode(*_ENCODING)
        shown = output.encode(*_ENCODING)
        gathered = self._gathered
        gathered += _HEADER.pack(len(said), len(shown))
        gathered += said
        gathered += shown
        where = self._end
        self._end += _HEADER.size + len(said) + len(shown)
        if len(gathered) >= WRITE_EVERY:
            self._write()
        return where

    def _write(self) -> None:
        if self._gathered:
            self._file.seek(self._end - len(self._gathered))
            self._file.write(self._gathered)
            self._gathered.clear()
        self._file.flush()

    def arrange(self, places: Iterable[int]) -> None:
        """Say where each step's texts are (what `add` returned), in `Flight.steps()` order."""
        self._order = array("q", places)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        """Yield each step's (message, output), in `Flight.steps()` order."""
        self._write()
        file = self._file
        at = file.seek(0)
        for where in self._order:
            if where == NO_TEXTS:
                yield "", ""
                continue
            if where != at:
                file.seek(where)
            said, shown = _HEADER.unpack(file.read(_HEADER.size))
            body = file.read(said + shown)
            at = where + _HEADER.size + said + shown
            yield body[:said].decode(*_ENCODING), body[said:].decode(*_ENCODING)

    def close(self) -> None:
        """Let the texts go, and remove their named file if this process still holds its name."""
        self._closing()
        if self._path is not None:
            path, self._path = self._path, None
            with contextlib.suppress(FileNotFoundError):  # a receiver took it
                os.unlink(path)
