"""The heartbeat thread of a running job outlives a Redis error: one missed beat during an
outage must not stop the beating, or RQ takes a job that still runs for abandoned and probes
it again (the trigger of the "checking…" over a final verdict seen in
tests/faults/test_redis_outage.py). Real Redis and RQ; the beats are counted, not timed."""

from __future__ import annotations

import threading

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue

from workers.jobs.worker import Origin502Worker


def test_the_heartbeat_goes_on_after_a_redis_error(redis_url, monkeypatch):
    redis = Redis.from_url(redis_url)
    queue = Queue("heartbeat-test", connection=redis)
    job = queue.enqueue("workers.jobs.probe.run_probe", "no-such-run")
    worker = Origin502Worker([queue], connection=redis, heartbeat_interval=1)
    beats: list[str] = []
    enough = threading.Event()

    def maintain(job_, execution) -> None:
        beats.append("beat")
        if len(beats) == 1:
            raise RedisConnectionError("Redis went away")  # the first beat meets an outage
        if len(beats) >= 3:
            enough.set()

    def perform(job_, queue_, execution) -> bool:
        # The job "runs" until the thread has beaten twice more after the failed beat (or
        # gives up after 30 s, which the assertion below then reports).
        enough.wait(30)
        return True

    monkeypatch.setattr(worker, "maintain_heartbeats", maintain)
    monkeypatch.setattr(worker, "perform_job", perform)
    worker.execute_job(job, queue)
    assert len(beats) >= 3, f"the heartbeat stopped after a Redis error: {beats}"
