"""A slash command's probe, recorded and queued in the one Redis round trip before its ack.

Under a burst of commands, each acknowledgement waits for the signature check, the parse and
this round trip only (issue 8): one script claims the request against replays
(bot/idempotency.py), records the run and its Slack record, makes it the active run for its
target in the channel and queues its first delivery job and its probe, all or nothing
(RunStore.open). So an acknowledged command is queued already: nothing waits in the bot's
memory for a thread after the ack, and a bot that dies right after acking loses nothing.

The round trip has a bound of its own (`connect_for_ack`: ACK_CONNECT_TIMEOUT to connect,
ACK_READ_TIMEOUT for the answer, no retry), shorter than the shared client's (5 s and a
retry): a frozen Redis (a hung host, a stopped process that keeps its socket) would otherwise
hold the acknowledgement ~10 s, past Slack's 3 s, and the person would see "operation timed
out" with no word of what happened.

What the script leaves alone goes on after the ack, off the request's thread:
- a Redis that did not answer in time: the same run is opened again with the shared client
  (`reopen_command_run`). A script that timed out may still run once Redis wakes up, but
  opening the same run twice is harmless: whichever comes second finds the run recorded
  ("taken") or the request claimed ("repeated") and writes nothing, so no second probe
  starts. When Redis still does not answer, the person is told the queue is unavailable
  (bot/background.py), or, after a timeout, that it is not answering and the probe may
  still start by itself;
- a target that already has a run in the channel: bot/runs.py's start_run (the command joins
  it, or takes over a failed one).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError, TimeoutError
from redis.retry import Retry

from bot.parse import Accepted
from bot.store import RunDelivery, SlackStore
from workers.jobs.run_record import Run, RunStore, new_run_id
from workers.logging_setup import current_request_id
from workers.models.request import cache_key_of

log = logging.getLogger(__name__)

# A run id is 64 random bits: drawing one in use even once is as good as never.
ATTEMPTS = 3
# The round trip before an ack: at most this long to connect (loopback or in-cluster takes
# well under a millisecond) and to get the answer (under a burst of 50 commands, tens of ms),
# ~1 s in all; Slack gives up on the ack at 3 s. On a new connection the AUTH (and SELECT)
# reply has the same read bound: 1.75 s at the very worst.
ACK_CONNECT_TIMEOUT = 0.25
ACK_READ_TIMEOUT = 0.75


def connect_for_ack(url: str) -> Redis:
    """The client for the round trip before an ack (module docstring): a short bound, no
    retry (the retry happens after the ack), no health-check PING before a command (a stale
    connection fails that command, which is retried after the ack), and no CLIENT SETINFO
    round trips when it connects (each would have its own ACK_READ_TIMEOUT)."""
    return Redis.from_url(
        url,
        socket_connect_timeout=ACK_CONNECT_TIMEOUT,
        socket_timeout=ACK_READ_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
        driver_info=None,
    )


@dataclass(frozen=True)
class Intake:
    """`queued`: recorded and queued; `repeated`: a replay, nothing to do; `held`: another
    run holds the target; `unreachable`: Redis did not answer. The last two go on after the
    ack, through start_run."""

    outcome: Literal["queued", "repeated", "held", "unreachable"]
    run: Run
    # Unreachable by a timeout: the script may have reached Redis and still run when it
    # wakes up (a refused connection sent nothing).
    maybe_sent: bool = False


def open_command_run(
    connection: Redis,
    accepted: Accepted,
    *,
    channel: str,
    user: str,
    response_url: str | None,
    delivery: str | None,
) -> Intake:
    """Record and queue the run of `/origin502 TARGET` in one round trip (with `connection`
    from `connect_for_ack`). `delivery` is the request's key against replays
    (bot/idempotency.py), claimed in the same round trip."""
    request = accepted.request.to_dict()
    cache_key = cache_key_of(request)
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
            status = _open(connection, run, response_url, delivery, cache_key)
        except RedisError as exc:
            log.warning("queue unavailable before the ack", extra={"error": str(exc)})
            return Intake("unreachable", run, maybe_sent=isinstance(exc, TimeoutError))
        if status != "taken":
            return _outcome(status, run, delivery)
        # "taken": draw another id; nothing was written, the request not claimed yet.
    raise RuntimeError("no free run id after several draws")


def reopen_command_run(
    connection: Redis, run: Run, *, response_url: str | None, delivery: str | None
) -> Intake:
    """After the ack, for an intake that was `unreachable`: open the same run again (module
    docstring). "taken" means the first attempt went through after all: the run is queued.
    "repeated" means the first attempt claimed the request and found the target held (it
    writes nothing else then): `held`, for start_run to join that run. Raises RedisError
    when Redis still does not answer."""
    status = _open(connection, run, response_url, delivery, None)
    if status == "taken":
        log.info("probe queued before the ack after all", extra={"run_id": run.run_id})
        return Intake("queued", run)
    if status == "repeated":
        return Intake("held", run)
    return _outcome(status, run, delivery)


def _open(
    connection: Redis, run: Run, response_url: str | None, delivery: str | None,
    cache_key: str | None,
) -> str:
    store, slack = RunStore(connection), SlackStore(connection)
    opened = store.open(run, also=slack.fields(RunDelivery(response_url=response_url)),
                        seen=slack.seen_mark(delivery) if delivery else None,
                        cache_key=cache_key)
    return opened.status


def _outcome(status: str, run: Run, delivery: str | None) -> Intake:
    if status == "opened":
        log.info("probe queued",
                 extra={"run_id": run.run_id, "target": run.display, "reason": "command"})
        return Intake("queued", run)
    if status == "repeated":
        log.info("repeated request ignored", extra={"key": (delivery or "")[:40]})
        return Intake("repeated", run)
    if status == "held":
        return Intake("held", run)
    raise ValueError(f"unexpected status {status!r}")
