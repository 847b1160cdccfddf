"""The addresses origin502 refuses to dial unless private targets are allowed."""

from __future__ import annotations

import pytest

from workers.addresses import private_reason


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
