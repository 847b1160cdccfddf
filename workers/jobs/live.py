"""Keeps a run's Slack message moving while its probe waits on the origin: the provisional
verdict as soon as the first connection attempt has timed out, and what is being waited for
("TCP: no answer for 6 of 10 s") every few seconds.

For a distribution, `DistributionLiveUpdates` does the same with every origin's state at once
(workers/distribution_live.py): the failing origin is named as soon as its first attempt timed
out, whatever the other origins still do.

The probe threads only hand things over (`provisional`, and the `WaitBoard` they feed); one
thread of this job writes them to the run record and asks delivery to show them, so a slow
Redis never holds up a connection attempt, and Slack sees at most one progress update every
`PROGRESS_INTERVAL` seconds per run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

from workers.distribution_live import DistributionWatch
from workers.jobs.run_record import RunStore
from workers.models.provisional import Provisional
from workers.waiting import WaitBoard

log = logging.getLogger(__name__)

# chat.update sits in Slack's Tier 3 (50+ calls a minute per workspace): one waiting-line
# update per run every 5 s is 12 a minute, which leaves room for several incidents at once;
# the delivery client still honours a 429's Retry-After.
PROGRESS_INTERVAL = 5.0
# A provisional verdict goes out at once, but never two within this many seconds (several
# addresses time out together): the latest one wins.
PROVISIONAL_GAP = 1.0
# Waits shorter than this are not shown: a healthy origin answers long before.
SHOW_AFTER = 1.0
POLL = 1.0  # how often the thread looks at the board (seconds)


class LiveThread:
    """The thread that writes a run's live updates while its probe runs: woken by the probe
    threads (or every `POLL` seconds), it calls `tick`. Use as a context manager around the
    diagnosis; tests call `tick` themselves instead of starting the thread."""

    def __init__(self, store: RunStore, run_id: str, sync: Callable[[], None], *,
                 clock: Callable[[], float] = time.monotonic,
                 interval: float = PROGRESS_INTERVAL) -> None:
        self._store = store
        self._run_id = run_id
        self._sync = sync
        self._clock = clock
        self._interval = interval
        self._last_push: float | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> bool:
        raise NotImplementedError

    def _since_push(self) -> float | None:
        return None if self._last_push is None else self._clock() - self._last_push

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(POLL)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.tick()
            except Exception:
                # Progress is a courtesy: a Redis hiccup here must not end the probe, whose
                # final report is written (and retried) on its own path.
                log.exception("could not write live progress", extra={"run_id": self._run_id})

    def __enter__(self) -> Self:
        self._thread = threading.Thread(target=self._loop, name="live-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


class RunLiveUpdates(LiveThread):
    """One origin's run: its first verdict and what its connections wait for. ``sync`` asks
    delivery to bring Slack in line with the run record. ``clock`` drives the throttle and the
    board."""

    def __init__(self, store: RunStore, run_id: str, sync: Callable[[], None], *,
                 clock: Callable[[], float] = time.monotonic,
                 interval: float = PROGRESS_INTERVAL) -> None:
        super().__init__(store, run_id, sync, clock=clock, interval=interval)
        self.board = WaitBoard(clock)
        self._lock = threading.Lock()
        self._pending: Provisional | None = None
        self._last_lines: dict[str, str] = {}

    def provisional(self, found: Provisional) -> None:
        """Called from a probe thread: hand the provisional verdict over and wake the writer."""
        with self._lock:
            self._pending = found
        self._wake.set()

    def tick(self) -> bool:
        """Write what changed to the run record and ask for a sync; True when it did."""
        now = self._clock()
        since = self._since_push()
        with self._lock:
            found = self._pending
            if found is not None and (since is None or since >= PROVISIONAL_GAP):
                self._pending = None
            else:
                found = None
        lines = self.board.lines(older_than=SHOW_AFTER)
        write_lines = lines != self._last_lines and (
            found is not None or since is None or since >= self._interval)
        if found is None and not write_lines:
            return False
        if found is not None:
            self._store.save_provisional(self._run_id, found.to_dict())
        if write_lines:
            self._store.update(self._run_id, waiting=lines or None)
            self._last_lines = lines
        self._last_push = now
        self._sync()
        return True



class DistributionLiveUpdates(LiveThread):
    """A distribution's run: each origin's state (probing and what it waits for, its first
    verdict, its final verdict), written whole as the run's `DistributionLive`. A new verdict
    goes out at once (at most one write per `PROVISIONAL_GAP`), waits every ``interval``."""

    def __init__(self, store: RunStore, run_id: str, sync: Callable[[], None], *,
                 clock: Callable[[], float] = time.monotonic,
                 interval: float = PROGRESS_INTERVAL) -> None:
        super().__init__(store, run_id, sync, clock=clock, interval=interval)
        self.watch = DistributionWatch(clock, on_verdict=self._wake.set)
        self._shown = 0  # the watch's milestone count last written
        self._last_waits: list[dict[str, str]] | None = None

    def tick(self) -> bool:
        now = self._clock()
        since = self._since_push()
        milestones = self.watch.milestones
        live = self.watch.snapshot(older_than=SHOW_AFTER)
        waits = [entry.waiting for entry in live.origins]
        new = milestones != self._shown and (since is None or since >= PROVISIONAL_GAP)
        moved = waits != self._last_waits and (since is None or since >= self._interval)
        if not (new or moved) or not live.origins:
            return False
        self._store.save_provisional(self._run_id, live.to_dict())
        self._shown, self._last_waits, self._last_push = milestones, waits, now
        self._sync()
        return True
