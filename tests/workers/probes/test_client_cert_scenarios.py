"""Client certificates, against the servers operators run: nginx (`ssl_verify_client on` lets a
TLS 1.2 handshake finish and refuses the request with 400; `optional` serves it), openssl
s_server -Verify and gnutls-serv --require-client-cert (both end the handshake with an alert).
"""

from __future__ import annotations

import pytest

from tests.support.nginx import Nginx, NginxServer, TlsFiles
from tests.support.scenario import codes, errors, only, probe
from tests.support.tls_servers import gnutls_serv, openssl_s_server


@pytest.fixture(scope="module")
def pki(pki):
    """The shared test PKI and a separate root that signs client certificates."""
    return {**pki, "client_root": pki["factory"].root(cn="Client CA")}


def nginx_verifying_clients(pki, folder, verify_client: str) -> Nginx:
    """nginx with ``ssl_verify_client`` against the client root, as an operator sets up mTLS."""
    tls = TlsFiles.write(folder, pki["leaf"], pki["inter"], client_ca=pki["client_root"])
    return Nginx([NginxServer(tls=tls, verify_client=verify_client)])


def test_nginx_verify_client_on_is_client_cert_required(pki, tmp_path):
    with nginx_verifying_clients(pki, tmp_path, "on") as server:
        report = probe(pki["ca"], server.port)
    probe_ = report.addresses[0].probes[0]
    # nginx lets the handshake finish and refuses the request itself.
    assert probe_.tls.status == "ok"
    assert probe_.tls.client_cert_requested
    assert probe_.http.status_code == 400
    assert errors(report) == ["TLS_CLIENT_CERT_REQUIRED"]
    finding = only(report, "TLS_CLIENT_CERT_REQUIRED")
    assert "No required SSL certificate was sent" in finding.summary
    assert any("mutual TLS" in step for step in finding.remediation)
    assert "TLS_CLIENT_CERT_REQUESTED" not in codes(report)
    assert "ORIGIN_RETURNED_CLIENT_ERROR" not in codes(report)
    assert report.verdict == "fail"


def test_nginx_verify_client_optional_is_only_requested(pki, tmp_path):
    with nginx_verifying_clients(pki, tmp_path, "optional") as server:
        report = probe(pki["ca"], server.port)
    assert report.addresses[0].probes[0].http.status_code == 200
    assert errors(report) == []
    requested = only(report, "TLS_CLIENT_CERT_REQUESTED")
    assert requested.uncertain and requested.severity == "warning"


def test_openssl_s_server_verify_is_client_cert_required(pki):
    with openssl_s_server(pki["leaf"], [pki["inter"]], options=["-Verify", "1"],
                          client_ca=pki["client_root"]) as server:
        report = probe(pki["ca"], server.port)
    assert report.addresses[0].probes[0].tls.status == "failed"
    assert errors(report) == ["TLS_CLIENT_CERT_REQUIRED"]


def test_gnutls_require_client_cert_is_client_cert_required(pki):
    with gnutls_serv(pki["leaf"], [pki["inter"]], priority="NORMAL", client_cert="required",
                     client_ca=pki["client_root"]) as server:
        report = probe(pki["ca"], server.port)
    assert report.addresses[0].probes[0].tls.status == "failed"
    assert errors(report) == ["TLS_CLIENT_CERT_REQUIRED"]
