"""Revocation rules from tables of hand-built reports: what the certificate status the origin
stapled says (revoked, stale, for another certificate, badly signed), and a Must-Staple
certificate served without one. CloudFront's handling of revocation is not documented
(cloudfront-facts §3.2), so every finding is uncertain and none is an error. No network; the
clock is NOW."""

from __future__ import annotations

import dataclasses

import pytest

from tests.workers.diagnosis.test_rules import NOW, address, cert, healthy_tls, report
from workers.diagnosis import diagnose_findings
from workers.models import Finding, OcspStaple, Severity, verdict_for

GOOD = OcspStaple(stapled=True, response_status="successful", cert_status="good", serial="1",
                  for_this_certificate=True, this_update="2026-11-24T00:00:00Z",
                  next_update="2026-12-01T00:00:00Z", signature="verified",
                  signed_by="CN=Issuer")
REVOKED = dataclasses.replace(GOOD, cert_status="revoked", revoked_at="2026-11-20T08:30:00Z",
                              revocation_reason="keyCompromise")


def findings(staple: OcspStaple | None) -> list[Finding]:
    tls = healthy_tls()
    tls.ocsp = staple
    return diagnose_findings(report(address(tls=tls)), NOW)


def test_a_good_current_staple_says_nothing():
    assert findings(GOOD) == []
    assert findings(dataclasses.replace(GOOD, next_update=None)) == []


def test_no_staple_asked_or_none_sent_says_nothing_without_must_staple():
    assert findings(None) == []
    assert findings(OcspStaple(stapled=False)) == []


def test_a_revoked_certificate_is_said_plainly_and_marked_uncertain():
    (f,) = findings(REVOKED)
    assert (f.code, f.severity, f.uncertain) == ("CERT_REVOKED", "warning", True)
    assert "was revoked on 2026-11-20 08:30 UTC (reason: keyCompromise)" in f.summary
    assert 'signed by "CN=Issuer"' in f.summary
    assert "Clients that check revocation refuse this certificate" in f.summary
    assert "not documented" in f.summary
    assert f.evidence["reason"] == "keyCompromise"
    assert f.evidence["revoked_at"] == "2026-11-20T08:30:00Z"
    assert f.remediation[0].startswith("Replace the certificate")
    assert "-status" in f.remediation[-1] and "origin.example.com:443" in f.remediation[-1]
    # Uncertain about CloudFront, so the verdict is not "502 expected".
    assert verdict_for([f]) == "warn"


def test_revoked_stays_revoked_in_an_old_response():
    (f,) = findings(dataclasses.replace(REVOKED, next_update="2026-11-21T00:00:00Z"))
    assert f.code == "CERT_REVOKED"


def test_revoked_with_a_signature_not_checked_here_says_so():
    staple = dataclasses.replace(REVOKED, signature="unchecked", signed_by=None,
                                 for_this_certificate=None,
                                 signature_detail="the certificate's issuer was not sent")
    (f,) = findings(staple)
    assert f.code == "CERT_REVOKED"
    assert "could not be checked here (the certificate's issuer was not sent)" in f.summary
    assert "signed by" not in f.summary


def test_revoked_matched_by_issuer_name_only_says_so():
    (f,) = findings(dataclasses.replace(REVOKED, for_this_certificate=None))
    assert "matched to this certificate by serial and issuer name" in f.summary


@pytest.mark.parametrize(("staple", "problem", "severity", "words"), [
    # Stale or uninformative: clients treat it as no response.
    (dataclasses.replace(GOOD, next_update="2026-11-20T12:00:00Z"), "expired", "info",
     "out of date since 2026-11-20 12:00 UTC (4 days ago"),
    (dataclasses.replace(GOOD, this_update="2026-11-26T12:00:00Z"), "not_yet_valid", "info",
     "dated 2 days in the future"),
    (dataclasses.replace(GOOD, cert_status="unknown"), "unknown", "info",
     "does not know this certificate"),
    (OcspStaple(stapled=True, response_status="try_later"), "refused", "info",
     'refusal "try_later"'),
    # Wrong: for another certificate, a bad signature, not OCSP at all.
    (dataclasses.replace(GOOD, serial="2a", for_this_certificate=False), "other_certificate",
     "warning", "about the certificate with serial 2a, not this one (1)"),
    (dataclasses.replace(GOOD, for_this_certificate=False), "other_issuer", "warning",
     "under another issuer"),
    (dataclasses.replace(GOOD, signature="invalid", signature_detail="the signature does not "
                         "verify"), "bad_signature", "warning", "the signature does not verify"),
    (OcspStaple(stapled=True, problem="it is not an OCSP response that can be read (x)"),
     "unreadable", "warning", "not an OCSP response"),
])
def test_an_unusable_staple_is_named_with_why(staple, problem, severity, words):
    (f,) = findings(staple)
    assert (f.code, f.severity, f.uncertain) == ("CERT_OCSP_STAPLE_UNUSABLE", severity, True)
    assert f.evidence["problem"] == problem
    assert words in f.summary
    assert "whether CloudFront looks at it is not documented" in f.summary


def test_a_revoked_answer_about_another_certificate_is_not_called_revoked():
    staple = dataclasses.replace(REVOKED, serial="2a", for_this_certificate=False)
    (f,) = findings(staple)
    assert f.code == "CERT_OCSP_STAPLE_UNUSABLE" and f.evidence["problem"] == "other_certificate"


def test_a_revoked_answer_with_a_bad_signature_is_not_called_revoked():
    (f,) = findings(dataclasses.replace(REVOKED, signature="invalid", signature_detail="x"))
    assert f.code == "CERT_OCSP_STAPLE_UNUSABLE" and f.evidence["problem"] == "bad_signature"


def test_must_staple_without_a_staple_is_an_uncertain_warning():
    (f,) = findings(OcspStaple(must_staple=True, stapled=False))
    assert (f.code, f.severity, f.uncertain) == ("CERT_MUST_STAPLE_MISSING", "warning", True)
    assert "OCSP Must-Staple" in f.summary and "whether CloudFront does" in f.summary
    assert any("ssl_stapling on" in step for step in f.remediation)


def test_must_staple_with_a_stale_staple_is_a_warning_that_says_why():
    staple = dataclasses.replace(GOOD, must_staple=True, next_update="2026-11-20T12:00:00Z")
    (f,) = findings(staple)
    assert (f.code, f.severity) == ("CERT_OCSP_STAPLE_UNUSABLE", Severity.WARNING)
    assert "Must-Staple" in f.summary


def test_the_staple_is_judged_against_the_first_certificate_sent():
    tls = healthy_tls(chain=[cert(), cert((), cn="Issuer", is_ca=True)])
    tls.ocsp = dataclasses.replace(REVOKED)
    (f,) = diagnose_findings(report(address(tls=tls)), NOW)
    assert '"origin.example.com"' in f.summary


def test_the_same_revoked_staple_on_two_addresses_is_one_finding():
    def revoked_at(ip: str):
        tls = healthy_tls()
        tls.ocsp = REVOKED
        return address(ip, tls=tls)

    found = diagnose_findings(report(revoked_at("192.0.2.10"), revoked_at("192.0.2.11")), NOW)
    assert [f.code for f in found] == ["CERT_REVOKED"]
    assert found[0].evidence["addresses"] == ["192.0.2.10", "192.0.2.11"]
