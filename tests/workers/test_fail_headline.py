"""The headline of a ``fail`` verdict names what viewers get, from what each error predicts
(the catalog's ``predicts``): CloudFront's 502 or 504, "502 or 504" where AWS does not say
which, an error of undocumented status, the origin's own status passed on. It is confident only
when some error is certain, and tells a match-viewer origin's HTTP and HTTPS viewers apart when
they fare differently. Hand-built findings and reports; no network (the real-server side is
tests/workers/probes/test_fail_headline_scenarios.py)."""

from __future__ import annotations

import dataclasses

import pytest

from tests.bot.reports import report
from workers.diagnosis.catalog import CATALOG, LINK_504, Predicts
from workers.headline import (
    fail_sentence,
    fail_words,
    outcome,
    predicted,
    short_verdict,
    viewer_schemes,
)
from workers.models import Finding, FindingCode, Report, Severity, verdict_for

P = Predicts

# What each code predicts when it is an error, as decided from cloudfront-facts: a change here
# is a change of what the verdict line tells people, so it is spelled out code by code.
EXPECTED: dict[FindingCode, Predicts] = {
    # DNS: NonS3OriginDnsError is a 502 (§1.1 #7); no address of the family used, likewise.
    FindingCode.DNS_RESOLUTION_FAILED: P.S502, FindingCode.DNS_DANGLING_CNAME: P.S502,
    # No DNS answer in time: NonS3OriginDnsError if CloudFront's resolvers give up too (uncertain).
    FindingCode.DNS_TIMEOUT: P.S502,
    # A late answer: NonS3OriginDnsError if CloudFront's resolvers give up sooner (uncertain).
    FindingCode.DNS_SLOW: P.S502,
    FindingCode.DNS_DNSSEC_FAILED: P.S502, FindingCode.DNS_NAMESERVER_FAILING: P.S502,
    FindingCode.DNS_LAME_DELEGATION: P.S502, FindingCode.DNS_SERVERS_DISAGREE: P.S502,
    FindingCode.ADDRESS_FAMILY_NOT_USED: P.S502,
    FindingCode.ORIGIN_IS_IP_ADDRESS: P.SETTING_REFUSED,
    # Not accessible on the internet: 504 (§1.3).
    FindingCode.ORIGIN_PRIVATE_ADDRESS: P.S504, FindingCode.ADDRESS_NOT_ALLOWED: P.S504,
    # No server can have the address: CloudFront cannot connect (502, §1.1) to an origin not
    # reachable on the internet (504, §1.3); AWS does not say which.
    FindingCode.ADDRESS_UNCONNECTABLE: P.S502_OR_504,
    # A refused port is on the 502 page (§1.1 #4); a dropped SYN or no route: 502 or 504, not
    # settled by AWS (§1.3, §8.6).
    FindingCode.PORT_CLOSED: P.S502, FindingCode.PORT_TIMEOUT: P.S502_OR_504,
    FindingCode.PORT_UNREACHABLE: P.S502_OR_504, FindingCode.PORT_NOT_ALLOWED: P.SETTING_REFUSED,
    # TLS and certificates: 502 (§1.1 #1-#3, §3.2).
    FindingCode.TLS_NOT_SPOKEN: P.S502, FindingCode.TLS_PROTOCOL_UNSUPPORTED: P.S502,
    FindingCode.TLS13_ONLY: P.S502, FindingCode.TLS13_OFFER_REFUSED: P.S502,
    FindingCode.TLS_CIPHER_UNSUPPORTED: P.S502, FindingCode.TLS_CURVE_UNSUPPORTED: P.S502,
    FindingCode.TLS_CLIENT_CERT_REQUIRED: P.S502, FindingCode.TLS_CLIENT_CERT_REQUESTED: P.S502,
    FindingCode.TLS_WEAK_CIPHER: P.NO_ERROR, FindingCode.TLS_HANDSHAKE_FAILED: P.S502,
    # Silence after the ClientHello: a timeout while connecting, 502 or 504 (§1.3, §1.4).
    FindingCode.TLS_HANDSHAKE_TIMEOUT: P.S502_OR_504,
    # A slow handshake: the same timeout, if the connection timeout covers TLS (uncertain).
    FindingCode.TLS_HANDSHAKE_SLOW: P.S502_OR_504,
    FindingCode.TLS_SNI_REFUSED: P.S502, FindingCode.TLS_UNVERIFIABLE_HERE: P.S502,
    FindingCode.CERT_HOSTNAME_MISMATCH: P.S502, FindingCode.CERT_NAME_MATCH_UNCERTAIN: P.S502,
    FindingCode.CERT_EXPIRED: P.S502, FindingCode.CERT_NOT_YET_VALID: P.S502,
    FindingCode.CERT_EXPIRES_SOON: P.S502, FindingCode.CERT_REVOKED: P.S502,
    FindingCode.CERT_MUST_STAPLE_MISSING: P.S502, FindingCode.CERT_OCSP_STAPLE_UNUSABLE: P.S502,
    FindingCode.CERT_SELF_SIGNED: P.S502, FindingCode.CERT_UNTRUSTED_ROOT: P.S502,
    FindingCode.CERT_CHAIN_INCOMPLETE: P.S502, FindingCode.CERT_WRONG_INTERMEDIATE: P.S502,
    FindingCode.CERT_CHAIN_ORDER: P.S502, FindingCode.CERT_EXTRA_CERTIFICATES: P.NO_ERROR,
    FindingCode.CERT_RSA_KEY_TOO_LARGE: P.S502, FindingCode.CERT_WEAK_KEY: P.NO_ERROR,
    FindingCode.CERT_KEY_TYPE_UNCERTAIN: P.S502, FindingCode.CERT_KEY_UNSUPPORTED: P.S502,
    # If CloudFront checks keyUsage, the handshake fails: a certificate problem, 502 (§3.2).
    FindingCode.CERT_KEY_USAGE_MISMATCH: P.S502,
    FindingCode.CERT_SHA1_SIGNATURE: P.S502, FindingCode.CERT_MD5_SIGNATURE: P.S502,
    FindingCode.CERT_RSA_KEY_TOO_SMALL: P.S502, FindingCode.CERT_MESSAGE_TOO_LARGE: P.S502,
    FindingCode.CERT_CHAIN_CUT: P.S502, FindingCode.CERT_REJECTED_BY_VALIDATOR: P.S502,
    FindingCode.TRUSTED_VIA_CA_FILE: P.S502,
    # A closed connection: captured with 502 and with 504 (§7.5), not settled.
    FindingCode.ORIGIN_CLOSED_CONNECTION: P.S502_OR_504,
    FindingCode.HTTP_KEEPALIVE_SHORTER: P.S502,
    # Response timeouts: 504 (§1.3).
    FindingCode.ORIGIN_RESPONSE_TIMEOUT: P.S504, FindingCode.ORIGIN_RESPONSE_STALLED: P.S504,
    # An answer CloudFront rejects, of a status AWS does not document.
    FindingCode.HTTP_INVALID_RESPONSE: P.UNDOCUMENTED,
    FindingCode.HTTP_STATUS_INVALID: P.UNDOCUMENTED,
    # A part after the status line a strict parser rejects, a response cut short: AWS documents
    # neither (the log type OriginInvalidResponseError has no status, §1.4).
    FindingCode.HTTP_RESPONSE_MALFORMED: P.UNDOCUMENTED,
    FindingCode.HTTP_RESPONSE_TRUNCATED: P.UNDOCUMENTED,
    FindingCode.HTTP_PORT_SPEAKS_TLS: P.S502,  # the origin's status instead, when it answered
    FindingCode.HTTP_SECOND_100_CONTINUE: P.UNDOCUMENTED,
    FindingCode.HTTP_HEADERS_TOO_LARGE: P.UNDOCUMENTED,
    FindingCode.ORIGIN_RETURNED_ERROR: P.PASSED_ON,
    FindingCode.ORIGIN_RETURNED_CLIENT_ERROR: P.PASSED_ON,
    FindingCode.HTTP_REDIRECT_LOOP: P.NO_ERROR,
    FindingCode.TARGET_IS_CLOUDFRONT: P.SEEN_AT_EDGE,
    FindingCode.SOME_ADDRESSES_FAILING: P.SCOPE,
    FindingCode.ADDRESSES_NOT_ALL_PROBED: P.S502,
}


