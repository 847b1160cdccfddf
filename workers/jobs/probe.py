"""The probe job: run the diagnosis engine for one run and hand the result to delivery.

Runs on the internet-facing probe workers, which hold no Slack token: everything Slack
should show is written to the run record, and a delivery job is queued to show it.
"""

from __future__ import annotations

import logging
import time
from types import TracebackType
from typing import Any

from redis import Redis
from rq import get_current_job
from rq.exceptions import AbandonedJobError
from rq.job import Job
from rq.timeouts import JobTimeoutException

from workers import metrics
from workers.engine import diagnose
from workers.jobs import queues
from workers.jobs.live import DistributionLiveUpdates, RunLiveUpdates
from workers.jobs.run_record import RunStore
from workers.logging_setup import request_id_bound
from workers.models import Layer, ProbeRequest, Report
from workers.models.distribution import DistributionReport
from workers.models.distribution_live import AS_ORIGIN_STEP
from workers.models.layers import connection_results

log = logging.getLogger(__name__)

FINISHED = ("done", "failed")


def _connection() -> Redis:
    job = get_current_job()
    if job is None:
        raise RuntimeError("run_probe runs inside an RQ worker")
    connection: Redis = job.connection
    return connection


def request_sync(connection: Redis, run_id: str) -> None:
    """Ask a delivery worker to bring the run's Slack messages up to date."""
    store = RunStore(connection)
    queues.enqueue_sync(connection, run_id, store.next_seq(run_id))


def run_probe(run_id: str, request: dict[str, Any]) -> dict[str, Any]:
    """Diagnose `request` for run `run_id`; returns the verdict (the report is in Redis)."""
    connection = _connection()
    store = RunStore(connection)
    record = store.get(run_id)
    with request_id_bound(record.request_id if record is not None else None):
        if record is not None and record.status in FINISHED:
            # A retry of an attempt RQ took for abandoned that finished after all: probing
            # again would put the final message back to "checking…" for nothing.
            log.info("run already finished; not probing again", extra={"run_id": run_id})
            return {"run_id": run_id, "verdict": None, "already": record.status}
        return _run_probe(connection, store, run_id, request)


def _run_probe(connection: Redis, store: RunStore, run_id: str,
               request: dict[str, Any]) -> dict[str, Any]:
    probe_request = ProbeRequest.from_dict(request)
    log.info("probe started", extra={"run_id": run_id, "target": probe_request.hostname})
    job = get_current_job()
    attempt = 1 + (job.number_of_retries if job is not None and job.number_of_retries else 0)
    # RQ counts retries after a failure, not after an abandoned job (a killed worker): the
    # run record's note, left by record_interruption, tells the latter.
    record = store.get(run_id)
    if record is not None and record.status == "queued" and \
            (record.error or "").endswith("; retrying"):
        attempt = max(attempt, record.attempt + 1)
    # A retried probe starts from nothing: the waits and first verdict of the killed attempt
    # are not this one's.
    store.clear_live(run_id)
    # On a retry, keep the note that says why: the thread shows it until this attempt ends
    # (with a free lane the retry starts at once, before any delivery could show the note).
    if attempt == 1:
        store.update(run_id, status="running", attempt=attempt, error=None)
    else:
        store.update(run_id, status="running", attempt=attempt)
    request_sync(connection, run_id)

    def on_progress(layer: str, text: str) -> None:
        store.set_progress(run_id, layer, text)
        request_sync(connection, run_id)

    if probe_request.lookup is not None:
        return _run_lookup(connection, store, run_id, probe_request)
    # issue 8: a provisional verdict once the first connection attempt timed out, and what
    # is being waited for, reach the thread while the remaining attempts run.
    live = RunLiveUpdates(store, run_id, lambda: request_sync(connection, run_id))
    with metrics.track_job(queues.PROBE_QUEUE), live:
        report = diagnose(probe_request, on_progress=on_progress,
                          on_provisional=live.provisional, events=live.board)
    store.update(run_id, waiting=None)
    _record_done(connection, store, run_id, [report], report.to_dict())
    log.info("probe finished", extra={
        "run_id": run_id, "verdict": report.verdict, "duration_ms": report.duration_ms,
        "codes": [f.code for f in report.findings]})
    return {"run_id": run_id, "verdict": report.verdict, "findings": len(report.findings)}


def _record_done(connection: Redis, store: RunStore, run_id: str, reports: list[Report],
                 saved: dict[str, Any]) -> None:
    """Count what the reports measured, keep `saved` as the run's result, free the target and
    ask delivery to show it: the end of every successful probe job."""
    for report in reports:
        observe_layers(report)
        for finding in report.findings:
            metrics.FINDINGS.labels(code=finding.code).inc()
    store.save_report(run_id, saved)
    store.update(run_id, status="done", finished_at=time.time())
    run = store.get(run_id)
    if run is not None:
        store.release(run, finished=True)
    request_sync(connection, run_id)


