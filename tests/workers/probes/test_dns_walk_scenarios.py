"""DNS the way AWS's NonS3OriginDnsError page asks, against name servers of our own on loopback.

The resolver named by ORIGIN502_NAMESERVER (127.0.0.1) plays the recursive resolver: it
knows the delegation (the zone's NS records and the servers' addresses). Each "authority" is
its own authoritative server on 127.0.0.2, 127.0.0.3... sharing one port, which
ORIGIN502_DNS_AUTHORITY_PORT points origin502 at (53 in real life). No query leaves loopback.
"""

from __future__ import annotations

import errno
import json
import socket

from click.testing import CliRunner

from tests.support.certs import CertFactory, write_pem
from tests.support.dns_server import Authorities, FakeDns
from tests.support.ports import closed_port
from tests.support.tls_origin import TlsOrigin
from workers.diagnose_cli import diagnose

ZONE = "shop.test"
NAME = f"www.{ZONE}"

# What the resolver knows about the delegation: three name servers for shop.test.
DELEGATION = {
    ZONE: [("NS", f"ns1.{ZONE}"), ("NS", f"ns2.{ZONE}"), ("NS", f"ns3.{ZONE}")],
    f"ns1.{ZONE}": [("A", "127.0.0.2")],
    f"ns2.{ZONE}": [("A", "127.0.0.3")],
    f"ns3.{ZONE}": [("A", "127.0.0.4")],
    "test": [("NS", "a.nic.test")],
}


def authoritative(records: dict[str, list[tuple[str, str]]], **extra: object) -> dict[str, object]:
    """A server that really serves the zone, as an operator's BIND/NSD with recursion off."""
    return {"records": records, "zones": [ZONE], **extra}


def run(*args: str, resolver: FakeDns, authorities: Authorities | None = None):
    env = {"ORIGIN502_NAMESERVER": resolver.nameserver}
    if authorities is not None:
        env["ORIGIN502_DNS_AUTHORITY_PORT"] = str(authorities.port)
    result = CliRunner().invoke(diagnose, [*args, "--json", "--timeout", "1",
                                           "--connection-attempts", "1"],
                                env=env, catch_exceptions=False)
    return result, json.loads(result.stdout)


def codes(data: dict) -> list[tuple[str, str]]:
    return [(f["code"], f["severity"]) for f in data["findings"]]


def finding(data: dict, code: str) -> dict:
    return next(f for f in data["findings"] if f["code"] == code)


def test_dangling_cname_names_the_whole_chain_and_the_servers_confirm_it():
    # www → alias → lb-123 (deleted). The resolver answers NXDOMAIN with the CNAMEs, as real
    # resolvers do (RFC 6604); the zone's own servers, asked directly, agree.
    chain = {NAME: [("CNAME", f"alias.{ZONE}")], f"alias.{ZONE}": [("CNAME", f"lb-123.{ZONE}")]}
    zone = authoritative(chain)
    with FakeDns({**DELEGATION, **chain}) as resolver, \
            Authorities({"127.0.0.2": zone, "127.0.0.3": zone, "127.0.0.4": zone}) as auth:
        result, data = run(NAME, resolver=resolver, authorities=auth)
        asked = [q for server in auth.servers.values() for q in server.queries]
    assert result.exit_code == 1
    assert codes(data) == [("DNS_DANGLING_CNAME", "error")]
    dangling = finding(data, "DNS_DANGLING_CNAME")
    assert dangling["summary"].startswith(f"{NAME} → alias.{ZONE} → lb-123.{ZONE}: ")
    assert dangling["evidence"]["chain"] == [NAME, f"alias.{ZONE}", f"lb-123.{ZONE}"]
    assert data["dns"]["cname_chain"] == [f"alias.{ZONE}", f"lb-123.{ZONE}"]
    walk = data["dns"]["walk"]
    assert walk["zone"] == ZONE and walk["name"] == f"lb-123.{ZONE}"
    assert [c["outcome"] for c in walk["nameservers"]] == ["nxdomain"] * 3
    assert (f"lb-123.{ZONE}", "A") in asked  # each authority was really asked


