"""Diagnosis rules from tables of hand-built reports: no network, no clock."""

from __future__ import annotations

import datetime as dt

import pytest

from workers.diagnosis import diagnose_findings
from workers.diagnosis.names import name_matches
from workers.models import (
    AddressReport,
    CertificateInfo,
    ChainAnalysis,
    ConnectionProbe,
    DnsResult,
    HttpResult,
    Report,
    TargetInfo,
    TcpResult,
    TlsResult,
)

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def cert(names=("origin.example.com",), *, cn=None, not_after="2027-06-01T00:00:00Z",
         not_before="2026-01-01T00:00:00Z", key_type="RSA", key_size=2048, curve=None,
         signature_hash="sha256", is_ca=False, self_signed=False) -> CertificateInfo:
    return CertificateInfo(
        subject=f"CN={cn or (names[0] if names else 'x')}", issuer="CN=Issuer",
        common_name=cn or (names[0] if names else None), dns_names=list(names), ip_addresses=[],
        not_before=not_before, not_after=not_after, serial="1", sha256="ab" * 32,
        key_type=key_type, key_size=key_size, curve=curve, signature_hash=signature_hash,
        is_ca=is_ca, self_issued=self_signed, self_signed=self_signed, aia_ca_issuers=[], pem="")


def report(*addresses: AddressReport, host_header: str | None = None, https_port: int = 443,
           policy: str = "https-only", name: str = "origin.example.com") -> Report:
    target = TargetInfo(
        hostname=name, display=name, is_ip_literal=False, sni=host_header or name,
        host_header=host_header or name, protocol_policy=policy, https_port=https_port,
        http_port=80, origin_ssl_protocols=["TLSv1.2"], path="/", connect_timeout=10,
        connection_attempts=3, read_timeout=30)
    dns = DnsResult(status="ok", addresses=[a.address for a in addresses],
                    ipv4=[a.address for a in addresses if a.family == "ipv4"])
    return Report(target=target, verdict="ok", findings=[], dns=dns, addresses=list(addresses),
                  started_at="2026-11-24T12:00:00Z", duration_ms=1.0)


def healthy_tls(chain=None, analysis=None) -> TlsResult:
    return TlsResult(status="ok", protocol="TLSv1.2", cipher="ECDHE-RSA-AES128-GCM-SHA256",
                     chain=chain or [cert()],
                     analysis=analysis or ChainAnalysis(trusted=True, anchor_source="mozilla"))


def address(ip="192.0.2.10", tls=None, tcp=None, http=None) -> AddressReport:
    tcp = tcp or TcpResult(status="ok", attempts=1)
    http = http or HttpResult(status="ok", status_code=200, reason_phrase="OK")
    probe = ConnectionProbe("https", 443, tcp, tls or healthy_tls(), http)
    return AddressReport(address=ip, family="ipv4", probes=[probe])


def codes(r: Report) -> list[str]:
    return [f.code for f in diagnose_findings(r, NOW)]


def test_healthy_report_has_no_findings():
    assert codes(report(address())) == []


@pytest.mark.parametrize(("pattern", "name", "match"), [
    ("origin.example.com", "ORIGIN.example.com", True),
    ("*.example.com", "origin.example.com", True),
    ("*.example.com", "a.b.example.com", False),
    ("*.example.com", "example.com", False),
    ("*.com", "example.com", False),
    ("o*.example.com", "origin.example.com", False),
])
def test_wildcards_stand_for_one_label(pattern, name, match):
    assert name_matches(pattern, name) is match


