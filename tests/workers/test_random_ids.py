"""Ids made without a system call (workers/random_ids.py) are unique, of the asked length,
and a forked child never repeats its parent's."""

from __future__ import annotations

import os

from workers.random_ids import random_hex


def test_ids_are_hex_of_the_asked_length_and_unique() -> None:
    ids = [random_hex(8) for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 16 and int(i, 16) >= 0 for i in ids)
    assert len(random_hex(4)) == 8


def test_a_forked_child_draws_other_ids_than_its_parent() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its first ids, to the parent
        os.close(read)
        os.write(write, " ".join(random_hex(8) for _ in range(100)).encode())
        os._exit(0)
    os.close(write)
    parent = {random_hex(8) for _ in range(100)}
    with os.fdopen(read) as pipe:
        child = set(pipe.read().split())
    os.waitpid(pid, 0)
    assert len(child) == 100 and not child & parent
