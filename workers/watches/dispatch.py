"""Enqueueing the watches' jobs by dotted path, with JSON arguments, explicit timeouts and TTLs,
and ids derived from what they serve. Batches go on the watch queue, behind incident probes;
alerts and digests on the delivery queue."""

from __future__ import annotations

import hashlib
import json
import os

from redis import Redis
from rq import Retry
from rq.exceptions import DuplicateJobError

from workers.jobs import queues

WATCH_BATCH_JOB = "workers.watches.jobs.probe_watches"
# Delivery lives on the bot side (it needs the token); named by path so `workers` stays free
# of any Slack import.
ALERTS_JOB = "bot.delivery.watches.deliver_alerts"
DIGEST_JOB = "bot.delivery.watches.post_digest"

# How many watched origins one job probes, concurrently. Many small jobs spread a cycle over
# all workers; each job probes its origins in parallel threads.
BATCH_SIZE = int(os.environ.get("ORIGIN502_WATCH_BATCH_SIZE") or 25)
# Worst case for one batch: every origin at the engine's own deadline, concurrently.
WATCH_BATCH_TIMEOUT = 600
# A batch nobody picked up in this time is dropped; the next slot of each watch still runs.
WATCH_BATCH_TTL = 10 * 60
# A batch whose worker died is run again (RQ notices within a heartbeat lease); the retry checks
# the watches the first run had claimed and not recorded (workers/watches/jobs.py).
WATCH_BATCH_RETRIES = 2


def batch_job_id(items: list[tuple[str, float]]) -> str:
    blob = json.dumps(sorted([w, round(o)] for w, o in items)).encode()
    return f"watches-{hashlib.sha256(blob).hexdigest()[:20]}"


def enqueue_watch_batch(connection: Redis, items: list[tuple[str, float]]) -> str | None:
    """Queue one batch of (watch id, occurrence); None when that very batch is already queued."""
    job_id = batch_job_id(items)
    try:
        queues.queue(queues.WATCH_QUEUE, connection).enqueue(
            WATCH_BATCH_JOB,
            args=([[w, o] for w, o in items],),
            job_id=job_id,
            unique=True,
            job_timeout=WATCH_BATCH_TIMEOUT,
            ttl=WATCH_BATCH_TTL,
            retry=Retry(max=WATCH_BATCH_RETRIES),
            result_ttl=queues.RESULT_TTL,
            failure_ttl=queues.FAILURE_TTL,
            description=f"check {len(items)} watched origin(s)",
        )
    except DuplicateJobError:
        return None
    return job_id


def _enqueue_delivery(connection: Redis, func: str, args: tuple[object, ...], job_id: str,
                      description: str) -> str | None:
    try:
        return queues.enqueue_delivery(connection, func, args, job_id=job_id,
                                       description=description, unique=True)
    except DuplicateJobError:
        return None


def enqueue_alerts(connection: Redis, watch_id: str, seq: int) -> str | None:
    """Ask a delivery worker to post the watch's pending alerts (its outbox), in order."""
    return _enqueue_delivery(connection, ALERTS_JOB, (watch_id,), f"alerts-{watch_id}-{seq}",
                             f"deliver alerts of watch {watch_id}")


def enqueue_digest(connection: Redis, channel: str, occurrence: float,
                   *, on_demand: bool = False) -> str | None:
    """Queue the digest of `channel` for the scheduled `occurrence` (or `digest now`)."""
    kind = "now" if on_demand else "at"
    return _enqueue_delivery(connection, DIGEST_JOB, (channel, occurrence, on_demand),
                             f"digest-{channel}-{kind}-{round(occurrence * 1000)}",
                             f"digest of {channel}")
