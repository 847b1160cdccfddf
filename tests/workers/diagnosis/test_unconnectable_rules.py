"""Rules for an address no server can have (0.0.0.0, ::, multicast, broadcast, 240.0.0.0/4):
the engine does not dial it (its TCP result says so), and the rules make it a certain failure
of that address, judged per address like any other, with what viewers get hedged (502 or
504: AWS does not say which). Hand-built reports; no network (the real-server side is
tests/workers/test_unconnectable_scenarios.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from tests.bot.reports import https_probe, report
from workers.diagnosis import conclude
from workers.headline import fail_sentence, fail_words
from workers.models import (
    AddressReport,
    ConnectionProbe,
    HttpResult,
    Report,
    TcpResult,
    TlsResult,
)

# Before the hand-built certificate's end (2026-11-19): the clock is injected.
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def never_dialled(address: str, reason: str) -> AddressReport:
    """What the engine reports for such an address: TCP not dialled, nothing above run."""
    tcp = TcpResult(status="failed", reason="unconnectable",
                    detail=f"{address} is {reason}; no server can have it, so origin502 does "
                    "not dial it")
    probe = ConnectionProbe(scheme="https", port=443, tcp=tcp,
                            tls=TlsResult(status="not_run"), http=HttpResult(status="not_run"))
    return AddressReport(address=address, family="ipv6" if ":" in address else "ipv4",
                         private_reason=reason, probes=[probe])


def judged(*addresses: AddressReport, kind: str = "ipv4") -> Report:
    r = report(fail=False)
    r = dataclasses.replace(r, addresses=list(addresses), verdict="unknown", findings=[])
    r.target.ip_address_type = kind
    conclude(r, now=NOW)
    return r


def codes(r: Report) -> list[tuple[str, str]]:
    return [(f.code, f.severity) for f in r.findings]


def test_the_unspecified_address_is_a_certain_failure_without_a_connection():
    r = judged(never_dialled("0.0.0.0", "the unspecified address"))
    assert r.verdict == "fail"
    assert codes(r) == [("ADDRESS_UNCONNECTABLE", "error")]
    finding = r.findings[0]
    assert not finding.uncertain
    assert finding.summary == (
        "origin.example.com resolves to 0.0.0.0, the unspecified address, which no one can "
        "connect to. Whether CloudFront shows this as 502 or 504 is not documented; expect "
        "either.")
    # What viewers get is hedged: AWS documents neither status for it.
    assert fail_sentence(r) == ("CloudFront would answer 502 or 504 for this origin (AWS does "
                                "not document which)")
    assert fail_words(r) == "502 or 504 expected"
    # Why it was not dialled, said for the address that would have reached this machine.
    assert "switch a name off" in finding.remediation[0]
    assert finding.remediation[1].startswith("origin502 did not connect to 0.0.0.0: a connection "
                                             "to it reaches the machine that makes it")


def test_no_private_address_warning_and_no_port_finding_beside_it():
    r = judged(never_dialled("224.0.0.1", "a multicast address"))
    assert [c for c, _ in codes(r)] == ["ADDRESS_UNCONNECTABLE"]
    assert "224.0.0.1, a multicast address, which no one can connect to" in r.findings[0].summary
    assert r.probe_error is None  # nothing left unchecked: there is nothing to check
    # Not the unspecified address: no word of switching names off or of this machine.
    assert len(r.findings[0].remediation) == 1
    assert "0.0.0.0" not in r.findings[0].remediation[0]


def test_several_such_addresses_are_one_cause():
    r = judged(never_dialled("255.255.255.255", "the limited broadcast address"),
               never_dialled("240.0.0.1", "a reserved (240.0.0.0/4) address"))
    assert [c for c, _ in codes(r)] == ["ADDRESS_UNCONNECTABLE", "ADDRESS_UNCONNECTABLE"]
    assert r.verdict == "fail"
    assert "SOME_ADDRESSES_FAILING" not in [c for c, _ in codes(r)]  # every address fails


def test_one_such_address_among_good_ones_fails_some_requests():
    good = AddressReport(address="192.0.2.10", family="ipv4", probes=[https_probe()])
    r = judged(good, never_dialled("0.0.0.0", "the unspecified address"))
    assert r.verdict == "fail"
    assert codes(r) == [("ADDRESS_UNCONNECTABLE", "error"), ("SOME_ADDRESSES_FAILING", "error")]
    assert r.findings[0].address == "0.0.0.0"
    assert "1 of 2 addresses of origin.example.com fail (0.0.0.0: ADDRESS_UNCONNECTABLE)" in \
        r.findings[1].summary
    assert fail_sentence(r) == ("CloudFront would answer 502 or 504 for some requests (1 of 2 "
                                "addresses fail) (AWS does not document which)")


def test_ipv6_and_mapped_unspecified_addresses_get_the_same_words():
    for address in ("::", "::ffff:0.0.0.0"):
        r = judged(never_dialled(address, "the unspecified address"), kind="dualstack")
        assert len(r.findings[0].remediation) == 2, address


def test_an_unused_family_is_no_failure_today():
    # :: in AAAA while CloudFront connects over IPv4 only (its default): a warning, as for any
    # broken address of the family CloudFront does not use.
    good = AddressReport(address="192.0.2.10", family="ipv4", probes=[https_probe()])
    r = judged(good, never_dialled("::", "the unspecified address"))
    assert codes(r) == [("ADDRESS_UNCONNECTABLE", "warning")]
    assert r.verdict == "warn"
    dual = judged(good, never_dialled("::", "the unspecified address"), kind="dualstack")
    assert dual.verdict == "fail"


def test_blocked_and_probed_private_addresses_keep_their_codes():
    blocked = never_dialled("10.0.0.5", "a private-network (RFC 1918) address")
    blocked.probes[0].tcp = TcpResult(status="failed", reason="blocked", detail="not probed")
    assert [c for c, _ in codes(judged(blocked))] == ["ADDRESS_NOT_ALLOWED"]
    probed = AddressReport(address="10.0.0.5", family="ipv4",
                           private_reason="a private-network (RFC 1918) address",
                           probes=[https_probe()])
    assert [c for c, _ in codes(judged(probed))] == ["ORIGIN_PRIVATE_ADDRESS"]
