"""A name whose DNS answer comes late (audit zoo3 case 05), against name servers of our own on
loopback, as tests/workers/probes/test_dns_walk_scenarios.py sets them up: the resolver
(ORIGIN502_NAMESERVER, 127.0.0.1) knows the delegation of shop.test; its authoritative servers
run on 127.0.0.2-4, one port (ORIGIN502_DNS_AUTHORITY_PORT).

* The zone's servers are slow too: DNS_TIMEOUT, uncertain (CloudFront's DNS timeout is not
  documented), never "check that the name exists".
* The zone's servers answer at once and only the resolver is slow: the wait is on this side,
  nothing about the origin was learnt: verdict unknown, saying so.
* The resolver answers nothing at all, not even the root zone: unknown, the resolver named.
"""

from __future__ import annotations

from tests.support.dns_server import Authorities, FakeDns
from tests.workers.probes.test_dns_walk_scenarios import (
    DELEGATION,
    NAME,
    ZONE,
    authoritative,
    codes,
    finding,
    run,
)
from workers.headline import fail_sentence
from workers.models import Report

RECORDS = {NAME: [("A", "127.0.0.1")]}
SLOW = 5.0  # longer than the 1 s origin502 gives the resolver (--timeout 1) and the 2 s per server


def test_a_slow_zone_is_a_hedged_timeout_not_a_missing_name():
    slow = authoritative(RECORDS, delay={NAME: SLOW})
    with FakeDns({**DELEGATION, **RECORDS}, delay={NAME: SLOW}) as resolver, \
            Authorities({"127.0.0.2": slow, "127.0.0.3": slow, "127.0.0.4": slow}) as auth:
        result, data = run(NAME, resolver=resolver, authorities=auth)
    assert result.exit_code == 1
    assert codes(data) == [("DNS_TIMEOUT", "error")]
    timeout = finding(data, "DNS_TIMEOUT")
    assert timeout["uncertain"] is True
    assert timeout["summary"].startswith(
        f"{NAME}: the resolver {resolver.nameserver} was asked once in 1 s and no answer "
        "arrived.")
    assert f"None of the 3 name servers of {ZONE}" in timeout["summary"]
    assert "CloudFront's own resolvers wait is not documented" in timeout["summary"]
    text = timeout["summary"] + " ".join(timeout["remediation"])
    assert "exists" not in text
    assert "likely but not confirmed" in fail_sentence(Report.from_dict(data))
    assert data["dns"]["timeout_s"] == 1


def test_a_slow_resolver_before_a_prompt_zone_is_not_blamed_on_the_origin():
    zone = authoritative(RECORDS)
    with FakeDns({**DELEGATION, **RECORDS}, delay={NAME: SLOW}) as resolver, \
            Authorities({"127.0.0.2": zone, "127.0.0.3": zone, "127.0.0.4": zone}) as auth:
        result, data = run(NAME, resolver=resolver, authorities=auth)
    assert result.exit_code == 3
    assert data["verdict"] == "unknown" and data["dns"]["status"] == "error"
    assert codes(data) == []
    said = data["probe_error"]
    assert f"the DNS resolver {resolver.nameserver} gave no answer for {NAME} within 1 s" in said
    assert f"ns1.{ZONE}: 127.0.0.1; ns2.{ZONE}: 127.0.0.1; ns3.{ZONE}: 127.0.0.1" in said
    assert "the wait is in the resolver this machine uses, not in the origin's DNS" in said


def test_a_resolver_slow_for_every_name_is_named_as_the_problem():
    every = {name: SLOW for name in ("", "test", ZONE, NAME)}
    with FakeDns({**DELEGATION, **RECORDS}, delay=every) as resolver:
        result, data = run(NAME, resolver=resolver)
    assert result.exit_code == 3
    assert data["verdict"] == "unknown" and codes(data) == []
    said = data["probe_error"]
    assert f"the DNS resolver {resolver.nameserver} does not answer at all" in said
    assert "not the origin's DNS" in said
