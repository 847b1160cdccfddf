"""The Queue objects the enqueue helpers keep, one per connection and queue (issue 8): each
job lands in the Redis of the connection it was queued with, and a dropped connection takes
its queues with it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from workers.jobs import queues
from workers.jobs.queues import PROBE_QUEUE, connect, enqueue_probe, enqueue_sync

ROOT = Path(__file__).resolve().parents[3]


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


_DROP = """
import gc, sys, weakref
from workers.jobs import queues
connection = queues.connect(sys.argv[1])
queues.enqueue_probe(connection, "r1", {"hostname": "one.example"}, count=False)
gone = weakref.ref(connection)
kept = weakref.ref(queues._enqueuer(queues.PROBE_QUEUE, connection))
del connection
gc.collect()
print(gone() is None, kept() is None)
"""


def test_a_dropped_connection_takes_its_queues_with_it(redis_url):
    # In a process of its own: what earlier tests left behind in this one may hold anything.
    done = subprocess.run([sys.executable, "-c", _DROP, redis_url], capture_output=True,
                          text=True, timeout=60, cwd=ROOT, check=False)
    assert done.stdout.split() == ["True", "True"], done.stderr
