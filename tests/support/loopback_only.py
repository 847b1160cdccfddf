"""A guard for the rule that tests send traffic to this machine only.

Installed for the whole test session (tests/conftest.py): a socket of the test process that
connects or sends to an address outside 127.0.0.0/8 and ::1 raises instead, naming the test's
mistake. Child processes (serve, workers) are not covered; what they dial comes from the same
fixtures. The one exception is an address the kernel refuses before anything leaves the host
(a TCP connect to a multicast group), which the "no route from here" tests rely on.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any


class OffLoopbackTraffic(AssertionError):
    """A test tried to reach an address that is not on this machine."""


def _check(address: Any, sock: socket.socket) -> None:
    if not isinstance(address, tuple) or not address:
        return  # AF_UNIX paths and the like
    host = str(address[0]).split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        # A name: the caller resolves it (getaddrinfo) first; names here are test fixtures
        # such as "localhost".
        if host in ("localhost", ""):
            return
        raise OffLoopbackTraffic(f"a test connects to the name {host!r}; use 127.0.0.1") from None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback or ip.is_unspecified:
        return
    if ip.is_multicast and sock.type == socket.SOCK_STREAM:
        return  # the kernel answers ENETUNREACH; no packet is sent
    raise OffLoopbackTraffic(f"a test tried to reach {ip}, which is not on this machine")


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_sendto = socket.socket.sendto


def _connect(self: socket.socket, address: Any) -> None:
    _check(address, self)
    return _real_connect(self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    _check(address, self)
    return _real_connect_ex(self, address)


def _sendto(self: socket.socket, data: Any, *args: Any) -> int:
    _check(args[-1], self)
    return _real_sendto(self, data, *args)


def install() -> None:
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = _sendto  # type: ignore[method-assign,assignment]
