"""A port that accepts TCP and then never answers the ClientHello is a timeout, not a cipher
or protocol mismatch (audit zoo3 case 02): TLS_HANDSHAKE_TIMEOUT, "502 or 504" because AWS does
not say which (cloudfront-facts §1.3, §1.4 OriginCommError "timed out while connecting"), with
no ciphers/protocols link; whether the connection timeout bounds the handshake is said to be
undocumented (§4.5). A connection closed right after the ClientHello stays TLS_HANDSHAKE_FAILED.

Real servers as operators run them: an nginx stream proxy (plain TCP passthrough) whose
upstream accepts and then hangs, and an openssl s_server frozen with SIGSTOP after it listens
(a TLS terminator too busy to answer: the kernel still completes the TCP handshake).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.ports import SilentPort, closed_port
from tests.support.scenario import errors, only, probe
from tests.support.server_process import ServerProcess
from tests.support.tls_servers import openssl_s_server
from workers.diagnosis.catalog import LINK_502_CIPHERS, LINK_CIPHERS
from workers.headline import fail_sentence
from workers.models import Report

TIMEOUT = 1


def _stream_proxy(module: Path, upstream: int) -> ServerProcess:
    """nginx stream passing TCP through to ``upstream`` (no ssl_preread: a plain L4 proxy)."""
    conf = (
        f"load_module {module};\n"
        "daemon off; worker_processes 1; pid {dir}/nginx.pid; error_log {dir}/error.log info;\n"
        "events {{ worker_connections 64; }}\n"
        "stream {{ server {{ listen 127.0.0.1:{port};\n"
        f"  proxy_pass 127.0.0.1:{upstream}; proxy_connect_timeout 5s;\n"
        "  proxy_timeout 60s; }} }}\n")
    return ServerProcess(("nginx", "nginx-light"), ["-p", "{dir}", "-c", "{dir}/nginx.conf"],
                         templates={"nginx.conf": conf})


@pytest.fixture
def frozen_s_server(pki: dict[str, Any]) -> Iterator[int]:
    """openssl s_server with the test chain, stopped (SIGSTOP) once it listens."""
    with openssl_s_server(pki["leaf"], [pki["inter"]]) as server:
        pid = server.pid
        os.kill(pid, signal.SIGSTOP)
        try:
            yield server.port
        finally:
            os.kill(pid, signal.SIGCONT)


def _assert_handshake_timeout(report: Report) -> None:
    tls = report.addresses[0].probes[0].tls
    assert (tls.status, tls.reason, tls.cut) == ("failed", "timeout", None)
    assert errors(report) == ["TLS_HANDSHAKE_TIMEOUT"]
    finding = only(report, "TLS_HANDSHAKE_TIMEOUT")
    assert not finding.uncertain
    # A timeout, not a refusal: no cipher/protocol link or advice, the status hedged.
    assert LINK_502_CIPHERS not in finding.links and LINK_CIPHERS not in finding.links
    text = finding.summary + " ".join(finding.remediation)
    assert "cipher" not in text.lower() and "DES" not in text and "RC4" not in text
    assert f"no close within {TIMEOUT} s" in finding.summary
    assert "whether CloudFront's connection timeout also bounds the TLS handshake" in (
        finding.summary)
    assert "502 or 504" in finding.summary
    assert report.verdict == "fail"
    assert fail_sentence(report) == (
        "CloudFront would answer 502 or 504 for this origin (AWS does not document which)")


def test_stream_proxy_whose_upstream_hangs_is_a_handshake_timeout(pki, stream_module):
    with SilentPort() as upstream, _stream_proxy(stream_module, upstream.port) as proxy:
        report = probe(pki["ca"], proxy.port, timeout=TIMEOUT)
    _assert_handshake_timeout(report)
    steps = " ".join(only(report, "TLS_HANDSHAKE_TIMEOUT").remediation)
    assert f"Check what listens on port {proxy.port}" in steps
    assert "health of its upstream" in steps and "OriginCommError" in steps


def test_frozen_tls_terminator_is_a_handshake_timeout(pki, frozen_s_server):
    report = probe(pki["ca"], frozen_s_server, timeout=TIMEOUT)
    _assert_handshake_timeout(report)


def test_a_close_after_the_client_hello_is_still_a_failed_handshake(pki, stream_module):
    # The other side of the distinction: nginx stream to a closed upstream closes at once.
    with _stream_proxy(stream_module, closed_port("127.0.0.1")) as proxy:
        report = probe(pki["ca"], proxy.port, timeout=TIMEOUT)
    assert errors(report) == ["TLS_HANDSHAKE_FAILED"]
    assert "closed the connection" in only(report, "TLS_HANDSHAKE_FAILED").summary
    assert "TLS_HANDSHAKE_TIMEOUT" not in [f.code for f in report.findings]
