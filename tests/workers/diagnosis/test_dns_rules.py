"""DNS rules and the verdict, from tables of hand-built reports: no network, no clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
import re

import pytest

from workers.diagnosis import diagnose_findings
from workers.models import (
    AddressReport,
    ConnectionProbe,
    DnsResult,
    DnsWalk,
    Finding,
    HttpResult,
    NameServerCheck,
    Report,
    TargetInfo,
    TcpResult,
    TlsResult,
    Verdict,
    verdict_for,
)

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
NAME = "www.shop.example"


def ns(n: int, outcome: str, *addresses: str, detail: str | None = None) -> NameServerCheck:
    return NameServerCheck(server=f"ns{n}.shop.example", address=f"192.0.2.{n}",
                           outcome=outcome, addresses=list(addresses),  # type: ignore[arg-type]
                           authoritative=outcome in ("answer", "nodata", "nxdomain"),
                           detail=detail)


def walk(*checks: NameServerCheck, name: str = NAME, dnssec_bogus: bool | None = None,
         cd_answer: tuple[str, ...] = (), detail: str | None = None) -> DnsWalk:
    return DnsWalk(name=name, zone="shop.example" if checks else None,
                   nameservers=list(checks), dnssec_bogus=dnssec_bogus,
                   cd_answer=list(cd_answer), detail=detail)


def target(name: str = NAME, *, literal: bool = False, kind: str = "ipv4") -> TargetInfo:
    return TargetInfo(
        hostname=name, display=name, is_ip_literal=literal, sni=name, host_header=name,
        protocol_policy="https-only", https_port=443, http_port=80,
        origin_ssl_protocols=["TLSv1.2"], path="/", connect_timeout=10,
        connection_attempts=3, read_timeout=30, ip_address_type=kind)


def failed(reason: str, *, chain: tuple[str, ...] = (), w: DnsWalk | None = None) -> Report:
    dns = DnsResult(status="failed", reason=reason, cname_chain=list(chain),
                    nameserver="127.0.0.53:53", walk=w)
    return Report(target=target(), verdict=Verdict.UNKNOWN, findings=[], dns=dns,
                  addresses=[], started_at="2026-11-24T12:00:00Z", duration_ms=1.0)


def resolved(w: DnsWalk) -> Report:
    """A name that resolved, with one record type failing (a partial resolution)."""
    tcp = TcpResult(status="ok", attempts=1)
    tls = TlsResult(status="ok", protocol="TLSv1.2", cipher="ECDHE-RSA-AES128-GCM-SHA256")
    http = HttpResult(status="ok", status_code=200, reason_phrase="OK")
    address = AddressReport("192.0.2.80", "ipv4",
                            probes=[ConnectionProbe("https", 443, tcp, tls, http)])
    dns = DnsResult(status="ok", addresses=["192.0.2.80"], ipv4=["192.0.2.80"], walk=w,
                    detail="the AAAA query failed")
    return Report(target=target(), verdict=Verdict.UNKNOWN, findings=[], dns=dns,
                  addresses=[address], started_at="2026-11-24T12:00:00Z", duration_ms=1.0)


def seen(report: Report) -> list[tuple[str, str]]:
    return [(f.code, f.severity) for f in diagnose_findings(report, NOW)]


CASES = {
    "dangling CNAME, servers agree it is gone": (
        failed("nxdomain", chain=("alias.shop.example", "lb-1.elb.example"),
               w=walk(ns(1, "nxdomain"), ns(2, "nxdomain"), name="lb-1.elb.example")),
        [("DNS_DANGLING_CNAME", "error")]),
    "plain NXDOMAIN confirmed by the servers": (
        failed("nxdomain", w=walk(ns(1, "nxdomain"), ns(2, "nxdomain"))),
        [("DNS_RESOLUTION_FAILED", "error")]),
    "one server times out, the other answers": (
        failed("servfail", w=walk(ns(1, "timeout"), ns(2, "answer", "192.0.2.80"))),
        [("DNS_RESOLUTION_FAILED", "error"), ("DNS_NAMESERVER_FAILING", "warning")]),
    "every server fails": (
        failed("servfail", w=walk(ns(1, "servfail"), ns(2, "servfail"))),
        [("DNS_NAMESERVER_FAILING", "error")]),
    "a lame server beside a working one": (
        failed("servfail", w=walk(ns(1, "refused"), ns(2, "answer", "192.0.2.80"))),
        [("DNS_RESOLUTION_FAILED", "error"), ("DNS_LAME_DELEGATION", "warning")]),
    "every server lame": (
        failed("servfail", w=walk(ns(1, "refused"), ns(2, "not_authoritative"))),
        [("DNS_LAME_DELEGATION", "error")]),
    "servers disagree": (
        failed("nxdomain", w=walk(ns(1, "answer", "192.0.2.80"), ns(2, "nxdomain"))),
        [("DNS_SERVERS_DISAGREE", "error")]),
    "DNSSEC: SERVFAIL only with checking on": (
        failed("servfail", w=walk(ns(1, "answer", "192.0.2.80"), ns(2, "answer", "192.0.2.80"),
                                  dnssec_bogus=True, cd_answer=("192.0.2.80",))),
        [("DNS_DNSSEC_FAILED", "error")]),
    "nothing answers from here: no server is blamed": (
        failed("servfail", w=walk(ns(1, "timeout"), ns(2, "unreachable"))),
        [("DNS_RESOLUTION_FAILED", "error")]),
    "partial resolution with a failing server": (
        resolved(walk(ns(1, "servfail"), ns(2, "answer", "2001:db8::80"))),
        [("DNS_NAMESERVER_FAILING", "warning")]),
    "partial resolution, servers disagree": (
        resolved(walk(ns(1, "nodata"), ns(2, "answer", "2001:db8::80"))),
        [("DNS_SERVERS_DISAGREE", "error")]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_dns_walk_rules(case: str) -> None:
    report, expected = CASES[case]
    assert seen(report) == expected


def test_dangling_cname_names_the_whole_chain() -> None:
    report, _ = CASES["dangling CNAME, servers agree it is gone"]
    finding = diagnose_findings(report, NOW)[0]
    assert finding.summary.startswith(
        "www.shop.example → alias.shop.example → lb-1.elb.example: ")
    assert "no longer exists" in finding.summary
    assert finding.evidence["chain"] == ["www.shop.example", "alias.shop.example",
                                         "lb-1.elb.example"]


def test_failing_server_is_named_with_its_address() -> None:
    report, _ = CASES["one server times out, the other answers"]
    failing = next(f for f in diagnose_findings(report, NOW)
                   if f.code == "DNS_NAMESERVER_FAILING")
    assert "ns1.shop.example (192.0.2.1) does not answer" in failing.summary
    assert "ns2" not in failing.evidence["servers"]


def test_silent_servers_are_mentioned_without_blame() -> None:
    report, _ = CASES["nothing answers from here: no server is blamed"]
    summary = diagnose_findings(report, NOW)[0].summary
    assert "they are all down, or this machine cannot query them directly" in summary


def test_ipv6_literal_gets_the_verdict_of_the_same_address_by_name() -> None:
    # By name: AAAA only, origin IP address type ipv4 -> no address CloudFront would use.
    by_name = Report(
        target=target("v6.shop.example"), verdict=Verdict.UNKNOWN, findings=[],
        dns=DnsResult(status="ok", addresses=["2001:db8::1"], ipv6=["2001:db8::1"]),
        addresses=[], started_at="2026-11-24T12:00:00Z", duration_ms=1.0)
    literal = dataclasses.replace(
        by_name, target=target("2001:db8::1", literal=True),
        dns=DnsResult(status="ok", reason="ip_literal", addresses=["2001:db8::1"],
                      ipv6=["2001:db8::1"]))
    for report in (by_name, literal):
        assert verdict_for(diagnose_findings(report, NOW)) == Verdict.FAIL
    assert ("ADDRESS_FAMILY_NOT_USED", "error") in seen(literal)
    dual = dataclasses.replace(literal, target=target("2001:db8::1", literal=True,
                                                       kind="dualstack"))
    assert "ADDRESS_FAMILY_NOT_USED" not in [code for code, _ in seen(dual)]


@pytest.mark.parametrize(("severities", "probe_error", "verdict"), [
    ([], None, Verdict.OK),
    (["warning"], None, Verdict.WARN),
    (["error", "warning"], None, Verdict.FAIL),
    ([], "the resolver does not answer", Verdict.UNKNOWN),
    (["warning", "info"], "no route from here", Verdict.UNKNOWN),  # never "works" unmeasured
    (["error"], "no route to the IPv6 address from here", Verdict.FAIL),  # measured: true
])
def test_verdict(severities: list[str], probe_error: str | None, verdict: Verdict) -> None:
    findings = [Finding(code="X", severity=s, summary="x") for s in severities]
    assert verdict_for(findings, probe_error) == verdict


def restates(summary: str, step: str) -> bool:
    """Whether ``step`` says again what ``summary`` says: one of its sentences (or clauses)
    appears in the summary, or both start alike."""
    said = " ".join(summary.lower().split())
    parts = [p.strip(" .:;") for p in re.split(r"[.:;](?:\s|$)", step.lower())]
    if any(len(p) >= 20 and p in said for p in parts):
        return True
    return difflib.SequenceMatcher(None, said[:40], step.lower()[:40]).ratio() > 0.8


def _every_finding() -> list[Finding]:
    out = []
    for report, _ in CASES.values():
        out.extend(diagnose_findings(report, NOW))
    return out


def test_step_one_of_a_fix_never_repeats_the_summary() -> None:
    findings = _every_finding()
    assert {f.code for f in findings} >= {"DNS_DANGLING_CNAME", "DNS_NAMESERVER_FAILING",
                                         "DNS_LAME_DELEGATION", "DNS_SERVERS_DISAGREE",
                                         "DNS_DNSSEC_FAILED", "DNS_RESOLUTION_FAILED"}
    for f in findings:
        assert not restates(f.summary, f.remediation[0]), (f.code, f.summary, f.remediation[0])


@pytest.mark.parametrize(("code", "summary", "fill", "words"), [
    # Templates that start with the measured facts ({detail}, {evidence_line}) while the rule
    # puts the same facts in the summary: the fix must start with what to do.
    ("CERT_UNTRUSTED_ROOT", "The chain ends at \"CN=Corp Root\", a root that is not on "
     "Mozilla's list.", {"evidence_line": "The chain ends at \"CN=Corp Root\", a root that is "
                         "not on Mozilla's list."}, {}),
    ("CERT_WEAK_KEY", "The server certificate has a 1024-bit RSA key.",
     {"detail": "The server certificate has a 1024-bit RSA key."}, {}),
    ("TLS_CURVE_UNSUPPORTED", "192.0.2.1 port 443: the origin offers only secp521r1.",
     {"detail": "the origin offers only secp521r1"},
     {"address": "192.0.2.1", "port": 443, "measured": "the origin offers only secp521r1"}),
    ("ORIGIN_PRIVATE_ADDRESS", "origin.example.com resolves to 10.0.0.5, a private address.",
     {"address": "10.0.0.5", "reason": "a private address"},
     {"hostname": "origin.example.com"}),
])
def test_fix_templates_do_not_restate_the_summary(code: str, summary: str,
                                                  fill: dict[str, str],
                                                  words: dict[str, object]) -> None:
    from workers.diagnosis.draft import draft
    from workers.diagnosis.render import word
    from workers.models import FindingCode

    made = word(draft(FindingCode(code), None, **fill).worded(**words), total_addresses=1)
    assert made.summary == summary  # the catalog's summary template, filled
    assert made.remediation, code
    assert not restates(summary, made.remediation[0]), (code, made.remediation[0])
    assert made.title  # the catalog's short name travels with the finding


@pytest.mark.parametrize(("errors", "local"), [
    # dnspython's (server, tcp, port, error, response) tuples, as NoNameservers carries them
    ([("10.0.0.53", False, 53, OSError(101, "Network is unreachable"), None)],
     "Network is unreachable"),
    ([("10.0.0.53", False, 53, "REFUSED", None)], "it refused the query"),
    ([("10.0.0.53", False, 53, "SERVFAIL", None)], None),  # about the name: the origin's
    ([("10.0.0.53", False, 53, "REFUSED", None), ("10.0.0.54", False, 53, "SERVFAIL", None)],
     None),
])
def test_which_resolver_failures_belong_to_this_machine(errors, local) -> None:
    from workers.probes.dns_resolve import _local_failure

    assert _local_failure(errors) == local


def test_a_report_with_a_walk_survives_json() -> None:
    report, _ = CASES["one server times out, the other answers"]
    report.verdict = verdict_for(diagnose_findings(report, NOW))
    again = Report.from_dict(json.loads(json.dumps(report.to_dict())))
    assert again.dns.walk == report.dns.walk
    assert again.dns.walk.nameservers[0].outcome == "timeout"
    assert again.verdict is Verdict.FAIL


def test_a_name_resolving_only_to_the_unused_family_is_not_titled_does_not_resolve() -> None:
    # The DNS line says the name resolved (to the other family); the finding's title agrees.
    report = Report(
        target=target("v6.shop.example"), verdict=Verdict.UNKNOWN, findings=[],
        dns=DnsResult(status="ok", addresses=["2001:db8::1"], ipv6=["2001:db8::1"]),
        addresses=[], started_at="2026-11-24T12:00:00Z", duration_ms=1.0)
    finding = diagnose_findings(report, NOW)[0]
    assert finding.code == "DNS_RESOLUTION_FAILED"
    assert finding.title == ("The origin name resolves only to addresses of a type CloudFront "
                             "does not use")
    failed = dataclasses.replace(report, dns=DnsResult(status="failed", reason="nxdomain"))
    assert diagnose_findings(failed, NOW)[0].title == "The origin name does not resolve"


@pytest.mark.parametrize(("kind", "found", "fix", "record"), [
    ("ipv4", {"addresses": ["2001:db8::1"], "ipv6": ["2001:db8::1"]}, "dualstack", "A"),
    ("ipv6", {"addresses": ["192.0.2.1"], "ipv4": ["192.0.2.1"]}, "dualstack or ipv4", "AAAA"),
])
def test_a_name_of_the_unused_family_is_fixed_by_the_type_or_a_record_not_by_existing(
        kind, found, fix, record) -> None:
    # Re-audit H: the name exists (it resolved), so "check it exists in public DNS" and the
    # split-horizon step mislead; facts §4.11: change the IP address type, or add the record.
    report = Report(
        target=target("v6.shop.example", kind=kind),
        verdict=Verdict.UNKNOWN, findings=[], dns=DnsResult(status="ok", **found),
        addresses=[], started_at="2026-11-24T12:00:00Z", duration_ms=1.0)
    finding = diagnose_findings(report, NOW)[0]
    steps = " ".join(finding.remediation)
    assert f"IP address type to {fix}," in steps
    assert f"publish {record} records for v6.shop.example" in steps
    assert "exists in public DNS" not in steps and "split-horizon" not in steps
