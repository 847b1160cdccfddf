"""The live status of a distribution's diagnosis in a terminal: a line per origin still probing
with what it waits for ("api (api.shop.test): TCP: no answer for 6 of 10 s (attempt 1 of 3)"),
each origin's verdict as soon as it has one (provisional while its remaining connection
attempts run), and the distribution's verdict so far naming the failing origin.

Drawn on stderr only when stderr is a terminal, and gone when the final report is printed (on
stdout, unchanged), as for a single origin (workers/terminal_live.py)."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from workers.distribution_live import DistributionWatch
from workers.headline import distribution_fail_sentence, distribution_warn_sentence
from workers.models.distribution import DistributionReport
from workers.models.distribution_live import (
    DONE,
    PROVISIONAL,
    VIEWER,
    DistributionLive,
    OriginLive,
)
from workers.models.layers import label_of

_MARKS = {"ok": ("OK  ", "bold green"), "warn": ("WARN", "bold yellow"),
          "fail": ("FAIL", "bold red"), "unknown": ("UNKN", "bold magenta")}
_HEADLINES = {"ok": "no origin has a problem CloudFront would hit",
              "warn": "CloudFront can connect to every origin, with warnings",
              "unknown": "an origin could not be checked from here"}


def entry_label(entry: OriginLive) -> str:
    if entry.kind == VIEWER:
        return f"viewer side ({entry.domain_name})"
    host = f", Host {entry.host_header}" if entry.host_header else ""
    role = f", {entry.role}" if entry.role else ""
    return f"{entry.origin_id} ({entry.domain_name}{host}{role})"


def _waits(entry: OriginLive) -> str:
    return "; ".join(f"{label_of(layer)}: {words}"
                     for layer, words in entry.waiting.items())


def headline(live: DistributionLive) -> Text | None:
    """The distribution's verdict so far, marked provisional; None while it could go any way."""
    verdict = live.verdict
    if verdict is None:
        return None
    label, style = _MARKS[verdict]
    text = Text()
    text.append("Provisional verdict: ", style="bold")
    text.append(label.strip(), style=style)
    if verdict == "fail":
        text.append(f" — {distribution_fail_sentence([o.origin_id for o in live.failing])}")
    else:
        doubt = distribution_warn_sentence([o.origin_id for o in live.doubtful]) \
            if verdict == "warn" else None
        if verdict == "unknown" and live.unchecked:
            doubt = live.unchecked  # the final report's reason, known from the start
        text.append(f" — {doubt or _HEADLINES[verdict]}")
    return text


def entry_text(entry: OriginLive) -> Text:
    """One probe: still probing (what it waits for), or its verdict, provisional or final."""
    text = Text("  ")
    if entry.kind == VIEWER and entry.state == DONE:
        text.append(f"{entry_label(entry)}: read", style="dim")
        return text
    if entry.state not in (PROVISIONAL, DONE) or entry.verdict is None:
        text.append(f"{entry_label(entry)}: {_waits(entry) or 'probing…'}")
        return text
    label, style = _MARKS.get(entry.verdict, (entry.verdict, "bold"))
    text.append(label, style=style)
    text.append(f"  {entry_label(entry)}")
    if entry.state == PROVISIONAL:
        text.append(" (provisional)", style="bold")
    if entry.verdict == "fail" and entry.words:
        text.append(f" — {entry.words}")
    if entry.summary:
        text.append(f" — {entry.code + ': ' if entry.code else ''}{entry.summary}")
    if entry.state == PROVISIONAL:
        still = f"{entry.note}" + (f" {_waits(entry)}" if entry.waiting else "")
        text.append(f"\n      {still}", style="dim")
    return text


class DistributionLiveView:
    """What the live region shows; built afresh from the watch on every refresh, so waiting
    seconds move with the watch's clock."""

    def __init__(self, title: str, watch: DistributionWatch) -> None:
        self._title = title
        self._watch = watch
        self._spinner = Spinner("dots")

    def __rich__(self) -> RenderableType:
        live = self._watch.snapshot()
        waiting = len(live.running)
        status = Text(f"Probing {self._title}…")
        if live.origins:
            status.append(f" {waiting} of {len(live.origins)} probe"
                          f"{'s' if len(live.origins) != 1 else ''} still running")
        grid = Table.grid(padding=1)
        grid.add_row(self._spinner, status)
        parts: list[RenderableType] = [grid]
        top = headline(live)
        if top is not None:
            parts.append(top)
        parts.extend(entry_text(entry) for entry in live.origins)
        return Group(*parts)


def run_distribution_live(title: str, run: Callable[[DistributionWatch], DistributionReport],
                          console: Console,
                          clock: Callable[[], float] = time.monotonic) -> DistributionReport:
    """Run the distribution's diagnosis under a live region on ``console`` (a terminal)."""
    watch = DistributionWatch(clock)
    view = DistributionLiveView(title, watch)
    with Live(view, console=console, refresh_per_second=4, transient=True) as live:
        # Redrawn on every change, not only at the next tick: a first verdict is on screen as
        # soon as it is known.
        watch.on_change = live.refresh
        return run(watch)
