"""The verdict never says CloudFront can connect (ok, or warn) when a connection CloudFront
would make was not looked at all the way up: no certificate judged for HTTPS, or no HTTP
answer. Hand-built reports (no network, no clock), decided by ``workers.diagnosis.conclude``,
the one place the engine decides a verdict."""

from __future__ import annotations

import itertools

import pytest

from tests.workers.diagnosis.test_rules import NOW, address, cert, healthy_tls, report
from workers.diagnosis import conclude
from workers.models import (
    ChainAnalysis,
    HttpResult,
    Report,
    Severity,
    TcpResult,
    TlsReason,
    TlsResult,
    Verdict,
)


def decided(r: Report) -> Report:
    conclude(r, NOW)
    return r


def tls13_only(chain: list | None) -> TlsResult:
    """What the probe records for an origin that accepts only TLS 1.3: the faithful TLS 1.2
    handshake failed; the TLS 1.3 follow-up carried the chain (when it had one) and the request."""
    return TlsResult(status="failed", reason=TlsReason.PROTOCOL_UNSUPPORTED,
                     offered_protocols=["TLSv1.2"], accepted_protocols=["TLSv1.3"],
                     detail="TLSV1_ALERT_PROTOCOL_VERSION", http_over="TLSv1.3",
                     chain=chain or [],
                     analysis=ChainAnalysis(trusted=True, anchor_source="mozilla")
                     if chain else None,
                     chain_source="follow_up" if chain else None,
                     chain_protocol="TLSv1.3" if chain else None)


def test_a_judged_chain_and_an_answer_is_ok():
    r = decided(report(address()))
    assert (r.verdict, r.probe_error) == (Verdict.OK, None)


def test_tls_ok_with_an_empty_chain_is_not_ok_but_could_not_check_the_certificate():
    tls = TlsResult(status="ok", protocol="TLSv1.2", cipher="ECDHE-RSA-AES128-GCM-SHA256",
                    chain=[])
    r = decided(report(address(tls=tls)))
    assert r.verdict == Verdict.UNKNOWN
    assert r.probe_error == ("192.0.2.10 port 443: could not check the certificate: no "
                             "handshake presented a certificate")


def test_a_chain_that_does_not_parse_is_the_reason_given():
    why = "the origin sent a certificate that cannot be parsed: bad DER"
    tls = TlsResult(status="ok", protocol="TLSv1.2", chain=[], chain_problem=why, detail=why)
    r = decided(report(address(tls=tls)))
    assert r.verdict == Verdict.UNKNOWN and r.probe_error.endswith(why)


def test_tls13_only_without_a_chain_is_unknown_not_warn():
    r = decided(report(address(tls=tls13_only(None))))
    assert [f.code for f in r.findings] == ["TLS13_ONLY"]
    assert r.verdict == Verdict.UNKNOWN
    assert "could not check the certificate" in r.probe_error


def test_tls13_only_with_a_judged_chain_and_an_answer_is_warn():
    r = decided(report(address(tls=tls13_only([cert()]))))
    assert [f.code for f in r.findings] == ["TLS13_ONLY"]
    assert (r.verdict, r.probe_error) == (Verdict.WARN, None)


def test_tls13_only_with_a_self_signed_chain_fails_and_says_where_it_was_read():
    chain = [cert(self_signed=True)]
    tls = tls13_only(chain)
    tls.analysis = ChainAnalysis(break_reason="self_signed_leaf")
    r = decided(report(address(tls=tls)))
    assert r.verdict == Verdict.FAIL
    (self_signed,) = [f for f in r.findings if f.code == "CERT_SELF_SIGNED"]
    assert "read in a TLSv1.3 handshake" in self_signed.summary


