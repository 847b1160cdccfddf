"""One deadline per probe that no trickling peer can stretch (issue 10).

Before: a socket timeout bounded only the gap between packets, so an origin sending one byte a
second, or `100 Continue` lines without end, kept the probe (and the Slack job, and the next
user's command) busy for as long as it liked. Now every read is bounded by the time left and
the report comes back: the overrun is a finding when CloudFront itself would not have waited
through it, else "not checked" with the reason (tests/workers/test_budget_truth.py).

The deadlines here are seconds; nothing asserts on how long anything took, only that the
diagnosis returns (pytest-timeout would catch a hang) and names the right cause.
"""

from __future__ import annotations

import ssl

import pytest

from tests.faults.servers import MisbehavingServer
from tests.support.certs import CertFactory, write_pem
from workers.engine import diagnose
from workers.models import Report
from workers.options import build_request
from workers.probes import certificates

NAME = "origin.test"
pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    factory = CertFactory()
    root = factory.root()
    leaf = factory.leaf(root, names=[NAME])
    folder = tmp_path_factory.mktemp("pki")
    ca_file = write_pem(folder / "roots.pem", root)
    cert_file = write_pem(folder / "leaf.pem", leaf)
    key_file = folder / "leaf.key"
    key_file.write_bytes(leaf.key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return {"ca": str(ca_file), "context": context}


def probe(pki, port: int, *, scheme: str = "https", budget: float = 3.0) -> Report:
    request = build_request(
        NAME if scheme == "https" else f"http://{NAME}", allow_private=True,
        resolve=((NAME, "127.0.0.1"),), https_port=port, http_port=port, timeout=2,
        connection_attempts=1, read_timeout=2, ca_file=pki["ca"])
    return diagnose(request, budget=budget)


def codes(report: Report) -> list[str]:
    return [f.code for f in report.findings]


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_an_origin_trickling_its_headers_is_cut_off_at_the_deadline(pki, scheme):
    context = pki["context"] if scheme == "https" else None
    # Every byte comes well within the 2 s response timeout: only the deadline can end it,
    # and CloudFront (no response completion timeout set) would still be waiting: not
    # checked, rather than a failure origin502's own deadline made up.
    with MisbehavingServer("trickle", context=context, interval=0.3) as origin:
        report = probe(pki, origin.port, scheme=scheme)
    assert "ORIGIN_RESPONSE_STALLED" not in codes(report)
    assert report.verdict == "unknown"
    http = report.addresses[0].probes[0].http
    assert (http.status, http.reason) == ("error", "stalled")
    assert http.cut is not None and http.cut.bytes_seen > 0
    assert "still sending its response headers" in (report.probe_error or "")


def test_an_error_body_trickled_a_byte_at_a_time_is_cut_off(pki):
    head = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 8000\r\n\r\n"
    with MisbehavingServer("trickle", context=pki["context"], interval=0.2, head=head,
                           payload=b"x" * 8000) as origin:
        report = probe(pki, origin.port, budget=60.0)
    # The status is in hand; only the excerpt of the body is cut short (8000 bytes at five a
    # second would take 27 minutes).
    assert "ORIGIN_RETURNED_ERROR" in codes(report)
    assert report.addresses[0].probes[0].http.status_code == 503


def test_endless_100_continue_is_a_finding_not_a_busy_loop(pki):
    with MisbehavingServer("continue", context=pki["context"]) as origin:
        report = probe(pki, origin.port, budget=20.0)
    # Cut off by the byte cap on a response head, long before the 20 s deadline.
    assert "HTTP_INVALID_RESPONSE" in codes(report)
    http = report.addresses[0].probes[0].http
    assert "interim 1xx" in (http.detail or "")


def test_an_https_origin_resetting_every_connection_is_a_failure_with_a_verdict(pki):
    with MisbehavingServer("reset") as origin:
        report = probe(pki, origin.port, budget=10.0)
    assert report.verdict == "fail", codes(report)
    errors = [f.code for f in report.findings if f.severity == "error"]
    assert errors, codes(report)


def test_a_trickling_aia_url_is_cut_off(monkeypatch):
    monkeypatch.setattr(certificates, "AIA_BUDGET", 1.5)
    with MisbehavingServer("trickle", interval=0.3, payload=b"HTTP/1.1 200 OK\r\n" * 50) as aia:
        status, detail, certs = certificates._fetch_aia(
            f"http://127.0.0.1:{aia.port}/issuer.cer", allow_private=True)
    assert (status, certs) == ("failed", [])
    assert "did not finish answering within 1.5 s" in (detail or "")


def test_an_aia_url_streaming_100_continue_is_cut_off():
    with MisbehavingServer("continue") as aia:
        status, detail, _ = certificates._fetch_aia(
            f"http://127.0.0.1:{aia.port}/issuer.cer", allow_private=True)
    assert status == "failed" and "informational" in (detail or "")
