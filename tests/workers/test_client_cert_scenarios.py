"""Client certificates, against the servers operators run: nginx (`ssl_verify_client on` lets a
TLS 1.2 handshake finish and refuses the request with 400; `optional` serves it), openssl
s_server -Verify and gnutls-serv --require-client-cert (both end the handshake with an alert).
"""

from __future__ import annotations

import pytest

from tests.support.certs import CertFactory, write_pem
from tests.support.tls_programs import gnutls_serv, nginx_tls, openssl_s_server
from workers.engine import diagnose
from workers.models import Report
from workers.options import build_request

NAME = "origin.test"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    factory = CertFactory()
    root = factory.root()
    inter = factory.intermediate(root)
    leaf = factory.leaf(inter, names=[NAME])
    client_root = factory.root(cn="Client CA")
    ca_file = write_pem(tmp_path_factory.mktemp("pki") / "roots.pem", root)
    return {"root": root, "inter": inter, "leaf": leaf, "client_root": client_root,
            "ca": str(ca_file)}


def probe(pki, port: int) -> Report:
    request = build_request(NAME, resolve=((NAME, "127.0.0.1"),), https_port=port,
                            ca_file=pki["ca"], timeout=3, connection_attempts=1,
                            read_timeout=3, allow_private=True)
    return diagnose(request)


def codes(report: Report) -> list[str]:
    return [f.code for f in report.findings]


def errors(report: Report) -> list[str]:
    return [f.code for f in report.findings if f.severity == "error"]


def only(report: Report, code: str):
    matches = [f for f in report.findings if f.code == code]
    assert matches, f"{code} not in {codes(report)}"
    return matches[0]


def test_nginx_verify_client_on_is_client_cert_required(pki):
    with nginx_tls(pki["leaf"], [pki["inter"]], directives="ssl_verify_client on;",
                   client_ca=pki["client_root"]) as server:
        report = probe(pki, server.port)
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


def test_nginx_verify_client_optional_is_only_requested(pki):
    with nginx_tls(pki["leaf"], [pki["inter"]], directives="ssl_verify_client optional;",
                   client_ca=pki["client_root"]) as server:
        report = probe(pki, server.port)
    assert report.addresses[0].probes[0].http.status_code == 200
    assert errors(report) == []
    requested = only(report, "TLS_CLIENT_CERT_REQUESTED")
    assert requested.uncertain and requested.severity == "warning"


def test_openssl_s_server_verify_is_client_cert_required(pki):
    with openssl_s_server(pki["leaf"], [pki["inter"]], options=["-Verify", "1"],
                          client_ca=pki["client_root"]) as server:
        report = probe(pki, server.port)
    assert report.addresses[0].probes[0].tls.status == "failed"
    assert errors(report) == ["TLS_CLIENT_CERT_REQUIRED"]


def test_gnutls_require_client_cert_is_client_cert_required(pki):
    with gnutls_serv(pki["leaf"], [pki["inter"]], priority="NORMAL", client_cert="required",
                     client_ca=pki["client_root"]) as server:
        report = probe(pki, server.port)
    assert report.addresses[0].probes[0].tls.status == "failed"
    assert errors(report) == ["TLS_CLIENT_CERT_REQUIRED"]
