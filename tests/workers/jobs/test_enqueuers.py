"""The Queue objects the enqueue helpers keep, one per connection and queue (issue 8): each
job lands in the Redis of the connection it was queued with, and a dropped connection takes
its queues with it."""

from __future__ import annotations

import gc
import weakref

from workers.jobs import queues
from workers.jobs.queues import PROBE_QUEUE, connect, enqueue_probe, enqueue_sync


def _database(url: str, number: int) -> str:
    return url.rsplit("/", 1)[0] + f"/{number}"


def test_each_job_lands_in_the_redis_it_was_queued_with(redis_url):
    first, second = connect(_database(redis_url, 0)), connect(_database(redis_url, 1))
    second.flushdb()
    enqueue_probe(first, "r1", {"hostname": "one.example"}, count=False)
    enqueue_probe(second, "r2", {"hostname": "two.example"}, count=False)
    enqueue_probe(first, "r3", {"hostname": "three.example"}, count=False)
    enqueue_sync(second, "r2", 1, count=False)
    key = f"rq:queue:{PROBE_QUEUE}"
    assert first.lrange(key, 0, -1) == [b"probe-r1", b"probe-r3"]
    assert second.lrange(key, 0, -1) == [b"probe-r2"]
    assert second.exists("rq:job:sync-r2-1") and not first.exists("rq:job:sync-r2-1")
    # One Queue per connection and name, reused; another connection gets its own.
    assert queues._enqueuer(PROBE_QUEUE, first) is queues._enqueuer(PROBE_QUEUE, first)
    assert queues._enqueuer(PROBE_QUEUE, first) is not queues._enqueuer(PROBE_QUEUE, second)
    assert queues._enqueuer(PROBE_QUEUE, second).connection is second
    second.flushdb()


def test_a_dropped_connection_takes_its_queues_with_it(redis_url):
    connection = connect(redis_url)
    enqueue_probe(connection, "r1", {"hostname": "one.example"}, count=False)
    gone = weakref.ref(connection)
    kept = weakref.ref(queues._enqueuer(PROBE_QUEUE, connection))
    del connection
    gc.collect()
    assert gone() is None and kept() is None
