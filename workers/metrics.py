"""Prometheus metrics for every origin502 process, and the small HTTP server that exposes them.

The metric objects live at module level so any part of the project can import and update
them; `start_metrics_server` is what `origin502 worker` and `origin502 scheduler` call to
serve `/metrics` and `/healthz` on their `--metrics-port`. The bot serves `/metrics` on its
own HTTP port with `render_metrics()`.

origin502's worker runs jobs in-process (a SimpleWorker), so one registry sees everything.
RQ's default worker instead forks a work horse per job, and counters bumped inside a job
would die with that child: for such a setup set `PROMETHEUS_MULTIPROC_DIR` (the Helm chart's
`worker.multiprocessMetrics`), prometheus-client then writes every process's samples to files
in that directory and `render_metrics()` aggregates them.
The variable must be set before this module is first imported; `start_metrics_server` drops
samples that earlier process trees left in the directory.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from workers.health import BoundedCheck, HealthCheck

__all__ = [
    "COMMANDS_RECEIVED",
    "FINDINGS",
    "JOBS",
    "JOBS_RUNNING",
    "JOB_STATES",
    "PROBE_DURATION",
    "SLACK_API_ERRORS",
    "HealthCheck",
    "forget_process",
    "render_metrics",
    "serve_metrics",
    "start_metrics_server",
    "track_job",
]

log = logging.getLogger(__name__)

"""Returns (healthy, human-readable detail); the detail is the body of `/healthz`."""

JOB_STATES = ("queued", "started", "finished", "failed")

COMMANDS_RECEIVED = Counter(
    "origin502_commands_received_total",
    "Slash commands, shortcuts and CLI requests received, by kind.",
    ["kind"],
)
JOBS = Counter(
    "origin502_jobs_total",
    "Jobs by queue and lifecycle state (queued, started, finished, failed).",
    ["queue", "state"],
)
JOBS_RUNNING = Gauge(
    "origin502_jobs_running",
    "Jobs executing right now in this pod.",
    # Summed over live processes only, so a work horse that exited stops counting.
    multiprocess_mode="livesum",
)
PROBE_DURATION = Histogram(
    "origin502_probe_duration_seconds",
    "Wall time of one probe layer (dns, tcp, tls, http) against one address.",
    ["layer"],
    # Probes run against slow or broken origins: resolution down to 5 ms, up to the
    # 30-second origin response timeout CloudFront allows by default and a little past it.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
FINDINGS = Counter(
    "origin502_findings_total",
    "Diagnosis findings reported, by stable finding code.",
    ["code"],
)
SLACK_API_ERRORS = Counter(
    "origin502_slack_api_errors_total",
    "Slack Web API calls that failed, by API method and Slack error string.",
    ["method", "error"],
)


@contextmanager
def track_job(queue: str) -> Iterator[None]:
    """Count a job as started, then finished or failed, and keep `JOBS_RUNNING` true.

    The exception, if any, is re-raised: this only observes.
    """
    JOBS.labels(queue=queue, state="started").inc()
    JOBS_RUNNING.inc()
    try:
        yield
    except BaseException:
        JOBS.labels(queue=queue, state="failed").inc()
        raise
    else:
        JOBS.labels(queue=queue, state="finished").inc()
    finally:
        JOBS_RUNNING.dec()


def _multiprocess_dir() -> Path | None:
    """The prometheus-client multiprocess directory, or None in single-process mode."""
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(value) if value else None


def render_metrics() -> tuple[bytes, str]:
    """The current metrics in Prometheus text format, and the content type to send with it."""
    directory = _multiprocess_dir()
    if directory is None:
        return generate_latest(), CONTENT_TYPE_LATEST
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    return generate_latest(registry), CONTENT_TYPE_LATEST


def _always_healthy() -> tuple[bool, str]:
    return True, "ok"


def _make_handler(ready: HealthCheck) -> type[BaseHTTPRequestHandler]:
    health = BoundedCheck(ready)

    class MetricsHandler(BaseHTTPRequestHandler):
        server_version = "origin502-metrics"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                body, content_type = render_metrics()
                self._reply(HTTPStatus.OK, body, content_type)
            elif path in ("/healthz", "/livez"):
                # Liveness: this thread answered, so the process is alive. Never Redis.
                self._reply(HTTPStatus.OK, b"alive\n", "text/plain; charset=utf-8")
            elif path == "/readyz":
                self._reply_health()
            else:
                self._reply(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")

        def _reply_health(self) -> None:
            healthy, detail = health()
            status = HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE
            self._reply(status, f"{detail}\n".encode(), "text/plain; charset=utf-8")

        def _reply(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            # Probes hit /healthz every few seconds; access lines would drown the JSON logs.
            log.debug("metrics server: " + format, *args)

    return MetricsHandler


def serve_metrics(host: str, port: int, health: HealthCheck | None = None) -> ThreadingHTTPServer:
    """Start serving `/metrics` and `/healthz` from a daemon thread and return the server.

    `port` 0 picks a free port (read it from `server.server_address`). Call `shutdown()`
    and `server_close()` on the result to stop it; tests do, processes just exit.
    """
    server = ThreadingHTTPServer((host, port), _make_handler(health or _always_healthy))
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.2},
        name=f"metrics-server-{server.server_address[1]}",
        daemon=True,
    )
    thread.start()
    return server


def _drop_stale_samples(directory: Path) -> None:
    """Delete sample files that processes other than this one left behind.

    A restarted container keeps its emptyDir, so files of the previous process tree would
    otherwise keep adding their counts (and a work horse killed mid-job its running +1).
    This process's own files are already open and stay.
    """
    directory.mkdir(parents=True, exist_ok=True)
    own_suffix = f"_{os.getpid()}.db"
    for stale in directory.glob("*.db"):
        if not stale.name.endswith(own_suffix):
            stale.unlink(missing_ok=True)


def start_metrics_server(
    port: int,
    health: Callable[[], tuple[bool, str]] | None = None,
    *,
    host: str = "0.0.0.0",  # noqa: S104 - the kubelet and Prometheus reach the pod IP
) -> None:
    """Serve `/metrics`, `/healthz` and `/readyz` on `host:port` from a daemon thread.

    `/healthz` (liveness) answers 200 while the process runs, whatever Redis does. `/readyz`
    answers 200 with health()'s text when it reports ready, 503 otherwise (also when it
    raises or does not answer within READY_TIMEOUT). Without `health`, ready means alive.
    Call once, from the parent process, before any job is forked.
    """
    directory = _multiprocess_dir()
    if directory is not None:
        _drop_stale_samples(directory)
    server = serve_metrics(host, port, health)
    log.info("metrics server listening", extra={"metrics_port": server.server_address[1]})


def forget_process(pid: int) -> None:
    """Tell the multiprocess collector that `pid` (a finished work horse) is gone, so its
    live gauges stop counting. Does nothing in single-process mode."""
    directory = _multiprocess_dir()
    if directory is not None:
        multiprocess.mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]
