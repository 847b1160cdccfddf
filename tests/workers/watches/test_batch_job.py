"""The watch batch job in an in-process RQ worker: concurrency, idempotency, alerts queued."""

from __future__ import annotations

import time

import pytest
from rq import Queue

from tests.bot.reports import report
from tests.workers.watches.test_store_scheduler import T0, add_watch
from workers.jobs import queues
from workers.jobs.worker import make_worker
from workers.watches import jobs
from workers.watches.clock import FAKE_CLOCK_ENV
from workers.watches.dispatch import enqueue_watch_batch
from workers.watches.fanout import PROCESSES_ENV
from workers.watches.store import WatchStore


@pytest.fixture
def redis(redis_url, tmp_path, monkeypatch):
    (tmp_path / "clock").write_text(str(T0))
    monkeypatch.setenv(FAKE_CLOCK_ENV, str(tmp_path / "clock"))
    # Probes in this process's threads, so a test's stand-in for `diagnose` is the one used.
    monkeypatch.setenv(PROCESSES_ENV, "0")
    connection = queues.connect(redis_url)
    yield connection
    connection.close()


def work(redis) -> None:
    make_worker(redis, [queues.WATCH_QUEUE], heartbeat_interval=1).work(
        burst=True, with_scheduler=False)


def test_origins_of_a_batch_are_probed_concurrently(redis, monkeypatch):
    def slow_diagnose(request):
        time.sleep(0.3)
        return report(fail=False)

    monkeypatch.setattr(jobs, "diagnose", slow_diagnose)
    store = WatchStore(redis)
    specs = [add_watch(store, f"o{i}.example") for i in range(20)]
    enqueue_watch_batch(redis, [(s.watch_id, T0) for s in specs])
    started = time.perf_counter()
    work(redis)
    elapsed = time.perf_counter() - started
    assert all(store.state(s.watch_id).checks == 1 for s in specs)
    assert elapsed < 2.0, f"20 probes of 0.3 s took {elapsed:.1f} s: not concurrent"


def test_an_occurrence_runs_once_even_if_its_batch_is_delivered_twice(redis, monkeypatch):
    calls = []
    monkeypatch.setattr(jobs, "diagnose", lambda request: calls.append(1) or report(fail=True))
    store = WatchStore(redis)
    spec = add_watch(store, "a.example")
    enqueue_watch_batch(redis, [(spec.watch_id, T0)])
    work(redis)
    # The same occurrence again, in another batch (a scheduler that re-claimed it).
    enqueue_watch_batch(redis, [(spec.watch_id, T0), (spec.watch_id + "-gone", T0)])
    work(redis)
    assert len(calls) == 1
    state = store.state(spec.watch_id)
    assert state.checks == 1 and state.incident_id is not None
    # The incident's opening alert waits in the outbox, and a delivery job is queued for it.
    assert store.next_alert(spec.watch_id).kind == "open"
    delivery = Queue(queues.DELIVERY_QUEUE, connection=redis, serializer=queues.SERIALIZER)
    assert [j.func_name for j in delivery.get_jobs()] == ["bot.delivery.watches.deliver_alerts"]


def test_one_broken_watch_does_not_cost_the_others(redis, monkeypatch):
    def diagnose(request):
        if request.hostname == "bad.example":
            raise RuntimeError("bug")
        return report(fail=False)

    monkeypatch.setattr(jobs, "diagnose", diagnose)
    store = WatchStore(redis)
    good, bad = add_watch(store, "good.example"), add_watch(store, "bad.example")
    enqueue_watch_batch(redis, [(good.watch_id, T0), (bad.watch_id, T0)])
    work(redis)
    assert store.state(good.watch_id).checks == 1
    assert store.state(bad.watch_id) is None
