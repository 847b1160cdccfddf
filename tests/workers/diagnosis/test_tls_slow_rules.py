"""A TLS handshake that finishes but takes half the connection timeout or more (re-audit E):
a hedged warning naming the measured time, since AWS does not document whether the connection
timeout (facts §4.5) covers the handshake. Hand-built reports; the real server is in
tests/workers/probes/test_tls_stall_scenarios.py."""

from __future__ import annotations

import dataclasses

import pytest

from tests.workers.diagnosis.test_rules import NOW, address, healthy_tls, report
from workers.diagnosis import diagnose_findings
from workers.models import TlsResult


def slow(handshake_ms: float, timeout: float = 10):
    tls: TlsResult = dataclasses.replace(healthy_tls(), duration_ms=handshake_ms,
                                        sni="origin.example.com")
    r = report(address(tls=tls))
    r.target.connect_timeout = timeout
    return [f for f in diagnose_findings(r, NOW) if f.code == "TLS_HANDSHAKE_SLOW"]


@pytest.mark.parametrize(("ms", "timeout", "warned"), [
    (4999.0, 10, False), (5000.0, 10, True), (4000.0, 5, True), (400.0, 1, False),
    (250.0, 10, False),
])
def test_a_handshake_from_half_the_connection_timeout_is_a_hedged_warning(ms, timeout, warned):
    assert bool(slow(ms, timeout)) is warned


def test_the_warning_names_the_measured_time_and_the_undocumented_part():
    [finding] = slow(4000.0, 5)
    assert finding.severity == "warning" and finding.uncertain
    assert finding.summary.startswith(
        "192.0.2.10 port 443: the TLS handshake took 4.0 s, 80% of the 5 s connection "
        "timeout.")
    assert "AWS does not document whether that timeout" in finding.summary
    assert "502 or 504" in finding.summary
    assert "openssl s_client -connect 192.0.2.10:443 -servername origin.example.com" in (
        " ".join(finding.remediation))
