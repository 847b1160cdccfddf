"""The TLS 1.3 rules on hand-built reports: one TLS13_ONLY wording for every reason TLS 1.2
fails when CloudFront's presumed TLS 1.3 offer completes; errors only when neither works."""

from __future__ import annotations

import pytest

from tests.workers.diagnosis.test_rules import NOW, address, healthy_tls, report
from workers.diagnosis import diagnose_findings
from workers.models import HttpResult, Tls13Check, TlsAttempt, TlsResult

SUITES = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"]
WORKS = Tls13Check(offered=SUITES, ok=True, cipher="TLS_AES_128_GCM_SHA256")
TRIED = TlsAttempt("a TLS 1.3 handshake", ["TLSv1.3"], "", ok=False)
OTHER_SUITE = Tls13Check(offered=SUITES, ok=False, alert="handshake_failure",
                         any_suite_cipher="TLS_CHACHA20_POLY1305_SHA256")


def findings(tls: TlsResult):
    return diagnose_findings(report(address(tls=tls, http=HttpResult(status="not_run"))), NOW)


@pytest.mark.parametrize(("tls", "why"), [
    (TlsResult(status="failed", reason="cipher_unsupported",
               accepted_protocols=["TLSv1.3", "TLSv1.2"],
               accepted_ciphers=["AES128-GCM-SHA256", "TLS_AES_256_GCM_SHA384"]),
     "over TLSv1.2 it accepts only AES128-GCM-SHA256, none"),
    (TlsResult(status="failed", reason="curve_unsupported",
               accepted_protocols=["TLSv1.3", "TLSv1.2"],
               detail="the origin accepts X over TLSv1.2 only with a curve"),
     "only with a curve"),
    (TlsResult(status="failed", reason="protocol_unsupported", accepted_protocols=["TLSv1.3"],
               detail="alert handshake_failure"),
     "no TLS 1.2 or older handshake completes"),
    (TlsResult(status="failed", reason="protocol_unsupported",
               accepted_protocols=["TLSv1.3", "TLSv1"]),
     "it accepts TLSv1, which the distribution does not offer"),
])
def test_every_reason_tls12_fails_is_one_uncertain_tls13_only(tls, why):
    tls.tls13 = WORKS
    found = findings(tls)
    assert [(f.code, f.severity, f.uncertain) for f in found] == [
        ("TLS13_ONLY", "warning", True)]
    assert why in found[0].summary
    assert found[0].evidence["tls12_reason"] == tls.reason


def test_tls13_outside_the_presumed_suites_leaves_the_error_uncertain():
    tls = TlsResult(status="failed", reason="cipher_unsupported",
                    accepted_protocols=["TLSv1.3", "TLSv1.2"],
                    accepted_ciphers=["ECDHE-RSA-CHACHA20-POLY1305"], tls13=OTHER_SUITE)
    [finding] = findings(tls)
    assert (finding.code, finding.severity, finding.uncertain) == (
        "TLS_CIPHER_UNSUPPORTED", "error", True)
    assert "only with TLS_CHACHA20_POLY1305_SHA256" in finding.summary


def test_a_timeout_is_not_excused_by_tls13():
    tls = TlsResult(status="failed", reason="timeout", tls13=WORKS)
    assert [(f.code, f.uncertain) for f in findings(tls)] == [("TLS_HANDSHAKE_TIMEOUT", False)]


def test_a_working_origin_refusing_the_presumed_tls13_offer_is_warned_uncertain():
    tls = healthy_tls()
    tls.tls13 = Tls13Check(offered=SUITES, ok=False, alert="handshake_failure",
                           any_suite_cipher="TLS_CHACHA20_POLY1305_SHA256",
                           attempts=[TRIED, TRIED])
    found = diagnose_findings(report(address(tls=tls)), NOW)
    assert [(f.code, f.severity, f.uncertain) for f in found] == [
        ("TLS13_OFFER_REFUSED", "warning", True)]
    # Not checked to the end (a timeout, one attempt): nothing said.
    tls.tls13 = Tls13Check(offered=SUITES, ok=False, error="no handshake answer",
                           attempts=[TRIED])
    assert diagnose_findings(report(address(tls=tls)), NOW) == []


def test_no_tls13_after_all_is_not_a_refusal():
    tls = healthy_tls()
    tls.tls13 = Tls13Check(offered=SUITES, ok=False, alert="protocol_version",
                           any_suite_alert="protocol_version", attempts=[TRIED, TRIED])
    assert diagnose_findings(report(address(tls=tls)), NOW) == []
