"""A probe attempt RQ takes for abandoned may have finished the run already (its heartbeat
thread lost Redis during an outage while the probe itself went on): the interruption then
must not turn the run back to "queued … retrying", nor probe it again; that showed
"checking…" over the final verdict (tests/faults/test_redis_outage.py). Real Redis, RQ's
own failure callback path, the order of events fixed by the test."""

from __future__ import annotations

from rq.exceptions import AbandonedJobError

from tests.bot.reports import run as make_run
from workers.jobs import queues
from workers.jobs.probe import on_probe_failure
from workers.jobs.queues import connect
from workers.jobs.run_record import RunStore


def _abandoned(store: RunStore, status: str):
    run = make_run(status)
    store.create(run)
    queues.enqueue_probe(store.redis, run.run_id, run.request)
    job = queues.queue(queues.PROBE_QUEUE, store.redis).fetch_job(f"probe-{run.run_id}")
    assert job is not None and job.retries_left == 1
    delivery = queues.queue(queues.DELIVERY_QUEUE, store.redis)
    before = delivery.count
    # What StartedJobRegistry.cleanup does for a job whose heartbeat expired.
    on_probe_failure(job, store.redis, AbandonedJobError, AbandonedJobError(), None)
    return run, job, delivery.count - before


def test_an_abandoned_attempt_of_a_finished_run_leaves_it_finished(redis_url):
    store = RunStore(connect(redis_url))
    run, job, syncs = _abandoned(store, "done")
    loaded = store.get(run.run_id)
    assert loaded is not None
    assert (loaded.status, loaded.error) == ("done", None)
    assert job.retries_left == 0  # RQ reads this after the callback: no second probe
    assert syncs == 0


def test_an_abandoned_attempt_of_a_running_run_is_told_and_retried(redis_url):
    store = RunStore(connect(redis_url))
    run, job, syncs = _abandoned(store, "running")
    loaded = store.get(run.run_id)
    assert loaded is not None and loaded.status == "queued"
    assert (loaded.error or "").endswith("; retrying")
    assert job.retries_left == 1 and syncs == 1
