"""A name that resolves only to the other address family than the origin's IP address type:
the DNS line and the finding say the same thing (audit: the line said "resolved" above a
finding titled "does not resolve"). Real DNS answers from our resolver on 127.0.0.1."""

from __future__ import annotations

import json

from click.testing import CliRunner

from bot.render.evidence import evidence_messages
from bot.render.result import result_messages
from tests.support.dns_server import FakeDns
from tests.support.scenario import NAME
from workers.diagnose_cli import diagnose
from workers.models import Report


def run(dns: FakeDns, *args: str):
    env = {"ORIGIN502_NAMESERVER": dns.nameserver,
           "ORIGIN502_DNS_AUTHORITY_PORT": dns.nameserver.rsplit(":", 1)[1]}
    return CliRunner().invoke(diagnose, [NAME, "--timeout", "1", "--connection-attempts", "1",
                                         *args], env=env, catch_exceptions=False)


def flat(text: str) -> str:
    return " ".join(text.split())  # rich wraps long lines at the terminal's width


def test_ipv6_only_name_under_ipv4_is_not_called_resolved_anywhere():
    with FakeDns({NAME: [("AAAA", "::1")]}) as dns:
        as_json = run(dns, "--ip-address-type", "ipv4", "--json")
        text = run(dns, "--ip-address-type", "ipv4")
    assert as_json.exit_code == 1, as_json.output
    data = json.loads(as_json.stdout)
    finding = next(f for f in data["findings"] if f["code"] == "DNS_RESOLUTION_FAILED")
    assert finding["title"] == ("The origin name resolves only to addresses of a type "
                                "CloudFront does not use")
    assert "has no A record" in finding["summary"]
    shown = flat(text.stdout)
    assert (f"DNS: {NAME} → ::1 (resolved to IPv6 addresses only; the origin's IP address "
            "type is ipv4, so CloudFront has no IPv4 address to use)") in shown
    assert "(resolved)" not in shown and "does not resolve" not in shown
    # Slack: the result and the evidence say it the same way.
    report = Report.from_dict(data)
    slack = json.dumps([m.payload() for m in result_messages(report)
                        + evidence_messages(report)], ensure_ascii=False)
    assert "resolved to IPv6 addresses only" in slack
    assert "(resolved)" not in slack and "does not resolve" not in slack


def test_ipv4_only_name_under_ipv6_says_the_other_way_round():
    with FakeDns({NAME: [("A", "127.0.0.1")]}) as dns:
        text = run(dns, "--ip-address-type", "ipv6")
    shown = flat(text.stdout)
    assert "127.0.0.1 (resolved to IPv4 addresses only; the origin's IP address type is " \
        "ipv6, so CloudFront has no IPv6 address to use)" in shown
    assert "DNS_RESOLUTION_FAILED" in shown and "has no AAAA record" in shown


def test_a_name_with_an_address_of_the_type_used_stays_resolved():
    with FakeDns({NAME: [("A", "127.0.0.1"), ("AAAA", "::1")]}) as dns:
        text = run(dns, "--ip-address-type", "ipv4", "--https-port", "1")
    assert "(resolved)" in flat(text.stdout)
    assert "DNS_RESOLUTION_FAILED" not in text.stdout


def test_the_live_dns_line_is_not_a_green_resolved_either():
    """The line a run shows while it probes (terminal live lines, Slack's layer list) says no
    address of the type CloudFront uses, so Slack marks it failed rather than ticked."""
    from dataclasses import replace

    from bot.render.status import _layer_icon
    from workers.engine import diagnose as engine_diagnose
    from workers.options import build_request

    seen: dict[str, str] = {}
    with FakeDns({NAME: [("AAAA", "::1")]}) as dns:
        request = build_request(NAME, timeout=1, connection_attempts=1, ip_address_type="ipv4")
        request = replace(request, options=replace(request.options, nameserver=dns.nameserver))
        engine_diagnose(request, on_progress=seen.setdefault)
    assert seen["dns"] == "no IPv4 address (IP address type ipv4): resolved to ::1 only"
    assert _layer_icon("dns", seen["dns"], "running") == ":x:"
