"""In Slack, a diagnosis whose own time budget ran out before CloudFront's limit reads as "could
not check", with the reason, never as a failed layer or "CloudFront would answer 502".

A real port on 127.0.0.1 that accepts connections and never speaks TLS; the budget is
injected and far below the configured 10 s connection timeout. The progress lines are the
engine's own (on_progress), rendered by the bot's status and result messages.
"""

from __future__ import annotations

import pytest

from bot.render.result import result_messages
from bot.render.status import status_message
from tests.bot.reports import run
from tests.support.ports import SilentPort
from tests.support.scenario import NAME
from workers.engine import diagnose
from workers.options import build_request

pytestmark = pytest.mark.timeout(60)


def test_a_handshake_cut_short_by_the_budget_reads_as_not_checked():
    progress: dict[str, str] = {}
    with SilentPort() as silent:
        request = build_request(NAME, allow_private=True, resolve=((NAME, "127.0.0.1"),),
                                https_port=silent.port, timeout=10, connection_attempts=1)
        report = diagnose(request, budget=2, on_progress=lambda layer, text: progress.
                          __setitem__(str(layer), text))
    assert report.verdict == "unknown"
    status = str(status_message(run("done", progress=progress), report).blocks)
    assert ":grey_question: *Could not check from here*" in status
    assert "CloudFront would answer 502" not in status
    (tls,) = [line for line in status.split("\\n") if "*TLS*" in line]
    assert tls.startswith(":grey_question: *TLS* not checked: origin502's time budget ran "
                          "out first"), tls
    result = " ".join(str(m.blocks) for m in result_messages(report))
    assert "origin502's time budget of 2 s ran out after" in result
    assert "before CloudFront's own limit of 10 s" in result
    assert "TLS not checked: origin502's time budget ran out first" in result
    assert "handshake timed out" not in result and "TLS_HANDSHAKE_TIMEOUT" not in result
