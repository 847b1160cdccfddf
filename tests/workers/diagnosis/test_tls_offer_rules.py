"""Rules for CloudFront's whole cipher list and for client certificates, from tables of
hand-built reports (no network, no clock)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.workers.diagnosis.test_rules import NOW, address, codes, healthy_tls, report
from workers.diagnosis import diagnose_findings
from workers.models import CipherOffer, HttpResult, TlsResult
from workers.models.cloudfront import CLOUDFRONT_CIPHERS

ALL16 = list(CLOUDFRONT_CIPHERS)
NGINX_400 = ("<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n"
             "<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>No required SSL "
             "certificate was sent</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>")


def offer(outcome: str, **kw) -> CipherOffer:
    return CipherOffer(client_version="TLSv1.2", offered=ALL16, outcome=outcome, **kw)


def weak(cipher: str, by: str = "cipher_offer") -> TlsResult:
    return replace(healthy_tls(), cipher=cipher, negotiated_by=by,
                   cipher_offer=offer("chose", version="TLSv1.2", cipher=cipher))


NOT_RUN = HttpResult(status="not_run")


@pytest.mark.parametrize(("tls", "http", "expected"), [
    # On CloudFront's list but weak: CloudFront connects, with a warning naming the suite.
    (weak("DES-CBC3-SHA"), NOT_RUN, ["TLS_WEAK_CIPHER"]),
    (weak("RC4-MD5"), NOT_RUN, ["TLS_WEAK_CIPHER"]),
    (weak("RC4-MD5", by="openssl"), None, ["TLS_WEAK_CIPHER"]),
    (healthy_tls(), None, []),
    # Off the list: the exact-list ClientHello got an alert; what the origin accepts is named.
    (TlsResult(status="failed", reason="cipher_unsupported", accepted_protocols=["TLSv1.2"],
               accepted_ciphers=["RC4-SHA"],
               cipher_offer=offer("alert", alert="handshake_failure")),
     NOT_RUN, ["TLS_CIPHER_UNSUPPORTED"]),
    # Nothing decided by the exact list (closed): still a handshake failure, with the evidence.
    (TlsResult(status="failed", reason="reset", detail="EOF", cipher_offer=offer("closed")),
     NOT_RUN, ["TLS_HANDSHAKE_FAILED"]),
    # A report from before the exact-list ClientHello existed: unbuildable-only proves nothing.
    (TlsResult(status="failed", reason="cipher_unsupported", accepted_protocols=["TLSv1.2"],
               accepted_ciphers=["DES-CBC3-SHA"]), NOT_RUN, []),
])
def test_cipher_list_rules(tls, http, expected):
    assert codes(report(address(tls=tls, http=http))) == expected


def test_weak_cipher_summary_names_the_suite_and_what_was_not_checked():
    (found,) = diagnose_findings(report(address(tls=weak("DES-CBC3-SHA"), http=NOT_RUN)), NOW)
    assert found.severity == "warning"
    assert "DES-CBC3-SHA over TLSv1.2" in found.summary
    assert "not its HTTP answer" in found.summary
    assert any("remove DES-CBC3-SHA" in step for step in found.remediation)


def test_cipher_unsupported_lists_accepted_beside_offered():
    tls = TlsResult(status="failed", reason="cipher_unsupported", accepted_protocols=["TLSv1.2"],
                    accepted_ciphers=["RC4-SHA", "DES-CBC-SHA"],
                    cipher_offer=offer("alert", alert="handshake_failure"))
    (found,) = diagnose_findings(report(address(tls=tls, http=NOT_RUN)), NOW)
    assert "accepts RC4-SHA, DES-CBC-SHA; CloudFront offers ECDHE-ECDSA-AES256-GCM" in found.summary
    assert "alert handshake_failure" in found.summary
    assert found.evidence["cloudfront_ciphers"] == ALL16


def cert_tls(requested: bool = True) -> TlsResult:
    return replace(healthy_tls(), client_cert_requested=requested)


@pytest.mark.parametrize(("tls", "http", "expected"), [
    # nginx ssl_verify_client on: handshake done, then 400 naming the certificate.
    (cert_tls(), HttpResult(status="ok", status_code=400, reason_phrase="Bad Request",
                            body_excerpt=NGINX_400), ["TLS_CLIENT_CERT_REQUIRED"]),
    # A 403 that says so (IIS 403.7 style).
    (cert_tls(), HttpResult(status="ok", status_code=403,
                            reason_phrase="Forbidden: Client certificate required"),
     ["TLS_CLIENT_CERT_REQUIRED"]),
    # TLS 1.3: the certificate_required alert arrives after the handshake; the request dies.
    (cert_tls(), HttpResult(status="failed", reason="reset",
                            detail="TLS error after the handshake: "
                                   "TLSV13_ALERT_CERTIFICATE_REQUIRED"),
     ["TLS_CLIENT_CERT_REQUIRED"]),
    # ssl_verify_client optional: the request really succeeds without one.
    (cert_tls(), None, ["TLS_CLIENT_CERT_REQUESTED"]),
    # A 400 about something else stays a client error, beside the optional request.
    (cert_tls(), HttpResult(status="ok", status_code=400, reason_phrase="Bad Request",
                            body_excerpt="<h1>Bad Host header</h1>"),
     ["TLS_CLIENT_CERT_REQUESTED", "ORIGIN_RETURNED_CLIENT_ERROR"]),
    # The same 400 text without a certificate request is not about client certificates.
    (cert_tls(requested=False), HttpResult(status="ok", status_code=400,
                                           reason_phrase="Bad Request", body_excerpt=NGINX_400),
     ["ORIGIN_RETURNED_CLIENT_ERROR"]),
    # Asked during a handshake this machine could not finish (3DES): said, but not as an error.
    (replace(weak("DES-CBC3-SHA"), client_cert_requested=True), NOT_RUN,
     ["TLS_CLIENT_CERT_REQUESTED", "TLS_WEAK_CIPHER"]),
    # The handshake itself ended (openssl s_server -Verify 1, gnutls --require-client-cert).
    (TlsResult(status="failed", reason="client_cert_required", client_cert_requested=True,
               detail="it sent a CertificateRequest and, given none, ended the handshake with "
                      "alert handshake_failure"), NOT_RUN, ["TLS_CLIENT_CERT_REQUIRED"]),
])
def test_client_certificate_rules(tls, http, expected):
    assert sorted(codes(report(address(tls=tls, http=http)))) == sorted(expected)


def test_nginx_refusal_is_quoted_and_an_error():
    http = HttpResult(status="ok", status_code=400, reason_phrase="Bad Request",
                      body_excerpt=NGINX_400)
    (found,) = diagnose_findings(report(address(tls=cert_tls(), http=http)), NOW)
    assert found.severity == "error"
    assert "400 “No required SSL certificate was sent”" in found.summary
    assert "mutual TLS" in found.remediation[0]
