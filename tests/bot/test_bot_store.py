"""The Slack side's own record of a run, and its other keys (bot/store.py), in a real Redis."""

from __future__ import annotations

from dataclasses import fields

import pytest

from bot.store import RunDelivery, SlackStore
from tests.bot.reports import run as make_run
from workers.jobs.queues import connect
from workers.jobs.run_record import RUN_TTL, Run, RunStore


@pytest.fixture
def stores(redis_url):
    redis = connect(redis_url)
    return RunStore(redis), SlackStore(redis)


def test_the_shared_run_carries_no_slack_field():
    slack_only = {f.name for f in fields(RunDelivery)}
    assert {"thread_ts", "message_ts", "rendered", "response_url"} <= slack_only
    assert slack_only.isdisjoint(f.name for f in fields(Run))


def test_the_probe_side_cannot_write_a_slack_field(stores):
    runs, _ = stores
    run = make_run("queued")
    runs.create(run)
    with pytest.raises(KeyError):
        runs.update(run.run_id, thread_ts="1.2")


def test_the_slack_record_round_trips_beside_the_run(stores):
    runs, slack = stores
    run = make_run("queued")
    with runs.transaction() as pipe:
        runs.create(run, pipeline=pipe)
        slack.save(run.run_id, RunDelivery(response_url="https://hooks.test/1", thread_ts="1.1"),
                   pipeline=pipe)
    assert slack.delivery(run.run_id) == RunDelivery(response_url="https://hooks.test/1",
                                                     thread_ts="1.1")
    slack.update(run.run_id, message_ts="1.2", rendered="abc", fallback=True, result_parts=2)
    shown = slack.delivery(run.run_id)
    assert (shown.message_ts, shown.rendered, shown.fallback, shown.result_parts) == (
        "1.2", "abc", True, 2)
    assert runs.get(run.run_id) == run  # the run reads back as it was written
    slack.update(run.run_id, rendered=None)
    assert slack.delivery(run.run_id).rendered is None
    with pytest.raises(KeyError):
        slack.update(run.run_id, status="done")  # the probe side's field


def test_the_slack_record_lives_and_goes_with_its_run(stores):
    runs, slack = stores
    run = make_run("queued")
    runs.create(run)
    slack.update(run.run_id, thread_ts="1.1")
    assert 0 < runs.redis.ttl(RunStore.run_key(run.run_id)) <= RUN_TTL
    runs.discard(run.run_id)
    assert slack.delivery(run.run_id) == RunDelivery()


def test_a_thread_points_at_its_latest_run(stores):
    _, slack = stores
    assert slack.thread_run("C1", "1.1") is None
    slack.link_thread("C1", "1.1", "r1-a")
    slack.link_thread("C1", "1.1", "r2-a")
    assert slack.thread_run("C1", "1.1") == "r2-a"
    assert slack.thread_run("C2", "1.1") is None


def test_post_marks(stores):
    _, slack = stores
    assert slack.posted("k") is None and not slack.in_flight("k")
    slack.mark_in_flight("k")
    assert slack.in_flight("k") and slack.posted("k") is None
    slack.mark_posted("k", "1.5")
    assert slack.posted("k") == "1.5"


def test_a_request_is_first_delivered_once(stores):
    _, slack = stores
    assert slack.first_delivery("event:Ev1")
    assert not slack.first_delivery("event:Ev1")
    assert slack.first_delivery("event:Ev2")