@pytest.mark.parametrize("code", list(FindingCode))
def test_every_code_has_decided_what_status_it_predicts(code):
    assert CATALOG[code].predicts is not None, (
        f"{code}: set predicts in its catalog entry (what do viewers get when it is an error?)")
    assert code in EXPECTED, f"{code}: add it to EXPECTED here, with the facts it rests on"
    assert CATALOG[code].predicts == EXPECTED[code]


@pytest.mark.parametrize("code", list(FindingCode))
def test_an_error_code_predicts_an_error_and_a_504_links_aws_504_page(code):
    entry = CATALOG[code]
    if entry.severity == Severity.ERROR:
        assert entry.predicts != P.NO_ERROR, code
    if entry.predicts == P.S504:
        assert LINK_504 in entry.links, code


def finding(code: str, *, uncertain: bool = False, address: str | None = "192.0.2.10",
            severity: str = "error", **evidence: object) -> Finding:
    entry = CATALOG.get(FindingCode(code)) if code in set(FindingCode) else None
    return Finding(code=FindingCode(code) if entry else code,  # type: ignore[arg-type]
                   severity=Severity(severity), summary=f"{code} summary.", address=address,
                   title=entry.title if entry else "", uncertain=uncertain,
                   evidence=dict(evidence))


def failing(*findings: Finding, policy: str = "https-only") -> Report:
    r = report(fail=True, findings=list(findings))
    r = dataclasses.replace(r, verdict=verdict_for(r.findings),
                            target=dataclasses.replace(r.target, protocol_policy=policy,
                                                       https_port=443, http_port=80))
    return r


