"""No DNS answer in time is not "the name does not exist" (audit zoo3 case 05): DNS_TIMEOUT,
uncertain because how long CloudFront's resolvers wait is not documented, and no step asks
whether the name exists. Hand-built reports; the real servers are in
tests/workers/probes/test_dns_timeout_scenarios.py."""

from __future__ import annotations

import dataclasses

import pytest

from tests.workers.diagnosis.test_dns_rules import NOW, failed, ns, seen, walk
from workers.diagnosis import diagnose_findings
from workers.headline import fail_sentence
from workers.models import Report, verdict_for


def timed_out(*checks, timeout_s: float | None = 5.0, nameserver: str | None = "127.0.0.53:53",
              detail: str | None = None) -> Report:
    report = failed("timeout", w=walk(*checks, detail=detail) if checks or detail else None)
    dns = dataclasses.replace(report.dns, timeout_s=timeout_s, nameserver=nameserver)
    return dataclasses.replace(report, dns=dns)


CASES = {
    "every server silent too": (timed_out(ns(1, "timeout"), ns(2, "timeout")),
                                [("DNS_TIMEOUT", "error")]),
    "one server silent, the other answers": (
        timed_out(ns(1, "timeout"), ns(2, "answer", "192.0.2.80")),
        [("DNS_TIMEOUT", "error"), ("DNS_NAMESERVER_FAILING", "warning")]),
    "every server fails: that is the error": (
        timed_out(ns(1, "servfail"), ns(2, "servfail")), [("DNS_NAMESERVER_FAILING", "error")]),
    "the walk found no zone": (timed_out(detail="no zone found"), [("DNS_TIMEOUT", "error")]),
    "no walk": (timed_out(), [("DNS_TIMEOUT", "error")]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_dns_timeout_rules(case: str) -> None:
    report, expected = CASES[case]
    assert seen(report) == expected


def test_a_timeout_is_hedged_and_never_asks_whether_the_name_exists() -> None:
    report = timed_out(ns(1, "timeout"), ns(2, "timeout"))
    [finding] = diagnose_findings(report, NOW)
    assert finding.uncertain and finding.severity == "error"
    assert finding.summary.startswith(
        "www.shop.example: the resolver 127.0.0.53:53 gave no answer within 5 s.")
    assert "None of the 2 name servers of shop.example" in finding.summary
    assert "How long CloudFront's own resolvers wait is not documented" in finding.summary
    steps = " ".join(finding.remediation)
    assert "exists" not in steps and "exists" not in finding.summary
    assert "`dig www.shop.example @<server>`" in steps and "the resolver 127.0.0.53:53" in steps
    findings = [finding]
    done = dataclasses.replace(report, findings=findings, verdict=verdict_for(findings))
    assert fail_sentence(done) == (
        "CloudFront's 502 is likely but not confirmed — it rests on 1 uncertain finding: the "
        "origin name got no DNS answer in time")


def test_the_system_resolver_and_the_connection_timeout_stand_in_when_not_recorded() -> None:
    # A report stored before timeout_s existed, from the system's resolver.
    [finding] = diagnose_findings(timed_out(timeout_s=None, nameserver=None), NOW)
    assert finding.summary.startswith(
        "www.shop.example: this machine's resolver gave no answer within 10 s.")


def test_nxdomain_is_still_a_name_that_does_not_exist() -> None:
    [finding] = diagnose_findings(failed("nxdomain"), NOW)
    assert finding.code == "DNS_RESOLUTION_FAILED" and not finding.uncertain
    assert "exists in public DNS" in finding.remediation[0]


@pytest.mark.parametrize(("sends", "words"), [
    (3, "was asked 3 times over 5 s and no answer arrived."),
    (1, "was asked once in 5 s and no answer arrived."),
    (None, "gave no answer within 5 s."),  # a report from before the copies were counted
])
def test_the_timeout_says_how_often_the_resolver_was_asked(sends, words) -> None:
    # Re-audit A: "no answer within 5 s" read as one try; each copy is waited for to the end.
    report = timed_out()
    report = dataclasses.replace(report, dns=dataclasses.replace(report.dns, sends=sends))
    summary = diagnose_findings(report, NOW)[0].summary
    assert summary.startswith(f"{report.target.hostname}: the resolver 127.0.0.53:53 {words}")


@pytest.mark.parametrize(("answered_ms", "slow"), [(1999.0, False), (2000.0, True),
                                                   (4900.0, True), (None, False)])
def test_an_answer_from_two_seconds_on_is_a_hedged_slow_warning(answered_ms, slow) -> None:
    from tests.workers.diagnosis.test_dns_rules import target
    from workers.models import DnsResult, Verdict

    report = Report(
        target=target(), verdict=Verdict.UNKNOWN, findings=[], addresses=[],
        dns=DnsResult(status="ok", addresses=["192.0.2.1"], ipv4=["192.0.2.1"],
                      nameserver="127.0.0.53:53", answered_ms=answered_ms, budget_s=5.0),
        started_at="2026-11-24T12:00:00Z", duration_ms=1.0)
    found = [f for f in diagnose_findings(report, NOW) if f.code == "DNS_SLOW"]
    assert bool(found) is slow
    if found:
        assert found[0].severity == "warning" and found[0].uncertain
        assert (f"answered only after {answered_ms / 1000:.1f} s (of the 5 s origin502 waits)"
                in found[0].summary)
        assert "502 (NonS3OriginDnsError)" in found[0].summary
