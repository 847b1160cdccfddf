"""The status message while a probe waits: what each layer has been waiting for, and the
provisional verdict, visibly marked so, which the final verdict replaces."""

from __future__ import annotations

import json

from bot.render.status import status_message
from tests.bot.render.test_bot_render import check_golden, check_limits
from tests.bot.reports import report, run
from workers.models.provisional import Provisional

NOTE = "first attempt timed out; 2 more attempts running…"
WAITING = {"tcp": "no answer for 6 of 10 s (attempt 2 of 3)"}


def provisional() -> Provisional:
    return Provisional(report(fail=True), NOTE)


def test_running_message_shows_the_wait_and_the_provisional_verdict():
    message = status_message(run("running", progress={"dns": "resolved to 192.0.2.10"},
                                 waiting=WAITING), None, provisional=provisional())
    check_limits([message])
    check_golden("status_provisional", [message])
    text = json.dumps(message.payload()["blocks"], ensure_ascii=False)
    assert ":hourglass_flowing_sand: *TCP* no answer for 6 of 10 s (attempt 2 of 3)" in text
    assert (":hourglass: *Provisional* — :red_circle: *CloudFront would answer 502 for this "
            "origin*") in text
    assert f"_{NOTE}_" in text
    assert "the certificate expired 5 days ago" in text
    assert message.text.endswith(f"— checking… provisional: 502 expected: the certificate "
                                 f"expired 5 days ago, on 2026-11-19 ({NOTE})")


def test_a_finished_layer_line_wins_over_a_stale_wait():
    message = status_message(run("running", progress={"dns": "resolved", "tcp": "ok"},
                                 waiting=WAITING), None)
    text = json.dumps(message.payload()["blocks"], ensure_ascii=False)
    assert "*TCP* ok" in text and "no answer for" not in text


def test_the_final_verdict_replaces_the_provisional_one():
    done = status_message(run("done", waiting=WAITING), report(fail=True),
                          provisional=provisional())
    text = json.dumps(done.payload(), ensure_ascii=False)
    assert "Provisional" not in text and "provisional" not in done.text
    assert NOTE not in text and "no answer for" not in text
    assert ":red_circle: *CloudFront would answer 502 for this origin*" in text


def test_a_queued_or_failed_run_shows_no_stale_wait_or_verdict():
    for status in ("queued", "failed"):
        message = status_message(run(status, waiting=WAITING, error="worker lost"), None,
                                 provisional=provisional())
        text = json.dumps(message.payload(), ensure_ascii=False)
        assert "Provisional" not in text and "no answer for" not in text, status
