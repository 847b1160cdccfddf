"""The live status of a diagnosis in a terminal: what is being waited for ("TCP: no answer for
6 of 10 s (attempt 2 of 3)") and, once the first connection attempt has timed out, the
provisional verdict, marked as such. It is drawn on stderr only when stderr is a terminal and
vanishes when the final report is printed (on stdout, unchanged)."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from workers.headline import WARN_SURE, doubts, fail_sentence, warn_sentence
from workers.models import Layer, ProbeRequest, Report, Verdict
from workers.models.provisional import Provisional
from workers.waiting import WaitBoard

_LABELS = {Verdict.OK: ("OK", "bold green"), Verdict.WARN: ("WARN", "bold yellow"),
           Verdict.FAIL: ("FAIL", "bold red"), Verdict.UNKNOWN: ("UNKNOWN", "bold magenta")}
_SENTENCES = {Verdict.OK: "CloudFront can connect to this origin.",
              Verdict.WARN: f"{WARN_SURE}.",
              Verdict.FAIL: "viewers would get an error.",
              Verdict.UNKNOWN: "could not check from here."}


def _label(layer: str) -> str:
    return Layer(layer).label if layer in set(Layer) else layer.upper()


def provisional_text(provisional: Provisional) -> Text:
    """Two lines: the provisional verdict with its main finding, then what is still running."""
    report = provisional.report
    verdict = Verdict(report.verdict)
    label, style = _LABELS[verdict]
    primary = report.primary
    why = primary.summary if primary is not None and verdict != Verdict.OK else \
        _SENTENCES[verdict]
    if verdict == Verdict.FAIL and primary is None:
        why = f"{fail_sentence(report)}."
    if verdict == Verdict.WARN and doubts(report):
        # Not the first warning's summary: the point that could still mean 502 leads.
        why = f"{warn_sentence(report)}."
    text = Text()
    text.append("Provisional verdict: ", style="bold")
    text.append(label, style=style)
    text.append(f" — {why}\n")
    text.append(provisional.note, style="dim")
    return text


class LiveLine:
    """What the live region shows; rendered afresh on every refresh, so elapsed seconds move
    with the board's clock without anyone pushing them."""

    def __init__(self, hostname: str, board: WaitBoard) -> None:
        self._hostname = hostname
        self._board = board
        self._spinner = Spinner("dots")
        self.layer_line: tuple[str, str] | None = None  # the last layer that finished
        self.provisional: Provisional | None = None

    def status_text(self) -> Text:
        text = Text(f"Probing {self._hostname}…")
        waiting = self._board.lines()
        if waiting:
            for layer, words in waiting.items():
                text.append(f" {_label(layer)}: {words}")
        elif self.layer_line is not None:
            layer, words = self.layer_line
            text.append(f" {_label(layer)}: {words}")
        return text

    def __rich__(self) -> RenderableType:
        grid = Table.grid(padding=1)
        grid.add_row(self._spinner, self.status_text())
        if self.provisional is None:
            return grid
        return Group(grid, provisional_text(self.provisional))


def run_live(request: ProbeRequest, run: Callable[..., Report], console: Console,
             clock: Callable[[], float] = time.monotonic) -> Report:
    """Run the diagnosis under a live region on ``console`` (a terminal)."""
    board = WaitBoard(clock)
    line = LiveLine(request.hostname, board)
    with Live(line, console=console, refresh_per_second=4, transient=True) as live:
        # Redrawn at once on every change (not only at the next tick), so a provisional
        # verdict or a new attempt is on screen as soon as it is known.
        board.on_change = live.refresh

        def progress(layer: str, text: str) -> None:
            line.layer_line = (layer, text)
            live.refresh()

        def provisional(found: Provisional) -> None:
            line.provisional = found
            live.refresh()

        return run(request, on_progress=progress, on_provisional=provisional, events=board)
