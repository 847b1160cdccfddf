"""The live region of a distribution's diagnosis at a terminal, drawn from a watch fed by hand
on a clock the test drives: a line per origin still probing with what it waits for, each
origin's verdict as soon as it has one, and the distribution's verdict so far."""

from __future__ import annotations

import io

from rich.console import Console

from tests.bot.reports import report
from workers.distribution_live import DistributionWatch
from workers.models.distribution_live import VIEWER, OriginLive
from workers.models.provisional import Provisional
from workers.probes.attempts import Attempt
from workers.terminal_distribution_live import DistributionLiveView

NOTE = "first attempt timed out; 2 more attempts running…"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def drawn(view: DistributionLiveView) -> list[str]:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(view)
    return [line.rstrip() for line in console.file.getvalue().splitlines()]


def test_one_line_per_origin_still_probing_then_each_verdict_as_it_comes():
    clock = Clock()
    watch = DistributionWatch(clock)
    view = DistributionLiveView("3 origins of E2QWRUHAPOMQZL (www.shop.test)", watch)
    watch.plan([OriginLive("api", "api.shop.test", host_header="www.shop.test"),
                OriginLive("web", "web.shop.test"),
                OriginLive("app", "app.shop.test", role="primary of group pair"),
                OriginLive("", "www.shop.test", kind=VIEWER)])
    api = Attempt("tcp", "127.0.0.1", 8443, 1, 3, 10.0)
    watch.events(0).attempt_started(api)
    watch.events(2).attempt_started(Attempt("tls", "127.0.0.1", 9443, 1, 1, 10.0))
    clock.now += 6.5
    lines = drawn(view)
    assert lines[0].endswith("Probing 3 origins of E2QWRUHAPOMQZL (www.shop.test)… 4 of 4 "
                             "probes still running")
    assert lines[1:] == [
        "  api (api.shop.test, Host www.shop.test): TCP: no answer for 6 of 10 s "
        "(attempt 1 of 3)",
        "  web (web.shop.test): probing…",
        "  app (app.shop.test, primary of group pair): TLS: no handshake answer for 6 of 10 s",
        "  viewer side (www.shop.test): probing…",
    ]

    watch.finished(1, report(fail=False))
    watch.events(0).attempt_ended(api, "timeout")
    watch.provisional(0)(Provisional(report(fail=True), NOTE))
    watch.events(0).attempt_started(Attempt("tcp", "127.0.0.1", 8443, 2, 3, 10.0))
    clock.now += 2
    lines = drawn(view)
    assert lines[1] == "Provisional verdict: FAIL — Viewers would get errors from origin api"
    assert lines[2].startswith("  FAIL  api (api.shop.test, Host www.shop.test) (provisional) — "
                               "502 expected — CERT_EXPIRED: ")
    assert lines[3] == f"      {NOTE} TCP: no answer for 2 of 10 s (attempt 2 of 3)"
    assert lines[4] == "  OK    web (web.shop.test)"
    assert lines[5].startswith("  app (app.shop.test, primary of group pair): TLS: no handshake "
                               "answer for 8 of 10 s")
    # The origin with a provisional verdict still retries: it still counts as running.
    assert "3 of 4 probes still running" in lines[0]

    watch.finished(0, report(fail=True))
    watch.finished(3, report(fail=True))  # the viewer side's own probe
    lines = drawn(view)
    # Read for CloudFront's own answer (in the final report): no verdict of its own.
    assert lines[-1] == "  viewer side (www.shop.test): read"
    assert "1 of 4 probes still running" in lines[0]
    assert lines[2].startswith("  FAIL  api (api.shop.test, Host www.shop.test) — 502 expected — "
                               "CERT_EXPIRED")
    assert not any(NOTE in line or "provisional" in line for line in lines)


def test_no_verdict_for_the_distribution_while_an_origin_that_could_fail_still_probes():
    watch = DistributionWatch(Clock())
    view = DistributionLiveView("2 origins of E1 (www.shop.test)", watch)
    watch.plan([OriginLive("web", "web.shop.test"), OriginLive("api", "api.shop.test")])
    watch.finished(0, report(fail=False))
    assert not any("Provisional" in line for line in drawn(view))
    watch.finished(1, report(fail=False))
    assert "Provisional verdict: OK — no origin has a problem CloudFront would hit" in \
        drawn(view)
