"""Certificate rules of issue 13 from tables of hand-built reports: weak signatures, key sizes,
order with the server certificate not first, private CA vs missing intermediate, chains cut
to bound the work, and maintained validators' verdicts. No network, no clock."""

from __future__ import annotations

import pytest

from tests.workers.diagnosis.test_rules import NOW, address, cert, healthy_tls, report
from workers.diagnosis import diagnose_findings
from workers.models import ChainAnalysis, Finding, TlsResult, ValidatorVerdict

TRUSTED = {"trusted": True, "anchor_source": "mozilla"}
INTER = cert((), cn="Issuer", is_ca=True)


def findings(chain, analysis) -> list[Finding]:
    return diagnose_findings(report(address(tls=healthy_tls(chain, analysis))), NOW)


def by_code(found: list[Finding]) -> dict[str, Finding]:
    return {f.code: f for f in found}


@pytest.mark.parametrize(("leaf", "code", "severity", "uncertain"), [
    (cert(signature_hash="md5"), "CERT_MD5_SIGNATURE", "error", False),
    (cert(signature_hash="sha1"), "CERT_SHA1_SIGNATURE", "warning", True),
    (cert(key_size=768), "CERT_RSA_KEY_TOO_SMALL", "error", False),
    (cert(key_size=512), "CERT_RSA_KEY_TOO_SMALL", "error", False),
    (cert(key_size=1024), "CERT_WEAK_KEY", "warning", False),
])
def test_weak_signatures_and_small_keys(leaf, code, severity, uncertain):
    found = findings([leaf, INTER], ChainAnalysis(path=[0, 1], **TRUSTED))
    assert [f.code for f in found] == [code]
    assert (found[0].severity, found[0].uncertain) == (severity, uncertain)


def test_md5_is_not_called_sha1_and_says_the_signature_was_not_checked():
    analysis = ChainAnalysis(path=[0, 1], unchecked_signatures={0: "md5 cannot be checked"},
                             **TRUSTED)
    (f,) = findings([cert(signature_hash="md5"), INTER], analysis)
    assert "MD5" in f.summary and "SHA-1" not in f.summary
    assert "could not be checked here (md5 cannot be checked)" in f.summary


def test_weak_signature_on_an_intermediate_is_named():
    inter = cert((), cn="Old Issuing CA", is_ca=True, signature_hash="sha1")
    (f,) = findings([cert(), inter], ChainAnalysis(path=[0, 1], **TRUSTED))
    assert f.code == "CERT_SHA1_SIGNATURE" and "intermediate #1" in f.summary


def test_server_certificate_not_first_is_order_not_hostname():
    chain = [cert((), cn="Issuing CA", is_ca=True), cert()]
    analysis = ChainAnalysis(path=[1, 0], leaf_index=1, in_order=False, **TRUSTED)
    (f,) = findings(chain, analysis)
    assert f.code == "CERT_CHAIN_ORDER"
    assert "Received: [0] Issuing CA → [1] origin.example.com" in f.summary
    assert "Needed: [1] origin.example.com → [0] Issuing CA" in f.summary
    assert "first" in f.summary


@pytest.mark.parametrize(("analysis", "code", "uncertain", "words"), [
    # No caIssuers URL at all: a private or interception CA, said with its reasoning.
    (ChainAnalysis(break_reason="incomplete", dangling_index=0, missing_issuer="CN=Corp CA",
                   aia_status="absent"), "CERT_UNTRUSTED_ROOT", False,
     ("Baseline Requirements", "private or interception CA", "Less likely")),
    # AIA names the issuer and fetching it reaches a trusted root: proven missing.
    (ChainAnalysis(break_reason="incomplete", dangling_index=0, missing_issuer="CN=Issuer",
                   aia_status="fetched", aia_url="http://ca.example/i.cer",
                   aia_completes_chain=True,
                   aia_certificate=cert((), cn="Issuer", is_ca=True)),
     "CERT_CHAIN_INCOMPLETE", False, ("http://ca.example/i.cer",)),
    # AIA present but not fetched: a public CA is likely, the intermediate probably missing.
    (ChainAnalysis(break_reason="incomplete", dangling_index=0, missing_issuer="CN=Issuer",
                   aia_status="skipped", aia_url="http://ca.example/i.cer"),
     "CERT_CHAIN_INCOMPLETE", True, ("most likely the intermediate is missing",)),
])
def test_private_ca_against_missing_intermediate(analysis, code, uncertain, words):
    (f,) = findings([cert()], analysis)
    assert (f.code, f.uncertain) == (code, uncertain)
    for word in words:
        assert word in f.summary + " ".join(f.remediation)


def test_private_ca_finding_links_the_baseline_requirements():
    (f,) = findings([cert()], ChainAnalysis(break_reason="incomplete", dangling_index=0,
                                            missing_issuer="CN=Corp CA", aia_status="absent"))
    assert any("cabforum.org" in link for link in f.links)


def test_a_valid_cross_signed_path_is_not_called_expired():
    cross = cert((), cn="New Root", is_ca=True, not_after="2026-01-02T00:00:00Z")
    found = findings([cert(), INTER, cross], ChainAnalysis(path=[0, 1], unused_indexes=[2],
                                                           **TRUSTED))
    assert [f.code for f in found] == ["CERT_EXTRA_CERTIFICATES"]


