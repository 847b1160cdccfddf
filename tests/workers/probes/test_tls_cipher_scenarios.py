"""CloudFront's whole cipher list against real servers that speak what OpenSSL 3 cannot build.

gnutls-serv (Debian's GnuTLS still has 3DES-CBC, ARCFOUR-128 and the MD5 MAC) is configured with
priority strings, the way an operator pins a legacy cipher. The CA of the test PKI is passed as
--ca-file, standing in for a CA on Mozilla's list.
"""

from __future__ import annotations

from tests.support.scenario import NAME, codes, errors, only, probe
from tests.support.tls_origin import TlsOrigin
from tests.support.tls_servers import gnutls_serv

# Only the named suite, TLS 1.0-1.2, RSA key exchange: an origin pinned to one legacy cipher.
LEGACY = "NONE:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0:+RSA:+COMP-NULL:+SIGN-ALL:+CTYPE-X509"
THREE_DES_ONLY = f"{LEGACY}:+3DES-CBC:+SHA1"
RC4_MD5_ONLY = f"{LEGACY}:+ARCFOUR-128:+MD5"
RC4_SHA_ONLY = f"{LEGACY}:+ARCFOUR-128:+SHA1"


def test_3des_only_origin_connects_with_a_weak_cipher_warning(pki):
    with gnutls_serv(pki["leaf"], [pki["inter"]], priority=THREE_DES_ONLY) as server:
        report = probe(pki["ca"], server.port)
    tls = report.addresses[0].probes[0].tls
    assert tls.status == "ok"
    assert (tls.protocol, tls.cipher, tls.negotiated_by) == ("TLSv1.2", "DES-CBC3-SHA",
                                                               "cipher_offer")
    assert tls.cipher_offer.outcome == "chose"
    assert len(tls.cipher_offer.offered) == 16
    assert errors(report) == []
    weak = only(report, "TLS_WEAK_CIPHER")
    assert weak.severity == "warning"
    assert "DES-CBC3-SHA" in weak.summary
    assert "not its HTTP answer" in weak.summary
    # The certificates from the origin's first flight were still judged.
    assert [c.common_name for c in tls.chain][:1] == [NAME]
    assert "TRUSTED_VIA_CA_FILE" in codes(report)
    assert "TLS_HANDSHAKE_FAILED" not in codes(report)
    # CloudFront connects, but no request could be sent from here: not "can connect".
    assert report.verdict == "unknown"
    assert "the HTTP answer could not be checked" in report.probe_error
    assert "DES-CBC3-SHA" in report.probe_error


def test_3des_only_origin_over_tls1_when_cloudfront_allows_tls1(pki):
    tls10 = THREE_DES_ONLY.replace("+VERS-TLS1.2:+VERS-TLS1.1:", "")
    with gnutls_serv(pki["leaf"], [pki["inter"]], priority=tls10) as server:
        allowed = probe(pki["ca"], server.port, origin_ssl_protocols=("TLSv1", "TLSv1.2"))
        not_allowed = probe(pki["ca"], server.port)
    tls = allowed.addresses[0].probes[0].tls
    assert (tls.status, tls.protocol, tls.cipher) == ("ok", "TLSv1", "DES-CBC3-SHA")
    assert "TLS_WEAK_CIPHER" in codes(allowed)
    assert errors(not_allowed) == ["TLS_PROTOCOL_UNSUPPORTED"]
    assert "accepts TLSv1;" in only(not_allowed, "TLS_PROTOCOL_UNSUPPORTED").summary


def test_rc4_md5_only_origin_connects_with_a_weak_cipher_warning(pki):
    with gnutls_serv(pki["leaf"], [pki["inter"]], priority=RC4_MD5_ONLY) as server:
        report = probe(pki["ca"], server.port)
    tls = report.addresses[0].probes[0].tls
    assert (tls.status, tls.cipher) == ("ok", "RC4-MD5")
    assert errors(report) == []
    assert report.verdict == "unknown" and "RC4-MD5" in report.probe_error
    assert "RC4-MD5" in only(report, "TLS_WEAK_CIPHER").summary


def test_rc4_sha_only_origin_is_cipher_unsupported_with_both_lists(pki):
    with gnutls_serv(pki["leaf"], [pki["inter"]], priority=RC4_SHA_ONLY) as server:
        report = probe(pki["ca"], server.port)
    tls = report.addresses[0].probes[0].tls
    assert tls.status == "failed"
    assert tls.cipher_offer.outcome == "alert"
    assert tls.cipher_offer.alert == "handshake_failure"
    assert tls.accepted_ciphers == ["RC4-SHA"]
    assert errors(report) == ["TLS_CIPHER_UNSUPPORTED"]
    finding = only(report, "TLS_CIPHER_UNSUPPORTED")
    assert "accepts RC4-SHA;" in finding.summary
    assert "DES-CBC3-SHA, RC4-MD5" in finding.summary  # what CloudFront offers, beside it
    assert "alert handshake_failure" in finding.summary
    assert finding.evidence["cloudfront_ciphers"][-2:] == ["DES-CBC3-SHA", "RC4-MD5"]


def test_healthy_origin_still_costs_one_handshake(pki):
    # Plus one that asks for a certificate of the other key type (none here).
    with TlsOrigin([pki["leaf"], pki["inter"]], pki["leaf"]) as origin:
        report = probe(pki["ca"], origin.port)
    tls = report.addresses[0].probes[0].tls
    assert [a.purpose.split(" ")[0] for a in tls.attempts] == ["cloudfront", "another"]
    assert tls.cipher_offer is None
    assert tls.negotiated_by == "openssl"
    # Plus, beside the request, the TLS 1.3 handshake CloudFront is believed to make, since
    # the origin's ServerHello says it speaks TLS 1.3.
    assert tls.tls13 is not None and len(tls.tls13.attempts) == 1
    assert report.addresses[0].probes[0].http.status_code == 200


def test_healthy_gnutls_origin_costs_one_handshake(pki):
    with gnutls_serv(pki["leaf"], [pki["inter"]], priority="NORMAL") as server:
        report = probe(pki["ca"], server.port)
    tls = report.addresses[0].probes[0].tls
    assert tls.status == "ok"
    assert len(tls.attempts) == 2  # and one asking for the other key type's certificate
    assert tls.cipher_offer is None
    assert "TLS_WEAK_CIPHER" not in codes(report)
