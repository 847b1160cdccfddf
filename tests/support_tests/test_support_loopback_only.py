"""The guard that keeps the tests' traffic on this machine."""

from __future__ import annotations

import socket

import pytest

from tests.support.loopback_only import OffLoopbackTraffic
from tests.support.ports import closed_port


@pytest.mark.parametrize("address", ["192.0.2.1", "10.0.0.1", "8.8.8.8"])
def test_a_connection_off_this_machine_is_refused_before_it_is_made(address):
    with socket.socket() as sock, pytest.raises(OffLoopbackTraffic):
        sock.connect((address, 53))


def test_a_datagram_off_this_machine_is_refused():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock, \
            pytest.raises(OffLoopbackTraffic):
        sock.sendto(b"x", ("192.0.2.53", 53))


def test_loopback_is_allowed():
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", closed_port())) != 0  # refused, not guarded
