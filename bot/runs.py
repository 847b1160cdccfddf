"""Starting runs from Slack: dedup against the channel's active run, record, enqueue."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis import Redis

from workers.jobs import queues
from workers.jobs.runs import Reason, Run, RunStore
from workers.logging_setup import current_request_id
from workers.models import ProbeRequest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Started:
    run: Run
    # True when the request joined a run already going (or just finished) in the channel.
    joined: bool


def start_run(
    connection: Redis,
    request: ProbeRequest,
    *,
    text: str,
    channel: str,
    user: str,
    reason: Reason,
    response_url: str | None = None,
    thread_ts: str | None = None,
    previous_run: str | None = None,
) -> Started:
    """Queue a probe, unless the same target with the same options is already being checked
    in this channel (or, for a command, was just checked): then join that run instead.

    Raises redis.exceptions.RedisError when the queue is unreachable.
    """
    store = RunStore(connection)
    key = request.cache_key()
    run_id = store.new_run_id(key)
    run = Run(
        run_id=run_id,
        request=request.to_dict(),
        text=text,
        channel=channel,
        user=user,
        reason=reason,
        response_url=response_url,
        thread_ts=thread_ts,
        previous_run=previous_run,
        request_id=current_request_id(),
    )
    # The record exists before the run claims the target, so a request racing this one (two
    # clicks on one Re-run, a double submit) that finds run_id holding the key can read it
    # and join, instead of taking a recordless holder for a dead one and starting a second.
    store.create(run)
    holder = store.claim(channel, key, run_id)
    # Twice at most: when another request takes the key over between our read and our
    # write, the second look finds its run and joins it.
    for _ in range(2):
        if holder is None:
            break
        existing = store.get(holder)
        if existing is not None and (
            existing.status in ("queued", "running")
            or (reason == "command" and existing.status == "done")
        ):
            store.discard(run_id)
            if user != existing.user and user not in existing.joined:
                store.add_joined(existing.run_id, user)
                queues.enqueue_sync(connection, existing.run_id, store.next_seq(existing.run_id))
            log.info("joined a running probe", extra={
                "run_id": existing.run_id, "run_request_id": existing.request_id})
            return Started(run=existing, joined=True)
        # The holder failed, expired, or finished and this is an explicit re-run.
        if store.take_over(channel, key, run_id, expected=holder):
            break
        holder = store.claim(channel, key, run_id)
    # One transaction: the first delivery job (the status message goes out first; the
    # probe's progress then updates it) and the probe job.
    with connection.pipeline() as pipe:
        pipe.multi()
        if thread_ts is not None:
            store.link_thread(channel, thread_ts, run_id, pipeline=pipe)
        pipe.incr(f"origin502:run:{run_id}:seq")
        queues.enqueue_sync(connection, run_id, 1, pipeline=pipe)
        queues.enqueue_probe(connection, run_id, run.request, pipeline=pipe)
        pipe.execute()
    log.info("probe queued", extra={"run_id": run_id, "target": run.display, "reason": reason})
    return Started(run=run, joined=False)
