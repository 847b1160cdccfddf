"""What a diagnosis is waiting for, in words, on a clock the test drives; and the terminal's
live line built from it (rendered to a string, no terminal needed)."""

from __future__ import annotations

import io

from rich.console import Console

from tests.bot.reports import report as make_report
from workers.models.provisional import Provisional
from workers.probes.attempts import Attempt
from workers.terminal_live import LiveLine
from workers.waiting import WaitBoard


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def attempt(layer: str = "tcp", number: int = 1, of: int = 3, timeout: float = 10.0,
            address: str = "192.0.2.10") -> Attempt:
    return Attempt(layer, address, 443, number, of, timeout)


def test_a_connect_attempt_counts_up_against_its_timeout():
    clock = Clock()
    board = WaitBoard(clock)
    board.attempt_started(attempt(number=2))
    clock.now += 6.7
    assert board.lines() == {"tcp": "no answer for 6 of 10 s (attempt 2 of 3)"}
    clock.now += 60  # never more than the timeout, whatever the clock says
    assert board.lines() == {"tcp": "no answer for 10 of 10 s (attempt 2 of 3)"}
    board.attempt_ended(attempt(number=2), "timeout")
    assert board.lines() == {}


def test_handshake_and_response_waits_are_worded_for_their_layer():
    clock = Clock()
    board = WaitBoard(clock)
    board.attempt_started(attempt("tls", of=1))
    clock.now += 3.2
    assert board.lines() == {"tls": "no handshake answer for 3 of 10 s"}
    board.attempt_ended(attempt("tls", of=1), "timeout")
    board.attempt_started(attempt("http", of=1, timeout=30.0))
    clock.now += 12.9
    assert board.lines() == {"http": "no response for 12 of 30 s"}


def test_short_timeouts_show_tenths_and_several_connections_are_counted():
    clock = Clock()
    board = WaitBoard(clock)
    board.attempt_started(attempt(timeout=0.5))
    clock.now += 0.1
    board.attempt_started(attempt(timeout=0.5, address="192.0.2.11"))
    clock.now += 0.25
    assert board.lines() == {"tcp": "no answer for 0.3 of 0.5 s (attempt 1 of 3) · 2 connections "
                                    "waiting"}


def test_young_waits_can_be_left_out():
    clock = Clock()
    board = WaitBoard(clock)
    board.attempt_started(attempt())
    clock.now += 0.4
    assert board.lines(older_than=1.0) == {}
    clock.now += 0.6
    assert board.lines(older_than=1.0) == {"tcp": "no answer for 1 of 10 s (attempt 1 of 3)"}


def test_every_change_is_announced_to_the_display():
    changes = []
    board = WaitBoard(Clock(), on_change=lambda: changes.append(len(board.open_waits())))
    board.attempt_started(attempt())
    board.attempt_ended(attempt(), "ok")
    assert changes == [1, 0]


def rendered(line: LiveLine) -> str:
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(line)
    return out.getvalue()


def test_live_line_shows_the_wait_then_the_provisional_verdict_marked_so():
    clock = Clock()
    board = WaitBoard(clock)
    line = LiveLine("origin.example.com", board)
    line.layer_line = ("dns", "resolved to 192.0.2.10")
    assert "Probing origin.example.com… DNS: resolved to 192.0.2.10" in rendered(line)

    board.attempt_started(attempt(number=2))
    clock.now += 6.2
    line.provisional = Provisional(make_report(fail=True),
                                   "first attempt timed out; 2 more attempts running…")
    text = rendered(line)
    assert "Probing origin.example.com… TCP: no answer for 6 of 10 s (attempt 2 of 3)" in text
    assert "Provisional verdict: FAIL — " in text
    assert "first attempt timed out; 2 more attempts running…" in text
    # The wait line comes first, the provisional verdict under it.
    assert text.index("no answer for") < text.index("Provisional verdict")
