"""TARGET_IS_CLOUDFRONT from tables of hand-built reports: recognition, severity, and that
origin-only findings are never raised against the edge. No network, no clock."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.cloudfront_edge import POP, REQUEST_ID, VIA, error_page
from tests.workers.diagnosis.test_rules import address, report
from workers.diagnosis import diagnose_findings
from workers.diagnosis.edge import cloudfront_name, edge_reading
from workers.models import HttpResult, Report, TcpResult, TlsResult

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
DIST = "d111111abcdef8.cloudfront.net"
EDGE = {"x-cache": "Error from cloudfront", "via": VIA, "x-amz-cf-pop": POP,
        "x-amz-cf-id": REQUEST_ID}


def http(code: int, headers: dict[str, str] | None = None, body: str | None = None,
         ) -> HttpResult:
    return HttpResult(status="ok", status_code=code, reason_phrase="", headers=headers or {},
                      body_excerpt=body)


def site(*addresses, chain=(DIST,), name="www.shop.example") -> Report:
    r = report(*addresses, name=name)
    r.dns.cname_chain = list(chain)
    return r


# (report, severity or None, detected_by)
CASES = [
    pytest.param(site(address(http=http(502, EDGE, error_page(
        502, "CloudFront wasn't able to connect to the origin."))), chain=()),
        "error", ["headers"], id="headers-only-502"),
    pytest.param(site(address(http=http(200))), "info", ["cname"], id="cname-only-200"),
    pytest.param(site(address(http=http(200)), chain=(), name=DIST), "info", ["name"],
                 id="distribution-name"),
    pytest.param(site(address(http=http(504, EDGE, error_page(504, "")))), "error",
                 ["cname", "headers"], id="cname-and-headers-504"),
    pytest.param(site(address(http=http(404, {"x-cache": "Error from cloudfront"}))), "info",
                 ["cname", "headers"], id="edge-404-is-not-a-502"),
    pytest.param(site(address(tcp=TcpResult(status="failed", reason="timeout", attempts=3,
                                            detail="timed out"),
                              tls=TlsResult(status="not_run"), http=HttpResult(status="not_run"))),
                 "warning", ["cname"], id="edge-unreachable-from-here"),
    pytest.param(site(address(http=http(502, {"x-cache": "MISS", "server": "nginx"})), chain=()),
                 None, None, id="plain-origin-502"),
    pytest.param(site(address(http=http(502)), chain=("lb.example.net",)), None, None,
                 id="cname-elsewhere"),
]


@pytest.mark.parametrize(("r", "severity", "detected_by"), CASES)
def test_target_is_cloudfront_table(r, severity, detected_by):
    findings = diagnose_findings(r, NOW)
    edge = [f for f in findings if f.code == "TARGET_IS_CLOUDFRONT"]
    reading = edge_reading(r)
    if severity is None:
        assert edge == [] and reading is None
        assert "ORIGIN_RETURNED_ERROR" in [f.code for f in findings]
        return
    assert reading is not None and reading.detected_by == detected_by
    assert [f.code for f in findings] == ["TARGET_IS_CLOUDFRONT"]
    assert edge[0].severity == severity
    assert "cloudfront:ListDistributions" in " ".join(edge[0].remediation)


def test_origin_only_findings_are_set_aside_and_listed_not_lost():
    # An edge whose certificate is untrusted from here: an origin finding, not the edge's fault.
    from tests.workers.diagnosis.test_rules import cert, healthy_tls
    from workers.models import ChainAnalysis

    tls = healthy_tls(chain=[cert(["www.shop.example"])],
                      analysis=ChainAnalysis(trusted=False, break_reason="untrusted_root"))
    r = site(address(tls=tls, http=http(502, EDGE, error_page(502, ""))))
    findings = diagnose_findings(r, NOW)
    assert [f.code for f in findings] == ["TARGET_IS_CLOUDFRONT"]
    assert findings[0].evidence["set_aside"] == ["CERT_UNTRUSTED_ROOT (192.0.2.10)"]
    assert "1 check(s) that judge an origin's connection" in findings[0].summary


def test_blocked_private_address_is_still_said_against_the_edge():
    blocked = address(tcp=TcpResult(status="failed", reason="blocked", detail="private"),
                      tls=TlsResult(status="not_run"), http=HttpResult(status="not_run"))
    blocked.private_reason = "a loopback address"
    codes = {f.code for f in diagnose_findings(site(blocked), NOW)}
    assert codes == {"TARGET_IS_CLOUDFRONT", "ADDRESS_NOT_ALLOWED"}


@pytest.mark.parametrize(("name", "chain", "expected"), [
    ("www.shop.example", ["d1.cloudfront.net"], "d1.cloudfront.net"),
    ("www.shop.example", ["a.example.net", "D1.CloudFront.net."], "d1.cloudfront.net"),
    ("d1.cloudfront.net", [], "d1.cloudfront.net"),
    ("cloudfront.net.example.com", [], None),
    ("notcloudfront.net", [], None),
])
def test_cloudfront_name(name, chain, expected):
    assert cloudfront_name(name, chain) == expected


def test_a_relayed_origin_error_is_not_called_cloudfronts_own():
    headers = {**EDGE, "server": "nginx"}
    body = "<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"
    findings = diagnose_findings(site(address(http=http(502, headers, body))), NOW)
    (edge,) = findings
    assert edge.evidence["family"] == "relayed" and edge.uncertain
    assert "from CloudFront's edge" in edge.summary
    assert "the page is not CloudFront's own" in edge.summary
    assert "ORIGIN_RETURNED_ERROR" not in [f.code for f in findings]


def test_edge_addresses_that_disagree_are_said():
    failing = address(http=http(502, EDGE, error_page(502, "")))
    working = address(ip="192.0.2.11", http=http(200, {"x-cache": "Hit from cloudfront"}))
    (edge,) = diagnose_findings(site(failing, working), NOW)
    assert edge.severity == "error"
    assert "Other edge addresses answered 200: only some requests fail." in edge.summary


def test_a_cname_to_cloudfront_that_does_not_resolve_keeps_the_dns_error():
    r = site()
    r.dns.status, r.dns.reason, r.dns.addresses = "failed", "nxdomain", []
    findings = diagnose_findings(r, NOW)
    # A CNAME into cloudfront.net that ends in NXDOMAIN is a dangling CNAME (a deleted
    # distribution): the DNS error stays first, under its more specific name.
    assert [(f.code, f.severity) for f in findings] == [("DNS_DANGLING_CNAME", "error"),
                                                       ("TARGET_IS_CLOUDFRONT", "warning")]
    assert "the name did not resolve (NXDOMAIN)" in findings[1].summary
