"""An origin that accepts only TLS 1.3 still has its certificate judged, as CloudFront refuses a
bad one whatever the protocol; and its report never says CloudFront can connect unless the
certificate was judged and the request answered.

One real nginx on 127.0.0.1 configured the way an operator writes it (``ssl_protocols
TLSv1.3;``), one ``server {}`` block per certificate fault, each certificate minted here. The
test PKI's root stands in for a CA on Mozilla's list when passed as --ca-file. Every verdict
comes from the real engine; the CLI is run for the exit statuses and the wording.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from click.testing import CliRunner

from tests.support.certs import CertFactory, Minted, write_pem
from tests.support.nginx import Nginx, NginxServer, TlsFiles
from tests.support.scenario import NAME, codes, errors, only, probe
from tests.support.tls_origin import HttpFileServer
from tests.support.tls_servers import openssl_s_server
from workers.diagnose_cli import EXIT_FINDINGS, EXIT_OK, diagnose
from workers.models import Report

SHOP = "shop.example.com"
# What every report of a loopback origin that accepts only TLS 1.3 says, whatever else it says.
ALWAYS = {"ORIGIN_PRIVATE_ADDRESS", "TLS13_ONLY"}


@dataclass
class Case:
    served: list[Minted]  # leaf first, as the operator's certificate file lists them
    codes: set[str]  # the findings beyond ALWAYS, exactly
    verdict: str
    options: dict[str, Any] = field(default_factory=dict)


def _cases(factory: CertFactory, pki: dict[str, Any], aia_url: str,
           private: Minted) -> dict[str, Case]:
    root, inter = pki["root"], pki["inter"]
    now = dt.datetime.now(dt.UTC)
    leaf = pki["leaf"]
    return {
        "good_public_looking_chain": Case(
            [leaf, inter], {"TRUSTED_VIA_CA_FILE"}, "warn"),
        "self_signed": Case(
            [factory.leaf(None, names=[NAME])], {"CERT_SELF_SIGNED"}, "fail"),
        "expired": Case(
            [factory.leaf(inter, names=[NAME], not_before=now - dt.timedelta(days=100),
                          not_after=now - dt.timedelta(days=3)), inter],
            {"CERT_EXPIRED", "TRUSTED_VIA_CA_FILE"}, "fail"),
        "not_yet_valid": Case(
            [factory.leaf(inter, names=[NAME], not_before=now + dt.timedelta(days=2)), inter],
            {"CERT_NOT_YET_VALID", "TRUSTED_VIA_CA_FILE"}, "fail"),
        "wrong_host": Case(
            [factory.leaf(inter, names=["other.example.test"]), inter],
            {"CERT_HOSTNAME_MISMATCH", "TRUSTED_VIA_CA_FILE"}, "fail"),
        # Names neither the forwarded Host nor the origin domain (naming the origin domain
        # only is CERT_NAME_MATCH_UNCERTAIN: AWS's pages disagree).
        "host_header_mismatch": Case(
            [factory.leaf(inter, names=["other.example.test"]), inter],
            {"CERT_HOSTNAME_MISMATCH", "TRUSTED_VIA_CA_FILE"}, "fail",
            {"host_header": "www.example.test"}),
        "missing_intermediate": Case(
            [factory.leaf(inter, names=[NAME], aia_url=aia_url)],
            {"CERT_CHAIN_INCOMPLETE"}, "fail"),
        "wrong_order": Case(
            [leaf, root, inter],
            {"CERT_CHAIN_ORDER", "CERT_EXTRA_CERTIFICATES", "TRUSTED_VIA_CA_FILE"}, "fail"),
        "private_ca_without_ca_file": Case(
            [factory.leaf(private, names=[NAME])], {"CERT_UNTRUSTED_ROOT"}, "fail",
            {"ca_file": None}),
        "private_ca_with_ca_file": Case(
            [factory.leaf(private, names=[NAME])], {"TRUSTED_VIA_CA_FILE"}, "warn",
            {"ca_file": "private"}),
        "rsa_key_too_large": Case(
            [factory.leaf(inter, names=[NAME], key="rsa8192"), inter],
            {"CERT_RSA_KEY_TOO_LARGE", "TRUSTED_VIA_CA_FILE"}, "warn"),
        "ec_p384_key": Case(
            [factory.leaf(inter, names=[NAME], key="ec384"), inter],
            {"CERT_KEY_TYPE_UNCERTAIN", "TRUSTED_VIA_CA_FILE"}, "warn"),
    }


@pytest.fixture(scope="module")
def site(pki, tmp_path_factory):
    """One nginx, ``ssl_protocols TLSv1.3;`` in every server block, a block per case; the
    missing intermediate's caIssuers URL is served by a local HTTP server."""
    folder = tmp_path_factory.mktemp("tls13")
    factory = pki["factory"]
    private = factory.root(cn="origin502 Private Corp CA")
    private_ca = str(write_pem(folder / "private.pem", private))
    with HttpFileServer({"/inter.cer": pki["inter"].der}) as files:
        cases = _cases(factory, pki, files.url_for("/inter.cer"), private)
        servers = [NginxServer(tls=TlsFiles.write(folder / name, *case.served), body=(
            'return 200 "ok from nginx\\n";'), server_names=[NAME], ssl_protocols="TLSv1.3")
            for name, case in cases.items()]
        with Nginx(servers) as nginx:
            ports = dict(zip(cases, nginx.ports, strict=True))
            yield {"cases": cases, "ports": ports, "private_ca": private_ca, "files": files,
                   "nginx": nginx}


