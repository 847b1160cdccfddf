"""Queue names, timeouts, TTLs and enqueue helpers shared by the bot and the probe workers.

Every job is enqueued by dotted path with JSON arguments (RQ's JSON serializer, never pickle),
an explicit timeout and TTLs, and an id derived from the run it serves. A new run's first two
jobs, queued before a slash command's ack, are worded from a template RQ makes once per process
(`first_job_commands`), not by RQ each time.
"""

from __future__ import annotations

import datetime
import json
import threading
import zlib
from typing import Any

from redis import Redis
from redis.backoff import NoBackoff
from redis.client import Pipeline
from redis.retry import Retry as RedisRetry
from rq import Callback, Queue, Retry
from rq.job import Job
from rq.serializers import JSONSerializer

from workers import metrics

# Incident probes (slash commands, mentions, re-runs): every probe worker keeps a lane free
# for them, so a watch cycle never makes an on-call person wait.
PROBE_QUEUE = "origin502-probe"
# Background probing: batches of watched origins.
WATCH_QUEUE = "origin502-watch"
DELIVERY_QUEUE = "origin502-delivery"
# The names `origin502 worker --queues` accepts, mapped to the RQ queues they cover, in the
# order a worker takes them: interactive probes before watch batches.
QUEUE_NAMES = {"probe": PROBE_QUEUE, "delivery": DELIVERY_QUEUE}
QUEUES_FOR = {"probe": [PROBE_QUEUE, WATCH_QUEUE], "delivery": [DELIVERY_QUEUE]}


def worker_queues(wanted: list[str]) -> list[str]:
    """RQ queue names for `origin502 worker --queues` names, interactive probes first."""
    names = [name for kind in wanted for name in QUEUES_FOR[kind]]
    order = [PROBE_QUEUE, WATCH_QUEUE, DELIVERY_QUEUE]
    return sorted(dict.fromkeys(names), key=order.index)

SERIALIZER = JSONSerializer

# A probe of a slow origin can take 3 attempts x 10 s per address plus a 30 s read timeout;
# the engine keeps its own deadline, this is the hard stop around it.
PROBE_TIMEOUT = 300
# A job nobody picked up within this time is dropped: the run record then says "queued".
PROBE_TTL = 15 * 60
# One retry covers a worker that died mid-job (killed, OOM, node drained).
PROBE_RETRIES = 1
# Delivery may sleep through Slack's Retry-After more than once.
DELIVERY_TIMEOUT = 180
DELIVERY_TTL = 30 * 60
DELIVERY_RETRY = Retry(max=3, interval=[2, 10, 30])
RESULT_TTL = 3600
FAILURE_TTL = 7 * 24 * 3600

PROBE_JOB = "workers.jobs.probe.run_probe"
PROBE_FAILURE_CALLBACK = "workers.jobs.probe.on_probe_failure"
# Delivery jobs live on the bot side (they need slack_sdk and the token); referring to them
# by name keeps `workers` free of any Slack import.
SYNC_JOB = "bot.delivery.jobs.sync_run"
EVIDENCE_JOB = "bot.delivery.jobs.post_evidence"
DELIVERY_FAILURE_CALLBACK = "bot.delivery.jobs.on_delivery_failure"


def connect(url: str) -> Redis:
    """A Redis connection that fails fast: a command or a click must learn within a second or
    two that the queue is down, not hang on it."""
    return Redis.from_url(
        url,
        socket_connect_timeout=1.0,
        socket_timeout=5.0,
        retry=RedisRetry(NoBackoff(), 1),
        health_check_interval=15,
    )


def queue(name: str, connection: Redis, job_class: type[Job] | None = None) -> Queue:
    return Queue(name, connection=connection, serializer=SERIALIZER, job_class=job_class)


# The Queue objects enqueue_probe and enqueue_delivery use, one per connection and queue name.
# Building a Queue runs RQ's serializer check (an isinstance against a runtime Protocol, slow
# on Python 3.11), on a slash command's ack path (issue 8); an enqueue changes nothing in the
# Queue but the server version it caches, so threads can share one. Kept on the connection
# itself (as RQ keeps that version), so they go when it goes.
_ENQUEUERS = "_origin502_enqueuers"
_ENQUEUERS_LOCK = threading.Lock()


def _enqueuer(name: str, connection: Redis) -> Queue:
    with _ENQUEUERS_LOCK:
        by_name: dict[str, Queue] | None = getattr(connection, _ENQUEUERS, None)
        if by_name is None:
            by_name = {}
            setattr(connection, _ENQUEUERS, by_name)
        found = by_name.get(name)
        if found is None:
            found = by_name[name] = queue(name, connection)
        return found


def enqueue_probe(
    connection: Redis,
    run_id: str,
    request: dict[str, Any],
    pipeline: Pipeline | None = None,
    *,
    count: bool = True,
) -> str:
    """Queue the probe of one run; returns the job id. With `pipeline`, only adds to it.
    `count=False` leaves the job out of the metrics (count_first_jobs counts once queued)."""
    job = _enqueuer(PROBE_QUEUE, connection).enqueue(
        PROBE_JOB,
        args=(run_id, request),
        job_id=f"probe-{run_id}",
        job_timeout=PROBE_TIMEOUT,
        ttl=PROBE_TTL,
        result_ttl=RESULT_TTL,
        failure_ttl=FAILURE_TTL,
        retry=Retry(max=PROBE_RETRIES),
        on_failure=Callback(PROBE_FAILURE_CALLBACK),
        description=f"probe {request.get('hostname')} for run {run_id}",
        pipeline=pipeline,
    )
    if count:
        metrics.JOBS.labels(queue=PROBE_QUEUE, state="queued").inc()
    return str(job.id)


