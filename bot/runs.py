"""Runs from Slack, the service the listeners call: start one (or join the channel's active
one), find one again for its buttons or its thread, ask for its evidence. Raises
redis.exceptions.RedisError when the queue is unreachable."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis import Redis

from bot.store import RunDelivery, SlackStore
from workers.jobs import queues
from workers.jobs.run_record import Reason, Run, RunStore
from workers.logging_setup import current_request_id
from workers.models import ProbeRequest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Started:
    run: Run
    # True when the request joined a run already going (or just finished) in the channel.
    joined: bool
    # The message that shows the run (its status message, else its thread); None until
    # delivery has posted it.
    message_ts: str | None = None


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
    in this channel (or, for a command, was just checked): then join that run instead."""
    store = RunStore(connection)
    slack_store = SlackStore(connection)
    key = request.cache_key()
    run_id = store.new_run_id(key)
    run = Run(
        run_id=run_id,
        request=request.to_dict(),
        text=text,
        channel=channel,
        user=user,
        reason=reason,
        previous_run=previous_run,
        request_id=current_request_id(),
    )
    # The record exists before the run claims the target, so a request racing this one (two
    # clicks on one Re-run, a double submit) that finds run_id holding the key can read it
    # and join, instead of taking a recordless holder for a dead one and starting a second.
    with store.transaction() as pipe:
        store.create(run, pipeline=pipe)
        slack_store.save(run_id, RunDelivery(response_url=response_url, thread_ts=thread_ts),
                         pipeline=pipe)
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
            shown = slack_store.delivery(existing.run_id)
            return Started(run=existing, joined=True,
                           message_ts=shown.message_ts or shown.thread_ts)
        # The holder failed, expired, or finished and this is an explicit re-run.
        if store.take_over(channel, key, run_id, expected=holder):
            break
        holder = store.claim(channel, key, run_id)
    # One transaction: the first delivery job (the status message goes out first; the
    # probe's progress then updates it) and the probe job.
    with store.transaction() as pipe:
        if thread_ts is not None:
            slack_store.link_thread(channel, thread_ts, run_id, pipeline=pipe)
        queues.enqueue_sync(connection, run_id, store.first_seq(run_id, pipe), pipeline=pipe)
        queues.enqueue_probe(connection, run_id, run.request, pipeline=pipe)
    log.info("probe queued", extra={"run_id": run_id, "target": run.display, "reason": reason})
    return Started(run=run, joined=False)


@dataclass(frozen=True)
class Shown:
    """A run found again, with the thread it is shown in (None: none was posted)."""

    run: Run
    thread_ts: str | None


def find_run(connection: Redis, run_id: str) -> Shown | None:
    """The run behind a button; None once it has expired."""
    run = RunStore(connection).get(run_id)
    if run is None:
        return None
    return Shown(run, SlackStore(connection).delivery(run_id).thread_ts)


def thread_run(connection: Redis, channel: str, thread_ts: str) -> Run | None:
    """The latest run shown in a thread (what a mention there changes), if any."""
    run_id = SlackStore(connection).thread_run(channel, thread_ts)
    return RunStore(connection).get(run_id) if run_id else None


def ask_evidence(connection: Redis, run_id: str, user: str, response_url: str | None) -> bool:
    """Queue the posting of a finished run's evidence; False when the run or its report has
    expired."""
    store = RunStore(connection)
    if store.get(run_id) is None or store.report(run_id) is None:
        return False
    queues.enqueue_evidence(connection, run_id, user, store.next_seq(run_id), response_url)
    return True
