"""End to end, through Slack: what the bot could not see, and DNS the way AWS's page asks.

The real app over HTTP, real worker processes, real Redis, Slack recorded; the resolver is a
DNS server of our own on loopback.
"""

from __future__ import annotations

import pytest

from tests.support.dns_server import Authorities, FakeDns

pytestmark = pytest.mark.e2e
CHANNEL = "C0INCIDENT"


def finished_parent(stack):
    def ready():
        parents = stack.slack.channel_messages(CHANNEL)
        return parents[0] if parents and parents[0].button_values() else None

    return stack.slack.wait_for(ready, timeout=30)


def thread_text(stack, parent):
    def ready():
        replies = [m for m in stack.slack.thread(CHANNEL, parent.ts)
                   if m.text.startswith("Diagnosis of")]
        return replies or None

    return "\n".join(m.all_text() for m in stack.slack.wait_for(ready, timeout=30))


def test_a_resolver_that_does_not_see_public_dns_is_said_plainly_in_slack(stack_factory):
    # The bot's resolver answers NXDOMAIN for everything, the root included (a sandbox).
    with FakeDns({".": []}) as blind:
        stack = stack_factory(ORIGIN502_NAMESERVER=blind.nameserver)
        stack.send.command("shop.example")
        parent = finished_parent(stack)
        thread = thread_text(stack, parent)
    text = parent.all_text()
    assert "*Could not check from here*: the DNS resolver" in text
    assert "does not see public DNS" in text
    assert ":grey_question: *DNS* not checked from here" in text
    assert "No problem found" not in text and "would answer 502" not in text
    assert "Diagnosis of shop.example: could not check from here" in thread
    assert "DNS_RESOLUTION_FAILED" not in thread


def test_a_dangling_cname_is_named_with_its_chain_in_slack(stack_factory, e2e_env):
    dns: FakeDns = e2e_env["dns"]
    dns.set("shop.test", [("NS", "ns1.shop.test"), ("NS", "ns2.shop.test")])
    dns.set("ns1.shop.test", [("A", "127.0.0.2")])
    dns.set("ns2.shop.test", [("A", "127.0.0.3")])
    chain = {"www.shop.test": [("CNAME", "lb-gone.shop.test")]}
    dns.set("www.shop.test", chain["www.shop.test"])
    zone = {"records": chain, "zones": ["shop.test"]}
    with Authorities({"127.0.0.2": zone, "127.0.0.3": zone}) as auth:
        stack = stack_factory(ORIGIN502_DNS_AUTHORITY_PORT=str(auth.port))
        stack.send.command("www.shop.test")
        parent = finished_parent(stack)
        thread = thread_text(stack, parent)
    text = parent.all_text()
    assert ":x: *DNS* a CNAME points at a name that no longer exists" in text
    assert "www.shop.test → lb-gone.shop.test: the CNAME points at lb-gone.shop.test" in text
    assert "DNS_DANGLING_CNAME" in thread
    assert "ns1.shop.test (127.0.0.2): NXDOMAIN" in thread  # the servers, asked directly
