"""What a diagnosis is waiting for right now, in words: "TCP: no answer for 6 of 10 s".

A dropped port or a silent origin keeps a probe waiting for up to thirty seconds. `WaitBoard`
hears the probes' attempt events (workers/probes/attempts.py) and keeps the waits that are
open; `waiting_lines` words them, per layer, for the terminal's live line and the Slack
message. The clock is injected: elapsed times come from it, so tests drive it by hand.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from workers.models import ConnectionProbe, Layer
from workers.models.record import FrozenRecord
from workers.probes.attempts import Attempt

_NOTHING_YET = {Layer.TCP: "no answer", Layer.TLS: "no handshake answer",
                Layer.HTTP: "no response"}


@dataclass(frozen=True, eq=False, repr=False)
class OpenWait(FrozenRecord):
    attempt: Attempt
    started: float  # the board's clock when the attempt started


class WaitBoard:
    """The attempts open right now. ``on_change`` (optional) is called after every change,
    from the probe thread that made it: a live display refreshes there."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 on_change: Callable[[], None] | None = None) -> None:
        self.clock = clock
        self.on_change = on_change
        self._lock = threading.Lock()
        self._open: dict[tuple[Layer, str, int], OpenWait] = {}

    def attempt_started(self, attempt: Attempt) -> None:
        with self._lock:
            key = (attempt.layer, attempt.address, attempt.port)
            self._open[key] = OpenWait(attempt, self.clock())
        self._changed()

    def attempt_ended(self, attempt: Attempt, outcome: str) -> None:
        with self._lock:
            self._open.pop((attempt.layer, attempt.address, attempt.port), None)
        self._changed()

    def connection_ended(self, address: str, probe: ConnectionProbe) -> None:
        return None

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def open_waits(self) -> list[OpenWait]:
        with self._lock:
            return sorted(self._open.values(), key=lambda w: w.started)

    def lines(self, *, older_than: float = 0.0) -> dict[str, str]:
        """The waits open now that have lasted at least ``older_than`` seconds, worded."""
        now = self.clock()
        return waiting_lines([w for w in self.open_waits() if now - w.started >= older_than],
                             now)


def _seconds(elapsed: float, timeout: float) -> str:
    # Whole seconds count up against a 10 s or 30 s timeout; a short (test or tuned) timeout
    # shows tenths, so the line still moves.
    elapsed = min(max(0.0, elapsed), timeout)
    if timeout >= 5:
        return str(math.floor(elapsed))
    return f"{math.floor(elapsed * 10) / 10:.1f}"


def wait_words(wait: OpenWait, now: float) -> str:
    """One wait: "no answer for 6 of 10 s (attempt 2 of 3)"."""
    attempt = wait.attempt
    text = (f"{_NOTHING_YET.get(attempt.layer, 'no answer')} for "
            f"{_seconds(now - wait.started, attempt.timeout)} of {attempt.timeout:g} s")
    if attempt.of > 1:
        text += f" (attempt {attempt.number} of {attempt.of})"
    return text


def waiting_lines(waits: list[OpenWait], now: float) -> dict[str, str]:
    """Per layer, the longest wait in words, and how many connections wait when several do."""
    by_layer: dict[str, list[OpenWait]] = {}
    for wait in waits:
        by_layer.setdefault(wait.attempt.layer, []).append(wait)
    lines = {}
    for layer in Layer:  # in the order the layers run
        found = sorted(by_layer.get(layer, []), key=lambda w: w.started)
        if not found:
            continue
        text = wait_words(found[0], now)
        if len(found) > 1:
            text += f" · {len(found)} connections waiting"
        lines[str(layer.value)] = text
    return lines
