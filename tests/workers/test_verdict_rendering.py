"""The terminal, the JSON and Slack say the same thing as the verdict, in words.

Hand-built reports shaped like what the engine really produces (an expired certificate
completes the handshake; a resolver that cannot see public DNS leaves DNS "not checked").
"""

from __future__ import annotations

import dataclasses
import json
import re

from rich.console import Console

from bot.render.evidence import evidence_messages
from bot.render.result import result_messages
from bot.render.status import status_message
from tests.bot.reports import report, run
from workers.diagnose_cli import EXIT_FINDINGS, EXIT_OK, EXIT_PROBE, exit_status
from workers.models import (
    AddressReport,
    ConnectionProbe,
    DnsResult,
    Finding,
    HttpResult,
    Report,
    TcpResult,
    TlsResult,
    Verdict,
)
from workers.terminal import render_report

WHY = "the DNS resolver 10.255.255.53:53 does not see public DNS"
# Enum values as code spells them; none may reach a person.
RAW = re.compile(r"\b(not_run|no_route_here|nxdomain|servfail|no_address|resolver_error|"
                 r"handshake_failed|ip_literal|overridden)\b")


def terminal(r: Report) -> str:
    console = Console(record=True, width=200, highlight=False)
    render_report(r, console)
    return console.export_text()


def unknown_report() -> Report:
    r = report(fail=False)
    return dataclasses.replace(
        r, verdict=Verdict.UNKNOWN, addresses=[], findings=[], probe_error=WHY,
        dns=DnsResult(status="error", reason="resolver_error", detail=WHY),
        timings_ms={"dns": 3.0, "connections": 0.0, "other": 1.0, "total": 4.0},
        duration_ms=4.0)


def no_route_report() -> Report:
    tcp = TcpResult(status="error", reason="no_route_here", attempts=1,
                    detail="this machine has no route to 2001:db8::1 (Network is unreachable)")
    probe = ConnectionProbe("https", 443, tcp, TlsResult(status="not_run"),
                            HttpResult(status="not_run"))
    r = report(fail=False)
    return dataclasses.replace(
        r, verdict=Verdict.UNKNOWN, findings=[], probe_error=tcp.detail,
        addresses=[AddressReport("2001:db8::1", "ipv6", probes=[probe])])


def test_exit_status_follows_the_verdict():
    assert [exit_status(v) for v in ("ok", "warn", "fail", "unknown")] == [
        EXIT_OK, EXIT_OK, EXIT_FINDINGS, EXIT_PROBE]


def test_unknown_says_so_in_the_terminal():
    text = terminal(unknown_report())
    first = text.splitlines()[0]
    assert first.startswith("UNKNOWN  origin.example.com")
    assert f"could not check from here: {WHY}" in first
    assert "No findings, but that proves nothing" in text
    assert "OK" not in first and "FAIL" not in first


def test_unknown_says_so_in_json():
    data = unknown_report().to_dict()
    assert data["verdict"] == "unknown" and data["probe_error"] == WHY
    assert Report.from_dict(json.loads(json.dumps(data))).verdict is Verdict.UNKNOWN


def test_unknown_says_so_in_slack():
    r = unknown_report()
    status = status_message(run("done", progress={"dns": f"not checked from here: {WHY}"}), r)
    payload = json.dumps(status.payload())
    assert f":grey_question: *Could not check from here*: {WHY}" in payload
    assert ":grey_question: *DNS* not checked from here" in payload
    assert "No problem found" not in payload
    assert "could not check from here" in status.text
    thread = json.dumps([m.payload() for m in result_messages(r)])
    assert "Diagnosis of origin.example.com: could not check from here" in thread


def test_no_route_here_is_not_a_red_cross_or_raw_words():
    r = no_route_report()
    text = terminal(r)
    assert "TCP not checked from here (no route from this machine)" in text
    slack = json.dumps([m.payload() for m in result_messages(r)]) + json.dumps(
        [m.payload() for m in evidence_messages(r)])
    assert "not checked from here" in slack
    assert not RAW.findall(text + slack)


def test_a_certificate_failure_shows_on_the_layer_line_everywhere():
    r = report(fail=True)  # the handshake completed; the certificate expired
    text = terminal(r)
    line = next(ln for ln in text.splitlines() if "https:443" in ln)
    assert "but CloudFront would reject it: a certificate has expired" in line
    thread = json.dumps([m.payload() for m in result_messages(r)])
    assert "CloudFront would reject it: a certificate has expired" in thread
    evidence = json.dumps([m.payload() for m in evidence_messages(r)])
    assert "CloudFront would reject it" in evidence
    assert not RAW.findall(text + thread + evidence)


def test_errors_come_before_origin_wide_warnings():
    error = Finding(code="PORT_CLOSED", severity="error", summary="192.0.2.10 refuses",
                    address="192.0.2.10", remediation=["Start the listener."])
    warning = Finding(code="ORIGIN_IS_IP_ADDRESS", severity="warning",
                      summary="The origin is an IP address", remediation=["Use a name."])
    r = report(findings=[error, warning])
    text = terminal(r)
    assert text.index("1. ✖ error PORT_CLOSED 192.0.2.10") < text.index(
        "2. ▲ warning ORIGIN_IS_IP_ADDRESS")
    thread = json.dumps([m.payload() for m in result_messages(r)])
    assert thread.index("PORT_CLOSED") < thread.index("ORIGIN_IS_IP_ADDRESS")


def test_timings_add_up():
    r = dataclasses.replace(report(fail=False), duration_ms=50.0,
                            timings_ms={"dns": 12.0, "connections": 35.0, "other": 3.0,
                                        "total": 50.0})
    last = terminal(r).strip().splitlines()[-1]
    numbers = [int(n) for n in re.findall(r"(\d+) ms", last)]
    assert numbers[0] == sum(numbers[1:]) == 50, last
    line = next(ln for ln in terminal(r).splitlines() if "https:443" in ln)
    assert "connect 1.5 + TLS 12.5 + first byte 20.1 ms" in line