def run_case(site, pki, name: str) -> Report:
    case = site["cases"][name]
    options = dict(case.options)
    ca_file = options.pop("ca_file", pki["ca"])
    if ca_file == "private":
        ca_file = site["private_ca"]
    return probe(ca_file, site["ports"][name], **options)


@pytest.mark.parametrize("name", [
    "good_public_looking_chain", "self_signed", "expired", "not_yet_valid", "wrong_host",
    "host_header_mismatch", "missing_intermediate", "wrong_order",
    "private_ca_without_ca_file", "private_ca_with_ca_file", "rsa_key_too_large",
    "ec_p384_key"])
def test_tls13_only_origin_has_its_certificate_judged(site, pki, name):
    case = site["cases"][name]
    report = run_case(site, pki, name)
    assert set(codes(report)) == ALWAYS | case.codes, site["nginx"].config_text()
    assert report.verdict == case.verdict
    tls = report.addresses[0].probes[0].tls
    # The faithful TLS 1.2 handshake failed; the chain came from the TLS 1.3 one, and the
    # request went over it.
    assert (tls.status, tls.accepted_protocols) == ("failed", ["TLSv1.3"])
    assert (tls.chain_source, tls.chain_protocol, tls.http_over) == (
        "follow_up", "TLSv1.3", "TLSv1.3")
    assert tls.chain[0].sha256 == case.served[0].sha256
    http = report.addresses[0].probes[0].http
    assert http.status_code == 200
    if case.verdict == "warn":
        assert errors(report) == [] and report.probe_error is None
        assert only(report, "TLS13_ONLY").uncertain


def test_certificate_findings_say_which_handshake_they_were_read_in(site, pki):
    report = run_case(site, pki, "self_signed")
    finding = only(report, "CERT_SELF_SIGNED")
    assert finding.severity == "error" and not finding.uncertain
    assert "read in a TLSv1.3 handshake" in finding.summary


def test_host_header_mismatch_explains_the_forwarded_host(site, pki):
    report = run_case(site, pki, "host_header_mismatch")
    assert report.addresses[0].probes[0].tls.sni == "www.example.test"
    assert "forwards Host www.example.test" in only(report, "CERT_HOSTNAME_MISMATCH").summary


def test_missing_intermediate_fetched_over_aia(site, pki):
    report = run_case(site, pki, "missing_intermediate")
    assert "/inter.cer" in site["files"].hits
    assert not only(report, "CERT_CHAIN_INCOMPLETE").uncertain


def cli(*args: str):
    return CliRunner().invoke(diagnose, list(args), catch_exceptions=False)