def _run_lookup(connection: Redis, store: RunStore, run_id: str,
                request: ProbeRequest) -> dict[str, Any]:
    """A site or distribution: look it up, probe every origin, or say why it could not."""
    from workers.aws.errors import LookupFailed
    from workers.distribution import diagnose_lookup

    def sync() -> None:
        request_sync(connection, run_id)

    store.set_progress(run_id, "lookup", "reading the distribution")
    sync()
    # issue 8: each origin's first verdict and what it waits for reach the thread while the
    # slowest origin's remaining attempts run; a name on no distribution, probed as an origin,
    # gets the single origin's live updates.
    live = DistributionLiveUpdates(store, run_id, sync)

    def as_origin(origin: ProbeRequest) -> Report:
        def on_progress(layer: str, text: str) -> None:
            store.set_progress(run_id, layer, text)
            sync()

        store.set_progress(run_id, "lookup", AS_ORIGIN_STEP)
        with RunLiveUpdates(store, run_id, sync) as plain:
            report = diagnose(origin, on_progress=on_progress,
                              on_provisional=plain.provisional, events=plain.board)
        store.update(run_id, waiting=None)
        return report

    try:
        with metrics.track_job(queues.PROBE_QUEUE), live:
            result = diagnose_lookup(request, diagnose, watch=live.watch, as_origin=as_origin)
    except LookupFailed as exc:
        store.update(run_id, status="failed", finished_at=time.time(),
                     error=f"could not look {request.display} up in AWS: {exc.message}")
        run = store.get(run_id)
        if run is not None:
            store.release(run, finished=False)
        request_sync(connection, run_id)
        log.info("lookup failed", extra={"run_id": run_id, "why": exc.message})
        return {"run_id": run_id, "verdict": None, "error": exc.message}
    reports = [p.report for p in result.probes if p.report] if isinstance(
        result, DistributionReport) else [result]
    _record_done(connection, store, run_id, reports, result.to_dict())
    log.info("distribution probed", extra={"run_id": run_id, "verdict": result.verdict})
    return {"run_id": run_id, "verdict": result.verdict}


def observe_layers(report: Report) -> None:
    """Feed each layer's measured duration into the probe-duration histogram."""
    metrics.PROBE_DURATION.labels(layer=Layer.DNS).observe(report.dns.duration_ms / 1000)
    for address in report.addresses:
        for probe in address.probes:
            for layer, result in connection_results(probe).items():
                if result.status != "not_run":
                    metrics.PROBE_DURATION.labels(layer=layer).observe(result.duration_ms / 1000)


def interruption_text(exc_type: type[BaseException] | None, timeout: float | None) -> str:
    """Why a probe job did not finish, in words for the thread (never a traceback)."""
    if exc_type is not None and issubclass(exc_type, JobTimeoutException):
        return f"the probe did not finish within {int(timeout or queues.PROBE_TIMEOUT)} s"
    if exc_type is not None and issubclass(exc_type, AbandonedJobError):
        return "the worker running the probe stopped (killed or restarted) mid-probe"
    if exc_type is None:
        return "the worker running the probe was killed mid-probe"
    return (
        f"the probe failed inside origin502 ({exc_type.__name__}); "
        "the operators can see it in the worker log"
    )


def record_interruption(job: Job, connection: Redis, why: str, *, retrying: bool) -> bool:
    """Tell the run's thread that its probe was interrupted, and whether it is retried.
    False when there is nothing to tell: the run is gone, or already done or failed (an
    attempt taken for abandoned, its heartbeat lost while Redis was away, that finished)."""
    run_id = str(job.args[0]) if job.args else None
    if run_id is None:
        return False
    store = RunStore(connection)
    run = store.get(run_id)
    if run is None:
        return False
    if retrying:
        wrote = store.update_unless_finished(
            run_id, status="queued", error=f"{why}; retrying", progress={})
    else:
        wrote = store.update_unless_finished(
            run_id, status="failed", error=why, finished_at=time.time())
        if wrote:
            store.release(run, finished=False)
    if wrote:
        request_sync(connection, run_id)
    return wrote


def on_probe_failure(
    job: Job,
    connection: Redis,
    exc_type: type[BaseException] | None,
    exc_value: BaseException | None,
    traceback: TracebackType | None,
) -> None:
    """RQ failure callback: the job raised, timed out, or was found abandoned."""
    if exc_type is not None and issubclass(exc_type, JobTimeoutException):
        # Trying a probe that ran out of time again would only double the wait.
        job.retries_left = 0
    retrying = bool(job.retries_left and job.retries_left > 0)
    why = interruption_text(exc_type, job.timeout)
    log.warning(
        "probe job interrupted",
        extra={"job_id": job.id, "why": why, "retrying": retrying},
        exc_info=(exc_type, exc_value, traceback) if exc_type and exc_value else None,
    )
    if not record_interruption(job, connection, why, retrying=retrying):
        # Nothing left to retry: the run finished (or is gone).
        job.retries_left = 0

