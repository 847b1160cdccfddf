"""The metrics server answers real HTTP on loopback: /metrics in Prometheus format, /healthz
always 200 while alive, /readyz 200 or 503 from the readiness callback, and children's samples
in multiprocess mode."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from workers import metrics

REPO = Path(__file__).resolve().parents[2]


def _get(url: str) -> tuple[int, str, str]:
    """GET url; returns (status, content type, body) for 2xx and error statuses alike."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def _sample(body: str, name: str, labels: dict[str, str]) -> float | None:
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


def _running() -> float:
    return REGISTRY.get_sample_value("origin502_jobs_running") or 0.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def serve() -> Iterator[object]:
    servers: list[ThreadingHTTPServer] = []

    def start(health: metrics.HealthCheck | None = None) -> str:
        server = metrics.serve_metrics("127.0.0.1", 0, health)
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_metrics_endpoint_exposes_every_origin502_metric(serve) -> None:
    metrics.COMMANDS_RECEIVED.labels(kind="slash_diagnose").inc()
    metrics.JOBS.labels(queue="origin502-probe", state="queued").inc()
    metrics.PROBE_DURATION.labels(layer="tls").observe(0.042)
    metrics.FINDINGS.labels(code="TLS_CERT_EXPIRED").inc()
    metrics.SLACK_API_ERRORS.labels(method="chat.postMessage", error="channel_not_found").inc()

    status, content_type, body = _get(serve() + "/metrics")

    assert status == 200
    assert content_type.startswith("text/plain")
    assert _sample(body, "origin502_commands_received_total", {"kind": "slash_diagnose"}) >= 1
    assert (
        _sample(body, "origin502_jobs_total", {"queue": "origin502-probe", "state": "queued"}) >= 1
    )
    assert _sample(body, "origin502_probe_duration_seconds_count", {"layer": "tls"}) >= 1
    assert _sample(body, "origin502_findings_total", {"code": "TLS_CERT_EXPIRED"}) >= 1
    assert (
        _sample(
            body,
            "origin502_slack_api_errors_total",
            {"method": "chat.postMessage", "error": "channel_not_found"},
        )
        >= 1
    )
    assert _sample(body, "origin502_jobs_running", {}) is not None


def test_track_job_counts_finished_and_failed_and_restores_running(serve) -> None:
    url = serve() + "/metrics"
    labels = {"queue": "origin502-deliver"}

    def count(state: str) -> float:
        return _sample(_get(url)[2], "origin502_jobs_total", {**labels, "state": state}) or 0.0

    before = {state: count(state) for state in ("started", "finished", "failed")}
    running_before = _running()

    with metrics.track_job("origin502-deliver"):
        assert _running() == running_before + 1
    with pytest.raises(TimeoutError), metrics.track_job("origin502-deliver"):
        raise TimeoutError("origin did not answer")

    assert count("started") == before["started"] + 2
    assert count("finished") == before["finished"] + 1
    assert count("failed") == before["failed"] + 1
    assert _running() == running_before


def test_readyz_is_200_with_the_detail_when_ready(serve) -> None:
    status, _, body = _get(serve(lambda: (True, "redis ok")) + "/readyz")
    assert (status, body) == (200, "redis ok\n")


def test_readyz_is_503_with_the_reason_when_not_ready(serve) -> None:
    status, _, body = _get(
        serve(lambda: (False, "redis unreachable: connection refused")) + "/readyz"
    )
    assert (status, body) == (503, "redis unreachable: connection refused\n")


def test_readyz_is_503_when_the_check_raises(serve) -> None:
    def broken() -> tuple[bool, str]:
        raise ConnectionError("redis timed out")

    status, _, body = _get(serve(broken) + "/readyz")
    assert status == 503
    assert "ConnectionError" in body


def test_healthz_is_200_even_when_not_ready(serve) -> None:
    calls = []

    def not_ready() -> tuple[bool, str]:
        calls.append(1)
        return False, "redis unavailable"

    assert _get(serve(not_ready) + "/healthz")[:1] == (200,)
    assert calls == []  # liveness never runs the readiness check (never touches Redis)


def test_healthz_without_a_check_reports_alive(serve) -> None:
    assert _get(serve() + "/healthz")[:1] == (200,)


def test_unknown_path_is_404(serve) -> None:
    assert _get(serve() + "/admin")[0] == 404


def test_start_metrics_server_serves_from_a_daemon_thread() -> None:
    port = _free_port()
    metrics.start_metrics_server(port, lambda: (False, "draining"), host="127.0.0.1")

    deadline = time.monotonic() + 5
    while True:
        try:
            status, _, body = _get(f"http://127.0.0.1:{port}/readyz")
            break
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    assert (status, body) == (503, "draining\n")
    assert _get(f"http://127.0.0.1:{port}/metrics")[0] == 200


_MULTIPROCESS_SCRIPT = textwrap.dedent(
    """
    import os, sys, urllib.request
    from workers import metrics

    port = int(sys.argv[1])
    metrics.start_metrics_server(port, host="127.0.0.1")
    # What RQ's default worker does: the job runs in a forked work horse that then exits.
    child = os.fork()
    if child == 0:
        with metrics.track_job("origin502-probe"):
            metrics.FINDINGS.labels(code="ORIGIN_TLS_HANDSHAKE_FAILED").inc()
        os._exit(0)
    os.waitpid(child, 0)
    metrics.forget_process(child)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        sys.stdout.write(response.read().decode())
    """
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="multiprocess mode is about forked workers")
def test_multiprocess_mode_reports_samples_from_forked_job_processes(tmp_path: Path) -> None:
    multiproc_dir = tmp_path / "prometheus"
    multiproc_dir.mkdir()
    (multiproc_dir / "counter_99999.db").write_bytes(b"stale from a previous container")
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(multiproc_dir)}

    result = subprocess.run(
        [sys.executable, "-c", _MULTIPROCESS_SCRIPT, str(_free_port())],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )

    body = result.stdout
    assert _sample(body, "origin502_findings_total", {"code": "ORIGIN_TLS_HANDSHAKE_FAILED"}) == 1
    assert (
        _sample(body, "origin502_jobs_total", {"queue": "origin502-probe", "state": "finished"})
        == 1
    )
    assert _sample(body, "origin502_jobs_running", {}) == 0
