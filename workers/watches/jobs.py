"""The watch batch job: probe many watched origins at once, judge each result against the
watch's previous state, and hand any alert to a delivery worker.

Runs on the probe workers (no Slack token). The origins of one batch are probed
concurrently in a thread pool: probes spend their time waiting on the network, so one worker
process checks dozens of origins in the time of the slowest.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from prometheus_client import Counter
from redis import Redis
from rq import get_current_job

from workers import metrics
from workers.engine import diagnose
from workers.jobs import queues
from workers.watches.alerts import evaluate, expiry_thresholds
from workers.watches.clock import Clock, clock_from_env
from workers.watches.dispatch import enqueue_alerts
from workers.watches.distribution import observe_watch
from workers.watches.store import WatchStore, watch_member

log = logging.getLogger(__name__)

# Concurrent probes inside one worker process.
CONCURRENCY = int(os.environ.get("ORIGIN502_WATCH_CONCURRENCY") or 32)

WATCH_CHECKS = Counter(
    "origin502_watch_checks_total",
    "Checks of watched origins, by outcome (ok, warn, fail, probe_error, skipped).",
    ["result"],
)
WATCH_ALERTS = Counter(
    "origin502_watch_alerts_total",
    "Alerts raised for watched origins, by kind (open, update, recovered, expiry).",
    ["kind"],
)


def check_watch(connection: Redis, watch_id: str, occurrence: float, clock: Clock,
                thresholds: tuple[int, ...]) -> str:
    """Probe one watched origin for one scheduled occurrence; returns what happened."""
    store = WatchStore(connection)
    if not store.first_run(watch_member(watch_id), occurrence):
        return "skipped"  # this occurrence already ran (a re-delivered or re-enqueued job)
    spec = store.spec(watch_id)
    if spec is None:
        return "skipped"  # unwatched after it was scheduled
    observation, verdict = observe_watch(spec.probe_request, diagnose)
    with store.locked(f"watch:{watch_id}"):
        if store.spec(watch_id) is None:
            return "skipped"
        decision = evaluate(store.state(watch_id), observation, watch_id=watch_id,
                            channel=spec.channel, display=spec.name, now=clock.now(),
                            thresholds=thresholds)
        store.record(watch_id, decision.state, decision.alerts, decision.change)
    for alert in decision.alerts:
        WATCH_ALERTS.labels(kind=alert.kind).inc()
    if decision.alerts:
        enqueue_alerts(connection, watch_id, decision.state.checks)
    return "probe_error" if verdict in ("unknown", "probe_error") else verdict


def probe_watches(items: list[list[Any]]) -> dict[str, int]:
    """RQ job: check every (watch id, occurrence) of `items`, concurrently."""
    job = get_current_job()
    if job is None:
        raise RuntimeError("probe_watches runs inside an RQ worker")
    connection: Redis = job.connection
    clock = clock_from_env()
    thresholds = expiry_thresholds()

    def one(item: list[Any]) -> str:
        watch_id, occurrence = str(item[0]), float(item[1])
        try:
            return check_watch(connection, watch_id, occurrence, clock, thresholds)
        except Exception:  # one broken watch must not cost the batch the others
            log.exception("checking a watched origin failed", extra={"watch_id": watch_id})
            return "internal_error"

    counts: dict[str, int] = {}
    with metrics.track_job(queues.WATCH_QUEUE):
        workers = max(1, min(CONCURRENCY, len(items)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="watch") as pool:
            for result in pool.map(one, items):
                WATCH_CHECKS.labels(result=result).inc()
                counts[result] = counts.get(result, 0) + 1
    return counts
