"""Certificate names against the names CloudFront may check (workers/diagnosis/names.py and
the rule that words them), as tables: what AWS documents is answered with confidence, what it
does not (shared cloudfront-facts §1.1, §3.4, §3.5, §8.4) is answered by the strictest reading
and marked uncertain. No network, no clock."""

from __future__ import annotations

import pytest

from tests.workers.diagnosis.test_rules import NOW, address, cert, healthy_tls, report
from workers.diagnosis import diagnose_findings
from workers.diagnosis.names import Doubt, Kind, judge_names, match_kind
from workers.models import CertificateInfo

F = Doubt.FORWARDED_HOST
C = Doubt.COMMON_NAME
P = Doubt.PARTIAL_WILDCARD
W = Doubt.WIDE_WILDCARD


@pytest.mark.parametrize(("pattern", "name", "kind"), [
    ("origin.example.com", "ORIGIN.example.com.", Kind.RFC),
    ("*.example.com", "origin.example.com", Kind.RFC),
    ("*.EXAMPLE.com.", "origin.example.com", Kind.RFC),
    ("*.example.com", "a.b.example.com", Kind.WIDE),  # one label only, by RFC 6125
    ("*.com", "example.com", Kind.WIDE),  # a wildcard over a whole top-level domain
    ("www.*.example.com", "www.a.example.com", Kind.WIDE),  # not the left-most label
    ("*.*.example.com", "a.b.example.com", Kind.WIDE),
    ("*.example.com", "example.com", Kind.NONE),  # stands for a label, not for nothing
    ("f*.example.com", "foo.example.com", Kind.PARTIAL),  # RFC 6125 §6.4.3 rule 3: MAY
    ("*o.example.com", "foo.example.com", Kind.PARTIAL),
    ("f*o.example.com", "foo.example.com", Kind.PARTIAL),
    ("f*.example.com", "bar.example.com", Kind.NONE),
    ("f*.example.com", "foo.bar.example.com", Kind.WIDE),
    ("xn--*.example.com", "xn--bcher-kva.example.com", Kind.WIDE),  # never inside an A-label
    ("f*.example.com", "foo.example.org", Kind.NONE),
    ("other.example.com", "origin.example.com", Kind.NONE),
])
def test_how_one_certificate_name_matches_one_name(pattern, name, kind):
    assert match_kind(pattern, name) is kind


def leaf(names=("origin.example.com",), cn=None, ips=()) -> CertificateInfo:
    info = cert(names, cn=cn)
    info.ip_addresses = list(ips)
    return info


ORIGIN, HOST = "origin.example.com", "www.example.com"


@pytest.mark.parametrize(("info", "origin", "host", "matched", "name", "doubts"), [
    # Documented and undisputed: the origin domain, Host not forwarded; the forwarded Host.
    (leaf(), ORIGIN, None, True, ORIGIN, ()),
    (leaf(), ORIGIN, ORIGIN, True, ORIGIN, ()),
    (leaf((HOST,)), ORIGIN, HOST, True, HOST, ()),
    (leaf((ORIGIN, HOST)), ORIGIN, HOST, True, HOST, ()),
    (leaf((), cn=ORIGIN), ORIGIN, None, True, ORIGIN, ()),  # CN without SANs
    # (a) the origin domain only, Host forwarded: the 502 page and the custom-origin page
    # accept it, the origin settings page does not.
    (leaf(), ORIGIN, HOST, True, ORIGIN, (F,)),
    (leaf(("*.example.com",)), "a.b.example.com", HOST, True, HOST, ()),  # Host covered
    (leaf(("*.example.com",)), "a.b.example.com", "www.example.org", True, "a.b.example.com",
     (F, W)),
    # (b) a wildcard for several labels: RFC 6125 says no, AWS does not say.
    (leaf(("*.example.com",)), "a.b.example.com", None, True, "a.b.example.com", (W,)),
    # (c) a wildcard inside a label: RFC 6125 says a client MAY accept it.
    (leaf(("f*.example.com",)), "foo.example.com", None, True, "foo.example.com", (P,)),
    # (d) the CN beside other SAN names: counted by AWS's words, not by RFC 6125.
    (leaf(("other.example.com",), cn=ORIGIN), ORIGIN, None, True, ORIGIN, (C,)),
    (leaf(("other.example.com",), cn=ORIGIN), ORIGIN, HOST, True, ORIGIN, (F, C)),
    # The strictest reading wins when several apply.
    (leaf(("f*.example.com", "*.example.com")), "foo.example.com", None, True,
     "foo.example.com", ()),
    (leaf(("*.example.com", ORIGIN)), ORIGIN, "a.b.example.com", True, ORIGIN, (F,)),
    # No reading matches: certain.
    (leaf(("other.example.com",)), ORIGIN, None, False, ORIGIN, ()),
    (leaf(("other.example.com",)), ORIGIN, HOST, False, HOST, ()),
    (leaf(("*.example.com",)), "example.com", None, False, "example.com", ()),
    # IP literals are matched by IP SANs only.
    (leaf((), ips=("192.0.2.10",)), "192.0.2.10", None, True, "192.0.2.10", ()),
    (leaf(("192.0.2.10",)), "192.0.2.10", None, False, "192.0.2.10", ()),
    (leaf((HOST,)), "192.0.2.10", HOST, True, HOST, ()),
])
def test_the_names_cloudfront_may_check(info, origin, host, matched, name,  # noqa: PLR0917
                                        doubts):
    judged = judge_names(info, origin, host)
    assert (judged.matched, judged.name, judged.doubts) == (matched, name, doubts)


