"""A server certificate whose keyUsage does not allow the handshake it serves, behind real
servers an operator would run (openssl s_server, nginx), and the rule from hand-built reports.

Measured on this machine: OpenSSL 3's client and both validators (OpenSSL's verifier for the
TLS-server purpose, cryptography's Web PKI profile) accept an RSA certificate with keyUsage
keyEncipherment only in an ECDHE-RSA handshake; gnutls-cli refuses it ("Key usage violation"),
as RFC 5246 §7.4.2 says a client must. CloudFront's behaviour is not documented: the finding is
an uncertain warning, and the headline does not say "CloudFront can connect".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509

from tests.support.nginx import Nginx, NginxServer, TlsFiles
from tests.support.scenario import NAME, codes, make_pki, only, probe
from tests.support.tls_servers import openssl_s_server
from tests.workers.diagnosis.test_rules import NOW, address, cert, healthy_tls, report
from workers.diagnosis import diagnose_findings
from workers.headline import doubts, warn_sentence
from workers.models import Report, TlsResult


def usage(**bits: bool) -> x509.KeyUsage:
    flags = dict(digital_signature=False, content_commitment=False, key_encipherment=False,
                 data_encipherment=False, key_agreement=False, key_cert_sign=False,
                 crl_sign=False, encipher_only=False, decipher_only=False)
    flags.update(bits)
    return x509.KeyUsage(**flags)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    pki = make_pki(tmp_path_factory.mktemp("ku-roots"))
    # What a hand-written OpenSSL config with "keyUsage = keyEncipherment" gives.
    pki["no_ds"] = pki["factory"].leaf(pki["inter"], names=[NAME],
                                       key_usage=usage(key_encipherment=True))
    return pki


def assert_uncertain_mismatch(report: Report) -> None:
    finding = only(report, "CERT_KEY_USAGE_MISMATCH")
    assert finding.severity == "warning" and finding.uncertain
    assert "allows only keyEncipherment" in finding.summary
    assert "needs digitalSignature" in finding.summary
    assert "ECDHE-RSA" in finding.summary
    steps = " ".join(finding.remediation)
    assert "reissue the server certificate with digitalSignature" in steps
    assert "not documented" in steps
    assert finding.evidence["key_usage"] == ["keyEncipherment"]
    # Not "CloudFront can connect": the headline says a 502 is not ruled out.
    assert report.verdict == "warn"
    assert finding in doubts(report)
    assert "key usage" in warn_sentence(report)


def test_s_server_rsa_certificate_without_digital_signature_in_ecdhe(pki):
    with openssl_s_server(pki["no_ds"], [pki["inter"]]) as origin:
        report = probe(pki["ca"], origin.port)
    tls = report.addresses[0].probes[0].tls
    assert tls is not None and tls.cipher.startswith("ECDHE-RSA")
    # Both validators accept it: only the new rule says anything.
    assert all(v.accepted for v in tls.analysis.validators)
    assert_uncertain_mismatch(report)


def test_nginx_rsa_certificate_without_digital_signature(pki, tmp_path: Path):
    files = TlsFiles.write_pem(tmp_path, pki["no_ds"].pem + pki["inter"].pem,
                               pki["no_ds"].key_pem)
    site = Nginx([NginxServer(tls=files, server_names=[NAME], body='return 200 "ok\\n";')])
    with site:
        report = probe(pki["ca"], site.port)
    assert_uncertain_mismatch(report)


def test_nginx_ecdsa_certificate_without_digital_signature_refuses_tls12(pki, tmp_path: Path):
    """nginx (OpenSSL) will not use an ECDSA certificate without digitalSignature in TLS 1.2
    and completes TLS 1.3 only: the protocol finding is what CloudFront meets; it and the key
    usage finding say why and what to change (the certificate, not the protocols)."""
    ecdsa = pki["factory"].leaf(pki["inter"], names=[NAME], key="ec256",
                                key_usage=usage(key_agreement=True))
    site = Nginx([NginxServer(tls=TlsFiles.write(tmp_path, ecdsa, pki["inter"]),
                              server_names=[NAME], body='return 200 "ok\n";')])
    with site:
        report = probe(pki["ca"], site.port)
    assert "TLS13_ONLY" in codes(report)
    finding = only(report, "CERT_KEY_USAGE_MISMATCH")
    assert finding.uncertain
    assert "has an ECDSA key and its keyUsage extension allows only keyAgreement" in \
        finding.summary
    assert "completed only TLSv1.3" in finding.summary
    assert "the certificate, not the protocol settings, is what to change" in finding.summary
    # TLS 1.3-only says the same: the certificate is the cause, no protocol or cipher setting.
    tls13 = only(report, "TLS13_ONLY")
    assert ("but not CloudFront's documented handshake (TLSv1.2): the server certificate has "
            "an ECDSA key whose keyUsage extension lacks digitalSignature (it allows "
            "keyAgreement)") in tls13.summary
    assert tls13.remediation[-1] == (
        "To be safe: have the CA reissue the server certificate with digitalSignature in its "
        "keyUsage, then install it in place of this one: the certificate, not the protocol "
        "settings, is what to change.")
    assert "enable TLS 1.2" not in " ".join([tls13.summary, *tls13.remediation])


def test_rsa_key_exchange_needs_no_digital_signature(pki):
    # The origin picks a suite where the key decrypts, not signs: keyEncipherment suffices.
    with openssl_s_server(pki["no_ds"], [pki["inter"]],
                          options=["-cipher", "AES128-SHA", "-serverpref"]) as origin:
        report = probe(pki["ca"], origin.port)
    assert report.addresses[0].probes[0].tls.cipher == "AES128-SHA"
    assert "CERT_KEY_USAGE_MISMATCH" not in codes(report)


def test_the_usual_certificate_is_not_flagged(pki):
    with openssl_s_server(pki["leaf"], [pki["inter"]]) as origin:
        report = probe(pki["ca"], origin.port)
    assert "CERT_KEY_USAGE_MISMATCH" not in codes(report)
    assert report.addresses[0].probes[0].tls.chain[0].key_usage == [
        "digitalSignature", "keyEncipherment"]


# --- the rule, from hand-built reports ------------------------------------------------------

def with_usage(key_usage, *, protocol="TLSv1.2", cipher="ECDHE-RSA-AES128-GCM-SHA256",
               **tls) -> Report:
    leaf = cert()
    leaf.key_usage = key_usage
    base = healthy_tls(chain=[leaf])
    return report(address(tls=TlsResult(**{**base.__dict__, "protocol": protocol,
                                           "cipher": cipher, **tls})))


@pytest.mark.parametrize(("key_usage", "protocol", "cipher", "needed"), [
    (["keyEncipherment"], "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "digitalSignature"),
    (["keyAgreement"], "TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256", "digitalSignature"),
    (["keyEncipherment"], "TLSv1.3", "TLS_AES_128_GCM_SHA256", "digitalSignature"),
    (["digitalSignature"], "TLSv1.2", "AES128-SHA", "keyEncipherment"),
    ([], "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "digitalSignature"),
])
def test_the_bit_the_handshake_needs_is_named(key_usage, protocol, cipher, needed):
    found = [f for f in diagnose_findings(with_usage(key_usage, protocol=protocol,
                                                     cipher=cipher), NOW)
             if f.code == "CERT_KEY_USAGE_MISMATCH"]
    assert len(found) == 1 and found[0].uncertain
    assert found[0].evidence["needed"] == needed
    assert f"reissue the server certificate with {needed}" in " ".join(found[0].remediation)


def test_an_ecdsa_key_without_digital_signature_is_named_whatever_the_handshake():
    leaf = cert(key_type="EC", key_size=256, curve="secp256r1")
    leaf.key_usage = ["keyAgreement"]
    tls = TlsResult(status="failed", reason="protocol_unsupported", chain=[leaf],
                    chain_source="follow_up", chain_protocol="TLSv1.3")
    finding = next(f for f in diagnose_findings(report(address(tls=tls)), NOW)
                   if f.code == "CERT_KEY_USAGE_MISMATCH")
    assert finding.uncertain and "completed only TLSv1.3" in finding.summary
    healthy = healthy_tls(chain=[leaf])
    finding = next(f for f in diagnose_findings(report(address(tls=healthy)), NOW)
                   if f.code == "CERT_KEY_USAGE_MISMATCH")
    assert "refused" not in finding.summary


@pytest.mark.parametrize(("key_usage", "cipher", "extra"), [
    (None, "ECDHE-RSA-AES128-GCM-SHA256", {}),  # no keyUsage: any use is allowed
    (["digitalSignature", "keyEncipherment"], "ECDHE-RSA-AES128-GCM-SHA256", {}),
    (["keyEncipherment"], "AES256-SHA", {}),
    # A chain from another handshake than CloudFront's says nothing of CloudFront's suite.
    (["keyEncipherment"], "ECDHE-RSA-AES128-GCM-SHA256", {"chain_source": "follow_up"}),
])
def test_a_handshake_the_key_usage_allows_is_not_flagged(key_usage, cipher, extra):
    found = diagnose_findings(with_usage(key_usage, cipher=cipher, **extra), NOW)
    assert "CERT_KEY_USAGE_MISMATCH" not in [f.code for f in found]
