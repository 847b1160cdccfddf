"""End to end, a port that drops SYNs: the run's message shows a provisional verdict once the
first connection attempt has timed out, then the final verdict replaces it in the same
message, and the result lands in its thread. Real processes, real Redis, Slack recorded."""

from __future__ import annotations

import json

import pytest

from tests.e2e.test_e2e_slack import CHANNEL, finished_parent, results_in_thread
from tests.support.ports import DroppingPort

pytestmark = pytest.mark.e2e
NOTE = "first attempt timed out; 2 more attempts running…"


def test_provisional_verdict_then_final_update_in_the_same_thread(stack_factory):
    stack = stack_factory()
    with DroppingPort() as dropping:
        # 3 s attempts: the provisional verdict stands for the two remaining attempts (6 s),
        # time enough for delivery to show it even on a loaded machine.
        stack.send.command(f"origin.test --https-port {dropping.port} --timeout 3")
        parent = finished_parent(stack)
        (result,) = results_in_thread(stack, parent, 1)

    versions = parent.history  # the fallback text of every version of the run's message
    # A dropped SYN: 502 or 504, AWS does not document which.
    provisional = [i for i, text in enumerate(versions)
                   if "provisional: 502 or 504 expected" in text]
    assert provisional, versions
    first = versions[provisional[0]]
    assert NOTE in first and "1 attempt of 3 s" in first
    # Replaced by the final verdict, which no longer says provisional.
    assert provisional[-1] < len(versions) - 1
    assert "provisional" not in parent.text and "502 or 504 expected" in parent.text
    blocks = json.dumps(parent.blocks, ensure_ascii=False)
    assert "Provisional" not in blocks and "3 attempts of 3 s" in blocks
    # The provisional verdict was an update of the run's own message, in the same thread as
    # the final result; nothing else was posted in the channel.
    updates = [c.args for c in stack.slack.calls_of("chat.update") if c.args["ts"] == parent.ts]
    assert any(NOTE in json.dumps(args, ensure_ascii=False) for args in updates)
    assert result.thread_ts == parent.ts
    assert "3 attempts of 3 s" in json.dumps(result.blocks, ensure_ascii=False)
    assert len(stack.slack.channel_messages(CHANNEL)) == 1
