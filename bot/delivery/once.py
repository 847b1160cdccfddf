"""Slack posts that happen once from the user's point of view.

chat.postMessage has no idempotency key: when Slack accepts a message but the answer is lost
(a 500 after posting, a timeout, a worker killed inside the call), posting again shows the
message twice. So every post of a delivery job has a key, and:

- the `ts` Slack gave is kept in Redis under that key (bot/store.py); a later attempt reuses it;
- before a post, the key is marked "in flight"; an attempt that finds that mark (a previous
  one may have been accepted) first looks for the message in the channel or thread, by the
  key carried in the message's metadata (conversations.history / conversations.replies with
  include_all_metadata), and only posts when it is not there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.store import SlackStore

log = logging.getLogger(__name__)

EVENT_TYPE = "origin502_post"
# How far back a lost top-level post is looked for (messages, newest first).
HISTORY_LIMIT = 100


def _carries(message: dict[str, Any], key: str) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return metadata.get("event_type") == EVENT_TYPE and payload.get("key") == key


def find_posted(call: Any, channel: str, thread_ts: str | None, key: str) -> str | None:
    """The ts of a message carrying `key` in the thread (or the channel), or None."""
    try:
        if thread_ts is not None:
            found = call("conversations.replies", channel=channel, ts=thread_ts,
                         include_all_metadata=True, limit=200)
        else:
            found = call("conversations.history", channel=channel,
                         include_all_metadata=True, limit=HISTORY_LIMIT)
    except SlackApiError as exc:
        # Without the history scopes (an old install) the message cannot be looked for:
        # posting again risks a duplicate, not posting risks losing it; nothing lost wins.
        log.warning("cannot look for a possibly posted message",
                    extra={"key": key, "error": exc.response.get("error")})
        return None
    for message in found.get("messages") or []:
        if _carries(message, key):
            return str(message["ts"])
    return None


@dataclass(frozen=True)
class Posted:
    ts: str
    # False when an earlier attempt posted it: it shows what was sent then, which may be
    # older than `payload` (a status message the caller should then update).
    fresh: bool


def post_once(store: SlackStore, call: Any, key: str, *, channel: str,
              thread_ts: str | None = None, **payload: Any) -> Posted:
    """chat.postMessage at most once per `key` (as the user sees it)."""
    known = store.posted(key)
    if known is not None:
        return Posted(known, fresh=False)
    if store.in_flight(key):
        ts = find_posted(call, channel, thread_ts, key)
        if ts is not None:
            log.info("found a post whose answer was lost; not posting it again",
                     extra={"key": key, "ts": ts})
            store.mark_posted(key, ts)
            return Posted(ts, fresh=False)
    store.mark_in_flight(key)
    posted = call("chat.postMessage", channel=channel, thread_ts=thread_ts,
                  metadata={"event_type": EVENT_TYPE, "event_payload": {"key": key}},
                  **payload)
    ts = str(posted["ts"])
    store.mark_posted(key, ts)
    return Posted(ts, fresh=True)
