"""Run a command on a pseudo-terminal, as a person at a terminal would, and keep what it drew
with the moment each piece arrived (the benchmarks time the first verdict from these).

stdout and stderr both go to the terminal, as in an interactive shell.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path

# Cursor moves, colours and line clearing: what a live display draws between its frames.
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def origin502_command() -> list[str]:
    """The `origin502` entry point next to this interpreter, else the module."""
    import sys

    script = Path(sys.executable).with_name("origin502")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


@dataclass
class PtyRun:
    returncode: int
    chunks: list[tuple[float, bytes]] = field(default_factory=list)  # (perf_counter, bytes)
    started: float = 0.0

    @property
    def raw(self) -> str:
        return b"".join(c for _, c in self.chunks).decode("utf-8", "replace")

    @property
    def text(self) -> str:
        """What was drawn, escape sequences removed (every frame of the live display kept)."""
        return _ESCAPES.sub("", self.raw).replace("\r", "\n")

    def first_seen(self, needle: str) -> float | None:
        """Seconds from start until ``needle`` had been drawn, or None if it never was."""
        seen = b""
        for at, chunk in self.chunks:
            seen += chunk
            if needle in _ESCAPES.sub("", seen.decode("utf-8", "replace")):
                return at - self.started
        return None


def run_in_pty(args: list[str], *, env: dict[str, str] | None = None, timeout: float = 120,
               columns: int = 200, rows: int = 50) -> PtyRun:
    """Run ``args`` with a terminal of ``columns`` x ``rows`` as stdin, stdout and stderr."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    started = time.perf_counter()
    process = subprocess.Popen(args, stdin=follower, stdout=follower, stderr=follower,
                               env=env, close_fds=True, start_new_session=True)
    os.close(follower)
    run = PtyRun(returncode=0, started=started)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # EIO: every writer closed the terminal
                    break
                if not chunk:
                    break
                run.chunks.append((time.perf_counter(), chunk))
            elif process.poll() is not None:
                break
        else:
            process.kill()
        run.returncode = process.wait(timeout=10)
    finally:
        os.close(leader)
    return run