def enqueue_delivery(
    connection: Redis,
    func: str,
    args: tuple[object, ...],
    *,
    job_id: str,
    description: str,
    pipeline: Pipeline | None = None,
    unique: bool = False,
    count: bool = True,
) -> str:
    """Queue a job for the delivery workers (the only ones holding the Slack token), with the
    timeouts, TTLs and retries every delivery job shares. Raises DuplicateJobError when
    `unique` is set and a job with that id is queued already."""
    job = _enqueuer(DELIVERY_QUEUE, connection).enqueue(
        func,
        args=args,
        job_id=job_id,
        unique=unique,
        job_timeout=DELIVERY_TIMEOUT,
        ttl=DELIVERY_TTL,
        result_ttl=RESULT_TTL,
        failure_ttl=FAILURE_TTL,
        retry=DELIVERY_RETRY,
        on_failure=Callback(DELIVERY_FAILURE_CALLBACK),
        description=description,
        pipeline=pipeline,
    )
    if count:
        metrics.JOBS.labels(queue=DELIVERY_QUEUE, state="queued").inc()
    return str(job.id)


def enqueue_sync(
    connection: Redis,
    run_id: str,
    seq: int,
    pipeline: Pipeline | None = None,
    *,
    count: bool = True,
) -> str:
    """Queue a delivery job that brings Slack in line with the run record."""
    return enqueue_delivery(connection, SYNC_JOB, (run_id,), job_id=f"sync-{run_id}-{seq}",
                            description=f"deliver run {run_id}", pipeline=pipeline,
                            count=count)


def count_first_jobs() -> None:
    """Count a new run's first delivery job and probe once queued (RunStore.open records
    them with `count=False`, for a script that may not run them)."""
    metrics.JOBS.labels(queue=DELIVERY_QUEUE, state="queued").inc()
    metrics.JOBS.labels(queue=PROBE_QUEUE, state="queued").inc()


def enqueue_evidence(
    connection: Redis, run_id: str, user: str, seq: int, response_url: str | None = None
) -> str:
    """Queue a delivery job that posts the evidence of a finished run in its thread."""
    return enqueue_delivery(connection, EVIDENCE_JOB, (run_id, user, response_url),
                            job_id=f"evidence-{run_id}-{seq}",
                            description=f"evidence of run {run_id}")


# -- a new run's first jobs, worded without RQ on the ack path ------------------------------------
# RunStore.open queues a new run's first delivery job and its probe inside its script, before
# a slash command's ack (issue 8). Having RQ build the two jobs each time (a Job object, its
# serializer checked against a runtime Protocol, to_dict, timestamps, a recording pipeline)
# cost ~180 µs of the ~1.3 ms of CPU an ack takes. The commands depend on the run only through
# its id, its request (in the job's data and description) and the time: RQ words them once per
# process for a stand-in run (the template, recorded by RunStore), and each run gets a copy
# with its own values put in (~25 µs). The result is the commands RQ would send, the data
# compressed with a smaller zlib window (_job_data) (tests/workers/jobs/test_first_jobs.py
# compares them, so an RQ upgrade that words jobs differently fails there, not in production).
STAND_IN_RUN = "r0123456789abcdef-stand0in0000"
STAND_IN_REQUEST: dict[str, Any] = {"hostname": "stand-in.invalid"}
_TIMESTAMP_FIELDS = ("created_at", "enqueued_at")


def enqueue_first_jobs(
    connection: Redis, run_id: str, request: dict[str, Any], pipeline: Pipeline
) -> None:
    """Add a new run's first delivery job (`sync-RUN-1`: the status message goes out first)
    and its probe to `pipeline`, uncounted (count_first_jobs counts once queued)."""
    enqueue_sync(connection, run_id, 1, pipeline=pipeline, count=False)
    enqueue_probe(connection, run_id, request, pipeline=pipeline, count=False)


def _job_data(func: str, args: tuple[object, ...]) -> bytes:
    """A job's `data` field as RQ reads it: its call as JSON (what SERIALIZER.dumps does), in
    a zlib stream. RQ compresses with zlib's defaults, whose set-up (a 256 KiB state) costs
    ~40 µs a call; a 512-byte window and the smallest state hold a job's few hundred bytes
    as well, in ~5 µs, and zlib.decompress (RQ's Job.restore) reads either stream."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 9, 1)  # level, method, window bits, memLevel
    raw = json.dumps((func, None, args, {})).encode("utf-8")
    return packer.compress(raw) + packer.flush()


def first_job_commands(
    template: list[list[Any]], run_id: str, request: dict[str, Any]
) -> list[list[Any]]:
    """The commands `enqueue_first_jobs` adds for this run, from `template` (what it added
    for STAND_IN_RUN and STAND_IN_REQUEST; see above): for a script to run, not sent."""
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # RQ's
    data = {
        SYNC_JOB: _job_data(SYNC_JOB, (run_id,)),
        PROBE_JOB: _job_data(PROBE_JOB, (run_id, request)),
    }
    host = str(request.get("hostname"))
    stand_in_host = str(STAND_IN_REQUEST["hostname"])
    commands: list[list[Any]] = []
    for recorded in template:
        command = [
            word.replace(STAND_IN_RUN, run_id).replace(stand_in_host, host)
            if isinstance(word, str) and STAND_IN_RUN in word else word
            for word in recorded
        ]
        if command[0] == "HSET" and "data" in command[2::2]:  # the job's hash
            func = SYNC_JOB if str(command[1]).startswith("rq:job:sync-") else PROBE_JOB
            for index in range(2, len(command), 2):
                if command[index] in _TIMESTAMP_FIELDS:
                    command[index + 1] = stamp
                elif command[index] == "data":
                    command[index + 1] = data[func]
        commands.append(command)
    return commands
