"""The watch batch job: probe many watched origins at once, judge each result against the
watch's previous state, and hand any alert to a delivery worker.

Runs on the probe workers (no Slack token). Redis is spoken to per batch, not per origin: one
round trip claims every occurrence of the batch and reads the watches, one reads their states
once the probes are done, and one script records every result with its alerts and change line
(each only if the state is still the one it was judged against; a state changed meanwhile by
another check of the same watch is read and judged again). The origins themselves are probed
in a few probe processes (workers/watches/fanout.py).

A killed batch loses no watch: a claim holds the batch job's id until the result is recorded,
and the job is retried when its worker dies, so its retry checks what it had claimed; any
other run of the same occurrence finds it claimed or done and leaves it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from prometheus_client import Counter
from redis import Redis
from rq import get_current_job

from workers import metrics
from workers.engine import diagnose
from workers.jobs import queues
from workers.watches import fanout
from workers.watches.alerts import WatchState, evaluate, expiry_thresholds
from workers.watches.clock import Clock, clock_from_env
from workers.watches.dispatch import enqueue_alerts
from workers.watches.store import CheckRecord, Claimed, WatchStore

log = logging.getLogger(__name__)

# A state changed by another check between our read and our write is read and judged again,
# this many times at most (two checks of one watch at once are rare: an overdue slot).
MAX_RECORD_ROUNDS = 5

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

#: Probes a batch's requests (ProbeRequest dicts, as watches keep them), outcomes in order.
Prober = Callable[[Sequence[dict[str, Any]]], list[fanout.Outcome]]


def _probe(requests: Sequence[dict[str, Any]]) -> list[fanout.Outcome]:
    # `diagnose` is looked up here, at call time, so tests may replace it (in-process only).
    return fanout.probe_requests(requests, local_run=diagnose)


def check_batch(connection: Redis, items: list[tuple[str, float]], *, claimant: str,
                clock: Clock, thresholds: tuple[int, ...],
                probe: Prober = _probe) -> dict[str, int]:
    """Check every (watch id, occurrence) of `items` for the batch job `claimant`; returns
    how many checks ended how (ok, warn, fail, probe_error, skipped, internal_error)."""
    store = WatchStore(connection)
    counts: dict[str, int] = {}

    def count(result: str, n: int = 1) -> None:
        if n:
            counts[result] = counts.get(result, 0) + n

    claimed = store.claim_checks(claimant, items)
    # Already run (a re-delivered or re-enqueued batch), or being run by another job.
    count("skipped", len(items) - len(claimed))
    live = [c for c in claimed if c.spec is not None]
    count("skipped", len(claimed) - len(live))  # unwatched after it was scheduled
    outcomes = probe([c.spec.request for c in live if c.spec is not None])
    results: list[tuple[Claimed, Any, str]] = []
    for claim, outcome in zip(live, outcomes, strict=True):
        if outcome is None:
            # Left claimed: a retry of this job would only fail the same way; the watch's
            # next slot checks it again.
            count("internal_error")
            continue
        observation, verdict = outcome
        results.append((claim, observation, verdict))
    recorded = _record(store, claimant, results, clock, thresholds)
    for claim, _observation, verdict in results:
        outcome_of = recorded.get(claim.watch_id, "skipped")
        if outcome_of != "recorded":
            count("skipped")
            continue
        count("probe_error" if verdict in ("unknown", "probe_error") else verdict)
    for result, n in counts.items():
        WATCH_CHECKS.labels(result=result).inc(n)
    return counts


def _record(store: WatchStore, claimant: str, results: list[tuple[Claimed, Any, str]],
            clock: Clock, thresholds: tuple[int, ...]) -> dict[str, str]:
    """Judge each result against the watch's stored state and record them all; per watch id,
    how recording ended (see WatchStore.record_checks)."""
    outcome: dict[str, str] = {}
    pending = results
    for _ in range(MAX_RECORD_ROUNDS):
        if not pending:
            break
        raws = store.raw_states([claim.watch_id for claim, _, _ in pending])
        now = clock.now()
        records = []
        for (claim, observation, _verdict), raw in zip(pending, raws, strict=True):
            assert claim.spec is not None
            previous = WatchState.from_dict(_json(raw)) if raw else None
            decision = evaluate(previous, observation, watch_id=claim.watch_id,
                                channel=claim.spec.channel, display=claim.spec.name, now=now,
                                thresholds=thresholds)
            records.append(CheckRecord(claim.watch_id, claim.occurrence, raw, decision.state,
                                       decision.alerts, decision.change))
        statuses = store.record_checks(claimant, records)
        retry = []
        for item, record, status in zip(pending, records, statuses, strict=True):
            outcome[record.watch_id] = status
            if status == "conflict":
                retry.append(item)
            elif status == "recorded" and record.alerts:
                for alert in record.alerts:
                    WATCH_ALERTS.labels(kind=alert.kind).inc()
                enqueue_alerts(store.redis, record.watch_id, record.state.checks)
        pending = retry
    for claim, _, _ in pending:
        log.warning("a watch's state kept changing while its result was recorded",
                    extra={"watch_id": claim.watch_id})
    return outcome


def _json(raw: str) -> dict[str, Any]:
    value = json.loads(raw)
    assert isinstance(value, dict)
    return value


def probe_watches(items: list[list[Any]]) -> dict[str, int]:
    """RQ job: check every (watch id, occurrence) of `items`."""
    job = get_current_job()
    if job is None:
        raise RuntimeError("probe_watches runs inside an RQ worker")
    with metrics.track_job(queues.WATCH_QUEUE):
        return check_batch(job.connection, [(str(w), float(o)) for w, o in items],
                           claimant=job.id, clock=clock_from_env(),
                           thresholds=expiry_thresholds())
