"""The RQ worker behind `origin502 worker`.

Jobs run in the worker process itself (no fork per job), so metrics counted inside a job are
the ones `/metrics` serves, and a heartbeat thread keeps the job's lease short while it runs:
if the whole worker is killed, another worker (or this one restarted) finds the job
abandoned within seconds, and RQ retries it or fails it with a message for the thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.job import Job
from rq.queue import Queue
from rq.timeouts import TimerDeathPenalty
from rq.worker import WorkerStatus

from workers.jobs import queues
from workers.jobs.allowed import ProjectJob
from workers.jobs.redis_wait import UNREACHABLE, RedisRefused, is_refusal, wait_for_redis

log = logging.getLogger(__name__)

# Seconds between heartbeats while a job runs; the lease is three heartbeats long.
DEFAULT_HEARTBEAT = 10
# How often registries are checked for abandoned jobs (RQ's default is 10 minutes): a run whose
# worker died, or lost Redis mid-job, is retried within a lease (3 heartbeats) plus this.
DEFAULT_MAINTENANCE_INTERVAL = 15


class Origin502Worker(SimpleWorker):
    """A SimpleWorker with short leases and frequent abandoned-job checks."""

    heartbeat_interval: int = DEFAULT_HEARTBEAT
    # After a Redis outage, try again at least this often (RQ's default backs off to 60 s).
    max_connection_wait_time = 5.0

    #: Set when a signal asked this worker to stop; `work()` also returns when Redis breaks
    #: under it, and only this tells the two apart.
    stop_was_requested: bool = False

    def __init__(
        self, *args: Any, heartbeat_interval: int = DEFAULT_HEARTBEAT, **kwargs: Any
    ) -> None:
        kwargs.setdefault("serializer", queues.SERIALIZER)
        # Only origin502's own job functions run here, whoever wrote the job into Redis.
        kwargs["job_class"] = ProjectJob
        kwargs.setdefault("maintenance_interval", DEFAULT_MAINTENANCE_INTERVAL)
        super().__init__(*args, **kwargs)
        self.heartbeat_interval = max(1, heartbeat_interval)
        self.job_monitoring_interval = self.heartbeat_interval

    def request_stop(self, signum: Any, frame: Any) -> None:
        self.stop_was_requested = True
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]

    @property
    def dequeue_timeout(self) -> int:
        # Wake up often enough to run maintenance on time even when the queues are idle.
        return max(1, min(int(self.maintenance_interval), self.worker_ttl - 15))

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return 3 * self.heartbeat_interval

    def execute_job(self, job: Job, queue: Queue) -> None:
        execution = self.prepare_execution(job)
        done = threading.Event()

        def beat() -> None:
            while not done.wait(self.heartbeat_interval):
                try:
                    self.maintain_heartbeats(job, execution)
                except RedisError as exc:
                    # One missed beat during a Redis outage must not end the beating: a
                    # thread that died here would let the lease lapse while the job still
                    # runs, and RQ would then retry a probe that finishes anyway.
                    log.warning("heartbeat of job %s missed (%s); next in %s s",
                                job.id, type(exc).__name__, self.heartbeat_interval)

        beater = threading.Thread(target=beat, name=f"heartbeat-{job.id}", daemon=True)
        beater.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            done.set()
            beater.join()
        self.set_state(WorkerStatus.IDLE)


class BackgroundWorker(Origin502Worker):
    """The same worker, run from a thread next to the main one (signals and SIGALRM belong
    to the main thread, so timeouts use timers and shutdown follows the main worker)."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass

    def run_maintenance_tasks(self) -> None:
        # Registry clean-up runs the failure callbacks of abandoned jobs under RQ's signal
        # based time limit, which only the main thread may set: the main worker, which takes
        # every queue this lane takes, does the clean-up for both.
        return None


def start_background_worker(
    connection: Redis,
    queue_names: list[str],
    *,
    heartbeat_interval: int = DEFAULT_HEARTBEAT,
    maintenance_interval: int = DEFAULT_MAINTENANCE_INTERVAL,
    lane: str = "delivery",
) -> threading.Thread:
    """Work `queue_names` from a daemon thread beside the main worker — the delivery lane, so
    Slack hears of progress while the main thread probes, or the interactive lane, so an
    incident probe starts at once even while a watch batch runs. A worker that crashes is
    replaced, not left dead."""

    def run() -> None:
        while True:
            worker = BackgroundWorker(
                [queues.queue(n, connection, ProjectJob) for n in queue_names],
                connection=connection,
                heartbeat_interval=heartbeat_interval,
                maintenance_interval=maintenance_interval,
            )
            try:
                worker.work(logging_level="INFO")
                return
            except Exception:
                log.exception("background worker crashed; starting a new one")
                time.sleep(1)

    thread = threading.Thread(target=run, name=f"{lane}-worker", daemon=True)
    thread.start()
    return thread


def make_worker(
    connection: Redis,
    queue_names: list[str],
    *,
    heartbeat_interval: int = DEFAULT_HEARTBEAT,
    maintenance_interval: int = DEFAULT_MAINTENANCE_INTERVAL,
    name: str | None = None,
) -> Origin502Worker:
    return Origin502Worker(
        [queues.queue(n, connection, ProjectJob) for n in queue_names],
        connection=connection,
        heartbeat_interval=heartbeat_interval,
        maintenance_interval=maintenance_interval,
        name=name,
    )


def work_until_stopped(
    make: Callable[[], Origin502Worker],
    connection: Redis,
    *,
    burst: bool = False,
    wait: Callable[[], float] | None = None,
) -> None:
    """Run RQ workers made by `make` until a signal stops them (or, with `burst`, the queues
    are empty), replacing a worker that quit because Redis went away.

    RQ's own loop retries a lost connection only while dequeuing; anywhere else (heartbeat,
    maintenance, registration) it quits or raises. Here the outage is waited out and a fresh
    worker takes over, so a Redis restart of any length costs no pod restart.
    """
    await_redis = wait or (lambda: wait_for_redis(connection, what="worker"))
    while True:
        await_redis()
        worker = make()
        try:
            worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
        except UNREACHABLE as exc:
            if is_refusal(exc):
                raise RedisRefused(str(exc)) from None
            log.warning("worker lost Redis; restarting it", extra={"error": str(exc)})
        if worker.stop_was_requested or burst:
            return
        # The worker quit on an error (its log says which). Once Redis answers, mark the old
        # registration dead, so a worker with the same --name may register again.
        await_redis()
        try:
            worker.register_death()  # type: ignore[no-untyped-call]
        except UNREACHABLE:
            continue
        log.warning("worker stopped unexpectedly; starting a new one")
        time.sleep(1)  # a worker that keeps failing must not spin
