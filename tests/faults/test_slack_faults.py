"""Slack errors and dead delivery workers never show a message twice, and lose nothing
(issue 10). Real `origin502 serve` and `origin502 worker` processes, the recording Slack of
tests/bot/fakeslack.py on loopback, a real TLS origin; conditions are waited on, never clocks.
"""

from __future__ import annotations

import pytest
from redis import Redis

from tests.e2e.test_e2e_slack import CHANNEL, finished_parent

pytestmark = pytest.mark.timeout(180)


def parent_post(args) -> bool:
    return not args.get("thread_ts")


def results(stack, parent):
    return [m for m in stack.slack.thread(CHANNEL, parent.ts) if m.text.startswith("Diagnosis of")]


def delivered(stack) -> bool:
    """Every run's record says its result (or failure) is in Slack: no delivery pending."""
    redis = Redis.from_url(stack.env["REDIS_URL"])
    try:
        keys = [k for k in redis.keys("origin502:run:*") if k.count(b":") == 2]
        return bool(keys) and all(
            redis.hget(k, "result_posted") == b"1" or redis.hget(k, "failure_posted") == b"1"
            for k in keys)
    finally:
        redis.close()


def assert_one_answer(stack):
    """Once delivery is done: exactly one parent message, with one result in its thread."""
    parent = finished_parent(stack)
    stack.slack.wait_for(lambda: delivered(stack), timeout=90)
    assert len(stack.slack.channel_messages(CHANNEL)) == 1, stack.slack.summary()
    assert len(results(stack, parent)) == 1, stack.slack.summary()
    return parent


def test_a_500_after_slack_posted_the_parent_does_not_post_it_twice(stack_factory, good_origin):
    stack = stack_factory()
    stack.slack.accept_then_fail("chat.postMessage", 500, when=parent_post)
    stack.send.command(f"origin.test --https-port {good_origin.port}")
    assert_one_answer(stack)
    # The retry looked for the lost post (by the key in its metadata) instead of posting.
    assert stack.slack.calls_of("conversations.history")


def test_a_500_after_slack_posted_the_result_does_not_post_it_twice(stack_factory, good_origin):
    stack = stack_factory()
    stack.slack.accept_then_fail(
        "chat.postMessage", 500, when=lambda a: str(a.get("text", "")).startswith("Diagnosis of"))
    stack.send.command(f"origin.test --https-port {good_origin.port}")
    assert_one_answer(stack)
    assert stack.slack.calls_of("conversations.replies")


def test_a_timeout_after_slack_posted_does_not_post_it_twice(stack_factory, good_origin):
    stack = stack_factory()
    # The answer comes after the client's 15 s timeout: the worker sees a timeout although
    # the message is in the channel.
    stack.slack.accept_then_hang("chat.postMessage", 20, when=parent_post)
    stack.send.command(f"origin.test --https-port {good_origin.port}")
    assert_one_answer(stack)


def test_429_is_delivered_once(stack_factory, good_origin):
    stack = stack_factory()
    stack.slack.rate_limit("chat.postMessage", retry_after=1, times=2)
    stack.send.command(f"origin.test --https-port {good_origin.port}")
    assert_one_answer(stack)


def test_a_delivery_worker_killed_inside_a_slack_call_leaves_no_orphan(
    stack_factory, good_origin
):
    stack = stack_factory(workers=False)
    stack.start_worker("--queues", "probe", name="probe")
    delivery = stack.start_worker("--queues", "delivery", name="delivery-a")
    # Slack takes the parent post and never answers in time; the worker dies waiting.
    stack.slack.accept_then_hang("chat.postMessage", 60, when=parent_post)
    stack.send.command(f"origin.test --https-port {good_origin.port}")
    stack.slack.wait_for(lambda: stack.slack.channel_messages(CHANNEL))
    delivery.kill()
    stack.start_worker("--queues", "delivery", name="delivery-b")
    # The next worker waits out the dead one's lock lease (seconds, not the 180 s job
    # timeout), finds the posted parent instead of posting another "checking…", and
    # finishes the run there.
    parent = assert_one_answer(stack)
    assert "checking" not in parent.text.lower()