def test_http_not_run_after_a_completed_handshake_is_unknown():
    # The origin chose a suite this OpenSSL cannot build: CloudFront connects, the chain came
    # from the server's first flight, but no request could be sent from here.
    tls = healthy_tls()
    tls.negotiated_by, tls.cipher, tls.chain_source = "cipher_offer", "DES-CBC3-SHA", "cipher_offer"
    http = HttpResult(status="not_run",
                      detail="not run: this machine cannot complete a handshake with DES-CBC3-SHA")
    r = decided(report(address(tls=tls, http=http)))
    assert "TLS_WEAK_CIPHER" in [f.code for f in r.findings]
    assert r.verdict == Verdict.UNKNOWN
    assert "the HTTP answer could not be checked" in r.probe_error
    assert "DES-CBC3-SHA" in r.probe_error


def test_tls_that_could_not_be_offered_here_is_unknown_not_warn():
    why = "SSLv3 cannot be offered from here: this machine's OpenSSL was built without it"
    tls = TlsResult(status="error", reason=TlsReason.UNVERIFIABLE_HERE, detail=why)
    r = decided(report(address(tls=tls, http=HttpResult(status="not_run"))))
    assert all(f.severity != Severity.ERROR for f in r.findings)
    assert r.verdict == Verdict.UNKNOWN and why in r.probe_error


def test_an_error_finding_fails_and_leaves_probe_error_alone():
    expired = healthy_tls([cert(not_after="2026-11-19T12:00:00Z")])
    unchecked = TlsResult(status="ok", protocol="TLSv1.2", chain=[])
    r = decided(report(address(tls=expired), address("192.0.2.11", tls=unchecked)))
    assert (r.verdict, r.probe_error) == (Verdict.FAIL, None)


def test_an_unused_family_is_not_required():
    unchecked = address("2001:db8::1", tls=TlsResult(status="ok", chain=[]))
    unchecked.family = "ipv6"
    r = decided(report(address(), unchecked))
    assert (r.verdict, r.probe_error) == (Verdict.OK, None)


def test_no_route_here_keeps_its_own_reason_even_when_something_failed():
    tcp = TcpResult(status="error", reason="no_route_here", detail="no route to 192.0.2.11")
    dead = address("192.0.2.11", tcp=tcp, tls=TlsResult(status="not_run"),
                   http=HttpResult(status="not_run"))
    expired = healthy_tls([cert(not_after="2026-11-19T12:00:00Z")])
    r = decided(report(address(tls=expired), dead))
    assert r.verdict == Verdict.FAIL
    assert r.probe_error == "192.0.2.11 port 443: no route to 192.0.2.11"


# Every combination of what each layer may have left: the verdict says CloudFront can connect
# only when TCP connected, a chain was judged and the request got a status.
TCP = [TcpResult(status="ok"), TcpResult(status="error", detail="inside"),
       TcpResult(status="failed", reason="refused")]
TLS = [healthy_tls(), TlsResult(status="ok", chain=[]), tls13_only(None), tls13_only([cert()]),
       TlsResult(status="error", reason=TlsReason.UNVERIFIABLE_HERE),
       TlsResult(status="not_run"), None]
HTTP = [HttpResult(status="ok", status_code=200), HttpResult(status="ok", status_code=404),
        HttpResult(status="not_run", detail="not run"),
        HttpResult(status="failed", reason="closed")]


@pytest.mark.parametrize(("tcp", "tls", "http"), list(itertools.product(TCP, TLS, HTTP)))
def test_can_connect_only_when_every_layer_looked(tcp, tls, http):
    r = report(address(tcp=tcp, http=http))
    probe = r.addresses[0].probes[0]
    probe.tls = tls
    decided(r)
    looked = (tcp.status == "ok" and tls is not None and bool(tls.chain)
              and http.status_code is not None)
    if r.verdict in (Verdict.OK, Verdict.WARN):
        assert looked, (r.verdict, [f.code for f in r.findings])
    if not looked:
        assert r.verdict in (Verdict.FAIL, Verdict.UNKNOWN)
