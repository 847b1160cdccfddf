"""Interactive requests are idempotent (issue 11): the Re-run button's signed request replayed
5 times used to start 6 probes; a command delivered again, or two clicks racing, start one."""

from __future__ import annotations

import threading

import pytest
from redis import Redis

from bot.render.status import RERUN_ACTION
from tests.bot.fakeslack import action_body, command_body, post, sign
from tests.e2e.test_e2e_slack import CHANNEL, finished_parent, results_in_thread

pytestmark = pytest.mark.e2e
FORM = "application/x-www-form-urlencoded"


def probe_jobs(stack) -> int:
    redis = Redis.from_url(stack.env["REDIS_URL"])
    return len(list(redis.scan_iter("rq:job:probe-*")))


def test_replayed_rerun_and_command_start_one_run(stack_factory, good_origin):
    stack = stack_factory()
    body = command_body(f"origin.test --https-port {good_origin.port}")
    headers = sign(body)
    for _ in range(6):  # the command and 5 replays of the very same signed request
        assert post(stack.url, body, FORM, headers).status == 200
    parent = finished_parent(stack)
    results_in_thread(stack, parent, 1)
    assert probe_jobs(stack) == 1

    run_id = parent.button_values()[RERUN_ACTION]
    click = action_body(RERUN_ACTION, run_id, message_ts=parent.ts)
    signed = sign(click)
    for _ in range(6):  # the click and 5 replays within the signature window
        assert post(stack.url, click, FORM, signed).status == 200
    results_in_thread(stack, parent, 2)
    assert probe_jobs(stack) == 2
    assert stack.serve_output().count("repeated request ignored") == 10
    assert len(stack.slack.channel_messages(CHANNEL)) == 1


def test_two_clicks_racing_on_one_rerun_start_one_run(stack_factory, good_origin):
    stack = stack_factory()
    stack.send.command(f"origin.test --https-port {good_origin.port}")
    parent = finished_parent(stack)
    results_in_thread(stack, parent, 1)
    run_id = parent.button_values()[RERUN_ACTION]
    # The re-run's probe is held (the origin reads the request and does not answer) until both
    # clicks are answered: a click handled after the first re-run had already finished would
    # rightly start another, and on a loaded machine that order cannot be ruled out otherwise.
    good_origin.mode = "hang"
    # Two genuine clicks (different action_ts, so not replays), sent at the same moment.
    urls = [stack.slack.new_response_url() for _ in range(2)]
    bodies = [action_body(RERUN_ACTION, run_id, message_ts=parent.ts, user=u, response_url=url)
              for u, url in zip(("UBOB", "UCAROL"), urls, strict=True)]
    gate = threading.Barrier(2)

    def send(body):
        gate.wait()
        post(stack.url, body, FORM, sign(body))

    threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # One of them started the run; the other was pointed at it instead of starting another.
    joined = stack.slack.wait_for(
        lambda: [r for url in urls for r in stack.send.responses_to(url)]
    )
    assert "no second probe was started" in str(joined), joined
    good_origin.stop()  # lets the held probe end (the origin closes without answering)
    results_in_thread(stack, parent, 2)
    assert probe_jobs(stack) == 2
