"""The addresses origin502 refuses to dial unless private targets are allowed."""

from __future__ import annotations

import pytest

from workers.addresses import private_reason, unconnectable_reason


@pytest.mark.parametrize(("ip", "words"), [
    ("127.0.0.1", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "metadata"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("224.0.0.1", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("240.0.0.1", "reserved"),
    ("::1", "loopback"),
    ("fe80::1", "link-local"),
    ("fd00::1", "unique-local"),
    ("::ffff:10.0.0.1", "IPv4-mapped"),
    ("64:ff9b::a00:1", "NAT64"),
    ("2002:a00:1::", "6to4"),
])
def test_non_public_addresses_are_named(ip, words):
    reason = private_reason(ip)
    assert reason is not None and words in reason


@pytest.mark.parametrize("ip", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"])
def test_public_addresses_pass(ip):
    assert private_reason(ip) is None


# Every entry of IANA's special-purpose registries (as of 2025), plus multicast and site-local:
# https://www.iana.org/assignments/iana-ipv4-special-registry/
# https://www.iana.org/assignments/iana-ipv6-special-registry/
IANA_SPECIAL = [
    "0.0.0.0/8", "0.0.0.0/32", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.0.0/29", "192.0.0.8/32", "192.0.0.9/32",
    "192.0.0.10/32", "192.0.0.170/32", "192.0.0.171/32", "192.0.2.0/24", "192.31.196.0/24",
    "192.52.193.0/24", "192.88.99.0/24", "192.88.99.2/32", "192.168.0.0/16", "192.175.48.0/24",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
    "224.0.0.0/4",
    "::1/128", "::/128", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "100:0:0:1::/64",
    "2001::/23", "2001::/32", "2001:1::1/128", "2001:1::2/128", "2001:1::3/128", "2001:2::/48",
    "2001:3::/32", "2001:4:112::/48", "2001:10::/28", "2001:20::/28", "2001:30::/28",
    "2001:db8::/32", "2620:4f:8000::/48", "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10",
    "fec0::/10", "ff00::/8",
]


@pytest.mark.parametrize("network", IANA_SPECIAL)
def test_every_special_purpose_range_is_refused_at_both_ends(network):
    import ipaddress

    net = ipaddress.ip_network(network)
    for addr in (net.network_address, net.broadcast_address):
        assert private_reason(str(addr)) is not None, addr


@pytest.mark.parametrize(("ip", "words"), [
    ("168.63.129.16", "Azure"),
    ("100.100.100.200", "Alibaba"),
    ("192.0.0.192", "Oracle"),
    ("169.254.169.254", "metadata"),
    ("169.254.170.2", "ECS"),
    ("fd00:ec2::254", "metadata"),
    ("::ffff:168.63.129.16", "Azure"),
    ("64:ff9b::a83f:8110", "Azure"),  # NAT64 of 168.63.129.16
    ("fe80::1%eth0", "link-local"),
    ("fec0::1", "site-local"),
    ("3fff::1", "documentation"),
    ("2001:db8::1", "documentation"),
    ("192.0.2.1", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("2001::1", "Teredo"),
])
def test_cloud_host_and_special_addresses_are_named(ip, words):
    reason = private_reason(ip)
    assert reason is not None and words in reason, reason


@pytest.mark.parametrize("ip", [
    "1.1.1.1", "168.63.129.17", "100.128.0.1", "192.0.1.1", "2600:1f18::1",
    "64:ff9b::808:808", "2002:808:808::1",  # NAT64 / 6to4 of a public address reach it
])
def test_public_neighbours_pass(ip):
    assert private_reason(ip) is None


# Addresses no TCP server can have: anyone's connection fails, so they are never dialled (Linux
# takes 0.0.0.0 and :: to this machine). The words are private_reason's.
@pytest.mark.parametrize(("ip", "words"), [
    ("0.0.0.0", "the unspecified address"),
    ("0.1.2.3", "“this network”"),
    ("224.0.0.1", "a multicast address"),
    ("239.255.255.250", "a multicast address"),
    ("240.0.0.1", "a reserved (240.0.0.0/4) address"),
    ("255.255.255.255", "the limited broadcast address"),
    ("::", "the unspecified address"),
    ("ff02::1", "a multicast address"),
    ("ff0e::1", "a multicast address"),
    ("::ffff:0.0.0.0", "IPv4-mapped the unspecified address"),
    ("::ffff:224.0.0.1", "IPv4-mapped a multicast address"),
])
def test_addresses_no_server_can_have_are_named(ip, words):
    assert unconnectable_reason(ip) == private_reason(ip)
    assert words in (unconnectable_reason(ip) or ""), unconnectable_reason(ip)


# Private, loopback, documentation, unallocated IPv6 (Python's is_reserved, ::1 included) and
# public addresses: a server can listen there, so they are judged as before.
@pytest.mark.parametrize("ip", [
    "127.0.0.1", "10.0.0.1", "169.254.169.254", "192.0.2.1", "1.1.1.1", "223.255.255.255",
    "::1", "fe80::1", "fd00::1", "2001:db8::1", "4000::1", "::ffff:127.0.0.1",
    "2606:2800:220:1:248:1893:25c8:1946",
])
def test_addresses_a_server_can_have_are_not(ip):
    assert unconnectable_reason(ip) is None