def test_a_dead_and_a_slow_server_are_named_while_the_third_answers():
    records = {NAME: [("A", "127.0.0.1")]}
    with FakeDns({**DELEGATION, NAME: [("A", "127.0.0.1")]}, servfail={NAME}) as resolver, \
            Authorities({"127.0.0.2": authoritative(records),
                         "127.0.0.3": authoritative(records, delay={NAME: 5.0}),
                         "127.0.0.4": None}) as auth:
        result, data = run(NAME, resolver=resolver, authorities=auth)
    failing = finding(data, "DNS_NAMESERVER_FAILING")
    assert failing["severity"] == "warning"  # one server answers: resolvers retry it
    assert f"ns2.{ZONE} (127.0.0.3) does not answer" in failing["summary"]
    assert f"ns3.{ZONE} (127.0.0.4) does not answer" in failing["summary"]  # nothing there
    assert f"ns1.{ZONE}" not in failing["evidence"]["servers"]
    # The resolver's SERVFAIL stays the error: CloudFront's resolver may fail the same way.
    assert codes(data)[0] == ("DNS_RESOLUTION_FAILED", "error")
    assert result.exit_code == 1


def test_a_server_still_thinking_when_origin502s_budget_ran_out_is_not_named():
    # The same zone with a --budget shorter than the 2 s each server is given: the slow
    # server and the dead one were cut off by origin502, not found silent, so neither is
    # called failing.
    records = {NAME: [("A", "127.0.0.1")]}
    with FakeDns({**DELEGATION, NAME: [("A", "127.0.0.1")]}, servfail={NAME}) as resolver, \
            Authorities({"127.0.0.2": authoritative(records),
                         "127.0.0.3": authoritative(records, delay={NAME: 5.0}),
                         "127.0.0.4": None}) as auth:
        result, data = run(NAME, "--budget", "1", resolver=resolver, authorities=auth)
    assert "DNS_NAMESERVER_FAILING" not in [code for code, _ in codes(data)]
    said = {c["server"]: c for c in data["dns"]["walk"]["nameservers"]}
    assert said[f"ns1.{ZONE}"]["outcome"] == "answer"
    for server in (f"ns2.{ZONE}", f"ns3.{ZONE}"):
        assert said[server]["outcome"] == "not_asked"
        assert "time budget of 1 s" in said[server]["detail"]
    assert codes(data)[0] == ("DNS_RESOLUTION_FAILED", "error")
    assert result.exit_code == 1


def test_a_resolver_still_thinking_when_origin502s_budget_ran_out_is_unknown():
    # The resolver takes 5 s; CloudFront's own DNS timeout is not documented (origin502
    # gives it the 1 s connection timeout here), and the --budget ended the wait sooner.
    with FakeDns({**DELEGATION, NAME: [("A", "127.0.0.1")]},
                 delay={NAME: 5.0}) as resolver:
        result, data = run(NAME, "--budget", "0.5", resolver=resolver)
    assert result.exit_code == 3
    assert data["verdict"] == "unknown" and data["dns"]["status"] == "error"
    assert "DNS_RESOLUTION_FAILED" not in [code for code, _ in codes(data)]
    assert "origin502's time budget of 0.5 s ran out before the resolver answered" in (
        data["probe_error"])


def test_a_server_that_does_not_serve_the_zone_is_a_lame_delegation():
    records = {NAME: [("A", "127.0.0.1")]}
    with FakeDns({**DELEGATION, NAME: [("A", "127.0.0.1")]}, servfail={NAME}) as resolver, \
            Authorities({"127.0.0.2": authoritative(records),
                         "127.0.0.3": authoritative(records),
                         # Left over from a previous provider: it serves other zones only.
                         "127.0.0.4": {"records": {}, "zones": ["elsewhere.test"]}}) as auth:
        _, data = run(NAME, resolver=resolver, authorities=auth)
    lame = finding(data, "DNS_LAME_DELEGATION")
    assert lame["severity"] == "warning"
    assert f"ns3.{ZONE} (127.0.0.4) refuses the query" in lame["summary"]
    assert lame["remediation"][0].startswith(f"Load the zone {ZONE} on ns3.{ZONE}")


def test_servers_that_disagree_mean_intermittent_502s():
    # A secondary that stopped transferring the zone: it never got the new record.
    with FakeDns({**DELEGATION}) as resolver, \
            Authorities({"127.0.0.2": authoritative({NAME: [("A", "127.0.0.1")]}),
                         "127.0.0.3": authoritative({NAME: [("A", "127.0.0.1")]}),
                         "127.0.0.4": authoritative({})}) as auth:
        result, data = run(NAME, resolver=resolver, authorities=auth)
    assert result.exit_code == 1
    disagree = finding(data, "DNS_SERVERS_DISAGREE")
    assert disagree["severity"] == "error"
    assert f"ns3.{ZONE} (127.0.0.4) says the name does not exist" in disagree["summary"]
    assert disagree["evidence"]["servers"] == f"ns3.{ZONE}"


