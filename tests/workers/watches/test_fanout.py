"""Probe processes: a batch split among them comes back whole and in order, and a probe
process that dies costs that batch (retried by RQ), not the next one. Origins are closed
loopback ports, each refusing at once."""

from __future__ import annotations

import os
import signal
from concurrent.futures.process import BrokenProcessPool

import pytest

from tests.support.ports import closed_port
from tests.workers.watches.conftest import wait_until
from workers.cpu_allowance import CpuAllowance
from workers.options import build_request
from workers.watches.fanout import ProbePool


def requests(count: int) -> list[tuple[int, dict]]:
    made = []
    for i in range(count):
        port = closed_port()
        name = f"o{i}.closed.test"
        made.append((port, build_request(name, https_port=port, resolve=((name, "127.0.0.1"),),
                                         connection_attempts=1, allow_private=True).to_dict()))
    return made


@pytest.fixture
def pool():
    made = ProbePool(2)
    yield made
    made.close()


def test_a_batch_split_among_processes_comes_back_in_order(pool):
    batch = requests(7)
    outcomes = pool.probe([r for _, r in batch], threads=4)
    assert len(outcomes) == 7
    for (port, _), outcome in zip(batch, outcomes, strict=True):
        assert outcome is not None
        observation, verdict = outcome
        assert verdict == "fail"
        assert any(str(port) in cause.summary for cause in observation.causes), port


def test_a_probe_process_that_dies_fails_its_batch_only(pool):
    pool.probe([r for _, r in requests(2)], threads=2)  # the processes are up
    executor = pool._executors()[0]
    victim = next(iter(executor._processes))  # type: ignore[attr-defined]
    os.kill(victim, signal.SIGKILL)
    # The pool's own thread notices the death (a batch running then fails with it too).
    wait_until(lambda: executor._broken, 10, what="the pool noticed")  # type: ignore[attr-defined]
    with pytest.raises(BrokenProcessPool):
        pool.probe([r for _, r in requests(2)], threads=2)
    outcomes = pool.probe([r for _, r in requests(3)], threads=2)
    assert [o[1] for o in outcomes if o is not None] == ["fail"] * 3


def test_each_probe_process_keeps_an_executor_of_its_own_across_batches(pool):
    """One executor per probe process, the same ones batch after batch: the i-th share of a
    batch is submitted to the i-th (``ProbePool.probe``), so a watch's next cycle finds the
    answers its process kept."""
    batch = [r for _, r in requests(4)]
    pool.probe(batch, threads=2)
    first = [next(iter(e._processes)) for e in pool._executors()]  # type: ignore[attr-defined]
    for _ in range(3):
        pool.probe(batch, threads=2)
    assert [next(iter(e._processes)) for e in pool._executors()] == first  # type: ignore[attr-defined]
    assert len(set(first)) == 2


@pytest.mark.parametrize(("allowance", "expected"), [
    (CpuAllowance(64, 1.0, "cpu.max"), 1), (CpuAllowance(64, 1.5, "cpu.max"), 2),
    (CpuAllowance(64, 0.5, "cpu.max"), 1), (CpuAllowance(2), 2), (CpuAllowance(64), 4)])
def test_a_container_s_cpu_limit_bounds_the_probe_processes(monkeypatch, allowance, expected):
    """A fraction of a CPU counts whole for probe processes; at most 4 by default (the cgroup
    files themselves: tests/workers/test_cpu_allowance.py)."""
    from workers.watches import fanout

    monkeypatch.setattr(fanout.cpu_allowance, "this_process", lambda: allowance)
    monkeypatch.delenv(fanout.PROCESSES_ENV, raising=False)
    assert fanout.process_count() == expected
