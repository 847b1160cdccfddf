"""Watches a distribution's probes while they run, so the terminal and Slack can show a verdict
per origin as soon as its first connection attempt timed out, not when the slowest origin's
last attempt ended.

`diagnose_distribution` hands each probe (one per origin, and the viewer side) a `WaitBoard`
and a first-verdict callback from here (the engine's own hooks: workers/waiting.py and
workers/provisional.py) and says when each probe ended; `snapshot` turns that into a
`DistributionLive` at any moment. The probes never wait on a watcher: callbacks only record
and notify.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from workers.headline import doubts, lead_finding, short_verdict
from workers.models import Report, Verdict
from workers.models.distribution_live import (
    DONE,
    PROBING,
    PROVISIONAL,
    VIEWER,
    DistributionLive,
    OriginLive,
)
from workers.models.provisional import Provisional
from workers.models.record import Record
from workers.waiting import WaitBoard


@dataclass(eq=False, repr=False)
class _Entry(Record):
    shell: OriginLive  # who this probe is; its state is filled in by `snapshot`
    board: WaitBoard
    provisional: Provisional | None = None
    final: Report | None = None
    # Why the probe ended without a report (origin502 failed inside); None otherwise.
    abandoned: str | None = None


def _judged(entry: OriginLive, report: Report) -> OriginLive:
    verdict = Verdict(report.verdict)
    primary = lead_finding(report)
    code = summary = None
    if verdict == Verdict.UNKNOWN:
        summary = report.probe_error
    elif primary is not None and verdict != Verdict.OK:
        code, summary = primary.code, primary.summary
    doubtful = verdict == Verdict.WARN and bool(doubts(report))
    return replace(entry, verdict=str(verdict.value), code=code, summary=summary,
                   doubtful=doubtful, words=short_verdict(report))


class DistributionWatch:
    """One distribution's probes as they run. ``on_change`` is called after any change (a
    wait started or ended, a verdict): a terminal redraws there. ``on_verdict`` only when the
    probes are planned or an origin's verdict changed (provisional or final): Slack is told
    at once. Both are called from probe threads and must not block."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 on_change: Callable[[], None] | None = None,
                 on_verdict: Callable[[], None] | None = None) -> None:
        self.clock = clock
        self.on_change = on_change
        self.on_verdict = on_verdict
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []
        self._unchecked: str | None = None
        self.milestones = 0  # bumped by the plan and by every provisional or final verdict

    def plan(self, shells: list[OriginLive], unchecked: str | None = None) -> None:
        """The probes about to run, in the order their indexes will be given, and why some
        origin viewers reach will not be checked (DistributionLive.unchecked)."""
        with self._lock:
            self._entries = [_Entry(shell, WaitBoard(self.clock, on_change=self._changed))
                             for shell in shells]
            self._unchecked = unchecked
            self.milestones += 1
        self._verdict()

    def events(self, index: int) -> WaitBoard:
        return self._entries[index].board

    def provisional(self, index: int) -> Callable[[Provisional], None]:
        def found(first: Provisional) -> None:
            with self._lock:
                entry = self._entries[index]
                if entry.final is not None:
                    return  # the probe has ended: its final verdict stands
                entry.provisional = first
                self.milestones += 1
            self._verdict()
        return found

    def finished(self, index: int, report: Report) -> None:
        with self._lock:
            self._entries[index].final = report
            self.milestones += 1
        self._verdict()

    def abandoned(self, index: int, why: str) -> None:
        """The probe ended without a report: its origin was not checked (``why``)."""
        with self._lock:
            self._entries[index].abandoned = why
            self.milestones += 1
        self._verdict()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def _verdict(self) -> None:
        if self.on_verdict is not None:
            self.on_verdict()
        self._changed()

    def snapshot(self, *, older_than: float = 0.0) -> DistributionLive:
        """Every probe as it stands; waits shorter than ``older_than`` seconds are left out
        (a healthy origin answers long before they mean anything)."""
        with self._lock:
            entries = [(e.shell, e.board, e.provisional, e.final, e.abandoned)
                       for e in self._entries]
            unchecked = self._unchecked
        out = []
        for shell, board, first, final, abandoned in entries:
            if abandoned is not None and final is None:
                out.append(replace(shell, state=DONE, verdict=str(Verdict.UNKNOWN.value),
                                   summary=abandoned))
                continue
            if final is not None and shell.kind == VIEWER:
                # Read for CloudFront's own answer, shown with the final report; its probe's
                # verdict is about no origin, so none is given here.
                out.append(replace(shell, state=DONE))
                continue
            if final is not None:
                out.append(replace(_judged(shell, final), state=DONE))
                continue
            waiting = board.lines(older_than=older_than)
            if first is not None:
                out.append(replace(_judged(shell, first.report), state=PROVISIONAL,
                                   note=first.note, waiting=waiting))
            else:
                out.append(replace(shell, state=PROBING, waiting=waiting))
        return DistributionLive(origins=out, unchecked=unchecked)
