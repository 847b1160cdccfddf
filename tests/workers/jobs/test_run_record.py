"""The run record and the dedup keys in a real Redis."""

from __future__ import annotations

import pytest

from bot.store import SlackStore
from tests.bot.reports import run as make_run
from workers.jobs.queues import connect
from workers.jobs.run_record import JUST_FINISHED, RunStore


@pytest.fixture
def store(redis_url):
    return RunStore(connect(redis_url))


def test_a_run_round_trips(store):
    run = make_run("queued")
    store.create(run)
    loaded = store.get(run.run_id)
    assert loaded is not None
    assert loaded.request == run.request and loaded.status == "queued" and loaded.joined == []
    slack = SlackStore(store.redis)
    store.update(run.run_id, status="done")
    slack.update(run.run_id, message_ts="1.2", result_parts=2)
    loaded, shown = store.get(run.run_id), slack.delivery(run.run_id)
    assert (loaded.status, shown.message_ts, shown.result_parts) == ("done", "1.2", 2)
    slack.update(run.run_id, message_ts=None)
    assert slack.delivery(run.run_id).message_ts is None


def test_progress_from_several_layers_merges(store):
    run = make_run("running", progress={})
    store.create(run)
    store.set_progress(run.run_id, "dns", "resolved to 192.0.2.1")
    store.set_progress(run.run_id, "tcp", "ok")
    assert store.get(run.run_id).progress == {"dns": "resolved to 192.0.2.1", "tcp": "ok"}


def test_claim_is_first_come(store):
    assert store.claim("C1", "key", "r1") is None
    assert store.claim("C1", "key", "r2") == "r1"
    assert store.claim("C2", "key", "r3") is None  # another channel, another conversation


def test_finished_run_is_remembered_briefly_failed_one_forgotten(store):
    done, failed = make_run("done", run_id="r1"), make_run("failed", run_id="r2", channel="C9")
    for run in (done, failed):
        store.create(run)
        assert store.claim(run.channel, run.cache_key, run.run_id) is None
    store.release(done, finished=True)
    store.release(failed, finished=False)
    assert 0 < store.redis.ttl(f"origin502:active:{done.channel}:{done.cache_key}") <= JUST_FINISHED
    assert store.claim(failed.channel, failed.cache_key, "r3") is None


def test_unknown_run_is_none(store):
    assert store.get("r404-nothing") is None
    assert store.report("r404-nothing") is None