@pytest.mark.parametrize(("chain", "expected"), [
    ([cert(names=("other.example.com",))], ["CERT_HOSTNAME_MISMATCH"]),
    ([cert(names=(), cn="origin.example.com")], []),  # CN counts when there is no SAN
    # CN beside other SAN names: RFC 6125 ignores it, AWS's pages count it (uncertain)
    ([cert(names=("www.example.com",), cn="origin.example.com")],
     ["CERT_NAME_MATCH_UNCERTAIN"]),
    ([cert(not_after="2026-11-19T12:00:00Z")], ["CERT_EXPIRED"]),
    ([cert(not_before="2026-12-01T00:00:00Z")], ["CERT_NOT_YET_VALID"]),
    ([cert(not_after="2026-12-04T12:00:00Z")], ["CERT_EXPIRES_SOON"]),
    ([cert(not_after="2026-12-10T12:00:00Z")], []),  # 16 days: no warning yet
    ([cert(key_size=8192)], ["CERT_RSA_KEY_TOO_LARGE"]),
    ([cert(key_type="EC", key_size=256, curve="secp256r1")], []),
    ([cert(key_type="Ed25519", key_size=None)], ["CERT_KEY_TYPE_UNCERTAIN"]),
    ([cert(signature_hash="sha1")], ["CERT_SHA1_SIGNATURE"]),
])
def test_certificate_rules(chain, expected):
    assert codes(report(address(tls=healthy_tls(chain)))) == expected


def test_expiry_evidence_says_when_and_how_long_ago():
    r = report(address(tls=healthy_tls([cert(not_after="2026-11-19T12:00:00Z")])))
    (finding,) = diagnose_findings(r, NOW)
    assert "expired 5 days ago, on 2026-11-19 12:00 UTC" in finding.summary


def test_hostname_mismatch_names_the_forwarded_host():
    r = report(address(tls=healthy_tls([cert(names=("other.example.com",))])),
               host_header="www.example.com")
    (finding,) = diagnose_findings(r, NOW)
    assert finding.code == "CERT_HOSTNAME_MISMATCH" and not finding.uncertain
    assert "forwards Host www.example.com" in finding.summary
    assert "names neither" in finding.summary


@pytest.mark.parametrize(("analysis", "expected"), [
    (ChainAnalysis(in_order=False, trusted=True, anchor_source="mozilla"), ["CERT_CHAIN_ORDER"]),
    (ChainAnalysis(break_reason="self_signed_leaf"), ["CERT_SELF_SIGNED"]),
    (ChainAnalysis(break_reason="untrusted_root"), ["CERT_UNTRUSTED_ROOT"]),
    # No caIssuers URL: a private CA is likelier than a missing public intermediate.
    (ChainAnalysis(break_reason="incomplete", dangling_index=0, missing_issuer="CN=Issuer",
                   aia_status="absent"), ["CERT_UNTRUSTED_ROOT"]),
    (ChainAnalysis(break_reason="incomplete", dangling_index=0, missing_issuer="CN=Issuer",
                   aia_status="failed", aia_url="http://ca.example/i.cer"),
     ["CERT_CHAIN_INCOMPLETE"]),
    (ChainAnalysis(trusted=True, anchor_source="ca_file", anchor_subject="CN=Lab"),
     ["TRUSTED_VIA_CA_FILE"]),
])
def test_trust_rules(analysis, expected):
    chain = [cert(), cert((), cn="Issuer", is_ca=True, self_signed=True)]
    if analysis.break_reason == "self_signed_leaf":
        chain = [cert(self_signed=True)]
    assert codes(report(address(tls=healthy_tls(chain, analysis)))) == expected


def test_one_failing_address_among_good_ones_is_called_intermittent():
    bad = address("192.0.2.11", tcp=TcpResult(status="failed", reason="refused", attempts=3),
                  tls=TlsResult(status="not_run"), http=HttpResult(status="not_run"))
    found = codes(report(address("192.0.2.10"), bad))
    assert found == ["PORT_CLOSED", "SOME_ADDRESSES_FAILING"]


def test_the_same_cause_on_every_address_is_one_finding():
    expired = [cert(not_after="2026-11-19T12:00:00Z")]
    r = report(address("192.0.2.10", tls=healthy_tls(expired)),
               address("192.0.2.11", tls=healthy_tls(expired)))
    (finding,) = diagnose_findings(r, NOW)
    assert finding.code == "CERT_EXPIRED"
    assert finding.address is None
    assert "all 2 addresses" in finding.summary


def test_errors_come_before_warnings():
    chain = [cert(names=("other.example.com",), signature_hash="sha1")]
    found = diagnose_findings(report(address(tls=healthy_tls(chain))), NOW)
    assert [f.severity for f in found] == ["error", "warning"]


