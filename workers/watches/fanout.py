"""Probing the origins of a watch batch across a few processes, each with a few threads.

Threads alone put every probe of a batch in one interpreter: they take turns on its lock, so
one worker process checks no more origins per second than one core allows, and each probe's
phase timings include its wait for the lock (32 probes in one process inflated the TLS time
about tenfold). Here a worker keeps a small pool of probe processes (spawned once, not forked:
the worker runs threads of its own) and gives each a share of the batch; Redis stays with the
worker, which claims and records the whole batch at once (workers/watches/jobs.py).

`ORIGIN502_WATCH_PROCESSES` sets the number of probe processes (default: the CPUs this process
may use, at most 4); 0 probes in the worker's own process, with threads only.
`ORIGIN502_WATCH_CONCURRENCY` is the number of probes at once per worker (default 32), shared
among the processes.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from workers import cpu_allowance
from workers.models import ProbeRequest, Report
from workers.watches.alerts import Observation
from workers.watches.distribution import observe_watch

log = logging.getLogger(__name__)

PROCESSES_ENV = "ORIGIN502_WATCH_PROCESSES"
CONCURRENCY_ENV = "ORIGIN502_WATCH_CONCURRENCY"
DEFAULT_CONCURRENCY = 32
MAX_DEFAULT_PROCESSES = 4

#: What probing one watched origin gives: its observation and verdict, or None when
#: origin502 itself failed on it (logged where it happened).
Outcome = tuple[Observation, str] | None
Runner = Callable[[ProbeRequest], Report]


def _whole(name: str, default: int, lowest: int) -> int:
    """The whole number in `name`; `default` when unset, or, said in the log, when it is not
    one (a typo must not stop every watch)."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    try:
        return max(lowest, int(raw))
    except ValueError:
        log.warning("not a whole number; using the default",
                    extra={"variable": name, "value": raw, "default": default})
        return default


def concurrency() -> int:
    return _whole(CONCURRENCY_ENV, DEFAULT_CONCURRENCY, 1)


def usable_cpus() -> int:
    """CPUs this process may run on, within its container's CPU limit (a pod limited to one
    CPU on a large node sees every CPU of the node in its affinity). A fraction of a CPU
    counts whole: probes mostly wait on the network, so a process can share a core."""
    return cpu_allowance.this_process().cpus(round_up=True)


def process_count() -> int:
    return _whole(PROCESSES_ENV, min(MAX_DEFAULT_PROCESSES, usable_cpus()), 0)


def probe_in_threads(requests: Sequence[ProbeRequest], threads: int,
                     run: Runner | None = None) -> list[Outcome]:
    """Probe `requests` concurrently in this process, in order. One origin that breaks
    origin502 costs only its own outcome."""
    if run is None:
        from workers.engine import diagnose
        from workers.probes.side_checks import WATCH_SIDE_CHECKS

        # A watch reuses the side handshakes' reassuring answers for a bounded time, when its
        # origin's faithful handshake is unchanged (see workers/probes/side_checks.py).
        run = functools.partial(diagnose, side_checks=WATCH_SIDE_CHECKS)
    runner: Runner = run

    def one(request: ProbeRequest) -> Outcome:
        try:
            return observe_watch(request, runner)
        except Exception:  # one broken watch must not cost the batch the others
            log.exception("checking a watched origin failed",
                          extra={"target": request.display or request.hostname})
            return None

    if len(requests) == 1:
        return [one(requests[0])]
    return list(_threads(threads).map(one, requests))


_THREADS: dict[int, ThreadPoolExecutor] = {}
_THREADS_LOCK = threading.Lock()


def _threads(count: int) -> ThreadPoolExecutor:
    """A pool of `count` probe threads kept for the life of the process (starting threads for
    every batch costs a probe process more CPU than its rules)."""
    with _THREADS_LOCK:
        pool = _THREADS.get(count)
        if pool is None:
            pool = _THREADS[count] = ThreadPoolExecutor(max_workers=count,
                                                        thread_name_prefix="watch")
        return pool


def _probe_share(requests: list[dict[str, Any]], threads: int) -> list[Outcome]:
    """In a probe process: its share of a batch (requests as JSON-ready dicts)."""
    return probe_in_threads([ProbeRequest.from_dict(r) for r in requests], threads)


def _watch_parent(parent: int) -> None:
    """In a probe process: leave when the worker that started it is gone (a killed worker
    cannot stop its pool, and an orphaned pool would wait for work forever)."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _start_probe_process(parent: int) -> None:
    from workers.logging_setup import configure_logging

    configure_logging()  # what goes wrong in a probe reaches the worker's log, as JSON lines
    _watch_parent(parent)
    # Import and parse what every probe needs once, before the first batch arrives.
    from workers.engine import diagnose  # noqa: F401
    from workers.probes.certificates import trust_store

    trust_store(None)


class ProbePool:
    """Probe processes kept for the life of the worker, each started when a batch first needs
    it. Each process has an executor of its own, so that the i-th share of a batch always goes
    to the i-th process: a watch met again in a batch of the same make-up (its interval's next
    cycle) lands where its earlier answers are kept (the side checks a watch may reuse,
    workers/probes/side_checks.py, and the chain verdicts)."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._pools: list[ProcessPoolExecutor] | None = None
        self._lock = threading.Lock()

    def _executors(self) -> list[ProcessPoolExecutor]:
        with self._lock:
            if self._pools is None:
                context = multiprocessing.get_context("spawn")
                self._pools = [ProcessPoolExecutor(
                    max_workers=1, mp_context=context, initializer=_start_probe_process,
                    initargs=(os.getpid(),)) for _ in range(self.processes)]
            return self._pools

    def probe(self, requests: Sequence[dict[str, Any]], threads: int) -> list[Outcome]:
        """Split `requests` among the processes (round robin, so slow origins that sit
        together in a batch are spread out) and gather the outcomes in order."""
        if not requests:
            return []
        shares = min(self.processes, len(requests))
        per_process = max(1, threads // shares)
        executors = self._executors()
        try:
            futures: list[Future[list[Outcome]]] = [
                executors[i].submit(_probe_share, list(requests[i::shares]), per_process)
                for i in range(shares)]
            results = [f.result() for f in futures]
        except BrokenProcessPool:
            # A probe process died (killed, out of memory): start afresh next time; the batch
            # fails and is retried, and its retry checks again what this run had claimed.
            self.close()
            raise
        outcomes: list[Outcome] = [None] * len(requests)
        for i, result in enumerate(results):
            outcomes[i::shares] = result
        return outcomes

    def close(self) -> None:
        with self._lock:
            pools, self._pools = self._pools, None
        for pool in pools or []:
            pool.shutdown(wait=False, cancel_futures=True)


# One pool per worker process (a test may change the count: one pool per count).
_POOLS: dict[int, ProbePool] = {}
_POOLS_LOCK = threading.Lock()


def probe_requests(requests: Sequence[dict[str, Any]], local_run: Runner | None = None
                   ) -> list[Outcome]:
    """Probe the origins of one batch (ProbeRequest dicts, as a watch keeps them), in order:
    in the probe processes, or, with 0 of them configured, in this process's threads with
    `local_run` (the engine's diagnose if None)."""
    processes = process_count()
    if processes == 0:
        return probe_in_threads([ProbeRequest.from_dict(r) for r in requests], concurrency(),
                                local_run)
    with _POOLS_LOCK:
        pool = _POOLS.setdefault(processes, ProbePool(processes))
    return pool.probe(requests, concurrency())
