"""A slash command's probe, recorded and queued in the one Redis round trip before its ack.

Under a burst of commands, each acknowledgement waits for the signature check, the parse and
this round trip only (issue 8): one script claims the request against replays
(bot/idempotency.py), records the run and its Slack record, makes it the active run for its
target in the channel and queues its first delivery job and its probe, all or nothing
(RunStore.open). So an acknowledged command is queued already: nothing waits in the bot's
memory for a thread after the ack, and a bot that dies right after acking loses nothing.

What the script leaves alone goes on after the ack, off the request's thread, through
bot/runs.py's start_run as before: a target that already has a run in the channel (the
command joins it, or takes over a failed one) and a Redis the script could not reach (tried
again; the person is told the queue is unavailable when it still is).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from redis import Redis
from redis.exceptions import RedisError

from bot.parse import Accepted
from bot.store import RunDelivery, SlackStore
from workers.jobs.run_record import Run, RunStore, new_run_id
from workers.logging_setup import current_request_id
from workers.models.request import cache_key_of

log = logging.getLogger(__name__)

# A run id is 64 random bits: drawing one in use even once is as good as never.
ATTEMPTS = 3


@dataclass(frozen=True)
class Intake:
    """`queued`: recorded and queued; `repeated`: a replay, nothing to do; `held`: another
    run holds the target; `unreachable`: Redis did not answer. The last two go on after the
    ack, through start_run."""

    outcome: Literal["queued", "repeated", "held", "unreachable"]
    run: Run


def open_command_run(
    connection: Redis,
    accepted: Accepted,
    *,
    channel: str,
    user: str,
    response_url: str | None,
    delivery: str | None,
) -> Intake:
    """Record and queue the run of `/origin502 TARGET` in one round trip. `delivery` is the
    request's key against replays (bot/idempotency.py), claimed in the same round trip."""
    request = accepted.request.to_dict()
    cache_key = cache_key_of(request)
    store, slack = RunStore(connection), SlackStore(connection)
    seen = slack.seen_mark(delivery) if delivery else None
    for _ in range(ATTEMPTS):
        run = Run(
            run_id=new_run_id(cache_key),
            request=request,
            text=accepted.text,
            channel=channel,
            user=user,
            reason="command",
            request_id=current_request_id(),
        )
        try:
            opened = store.open(run, also=slack.fields(RunDelivery(response_url=response_url)),
                                seen=seen, cache_key=cache_key)
        except RedisError as exc:
            log.warning("queue unavailable before the ack", extra={"error": str(exc)})
            return Intake("unreachable", run)
        if opened.status == "opened":
            log.info("probe queued",
                     extra={"run_id": run.run_id, "target": run.display, "reason": "command"})
            return Intake("queued", run)
        if opened.status == "repeated":
            log.info("repeated request ignored", extra={"key": (delivery or "")[:40]})
            return Intake("repeated", run)
        if opened.status == "held":
            return Intake("held", run)
        # "taken": draw another id; nothing was written, the request not claimed yet.
    raise RuntimeError("no free run id after several draws")