CLOSED = finding("PORT_CLOSED", port=443)
TIMEOUT = finding("ORIGIN_RESPONSE_TIMEOUT", port=443)
DROPPED = finding("PORT_TIMEOUT", port=443)
EXPIRED = finding("CERT_EXPIRED")
EXPIRED_EITHER = finding("CERT_EXPIRED", uncertain=True)  # dual certificates
NAME_RFC = finding("CERT_HOSTNAME_MISMATCH", uncertain=True)  # wildcard reading per the RFC
STATUS_600 = finding("HTTP_STATUS_INVALID", uncertain=True, port=443)
PASSED_503 = finding("ORIGIN_RETURNED_ERROR", passed_on="503 Service Unavailable", port=443)
SOME = finding("SOME_ADDRESSES_FAILING", address=None, failing=1, total=3)


@pytest.mark.parametrize(("findings", "sentence", "words"), [
    ([CLOSED], "CloudFront would answer 502 for this origin", "502 expected"),
    ([TIMEOUT], "CloudFront would answer 504 for this origin", "504 expected"),
    ([DROPPED], "CloudFront would answer 502 or 504 for this origin (AWS does not document "
     "which)", "502 or 504 expected"),
    # Two causes of known, different statuses: both happen.
    ([EXPIRED, TIMEOUT], "CloudFront would answer 502 or 504 for this origin",
     "502 or 504 expected"),
    # Every error uncertain: likely, not confirmed, naming the doubtful points.
    ([EXPIRED_EITHER], "CloudFront's 502 is likely but not confirmed — it rests on 1 uncertain "
     "finding: a certificate has expired", "502 likely, not confirmed"),
    ([EXPIRED_EITHER, NAME_RFC], "CloudFront's 502 is likely but not confirmed — it rests on 2 "
     "uncertain findings: a certificate has expired; the certificate does not name the origin",
     "502 likely, not confirmed"),
    # A certain error decides: the uncertain one neither hedges nor widens the line.
    ([EXPIRED_EITHER, TIMEOUT], "CloudFront would answer 504 for this origin", "504 expected"),
    ([STATUS_600], "An error from CloudFront (AWS does not document which status) is likely "
     "but not confirmed — it rests on 1 uncertain finding: the origin answers with a status "
     "code HTTP does not define", "error likely, not confirmed"),
    ([PASSED_503], "Viewers would get the origin's own 503 Service Unavailable (CloudFront "
     "passes it on)", "origin answers 503 Service Unavailable"),
    ([CLOSED, PASSED_503], "CloudFront would answer 502 for this origin; viewers would get the "
     "origin's own 503 Service Unavailable (CloudFront passes it on)", "502 expected"),
    ([finding("HTTP_SECOND_100_CONTINUE")],
     "CloudFront would answer with an error (AWS does not document which status)",
     "error expected"),
    ([finding("PORT_NOT_ALLOWED", address=None)],
     "CloudFront does not accept this origin's settings", "settings not accepted"),
    # Some addresses fail, the others work.
    ([EXPIRED, SOME], "CloudFront would answer 502 for some requests (1 of 3 addresses fail)",
     "502 expected for some requests"),
    # A code this version does not know is never a confident 502.
    ([finding("TLS_SOMETHING_NEW")],
     "CloudFront would answer with an error (AWS does not document which status)",
     "error expected"),
])
def test_the_fail_headline_says_what_viewers_get(findings, sentence, words):
    r = failing(*findings)
    assert r.verdict == "fail"
    assert fail_sentence(r) == sentence
    assert fail_words(r) == words == short_verdict(r)