def test_servfail_from_dnssec_validation_is_told_apart():
    # A validating resolver: SERVFAIL for a zone whose signatures do not validate, the answer
    # with +cd. The authorities themselves answer fine.
    records = {NAME: [("A", "127.0.0.1")]}
    with FakeDns({**DELEGATION, **records}, bogus={NAME}) as resolver, \
            Authorities({h: authoritative(records)
                         for h in ("127.0.0.2", "127.0.0.3", "127.0.0.4")}) as auth:
        result, data = run(NAME, resolver=resolver, authorities=auth)
    assert result.exit_code == 1
    assert codes(data) == [("DNS_DNSSEC_FAILED", "error")]
    dnssec = finding(data, "DNS_DNSSEC_FAILED")
    assert dnssec["uncertain"] is True  # whether CloudFront validates is not documented
    assert "127.0.0.1" in dnssec["summary"]  # what +cd answered
    assert data["dns"]["walk"]["dnssec_bogus"] is True


def test_partial_resolution_walks_the_failing_record_type():
    # A works; AAAA fails, because one of the servers mishandles AAAA (some appliances do).
    records = {NAME: [("A", "127.0.0.1"), ("AAAA", "::1")]}
    with FakeDns({**DELEGATION, **records}, servfail={f"{NAME}/AAAA"}) as resolver, \
            Authorities({"127.0.0.2": authoritative(records),
                         "127.0.0.3": authoritative(records),
                         "127.0.0.4": authoritative(records, servfail={f"{NAME}/AAAA"})}) as auth:
        _, data = run(NAME, "--https-port", str(closed_port()), resolver=resolver,
                      authorities=auth)
    assert data["dns"]["addresses"] == ["127.0.0.1"]
    assert data["dns"]["walk"]["record"] == "AAAA"
    failing = finding(data, "DNS_NAMESERVER_FAILING")
    assert failing["severity"] == "warning"
    assert f"ns3.{ZONE} (127.0.0.4) answers SERVFAIL" in failing["summary"]


def test_no_server_answers_from_here_blames_no_server():
    with FakeDns({**DELEGATION}, servfail={NAME}) as resolver, \
            Authorities({"127.0.0.2": None, "127.0.0.3": None, "127.0.0.4": None}) as auth:
        result, data = run(NAME, resolver=resolver, authorities=auth)
    assert result.exit_code == 1  # the resolver's SERVFAIL is measured evidence
    assert codes(data) == [("DNS_RESOLUTION_FAILED", "error")]
    assert "all down, or this machine cannot query them directly" in data["findings"][0][
        "summary"]


def test_a_top_level_domain_that_does_not_exist_stops_the_walk():
    with FakeDns({}) as resolver:
        result, data = run("origin.nope", resolver=resolver)
    assert result.exit_code == 1
    summary = finding(data, "DNS_RESOLUTION_FAILED")["summary"]
    assert "The top-level domain .nope does not exist." in summary


# --- what this machine cannot see -----------------------------------------------------------


def test_a_resolver_that_does_not_see_public_dns_is_unknown_not_nxdomain():
    # This sandbox's own resolver answers NXDOMAIN for everything, the root included.
    with FakeDns({".": []}) as resolver:
        result, data = run("example.com", resolver=resolver)
    assert result.exit_code == 3
    assert data["verdict"] == "unknown"
    assert data["findings"] == []
    assert "does not see public DNS" in data["probe_error"]
    terminal = CliRunner().invoke(diagnose, ["example.com"], catch_exceptions=False,
                                  env={"ORIGIN502_NAMESERVER": resolver.nameserver})
    assert terminal.exit_code == 3
    assert "UNKNOWN" in terminal.stdout
    assert "could not check from here" in terminal.stdout
    assert "NXDOMAIN" not in terminal.stdout


def test_a_resolver_that_knows_the_root_but_nothing_else_is_unknown():
    # A filtering resolver: the root's NS record, then NXDOMAIN for everything, the root
    # servers' own names included. "The top-level domain .com does not exist" would be a lie.
    with FakeDns({".": [("NS", "a.root-servers.net")]}) as resolver:
        result, data = run("www.example.com", resolver=resolver)
    assert result.exit_code == 3
    assert data["verdict"] == "unknown"
    assert "cannot find a.root-servers.net" in data["probe_error"]


