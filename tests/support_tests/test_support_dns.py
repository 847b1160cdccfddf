"""FakeDns answers like a resolver would, over UDP and TCP."""

from __future__ import annotations

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.resolver
import pytest

from tests.support.dns_server import FakeDns


def resolver(fake: FakeDns) -> dns.resolver.Resolver:
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = ["127.0.0.1"]
    r.port = fake.port
    r.lifetime = 1.0
    return r


ZONE = {
    "origin.example.test": [("A", "127.0.0.1"), ("AAAA", "::1")],
    "www.example.test": [("CNAME", "alias.example.test")],
    "alias.example.test": [("CNAME", "origin.example.test.")],
    "dangling.example.test": [("CNAME", "gone.example.test")],
    "loop.example.test": [("CNAME", "loop.example.test")],
    "empty.example.test": [],
}


def test_answers() -> None:
    with FakeDns(ZONE, servfail={"broken.example.test"}) as fake:
        assert fake.nameserver == f"127.0.0.1:{fake.port}"
        r = resolver(fake)
        assert [a.to_text() for a in r.resolve("origin.example.test", "A")] == ["127.0.0.1"]
        assert [a.to_text() for a in r.resolve("ORIGIN.example.test.", "AAAA")] == ["::1"]

        chained = r.resolve("www.example.test", "A")
        assert [rrset.rdtype for rrset in chained.response.answer] == [5, 5, 1]  # CNAME,CNAME,A
        assert chained.canonical_name.to_text() == "origin.example.test."

        with pytest.raises(dns.resolver.NXDOMAIN):
            r.resolve("nope.example.test", "A")
        with pytest.raises(dns.resolver.NoAnswer):  # NODATA
            r.resolve("empty.example.test", "A")
        with pytest.raises(dns.resolver.NoAnswer):
            r.resolve("origin.example.test", "MX")

        q = dns.message.make_query("broken.example.test", "A")
        assert (
            dns.query.udp(q, "127.0.0.1", port=fake.port, timeout=1).rcode() == dns.rcode.SERVFAIL
        )
        q = dns.message.make_query("loop.example.test", "A")
        assert (
            dns.query.udp(q, "127.0.0.1", port=fake.port, timeout=1).rcode() == dns.rcode.SERVFAIL
        )

        dangling = dns.query.udp(
            dns.message.make_query("dangling.example.test", "A"),
            "127.0.0.1",
            port=fake.port,
            timeout=1,
        )
        assert dangling.rcode() == dns.rcode.NXDOMAIN
        assert len(dangling.answer) == 1  # the CNAME is still there

        tcp = dns.query.tcp(
            dns.message.make_query("www.example.test", "AAAA"),
            "127.0.0.1",
            port=fake.port,
            timeout=1,
        )
        assert tcp.answer[-1][0].to_text() == "::1"

        assert ("origin.example.test", "A") in fake.queries
        assert ("www.example.test", "AAAA") in fake.queries


def test_live_changes_and_delay(fake_dns: FakeDns) -> None:
    r = resolver(fake_dns)
    with pytest.raises(dns.resolver.NXDOMAIN):
        r.resolve("late.example.test", "A")
    fake_dns.set("late.example.test", [("A", "127.0.0.1")])
    assert r.resolve("late.example.test", "A")[0].to_text() == "127.0.0.1"
    fake_dns.remove("late.example.test")
    with pytest.raises(dns.resolver.NXDOMAIN):
        r.resolve("late.example.test", "A")

    fake_dns.set("slow.example.test", [("A", "127.0.0.1")])
    fake_dns.delay["slow.example.test"] = 2.0
    r.lifetime = 0.5
    with pytest.raises(dns.exception.Timeout):
        r.resolve("slow.example.test", "A")
    fake_dns.servfail.add("late2.example.test")
    q = dns.message.make_query("late2.example.test", "A")
    assert (
        dns.query.udp(q, "127.0.0.1", port=fake_dns.port, timeout=1).rcode() == dns.rcode.SERVFAIL
    )


def test_bad_record_is_rejected_early() -> None:
    with pytest.raises(ValueError, match="bad record"):
        FakeDns({"x.example.test": [("A", "not-an-ip")]})