def test_cli_self_signed_shop_origin_fails_with_exit_1(pki, tmp_path):
    # The report that prompted this: a self-signed shop.example.com behind `ssl_protocols
    # TLSv1.3;` was "WARN ... CloudFront can connect, with warnings", exit 0.
    leaf = CertFactory().leaf(None, names=[SHOP])
    server = NginxServer(tls=TlsFiles.write(tmp_path, leaf), server_names=[SHOP],
                         ssl_protocols="TLSv1.3")
    with Nginx([server]) as nginx:
        port = str(nginx.ports[0])
        text = cli(SHOP, "--resolve", f"{SHOP}:127.0.0.1", "--https-port", port)
        data = cli(SHOP, "--resolve", f"{SHOP}:127.0.0.1", "--https-port", port, "--json")
    assert text.exit_code == EXIT_FINDINGS, text.output
    first = text.stdout.splitlines()[0]
    assert first.startswith("FAIL") and "can connect" not in first
    assert "CERT_SELF_SIGNED" in text.stdout and "TLS13_ONLY" in text.stdout
    # The connection line agrees: the handshake CloudFront makes failed, and the certificate
    # read over TLS 1.3 would be rejected too.
    line = " ".join(text.stdout.split())
    assert "TLSv1.3 worked (the request went over it); TLSv1.2 not accepted" in line
    assert "CloudFront would also reject the certificate (the certificate is self-signed)" in line
    found = json.loads(data.stdout)
    assert found["verdict"] == "fail"
    assert {f["code"] for f in found["findings"]} == ALWAYS | {"CERT_SELF_SIGNED"}


def test_cli_good_chain_over_tls13_only_warns_with_exit_0(site, pki):
    port = str(site["ports"]["good_public_looking_chain"])
    result = cli(NAME, "--resolve", f"{NAME}:127.0.0.1", "--https-port", port,
                 "--ca-file", pki["ca"], "--json")
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "warn"
    assert {f["code"] for f in data["findings"]} == ALWAYS | {"TRUSTED_VIA_CA_FILE"}


# --- TLS 1.3 only and a client certificate request ------------------------------------------

@pytest.mark.parametrize(("verify", "code", "verdict"), [
    ("on", "TLS_CLIENT_CERT_REQUIRED", "fail"),
    ("optional", "TLS_CLIENT_CERT_REQUESTED", "warn"),
])
def test_tls13_only_origin_asking_for_a_client_certificate_is_named(pki, tmp_path, verify,
                                                                     code, verdict):
    client_ca = pki["factory"].root(cn="origin502 Client CA")
    files = TlsFiles.write(tmp_path, pki["leaf"], pki["inter"], client_ca=client_ca)
    server = NginxServer(tls=files, server_names=[NAME], ssl_protocols="TLSv1.3",
                         verify_client=verify)
    with Nginx([server]) as nginx:
        report = probe(pki["ca"], nginx.ports[0])
    assert set(codes(report)) == ALWAYS | {"TRUSTED_VIA_CA_FILE", code}
    assert report.verdict == verdict
    assert report.addresses[0].probes[0].tls.client_cert_requested


def test_tls13_only_origin_answering_502_is_not_called_reachable(pki, tmp_path):
    server = NginxServer(tls=TlsFiles.write(tmp_path, pki["leaf"], pki["inter"]),
                         server_names=[NAME], ssl_protocols="TLSv1.3", body="return 502;")
    with Nginx([server]) as nginx:
        report = probe(pki["ca"], nginx.ports[0])
    assert "ORIGIN_RETURNED_ERROR" in errors(report)
    assert report.verdict == "fail"



def test_sslv3_only_setting_cannot_be_checked_here_and_says_so(pki, tmp_path):
    # This machine's OpenSSL cannot offer SSLv3: the TLS layer does not look at all, so the
    # report must not say CloudFront can connect.
    server = NginxServer(tls=TlsFiles.write(tmp_path, pki["leaf"], pki["inter"]),
                         server_names=[NAME], ssl_protocols="TLSv1.2")
    with Nginx([server]) as nginx:
        report = probe(pki["ca"], nginx.ports[0], origin_ssl_protocols=("SSLv3",))
    assert errors(report) == []
    assert report.verdict == "unknown"
    assert "could not check the certificate" in report.probe_error
    assert "SSLv3" in report.probe_error


def test_tls13_only_openssl_s_server_requiring_a_client_certificate_is_named(pki):
    # In TLS 1.3 the client's side of the handshake completes before the server checks the
    # (empty) client certificate: s_server -Verify then ends the connection under the request.
    client_ca = pki["factory"].root(cn="origin502 Client CA")
    with openssl_s_server(pki["leaf"], [pki["inter"]], client_ca=client_ca,
                          options=["-Verify", "1", "-tls1_3"]) as server:
        report = probe(pki["ca"], server.port)
    assert set(codes(report)) == ALWAYS | {"TRUSTED_VIA_CA_FILE", "TLS_CLIENT_CERT_REQUIRED"}
    assert report.verdict == "fail"