def test_a_resolver_that_refuses_us_is_this_machines_problem():
    # An authoritative-only server configured as the resolver: it refuses everything else.
    with FakeDns({}, zones=["corp.internal"]) as resolver:
        result, data = run(NAME, resolver=resolver)
    assert result.exit_code == 3
    assert data["verdict"] == "unknown"
    assert "cannot be used from this machine (it refused the query)" in data["probe_error"]
    # Named as the operator configured it, whatever object dnspython was given for it.
    assert f"the DNS resolver {resolver.nameserver} cannot be used" in data["probe_error"]


def test_a_resolver_that_cannot_reach_the_top_level_domain_is_unknown():
    # The resolver knows the root but fails everything below it: its upstream is cut off.
    with FakeDns({}, servfail={NAME, ZONE, "test"}) as resolver:
        result, data = run(NAME, resolver=resolver)
    assert result.exit_code == 3
    assert "cannot resolve the name servers of the top-level domain .test" in data[
        "probe_error"]


def test_no_route_from_this_machine_is_unknown_not_port_unreachable(monkeypatch):
    # This machine's kernel refuses the connection with ENETUNREACH before any packet leaves
    # (no route in its own table). A multicast address used to stand in for that, but no
    # server can have one, so it is now a failure without dialling
    # (tests/workers/test_unconnectable_scenarios.py); the kernel's answer is given here.
    guarded = socket.socket.connect

    def no_route_to_the_origin(sock: socket.socket, address: object) -> None:
        if sock.type == socket.SOCK_STREAM and isinstance(address, tuple) and \
                address[0] == "192.0.2.1":
            raise OSError(errno.ENETUNREACH, "Network is unreachable")
        guarded(sock, address)

    monkeypatch.setattr(socket.socket, "connect", no_route_to_the_origin)
    with FakeDns() as resolver:
        result, data = run("192.0.2.1", "--https-port", "8443", resolver=resolver)
    assert result.exit_code == 3
    assert data["verdict"] == "unknown"
    tcp = data["addresses"][0]["probes"][0]["tcp"]
    assert (tcp["status"], tcp["reason"]) == ("error", "no_route_here")
    assert "PORT_UNREACHABLE" not in [f["code"] for f in data["findings"]]
    assert "could not be checked from here" in data["probe_error"]


def test_ipv6_literal_and_the_same_address_by_name_get_one_verdict():
    port = str(closed_port())
    with FakeDns({"v6.test": [("AAAA", "::1")]}) as resolver:
        literal, literal_data = run(f"[::1]:{port}", resolver=resolver)
        named, named_data = run(f"v6.test:{port}", resolver=resolver)
        for kind in ("ipv6", "dualstack"):
            lit6, lit6_data = run(f"[::1]:{port}", "--ip-address-type", kind, resolver=resolver)
            name6, name6_data = run(f"v6.test:{port}", "--ip-address-type", kind,
                                    resolver=resolver)
            assert (lit6.exit_code, lit6_data["verdict"]) == (name6.exit_code,
                                                              name6_data["verdict"]) == (1, "fail")
    assert (literal.exit_code, literal_data["verdict"]) == (1, "fail")
    assert (named.exit_code, named_data["verdict"]) == (1, "fail")
    assert "ADDRESS_FAMILY_NOT_USED" in [f["code"] for f in literal_data["findings"]]


def test_a_healthy_origin_found_through_the_walked_zone_is_not_disturbed(tmp_path):
    # Resolution that works costs no walk at all: no authority is asked.
    factory = CertFactory()
    leaf = factory.leaf(None, names=[NAME])
    ca = write_pem(tmp_path / "ca.pem", leaf)
    with FakeDns({**DELEGATION, NAME: [("A", "127.0.0.1")]}) as resolver, \
            Authorities({"127.0.0.2": authoritative({NAME: [("A", "127.0.0.1")]})}) as auth, \
            TlsOrigin([leaf], leaf) as origin:
        result, data = run(NAME, "--https-port", str(origin.port), "--ca-file", str(ca),
                           resolver=resolver, authorities=auth)
        asked = auth.servers["127.0.0.2"].queries
    assert result.exit_code == 0, data["findings"]
    assert data["dns"]["walk"] is None and asked == []
    t = data["timings_ms"]  # the phases add up to the total
    assert abs(t["dns"] + t["connections"] + t["other"] - t["total"]) < 0.1
