"""Redis locks held on a short lease that the holder renews while it works.

A lock that lasts as long as the longest job (minutes) turns a killed worker into minutes
of waiting for everyone behind it. Here the lease is seconds long and a thread renews it
while the holder is alive: a killed holder stops renewing, and the next job gets the lock
within one lease.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from redis import Redis
from redis.exceptions import LockError, RedisError

log = logging.getLogger(__name__)

LEASE = 10.0  # seconds a lock outlives a holder that stopped renewing it


class LockBusy(Exception):
    """Another holder kept the lock for longer than the caller would wait."""


@contextmanager
def leased_lock(connection: Redis, name: str, *, wait: float, lease: float = LEASE
                ) -> Iterator[None]:
    """Hold the lock `name` for the duration of the block, waiting up to `wait` seconds for
    it; the lease is renewed every third of `lease` while the block runs."""
    # thread_local=False: the renewing thread must see the token the holder acquired with.
    lock = connection.lock(name, timeout=lease, blocking_timeout=wait, thread_local=False)
    if not lock.acquire():
        raise LockBusy(f"{name} is held elsewhere; waited {wait:g} s")
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(lease / 3):
            try:
                lock.reacquire()
            except (LockError, RedisError) as exc:
                # Lost it (Redis restarted, or it expired while Redis was away): the work
                # in hand finishes; the idempotent writes make a second holder harmless.
                log.warning("lock lease lost", extra={"lock": name, "error": str(exc)})
                return

    renewer = threading.Thread(target=renew, name=f"lease-{name}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()
        # Expired, or Redis away: then the lease runs out by itself.
        with contextlib.suppress(LockError, RedisError):
            lock.release()