def test_an_expired_certificate_on_the_judged_path_is_named():
    inter = cert((), cn="Issuer", is_ca=True, not_after="2026-01-02T00:00:00Z")
    found = findings([cert(), inter], ChainAnalysis(path=[0, 1], **TRUSTED))
    assert [f.code for f in found] == ["CERT_EXPIRED"]


def test_certificate_message_too_large_is_its_own_finding():
    tls = TlsResult(status="failed", reason="cert_message_too_large",
                    detail="EXCESSIVE_MESSAGE_SIZE: excessive message size")
    (f,) = diagnose_findings(report(address(tls=tls)), NOW)
    assert f.code == "CERT_MESSAGE_TOO_LARGE" and f.severity == "error"


def test_a_chain_cut_to_bound_the_work_says_what_was_cut():
    analysis = ChainAnalysis(path=[0, 1], presented_count=345, considered_count=16,
                             signature_checks=64, signature_budget_exhausted=True, **TRUSTED)
    f = by_code(findings([cert(), INTER], analysis))["CERT_CHAIN_CUT"]
    assert "sent 345 certificates" in f.summary and "first 16" in f.summary
    assert "stopped at 64" in f.summary


OPENSSL_NO = ValidatorVerdict("openssl", False, code="X509_V_ERR_INVALID_CA",
                              rule="invalid CA certificate", certificate="CN=Issuer", depth=1)
WEBPKI_NO = ValidatorVerdict("webpki", False, rule="basicConstraints.cA must be asserted",
                             certificate="CN=Issuer")
OPENSSL_OK = ValidatorVerdict("openssl", True)
WEBPKI_OK = ValidatorVerdict("webpki", True)
WEBPKI_SAN = ValidatorVerdict("webpki", False,
                              rule="missing required extension: leaf server certificate has "
                              "no subjectAltName", certificate="CN=origin.example.com")
OPENSSL_PURPOSE = ValidatorVerdict("openssl", False, code="X509_V_ERR_INVALID_PURPOSE",
                                   rule="unsupported certificate purpose",
                                   certificate="CN=origin.example.com", depth=0)
OPENSSL_DOWN = ValidatorVerdict("openssl", None, detail="could not run")


@pytest.mark.parametrize(("verdicts", "expected", "uncertain", "fix_words"), [
    ([OPENSSL_OK, WEBPKI_OK], None, None, ()),
    ([OPENSSL_NO, WEBPKI_NO], "CERT_REJECTED_BY_VALIDATOR", False,
     ("basicConstraints cA=true", "CN=Issuer")),
    ([OPENSSL_PURPOSE, WEBPKI_NO], "CERT_REJECTED_BY_VALIDATOR", False, ("serverAuth",)),
    # The validators disagree: the stricter verdict, said as uncertain (a warning).
    ([OPENSSL_OK, WEBPKI_SAN], "CERT_REJECTED_BY_VALIDATOR", True, ("Subject Alternative",)),
    ([OPENSSL_DOWN, WEBPKI_SAN], "CERT_REJECTED_BY_VALIDATOR", True, ("Subject Alternative",)),
])
def test_validator_verdicts_become_findings(verdicts, expected, uncertain, fix_words):
    analysis = ChainAnalysis(path=[0, 1], validators=verdicts, **TRUSTED)
    found = findings([cert(), INTER], analysis)
    if expected is None:
        assert found == []
        return
    (f,) = found
    severity = "warning" if uncertain else "error"
    assert (f.code, f.severity, f.uncertain) == (expected, severity, uncertain)
    text = f.summary + " ".join(f.remediation)
    for word in fix_words:
        assert word in text
    assert verdicts[-1].rule in f.summary or verdicts[0].rule in f.summary


def test_a_rejection_already_explained_is_not_said_twice():
    expired = cert(not_after="2026-11-19T12:00:00Z")
    reason = ValidatorVerdict("openssl", False, code="X509_V_ERR_CERT_HAS_EXPIRED",
                              rule="certificate has expired", depth=0)
    found = findings([expired, INTER], ChainAnalysis(path=[0, 1], validators=[reason],
                                                     **TRUSTED))
    assert [f.code for f in found] == ["CERT_EXPIRED"]


def test_a_weak_signature_rejected_by_the_web_pki_profile_is_said_once():
    sha1 = ValidatorVerdict("webpki", False, rule="Forbidden signature algorithm: RsaWithSha1")
    found = findings([cert(signature_hash="sha1"), INTER],
                     ChainAnalysis(path=[0, 1], validators=[OPENSSL_OK, sha1], **TRUSTED))
    assert [f.code for f in found] == ["CERT_SHA1_SIGNATURE"]


def test_an_unexplained_rule_is_named_beside_an_explained_one():
    expired = cert(not_after="2026-11-19T12:00:00Z")
    found = findings([expired, INTER], ChainAnalysis(path=[0, 1],
                                                     validators=[OPENSSL_PURPOSE, WEBPKI_NO],
                                                     **TRUSTED))
    assert [f.code for f in found] == ["CERT_EXPIRED", "CERT_REJECTED_BY_VALIDATOR"]
