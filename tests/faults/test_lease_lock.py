"""Locks are short leases renewed while held (workers/jobs/lease.py), on a real Redis."""

from __future__ import annotations

import time

import pytest
from redis import Redis

from workers.jobs.lease import LockBusy, leased_lock


@pytest.fixture
def redis(redis_url):
    connection = Redis.from_url(redis_url)
    yield connection
    connection.close()


def test_a_lock_whose_holder_died_is_free_within_one_lease(redis):
    # A holder that took the lock and then stopped (killed): nothing renews its lease.
    redis.lock("origin502:lock:test", timeout=1).acquire()
    with leased_lock(redis, "origin502:lock:test", wait=30, lease=1):
        assert redis.get("origin502:lock:test") is not None


def test_a_live_holder_renews_its_lease_and_others_wait(redis):
    key = "origin502:lock:held"
    with leased_lock(redis, key, wait=5, lease=3):
        # Renewal is seen as the lease's remaining time going back up (waited for, not timed).
        lowest = redis.pttl(key)
        deadline = time.monotonic() + 30
        while (left := redis.pttl(key)) <= lowest + 100:
            lowest = min(lowest, left)
            assert time.monotonic() < deadline, "the lease was never renewed"
            time.sleep(0.05)
        with pytest.raises(LockBusy), leased_lock(redis, key, wait=0.1, lease=3):
            pass
    assert redis.get(key) is None  # released on the way out, not left to expire