@pytest.mark.parametrize(("port", "allowed"), [(443, True), (80, True), (1024, True),
                                              (8443, True), (444, False), (1023, False)])
def test_ports_cloudfront_accepts(port, allowed):
    found = codes(report(address(), https_port=port))
    assert ("PORT_NOT_ALLOWED" not in found) is allowed


@pytest.mark.parametrize(("tls", "expected"), [
    (TlsResult(status="failed", reason="protocol_unsupported", accepted_protocols=["TLSv1"]),
     "TLS_PROTOCOL_UNSUPPORTED"),
    (TlsResult(status="failed", reason="protocol_unsupported", accepted_protocols=["TLSv1.3"]),
     "TLS13_ONLY"),
    (TlsResult(status="failed", reason="cipher_unsupported", accepted_protocols=["TLSv1.2"],
               accepted_ciphers=["AES128-GCM-SHA256"]), "TLS_CIPHER_UNSUPPORTED"),
    (TlsResult(status="failed", reason="not_tls", detail="WRONG_VERSION_NUMBER"),
     "TLS_NOT_SPOKEN"),
    (TlsResult(status="failed", reason="client_cert_required"), "TLS_CLIENT_CERT_REQUIRED"),
    (TlsResult(status="failed", reason="reset", detail="EOF"), "TLS_HANDSHAKE_FAILED"),
])
def test_tls_failure_reasons_map_to_codes(tls, expected):
    a = address(tls=tls, http=HttpResult(status="not_run"))
    assert codes(report(a))[0] == expected


def test_origin_accepting_only_ciphers_unbuildable_here_is_not_blamed():
    tls = TlsResult(status="failed", reason="cipher_unsupported", accepted_protocols=["TLSv1.2"],
                    accepted_ciphers=["DES-CBC3-SHA"])
    assert codes(report(address(tls=tls, http=HttpResult(status="not_run")))) == []


@pytest.mark.parametrize(("http", "expected"), [
    (HttpResult(status="failed", reason="closed"), "ORIGIN_CLOSED_CONNECTION"),
    (HttpResult(status="failed", reason="timeout"), "ORIGIN_RESPONSE_TIMEOUT"),
    (HttpResult(status="failed", reason="stalled", detail="33 informational responses"),
     "ORIGIN_RESPONSE_STALLED"),
    (HttpResult(status="failed", reason="invalid", first_bytes="SSH-2.0"),
     "HTTP_INVALID_RESPONSE"),
    (HttpResult(status="ok", status_code=503, reason_phrase="Service Unavailable"),
     "ORIGIN_RETURNED_ERROR"),
    (HttpResult(status="ok", status_code=404, reason_phrase="Not Found"),
     "ORIGIN_RETURNED_CLIENT_ERROR"),
])
def test_http_rules(http, expected):
    assert codes(report(address(http=http))) == [expected]


def test_every_catalog_code_has_docs_links_and_remediation():
    from workers.diagnosis.catalog import CATALOG

    for code, entry in CATALOG.items():
        assert entry.links, code
        assert entry.remediation, code
        assert entry.severity in ("error", "warning", "info"), code
        assert all(link.startswith("https://") for link in entry.links)


@pytest.mark.parametrize(("left", "expected"), [
    ([], []),
    (["192.0.2.20"], ["ADDRESSES_NOT_ALL_PROBED"]),
    ([f"192.0.2.{n}" for n in range(20, 40)], ["ADDRESSES_NOT_ALL_PROBED"]),
])
def test_addresses_left_out_are_said(left, expected):
    rep = report(address("192.0.2.10"))
    rep.addresses_not_probed = left
    found = [f for f in diagnose_findings(rep, NOW) if f.code == "ADDRESSES_NOT_ALL_PROBED"]
    assert [f.code for f in found] == expected
    if found:
        assert found[0].uncertain and found[0].severity == "warning"
        assert f"{len(left)} left out" in found[0].summary
        assert "--resolve origin.example.com:ADDRESS" in " ".join(found[0].remediation)
