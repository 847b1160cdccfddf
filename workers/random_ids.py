"""Random ids made without a system call: request ids and run ids.

`uuid.uuid4()` and `secrets.token_hex()` read the kernel's random source on every call, and
that call lets go of the interpreter lock: under a burst of slash commands the thread making
an ack's ids then waits behind every other runnable thread to get it back (issue 8). Here one
256-bit key is read from the kernel per process (again in a forked child, so parent and child
never share a stream) and each id is BLAKE2b keyed with it over a counter: as unpredictable as
the kernel's bytes to anyone without the key, and unique within the process.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import threading


class _Stream:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rekey()

    def rekey(self) -> None:
        self.key = os.urandom(32)
        self.counter = itertools.count()

    def next(self) -> tuple[bytes, int]:
        with self.lock:  # the key and its counter go together
            return self.key, next(self.counter)


_STREAM = _Stream()
os.register_at_fork(after_in_child=_STREAM.rekey)


def random_hex(nbytes: int) -> str:
    """`nbytes` random bytes as hex (2 × nbytes characters), 1 ≤ nbytes ≤ 64."""
    key, number = _STREAM.next()
    return hashlib.blake2b(number.to_bytes(8, "big"), key=key, digest_size=nbytes).hexdigest()
