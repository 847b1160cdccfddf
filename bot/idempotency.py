"""Each request Slack sends is acted on once, however often it arrives.

Slack retries events it thinks went unanswered, and anyone holding a signed request (a proxy
log, a browser extension) can replay it for the whole 5-minute signature window. A replayed
Re-run or command must not start another probe. The first delivery of a request claims its key
in Redis; later deliveries are acknowledged (so Slack stops retrying) and dropped before any
listener runs.

A slash command claims its key in its listener instead, in the one Redis round trip it makes
before its ack (bot/intake.py for a probe, `claim_command` for every other answer), so that
an acknowledgement under a burst waits for one round trip, not two (issue 8).

The key is the Events API's `event_id` (the same across Slack's retries), else a digest of the
signed body, which holds Slack's unique `trigger_id` and `action_ts`: two real clicks differ,
a replay of one does not. (Two real clicks racing for the same re-run are settled by the run
store's compare-and-set, bot/runs.py.)
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from slack_bolt import App, BoltContext, BoltRequest, BoltResponse

log = logging.getLogger(__name__)

PREFIX = "origin502:delivered"
# Longer than the signature window on either side of now (Bolt allows 5 minutes of skew).
SEEN_TTL = 15 * 60
# Where the middleware leaves a slash command's key for its listener to claim.
COMMAND_KEY = "origin502_delivery_key"


def delivery_key(body: dict[str, Any], raw_body: str) -> str:
    event_id = body.get("event_id")
    if isinstance(event_id, str) and event_id:
        return f"event:{event_id}"
    # Socket Mode hands Bolt the parsed payload only (raw_body is empty): digest that.
    text = raw_body or json.dumps(body, sort_keys=True, ensure_ascii=False)
    return "body:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def delivered_key(key: str) -> str:
    """The Redis key that marks `key` as delivered."""
    return f"{PREFIX}:{key}"


def first_delivery(redis: Redis, key: str) -> bool:
    """True for the first delivery of `key`; also True when Redis cannot tell (the listeners
    then meet the outage themselves and say so)."""
    try:
        return bool(redis.set(delivered_key(key), "1", nx=True, ex=SEEN_TTL))
    except RedisError as exc:
        log.warning("could not check for a repeated request", extra={"error": str(exc)})
        return True


def command_key(context: BoltContext) -> str | None:
    """The delivery key of the slash command being handled (unclaimed yet)."""
    key = context.get(COMMAND_KEY)
    return str(key) if key else None


def claim_command(redis: Redis, context: BoltContext) -> bool:
    """For a slash command's answers other than a probe (bot/intake.py claims those): True
    the first time this request arrives. False for a repeat, which is then logged and must
    be acknowledged with nothing else done."""
    key = command_key(context)
    if key is None or first_delivery(redis, key):
        return True
    log.info("repeated request ignored", extra={"key": key[:40], "retry": None})
    return False


def register(app: App, redis: Redis) -> None:
    @app.middleware
    def once(
        req: BoltRequest,
        resp: BoltResponse,
        body: dict[str, Any],
        context: BoltContext,
        next: Any,
    ) -> Any:
        if body.get("type") == "url_verification":
            next()
            return resp
        key = delivery_key(body, req.raw_body)
        if body.get("command"):
            # Claimed by the listener, in the round trip it makes anyway (module docstring).
            context[COMMAND_KEY] = key
            next()
            return resp
        if first_delivery(redis, key):
            next()
            return resp
        retry = req.headers.get("x-slack-retry-num") or []
        log.info("repeated request ignored",
                 extra={"key": key[:40], "retry": retry[0] if retry else None})
        return BoltResponse(status=200, body="")
