"""An origin name whose record is an address no server can have: 0.0.0.0 (how operators "switch
a name off"), ::, a multicast group, the limited broadcast address. Linux takes a connection
to 0.0.0.0 (or ::) to this machine, so a probe that dialled it would judge whatever listens
here; the others the kernel refuses. Either way no one can connect, so the report fails
without dialling, and says what viewers get hedged (502 or 504).

The trap is real: gnutls-serv, which listens on every interface, serves a good certificate for
the origin name at the port, so dialling 0.0.0.0 would "work". The names come from the test
DNS server on 127.0.0.1; the CLI runs as an operator runs it.
"""

from __future__ import annotations

import json
import socket
from dataclasses import replace

import pytest
from click.testing import CliRunner

from tests.support.dns_server import FakeDns
from tests.support.scenario import NAME
from tests.support.tls_servers import gnutls_serv
from workers.diagnose_cli import EXIT_FINDINGS, EXIT_OK, diagnose
from workers.engine import diagnose as engine_diagnose
from workers.options import build_request

HEDGED = "CloudFront would answer 502 or 504 for this origin (AWS does not document which)"
RECORDS = {
    "zero.test": [("A", "0.0.0.0")],
    "multicast.test": [("A", "224.0.0.1")],
    "broadcast.test": [("A", "255.255.255.255")],
    "zero6.test": [("AAAA", "::")],
    "mixed.test": [("A", "127.0.0.1"), ("A", "0.0.0.0")],
}


@pytest.fixture(scope="module")
def origin(pki):
    """A TLS server with the origins' own certificate on every interface (0.0.0.0 and ::)."""
    leaf = pki["factory"].leaf(pki["inter"], names=[NAME, *RECORDS])
    with gnutls_serv(leaf, [pki["inter"]], priority="NORMAL") as server:
        # Dialling 0.0.0.0 reaches it: what a probe that dialled the address would have judged.
        with socket.create_connection(("0.0.0.0", server.port), timeout=2):
            pass
        yield server


@pytest.fixture(scope="module")
def nameserver():
    with FakeDns(RECORDS) as dns:
        yield dns.nameserver


def cli(name: str, port: int, pki, nameserver: str, *more: str):
    args = [name, "--https-port", str(port), "--ca-file", pki["ca"], "--timeout", "2",
            "--connection-attempts", "1", *more]
    env = {"ORIGIN502_NAMESERVER": nameserver, "COLUMNS": "200"}
    text = CliRunner().invoke(diagnose, args, env=env, catch_exceptions=False)
    data = json.loads(CliRunner().invoke(diagnose, [*args, "--json"], env=env,
                                         catch_exceptions=False).stdout)
    return text, data


def first_line(output: str) -> str:
    return " ".join(output.split("\n\n", 1)[0].split())


@pytest.mark.parametrize(("name", "record"), [
    ("zero.test", ("0.0.0.0", "the unspecified address", ())),
    ("multicast.test", ("224.0.0.1", "a multicast address", ())),
    ("broadcast.test", ("255.255.255.255", "the limited broadcast address", ())),
    ("zero6.test", ("::", "the unspecified address", ("--ip-address-type", "ipv6"))),
])
def test_an_address_no_server_can_have_fails_without_being_dialled(origin, pki, nameserver, name,
                                                                   record):
    address, words, more = record
    text, data = cli(name, origin.port, pki, nameserver, *more)
    assert text.exit_code == EXIT_FINDINGS, text.output
    assert data["verdict"] == "fail" and data["probe_error"] is None
    assert [(f["code"], f["severity"], f["uncertain"]) for f in data["findings"]] == [
        ("ADDRESS_UNCONNECTABLE", "error", False)]
    assert f"resolves to {address}, {words}, which no one can connect to" in \
        data["findings"][0]["summary"]
    probe = data["addresses"][0]["probes"][0]
    assert (probe["tcp"]["status"], probe["tcp"]["reason"]) == ("failed", "unconnectable")
    assert probe["tls"]["status"] == "not_run"  # no certificate of this machine's server judged
    head = first_line(text.output)
    assert head.startswith(f"FAIL {name}") and f"— {HEDGED}." in head, head


def test_private_targets_refused_still_says_no_server_can_have_it(origin, nameserver):
    # The bot's default: a non-public address is not dialled; this one is named for what it
    # is, not as one origin502 merely chose not to probe.
    request = build_request("zero.test", https_port=origin.port, timeout=2,
                            connection_attempts=1, allow_private=False)
    request = replace(request, options=replace(request.options, nameserver=nameserver))
    report = engine_diagnose(request)
    assert [f.code for f in report.findings] == ["ADDRESS_UNCONNECTABLE"]
    assert report.addresses[0].probes[0].tcp.reason == "unconnectable"


def test_one_such_address_beside_a_working_one_fails_some_requests(origin, pki, nameserver):
    text, data = cli("mixed.test", origin.port, pki, nameserver)
    assert text.exit_code == EXIT_FINDINGS, text.output
    found = {f["code"]: f for f in data["findings"]}
    assert found["ADDRESS_UNCONNECTABLE"]["address"] == "0.0.0.0"
    assert "1 of 2 addresses of mixed.test fail (0.0.0.0: ADDRESS_UNCONNECTABLE)" in \
        found["SOME_ADDRESSES_FAILING"]["summary"]
    assert not [c for c in found if c.startswith(("TLS", "CERT_"))]
    by_address = {a["address"]: a["probes"][0] for a in data["addresses"]}
    assert by_address["127.0.0.1"]["http"]["status_code"] == 200  # the good one was probed
    assert by_address["0.0.0.0"]["tcp"]["reason"] == "unconnectable"
    assert ("CloudFront would answer 502 or 504 for some requests (1 of 2 addresses fail) "
            "(AWS does not document which)") in first_line(text.output)


def test_a_loopback_origin_that_answers_is_not_told_cloudfront_can_connect(origin, pki,
                                                                          nameserver):
    # The same server reached at 127.0.0.1: it works from here and the verdict stays warn
    # (exit 0), but the headline says CloudFront cannot reach a loopback address.
    text, data = cli(NAME, origin.port, pki, nameserver, "--resolve", f"{NAME}:127.0.0.1")
    assert text.exit_code == EXIT_OK, text.output
    assert data["verdict"] == "warn"
    assert "ORIGIN_PRIVATE_ADDRESS" in [f["code"] for f in data["findings"]]
    head = first_line(text.output)
    assert head.startswith(f"WARN {NAME}"), head
    assert ("— The origin answers from here, but CloudFront cannot reach 127.0.0.1 (a loopback "
            "address).") in head, head
    assert "CloudFront can connect" not in text.output
