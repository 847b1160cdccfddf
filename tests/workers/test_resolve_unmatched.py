"""When no --resolve NAME matches the origin or its Host header, that is an error for one
origin (exit 2, one line naming both names), before anything is probed: with a typo there
origin502 would look the origin up in DNS, and the user would believe the address given had
been tested. A NAME that is only the Host header is said as a warning (CloudFront looks up the
origin's name), and so are entries that match nothing beside one that matches.

DNS is our own server on 127.0.0.1 (tests/support/dns_server.py), so a lookup that should not
happen is seen; origins are real TLS servers on loopback with certificates minted here."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.support.dns_server import FakeDns
from tests.support.ports import closed_port
from tests.support.scenario import NAME
from tests.support.tls_origin import TlsOrigin
from workers.diagnose_cli import EXIT_FINDINGS, EXIT_USAGE, diagnose


def run(*args: str, dns: FakeDns):
    return CliRunner().invoke(diagnose, list(args), catch_exceptions=False,
                              env={"ORIGIN502_NAMESERVER": dns.nameserver})


def test_a_typo_in_the_name_is_refused_before_any_lookup(fake_dns):
    fake_dns.set(NAME, [("A", "127.0.0.1")])
    result = run(NAME, "--resolve", "orign.test:127.0.0.1", "--https-port",
                 str(closed_port()), dns=fake_dns)
    assert result.exit_code == EXIT_USAGE
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1  # one line
    assert result.stderr == (
        "origin502: --resolve orign.test:127.0.0.1 does not match the origin name "
        f"{NAME}: its addresses would be used for nothing and {NAME} looked up in DNS "
        f"instead; give --resolve {NAME}:IP\n")
    assert fake_dns.queries == []  # nothing was looked up, nothing probed


def test_the_error_names_the_host_header_too_and_every_stray_name(fake_dns):
    result = run(NAME, "--host-header", "www.shop.test", "--resolve",
                 "orign.test:127.0.0.1,[::1]", "--resolve", "ww.shop.test:127.0.0.2",
                 "--json", dns=fake_dns)
    assert result.exit_code == EXIT_USAGE
    assert result.stderr == (
        "origin502: --resolve orign.test:127.0.0.1,[::1], --resolve ww.shop.test:127.0.0.2 "
        f"match neither the origin name {NAME} nor the Host header www.shop.test: their "
        f"addresses would be used for nothing and {NAME} looked up in DNS instead; give "
        f"--resolve {NAME}:IP\n")
    assert fake_dns.queries == []


def test_an_ip_literal_origin_needs_no_resolve(fake_dns):
    result = run("127.0.0.1", "--resolve", f"{NAME}:127.0.0.1", dns=fake_dns)
    assert result.exit_code == EXIT_USAGE
    assert "the origin is the address 127.0.0.1, which needs no lookup" in result.stderr


def test_the_name_is_compared_as_the_target_is_spelled_out(fake_dns):
    # Case, a trailing dot: the same name. The probe runs (and fails: the port is closed).
    result = run(NAME, "--resolve", f"{NAME.upper()}.:127.0.0.1", "--https-port",
                 str(closed_port()), "--connection-attempts", "1", "--json", dns=fake_dns)
    assert result.exit_code == EXIT_FINDINGS, result.output
    data = json.loads(result.stdout)
    assert data["dns"]["addresses"] == ["127.0.0.1"] and data["warnings"] == []
    assert result.stderr == ""


def test_a_name_that_is_only_the_host_header_is_warned_about(fake_dns, cert_factory):
    root = cert_factory.root()
    inter = cert_factory.intermediate(root)
    site = cert_factory.leaf(inter, names=["www.shop.test"])
    fake_dns.set(NAME, [("A", "127.0.0.1")])
    with TlsOrigin([site, inter], site) as origin:
        args = [NAME, "--host-header", "www.shop.test", "--resolve",
                "www.shop.test:127.0.0.1", "--https-port", str(origin.port)]
        as_json = run(*args, "--json", dns=fake_dns)
        text = run(*args, dns=fake_dns)
    warning = ("--resolve www.shop.test:127.0.0.1 names the Host header, not the origin: "
               f"CloudFront connects to the addresses of {NAME}, so origin502 does too")
    assert json.loads(as_json.stdout)["warnings"] == [warning]
    assert as_json.stderr == f"origin502: {warning}\n"
    assert text.stderr.startswith(f"origin502: {warning}\n")
    assert (NAME, "A") in fake_dns.queries  # the origin's own name was looked up


def test_a_stray_entry_beside_the_origins_own_is_only_warned_about(fake_dns):
    # The re-audit's case: the origin has its own entry, so it is not looked up in DNS; the
    # other entry is unused, said in one line as a distribution says it, and the probe runs
    # (and fails: the port is closed).
    args = [NAME, "--resolve", f"{NAME}:127.0.0.1", "--resolve", "www.zoo.test:127.0.0.1",
            "--https-port", str(closed_port()), "--connection-attempts", "1"]
    as_json = run(*args, "--json", dns=fake_dns)
    text = run(*args, dns=fake_dns)
    warning = f"--resolve www.zoo.test:127.0.0.1 does not match the origin name {NAME}: not used"
    assert as_json.exit_code == text.exit_code == EXIT_FINDINGS, as_json.output
    data = json.loads(as_json.stdout)
    assert data["warnings"] == [warning]
    assert data["dns"]["addresses"] == ["127.0.0.1"]
    assert as_json.stderr == f"origin502: {warning}\n"
    assert text.stderr.startswith(f"origin502: {warning}\n")
    assert fake_dns.queries == []  # the origin's own entry was used: no lookup


def test_a_stray_entry_beside_one_for_the_host_header_is_warned_about_too(fake_dns):
    fake_dns.set(NAME, [("A", "127.0.0.1")])
    result = run(NAME, "--host-header", "www.shop.test", "--resolve", "www.shop.test:127.0.0.1",
                 "--resolve", "ww.shop.test:127.0.0.2", "--https-port", str(closed_port()),
                 "--connection-attempts", "1", "--json", dns=fake_dns)
    assert result.exit_code == EXIT_FINDINGS, result.output
    assert json.loads(result.stdout)["warnings"] == [
        "--resolve www.shop.test:127.0.0.1 names the Host header, not the origin: CloudFront "
        f"connects to the addresses of {NAME}, so origin502 does too",
        f"--resolve ww.shop.test:127.0.0.2 matches neither the origin name {NAME} nor the Host "
        "header www.shop.test: not used"]
    assert (NAME, "A") in fake_dns.queries
