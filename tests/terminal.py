"""Run `pushgate` with its stderr on a real pseudo-terminal, as a person at a terminal sees it."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PUSHGATE = str(Path(sys.executable).with_name("pushgate"))


@dataclass(frozen=True)
class Ran:
    """What a command wrote: stdout (a pipe), and the bytes its terminal received as text."""

    returncode: int
    stdout: str
    terminal: str

    def screen(self) -> list[str]:
        """Return the terminal's lines as they end up on screen: each redrawn line's last state."""
        lines = self.terminal.replace("\r\n", "\n").split("\n")
        return [line.split("\x1b[K")[-1].split("\r")[-1] for line in lines if line]


def on_terminal(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    columns: int = 160,
    within: float = 120.0,
) -> Ran:
    """Run `pushgate ARGS` with stderr on a pseudo-terminal `columns` wide, stdout on a pipe."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    with subprocess.Popen(
        [PUSHGATE, *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
    ) as process:
        os.close(follower)
        assert process.stdout is not None
        received, out = bytearray(), bytearray()
        streams = {leader: received, process.stdout.fileno(): out}
        deadline = time.monotonic() + within
        while streams:
            assert time.monotonic() < deadline, f"pushgate {' '.join(args)} took over {within} s"
            ready, _, _ = select.select(list(streams), [], [], 0.5)
            for fd in ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # the terminal's far side closed: Linux says EIO
                    chunk = b""
                if chunk:
                    streams[fd] += chunk
                else:
                    del streams[fd]
        os.close(leader)
        returncode = process.wait(timeout=within)
    return Ran(returncode, out.decode(), received.decode())