def found(chain, host=None, name=ORIGIN):
    return diagnose_findings(report(address(tls=healthy_tls(chain)), host_header=host,
                                    name=name), NOW)


@pytest.mark.parametrize(("chain", "name", "host", "code", "severity", "uncertain", "words"), [
    ([leaf()], ORIGIN, HOST, "CERT_NAME_MATCH_UNCERTAIN", "warning", True,
     ("forwards Host www.example.com", "names the origin domain origin.example.com",
      "origin settings page", "AllViewerExceptHostHeader", "Add www.example.com")),
    ([leaf(("*.example.com",))], "a.b.example.com", None, "CERT_HOSTNAME_MISMATCH", "error",
     True, ("more than one label would cover it (*.example.com)", "RFC 6125", "not certain")),
    ([leaf(("f*.example.com",))], "foo.example.com", None, "CERT_NAME_MATCH_UNCERTAIN",
     "warning", True, ("part of a label", "RFC 6125", "*.example.com")),
    ([leaf(("other.example.com",), cn=ORIGIN)], ORIGIN, None, "CERT_NAME_MATCH_UNCERTAIN",
     "warning", True, ("only the certificate's Common Name", "its SAN lists other.example.com",
                       "Add origin.example.com")),
    ([leaf(("other.example.com",))], ORIGIN, HOST, "CERT_HOSTNAME_MISMATCH", "error", False,
     ("names neither", "origin.example.com")),
    ([leaf(("other.example.com",))], ORIGIN, None, "CERT_HOSTNAME_MISMATCH", "error", False,
     ("not origin.example.com",)),
])
def test_each_reading_is_said_with_its_certainty(chain, name, host, code,  # noqa: PLR0917
                                                 severity, uncertain, words):
    (finding,) = found(chain, host, name)
    assert (finding.code, finding.severity, finding.uncertain) == (code, severity, uncertain)
    text = " ".join([finding.summary, *finding.remediation])
    for word in words:
        assert word in text, (word, text)
    assert "{" not in text


def test_a_lenient_match_links_both_pages_that_disagree():
    (finding,) = found([leaf()], HOST)
    assert any("http-502-bad-gateway.html#ssl-negotitation-failure" in link
               for link in finding.links)
    assert any("DownloadDistValuesOrigin.html#DownloadDistValuesDomainName" in link
               for link in finding.links)
    assert finding.evidence["doubts"] == ["forwarded_host"]


@pytest.mark.parametrize(("names", "name", "said", "unsaid"), [
    # Re-audit #11: "point the origin domain at a name the certificate already covers
    # (*.example.com)": a wildcard is no name to point at.
    (("*.example.com",), "a.b.example.com", "a name one label under example.com",
     "(*.example.com)"),
    (("*.example.com",), "example.com", "a name one label under example.com", "(*.example.com)"),
    # An exact name is offered first, as before.
    (("*.example.com", "other.example.com"), "a.b.example.com", "(other.example.com)",
     "one label under"),
    (("other.example.com",), ORIGIN, "(other.example.com)", "one label under"),
])
def test_the_alternative_names_a_name_one_can_point_at(names, name, said, unsaid):
    (finding,) = found([leaf(names)], None, name)
    assert finding.code == "CERT_HOSTNAME_MISMATCH"
    step = finding.remediation[-1]
    assert step.startswith("Or point the origin domain at") and said in step, step
    assert unsaid not in step


def test_only_a_partial_wildcard_offers_no_name_to_point_at():
    (finding,) = found([leaf(("f*.example.org",))], None, ORIGIN)
    assert finding.code == "CERT_HOSTNAME_MISMATCH"
    assert not any("point the origin domain" in s for s in finding.remediation)
