"""Delivery jobs of the watches: post alerts (incident threads, recovery, expiry warnings)
and channel digests. Like every delivery job they run on the delivery queue, the only
place that holds the Slack token; the probe workers and the scheduler only write Redis.
"""

from __future__ import annotations

import logging

from bot.delivery.jobs import _call, _connection
from bot.delivery.once import post_once
from bot.render.watches import alert_message, digest_messages, incident_parent
from bot.store import SlackStore
from workers import metrics
from workers.jobs import queues
from workers.watches.alerts import Alert
from workers.watches.clock import clock_from_env
from workers.watches.digest import compose_digest, snapshot_of
from workers.watches.store import WatchStore, digest_member

log = logging.getLogger(__name__)


def _post_alert(store: WatchStore, slack_store: SlackStore, alert: Alert) -> str:
    """Post one alert where it belongs; returns the ts of the message posted."""
    message = alert_message(alert).payload()
    thread = store.thread(alert.thread_id)
    key = f"alert:{alert.alert_id}"
    if alert.kind == "open" or thread is None or not thread.get("ts"):
        # The first message of its thread (or its thread is gone): a channel message.
        ts = post_once(slack_store, _call, key, channel=alert.channel, unfurl_links=False,
                       **message).ts
        store.save_thread(alert.thread_id, alert.channel, ts, alert)
        return ts
    parent_ts = str(thread["ts"])
    posted = post_once(
        slack_store, _call, key,
        channel=alert.channel,
        thread_ts=parent_ts,
        unfurl_links=False,
        # Later certificate warnings also show in the channel; incident updates do not.
        reply_broadcast=True if alert.kind == "expiry" else None,
        **message,
    )
    if alert.kind == "recovered" and thread.get("opened"):
        opened = Alert.from_dict(thread["opened"])
        _call("chat.update", channel=alert.channel, ts=parent_ts,
              **incident_parent(opened, alert).payload())
    return posted.ts


def deliver_alerts(watch_id: str) -> str:
    """Post a watch's pending alerts, oldest first, each exactly once."""
    connection = _connection()
    store = WatchStore(connection)
    slack_store = SlackStore(connection)
    sent = 0
    with (
        metrics.track_job(queues.DELIVERY_QUEUE),
        store.locked(f"outbox:{watch_id}", timeout=queues.DELIVERY_TIMEOUT),
    ):
        while (alert := store.next_alert(watch_id)) is not None:
            if store.posted(alert.alert_id) is None:
                ts = _post_alert(store, slack_store, alert)
                store.mark_posted(alert.alert_id, ts)
                sent += 1
            store.pop_alert(watch_id)
    return f"{sent} alert(s) posted"


def post_digest(channel: str, occurrence: float, on_demand: bool = False) -> str:
    """Post the channel's digest for a scheduled occurrence (or `digest now`)."""
    connection = _connection()
    store = WatchStore(connection)
    member = digest_member(channel)
    with (
        metrics.track_job(queues.DELIVERY_QUEUE),
        store.locked(f"digest:{channel}", timeout=queues.DELIVERY_TIMEOUT),
    ):
        if store.ran(member, occurrence):
            return "already posted"
        specs = store.channel_watches(channel)
        if not specs and not on_demand:
            return "nothing watched"
        states = store.states([s.watch_id for s in specs])
        now = clock_from_env().now()
        digest = compose_digest(
            channel, [(s, states.get(s.watch_id)) for s in specs], store.digest_snapshot(channel),
            now=now, previous_at=store.last_digest_at(channel))
        slack_store = SlackStore(connection)
        for number, message in enumerate(digest_messages(digest)):
            post_once(slack_store, _call, f"digest:{member}:{occurrence}:{number}",
                      channel=channel, unfurl_links=False, **message.payload())
        store.save_digest(channel, now,
                          {s.watch_id: snapshot_of(states.get(s.watch_id)) for s in specs})
        store.mark_ran(member, occurrence)
    return f"digest of {len(specs)} origin(s)"
