"""The HTTP rules and the verdict's words about what viewers get, from hand-built reports: no
network, no clock."""

from __future__ import annotations

import datetime as dt

import pytest

from workers.diagnosis import diagnose_findings
from workers.headline import short_verdict
from workers.models import (
    AddressReport,
    ConnectionProbe,
    DnsResult,
    HttpResult,
    Report,
    TargetInfo,
    TcpResult,
)
from workers.models.report import verdict_for

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def report(http: HttpResult, *, scheme: str = "https", policy: str = "https-only",
           host_header: str | None = None, keepalive: float = 5.0) -> Report:
    name = "origin.example.com"
    target = TargetInfo(
        hostname=name, display=name, is_ip_literal=False, sni=host_header or name,
        host_header=host_header or name, protocol_policy=policy, https_port=443, http_port=80,
        origin_ssl_protocols=["TLSv1.2"], path="/", connect_timeout=10, connection_attempts=3,
        read_timeout=30, keepalive_timeout=keepalive)
    probe = ConnectionProbe(scheme, 443 if scheme == "https" else 80,
                            TcpResult(status="ok", attempts=1), None, http)
    built = Report(target=target, verdict="ok", findings=[],
                   dns=DnsResult(status="ok", addresses=["192.0.2.10"], ipv4=["192.0.2.10"]),
                   addresses=[AddressReport("192.0.2.10", "ipv4", probes=[probe])],
                   started_at="2026-11-30T12:00:00Z", duration_ms=1.0)
    built.findings = diagnose_findings(built, NOW)
    built.verdict = verdict_for(built.findings)
    return built


def ok(**fields) -> HttpResult:
    return HttpResult(status="ok", status_code=200, reason_phrase="OK", **fields)


def codes(r: Report) -> list[str]:
    return [f.code for f in r.findings]


@pytest.mark.parametrize(("head", "fields", "cut", "severity"), [
    (20_480, 19_000, False, None),  # at the limit, not over it
    (20_481, 20_481, False, "error"),
    (21_000, 20_000, False, "warning"),  # over only when counted as received
    (65_536, None, True, "error"),  # the probe stopped reading
])
def test_header_size_against_the_limit(head, fields, cut, severity):
    http = ok(head_bytes=head, header_field_bytes=fields, head_cut=cut,
              largest_headers={"Set-Cookie": 18_000, "Date": 37})
    if cut:
        http = HttpResult(status="failed", reason="invalid", head_bytes=head, head_cut=True,
                          detail="the response headers are larger than 64 KiB; origin502 "
                                 "stopped reading there")
    found = [f for f in report(http).findings if f.code == "HTTP_HEADERS_TOO_LARGE"]
    assert [f.severity for f in found] == ([severity] if severity else [])
    if found:
        assert found[0].uncertain is (severity == "warning")
        # A cut head is this finding, not "not HTTP".
        assert "HTTP_INVALID_RESPONSE" not in codes(report(http))
        # Re-audit #7: the steps never state as fact what the summary marks uncertain.
        step = found[0].remediation[0]
        if severity == "warning":
            assert step.startswith("If CloudFront counts the response head as origin502 does")
        else:
            assert step.startswith("CloudFront does not pass such a response on")


@pytest.mark.parametrize(("said", "connection", "keepalive", "expected"), [
    ("timeout=1", "keep-alive", 5.0, True),
    ("timeout=4, max=100", "keep-alive", 5.0, True),
    ("timeout=5", "keep-alive", 5.0, False),
    ("timeout=1", "close", 5.0, False),  # no reuse at all
    ("timeout=1", "keep-alive", 1.0, False),
    ("max=100", "keep-alive", 5.0, False),  # no timeout said: nothing to compare
])
def test_keepalive_is_compared_with_cloudfronts(said, connection, keepalive, expected):
    http = ok(headers={"keep-alive": said, "connection": connection})
    found = [f for f in report(http, keepalive=keepalive).findings
             if f.code == "HTTP_KEEPALIVE_SHORTER"]
    assert bool(found) is expected
    if found:
        assert found[0].uncertain and found[0].severity == "warning"


@pytest.mark.parametrize(("first_bytes", "expected"), [
    ("\x15\x03\x03\x00\x02\x02\x0a", True),  # a TLS alert
    ("\x16\x03\x01\x00\x2a", True),  # a handshake record
    ("SSH-2.0-OpenSSH_9.2", False),
    ("\x15\x09\x03", False),
])
def test_tls_record_instead_of_http_on_the_http_port(first_bytes, expected):
    http = HttpResult(status="failed", reason="invalid", first_bytes=first_bytes,
                      detail="not a valid HTTP/1.x response")
    found = codes(report(http, scheme="http", policy="http-only"))
    assert ("HTTP_PORT_SPEAKS_TLS" in found) is expected
    assert ("HTTP_INVALID_RESPONSE" in found) is not expected
    # The same bytes on the HTTPS port are another story (after a TLS handshake).
    assert "HTTP_PORT_SPEAKS_TLS" not in codes(report(http))


@pytest.mark.parametrize(("location", "policy", "host_header", "expected"), [
    ("https://www.example.com/", "http-only", "www.example.com", True),
    ("https://WWW.example.com./a", "http-only", "www.example.com", True),
    ("http://www.example.com/", "http-only", "www.example.com", False),
    ("https://other.example.com/", "http-only", "www.example.com", False),
    ("/login", "http-only", "www.example.com", False),
    ("https://origin.example.com/", "http-only", None, False),
    ("https://www.example.com/", "match-viewer", "www.example.com", False),
])
def test_redirect_loop_needs_http_only_and_the_forwarded_host(location, policy, host_header,
                                                              expected):
    http = HttpResult(status="ok", status_code=301, reason_phrase="Moved Permanently",
                      headers={"location": location})
    found = codes(report(http, scheme="http", policy=policy, host_header=host_header))
    assert ("HTTP_REDIRECT_LOOP" in found) is expected


def test_short_verdict_words_follow_the_findings():
    passed = report(HttpResult(status="ok", status_code=503, reason_phrase="Service Unavailable"))
    assert passed.verdict == "fail"
    assert short_verdict(passed) == "origin answers 503 Service Unavailable"
    closed = report(HttpResult(status="failed", reason="closed", detail="closed"))
    # A closed connection: 502 or 504, AWS does not say which (the catalog's "predicts").
    assert short_verdict(closed) == "502 or 504 expected"
    healthy = report(ok())
    assert short_verdict(healthy) == "no problem found"
