"""Each request Slack sends is acted on once, however often it arrives.

Slack retries events it thinks went unanswered, and anyone holding a signed request (a proxy
log, a browser extension) can replay it for the whole 5-minute signature window. A replayed
Re-run or command must not start another probe. The first delivery of a request claims its key
in Redis (bot/store.py); later deliveries are acknowledged (so Slack stops retrying) and
dropped before any listener runs.

A probe command (`/origin502 TARGET`, bot/commands/diagnose.py) claims its key in its
listener instead, in the one Redis round trip it makes before its ack (bot/intake.py, or
`claim_command` for help and problems), so that an acknowledgement under a burst waits for
one round trip, not two (issue 8).

The key is the Events API's `event_id` (the same across Slack's retries), else a digest of the
signed body, which holds Slack's unique `trigger_id` and `action_ts`: two real clicks differ,
a replay of one does not. (Two real clicks racing for the same re-run are settled by the run
store's compare-and-set, bot/runs.py.)
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.command_words import is_watch_command
from bot.store import SlackStore

log = logging.getLogger(__name__)

# Where the middleware leaves a probe command's key for its listener to claim.
COMMAND_KEY = "origin502_delivery_key"


def delivery_key(body: dict[str, Any], raw_body: str) -> str:
    event_id = body.get("event_id")
    if isinstance(event_id, str) and event_id:
        return f"event:{event_id}"
    # Socket Mode hands Bolt the parsed payload only (raw_body is empty): digest that.
    text = raw_body or json.dumps(body, sort_keys=True, ensure_ascii=False)
    return "body:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def first_delivery(store: SlackStore, key: str) -> bool:
    """True for the first delivery of `key`; also True when Redis cannot tell (the listeners
    then meet the outage themselves and say so)."""
    try:
        return store.first_delivery(key)
    except RedisError as exc:
        log.warning("could not check for a repeated request", extra={"error": str(exc)})
        return True


def command_key(context: BoltContext) -> str | None:
    """The key of the probe command being handled, left unclaimed by the middleware."""
    key = context.get(COMMAND_KEY)
    return str(key) if key else None


def claim_command(redis: Redis, context: BoltContext) -> bool:
    """For a probe command answered without a run (help, a problem, a refusal): True the
    first time this request arrives; False for a repeat (logged), to acknowledge with
    nothing else done."""
    key = command_key(context)
    if key is None or first_delivery(SlackStore(redis), key):
        return True
    log.info("repeated request ignored", extra={"key": key[:40], "retry": None})
    return False


def _probe_command(body: dict[str, Any]) -> bool:
    """A slash command for bot/commands/diagnose.py (the watch words have listeners of
    their own, which the middleware claims for)."""
    return bool(body.get("command")) and not is_watch_command(str(body.get("text") or ""))


class _Once(Middleware):
    """The check as a Bolt middleware object: Bolt calls `process` directly, where a function
    middleware costs it an argument-injection pass per request (issue 8)."""

    def __init__(self, redis: Redis) -> None:
        self._store = SlackStore(redis)

    def process(
        self,
        *,
        req: BoltRequest,
        resp: BoltResponse,
        next: Callable[[], BoltResponse],  # Bolt's name for it (it returns None)
    ) -> BoltResponse | None:
        body = req.body
        # Bolt's next() only marks the chain to go on; the middleware returns the response.
        if body.get("type") == "url_verification":
            next()
            return resp
        key = delivery_key(body, req.raw_body)
        if _probe_command(body):
            # Claimed by the listener, in the round trip it makes anyway (module docstring).
            req.context[COMMAND_KEY] = key
            next()
            return resp
        if first_delivery(self._store, key):
            next()
            return resp
        retry = req.headers.get("x-slack-retry-num") or []
        log.info("repeated request ignored",
                 extra={"key": key[:40], "retry": retry[0] if retry else None})
        return BoltResponse(status=200, body="")


def register(app: App, redis: Redis) -> None:
    app.middleware(_Once(redis))
