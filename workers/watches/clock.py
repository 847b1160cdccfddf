"""The time the watches live by, injectable so tests can run a week of schedules in seconds.

Every process that decides something with time (the scheduler, the watch probe jobs, the
digest delivery, the bot recording a new watch) asks `clock_from_env()`. In production that
is the system clock. With `ORIGIN502_FAKE_CLOCK_FILE=/path` set, the time is the epoch
number written in that file (the system clock when the file is missing or unreadable), so a
test moves every process forward at once by rewriting one file. Sleeping and timeouts keep
using real time.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Protocol

FAKE_CLOCK_ENV = "ORIGIN502_FAKE_CLOCK_FILE"


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class FileClock:
    """Reads the time from a file on every call (tests only)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def now(self) -> float:
        try:
            return float(self.path.read_text().strip())
        except (OSError, ValueError):
            return time.time()

    def set(self, epoch: float) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(f"{epoch:.3f}")
        tmp.replace(self.path)  # atomic, so a reader never sees half a number

    def advance(self, seconds: float) -> float:
        value = self.now() + seconds
        self.set(value)
        return value


class FixedClock:
    """A clock that stands still until moved (unit tests)."""

    def __init__(self, epoch: float) -> None:
        self.epoch = epoch

    def now(self) -> float:
        return self.epoch


def clock_from_env() -> Clock:
    path = os.environ.get(FAKE_CLOCK_ENV)
    return FileClock(path) if path else SystemClock()
