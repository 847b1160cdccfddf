"""Each watch sub-command's listener (bot/commands/watch.py) over signed HTTP, with a real
Redis and the recording Slack: what it answers, and what it leaves in the store. No scheduler
or worker runs here (tests/workers/watches/test_watch_processes.py runs them end to end)."""

from __future__ import annotations

import json

import pytest

from workers.jobs.queues import DELIVERY_QUEUE, PROBE_QUEUE
from workers.watches.store import WatchStore, watch_member

CHANNEL = "C0WATCH"


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def answer(app, text: str, channel: str = CHANNEL, **kwargs) -> dict:
    """Send `/origin502 text`; the one answer it gets after the ack."""
    reply, url = app.send.command(text, channel=channel, **kwargs)
    assert reply.status == 200 and reply.body == "", reply.body  # a bare ack
    [answered] = app.slack.wait_for(lambda: app.send.responses_to(url))
    return answered


def refused_at_once(app, text: str) -> str:
    """Send `/origin502 text`; the answer carried by the ack itself."""
    reply, url = app.send.command(text, channel=CHANNEL)
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert app.send.responses_to(url) == []
    return dumps(body)


@pytest.fixture
def store(running_app) -> WatchStore:
    return WatchStore(running_app.redis)


# -- watch -----------------------------------------------------------------------------------
def test_watch_stores_the_watch_and_tells_the_channel(running_app, store):
    said = answer(running_app, "watch shop.test --https-port 8443 --every 1h")
    assert said["response_type"] == "in_channel"
    assert "<@UALICE> is now watching *shop.test*" in dumps(said) and "every 1h" in dumps(said)
    [spec] = store.channel_watches(CHANNEL)
    assert (spec.interval, spec.text, spec.watchers) == (3600, "shop.test --https-port 8443",
                                                        ["UALICE"])
    assert store.due_at(watch_member(spec.watch_id)) is not None  # the first check is due
    assert running_app.redis.llen(f"rq:queue:{PROBE_QUEUE}") == 0  # a watch is no probe

    again = answer(running_app, "WATCH shop.test --https-port 8443 --every 5m", user="UBOB")
    assert "updated the watch of" in dumps(again)
    [spec] = store.channel_watches(CHANNEL)
    assert spec.interval == 300 and spec.watchers == ["UALICE", "UBOB"]


@pytest.mark.parametrize(("text", "fragment"), [
    ("watch", "say which origin to watch"),
    ("watch --every 5m", "say which origin to watch"),
    ("watch shop.test --every 2m", "unknown interval '2m'"),
    ("watch help", "Watching origins"),
    ("watch shop.test --ca-file /etc/passwd", "ORIGIN502_CA_FILE"),
])
def test_watch_answers_bad_input_in_the_ack(running_app, store, text, fragment):
    assert fragment in refused_at_once(running_app, text)
    assert store.all_watch_ids() == []


def test_watch_refuses_a_private_target(app_factory):
    app = app_factory(ORIGIN502_ALLOW_PRIVATE_TARGETS="0")
    assert "won't probe" in refused_at_once(app, "watch 10.0.0.1")
    assert WatchStore(app.redis).all_watch_ids() == []


# -- unwatch ---------------------------------------------------------------------------------
def test_unwatch_removes_the_watch_and_tells_the_channel(running_app, store):
    answer(running_app, "watch shop.test --every 1h")
    [wid] = store.all_watch_ids()
    said = answer(running_app, "unwatch shop.test")
    assert said["response_type"] == "in_channel"
    assert "<@UALICE> stopped watching *shop.test*" in dumps(said)
    assert store.all_watch_ids() == []
    assert store.due_at(watch_member(wid)) is None  # no more checks


def test_unwatch_of_what_is_not_watched_says_so_to_the_asker(running_app, store):
    answer(running_app, "watch shop.test")
    said = answer(running_app, "unwatch other.test")
    assert said["response_type"] == "ephemeral"
    assert "is not watched in this channel" in dumps(said) and "shop.test" in dumps(said)
    assert len(store.all_watch_ids()) == 1


@pytest.mark.parametrize(("text", "fragment"), [
    ("unwatch", "say which origin to stop watching"),
    ("unwatch shop.test --https-port 70000", "70000"),
])
def test_unwatch_answers_bad_input_in_the_ack(running_app, text, fragment):
    assert fragment in refused_at_once(running_app, text)


# -- watches ---------------------------------------------------------------------------------
def test_watches_lists_the_channels_watches_to_the_asker(running_app):
    answer(running_app, "watch shop.test")
    answer(running_app, "watch api.shop.test --every 5m")
    answer(running_app, "watch elsewhere.test", channel="C0OTHER")
    said = answer(running_app, "watches")
    assert said["response_type"] == "ephemeral"
    assert "shop.test" in dumps(said) and "api.shop.test" in dumps(said)
    assert "elsewhere.test" not in dumps(said)  # another channel's


def test_watches_with_nothing_watched(running_app):
    said = answer(running_app, "watches")
    assert said["response_type"] == "ephemeral"
    assert "shop.test" not in dumps(said)


# -- digest ----------------------------------------------------------------------------------
def test_digest_schedule_off_and_now(running_app, store):
    said = answer(running_app, "digest daily 09:00 UTC")
    assert said["response_type"] == "in_channel" and "digest every day at" in dumps(said)
    schedule = store.digest_schedule(CHANNEL)
    assert schedule is not None and schedule.describe().startswith("every day at 09:00")
    assert store.due_at(f"digest:{CHANNEL}") is not None

    said = answer(running_app, "digest now")
    assert said["response_type"] == "ephemeral" and "Posting this channel" in dumps(said)
    assert running_app.redis.llen(f"rq:queue:{DELIVERY_QUEUE}") == 1

    said = answer(running_app, "digest off")
    assert said["response_type"] == "in_channel" and "No more scheduled digests" in dumps(said)
    assert store.digest_schedule(CHANNEL) is None
    assert store.due_at(f"digest:{CHANNEL}") is None


@pytest.mark.parametrize(("text", "fragment"), [
    ("digest", "say when"),
    ("digest hourly", "unknown digest schedule 'hourly'"),
    ("digest daily 25:00", "'25:00' is not a time"),
])
def test_digest_answers_bad_input_in_the_ack(running_app, store, text, fragment):
    assert fragment in refused_at_once(running_app, text)
    assert store.digest_schedule(CHANNEL) is None


# -- routing ---------------------------------------------------------------------------------
def test_a_target_named_like_a_sub_command_word_is_not_taken_for_one(running_app):
    """Only the first word picks a sub-command; `watchtower.test` is a target to probe."""
    reply, _ = running_app.send.command("watchtower.test", channel=CHANNEL)
    assert reply.status == 200 and reply.body == ""
    running_app.slack.wait_for(lambda: running_app.redis.llen(f"rq:queue:{PROBE_QUEUE}") == 1)
    assert WatchStore(running_app.redis).all_watch_ids() == []