def test_an_origin_status_the_rule_measured_is_passed_on_whatever_the_code():
    # HTTP_PORT_SPEAKS_TLS is a 502 when the port gives no HTTP answer, the origin's own
    # status when it answers one.
    assert predicted(finding("HTTP_PORT_SPEAKS_TLS", port=80)) == P.S502
    assert predicted(finding("HTTP_PORT_SPEAKS_TLS", port=80, passed_on="400 Bad Request")) == \
        P.PASSED_ON


def test_warnings_and_notes_do_not_make_a_fail_headline():
    assert outcome([finding("TLS13_ONLY", severity="warning", uncertain=True)]) is None


# --- match-viewer: HTTP viewers reach the HTTP port, HTTPS viewers the HTTPS port -----------

HTTP_503 = finding("ORIGIN_RETURNED_ERROR", passed_on="503 Service Unavailable", port=80)
HTTP_500 = finding("ORIGIN_RETURNED_ERROR", passed_on="500 Internal Server Error", port=80)
HTTPS_503 = finding("ORIGIN_RETURNED_ERROR", passed_on="503 Service Unavailable", port=443)


@pytest.mark.parametrize(("findings", "sentence", "words"), [
    ([HTTP_503], "HTTP viewers would get the origin's own 503 Service Unavailable (CloudFront "
     "passes it on); HTTPS viewers: no error found",
     "HTTP viewers: origin answers 503 Service Unavailable; HTTPS viewers: no error found"),
    ([EXPIRED, HTTP_500], "HTTP viewers would get the origin's own 500 Internal Server Error "
     "(CloudFront passes it on); HTTPS viewers would get CloudFront's 502",
     "HTTP viewers: origin answers 500 Internal Server Error; HTTPS viewers: 502 expected"),
    ([EXPIRED], "HTTP viewers: no error found; HTTPS viewers would get CloudFront's 502",
     "HTTP viewers: no error found; HTTPS viewers: 502 expected"),
    ([EXPIRED_EITHER], "HTTP viewers: no error found; HTTPS viewers would likely get "
     "CloudFront's 502, not confirmed (uncertain: a certificate has expired)",
     "HTTP viewers: no error found; HTTPS viewers: 502 likely, not confirmed"),
    ([finding("PORT_TIMEOUT", port=80)], "HTTP viewers would get CloudFront's 502 or 504 (AWS "
     "does not document which); HTTPS viewers: no error found",
     "HTTP viewers: 502 or 504 expected; HTTPS viewers: no error found"),
    # Both kinds of viewer fare the same: one sentence for all of them.
    ([HTTP_503, HTTPS_503], "Viewers would get the origin's own 503 Service Unavailable "
     "(CloudFront passes it on)", "origin answers 503 Service Unavailable"),
    ([finding("DNS_RESOLUTION_FAILED", address=None)],
     "CloudFront would answer 502 for this origin", "502 expected"),
])
def test_match_viewer_says_which_viewers_get_what(findings, sentence, words):
    r = failing(*findings, policy="match-viewer")
    assert fail_sentence(r) == sentence
    assert fail_words(r) == words


def test_other_policies_never_split_the_viewers():
    # https-only: every viewer goes over HTTPS, whatever port a finding names.
    assert fail_sentence(failing(EXPIRED, policy="https-only")) == \
        "CloudFront would answer 502 for this origin"


@pytest.mark.parametrize(("f", "schemes"), [
    (EXPIRED, {"https"}),  # a certificate: HTTPS only
    (finding("TLS_PROTOCOL_UNSUPPORTED", port=443), {"https"}),
    (HTTP_503, {"http"}),
    (finding("PORT_CLOSED", port=443), {"https"}),
    (finding("DNS_RESOLUTION_FAILED", address=None), {"http", "https"}),
    (finding("SOME_ADDRESSES_FAILING", address=None, failing=1, total=2), {"http", "https"}),
])
def test_which_viewers_a_finding_concerns(f, schemes):
    assert viewer_schemes(failing(f, policy="match-viewer"), f) == schemes


def test_a_port_both_schemes_share_concerns_both():
    r = failing(HTTP_503, policy="match-viewer")
    r = dataclasses.replace(r, target=dataclasses.replace(r.target, http_port=8080,
                                                          https_port=8080))
    shared = finding("ORIGIN_RETURNED_ERROR", passed_on="503 Service Unavailable", port=8080)
    assert viewer_schemes(r, shared) == {"http", "https"}
