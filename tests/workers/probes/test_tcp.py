"""The TCP layer: how a connection fails, told apart from a machine that cannot try.

No packet leaves: ``socket.connect`` is replaced by one that fails as the kernel would.
"""

from __future__ import annotations

import errno
import socket

from workers.options import build_request
from workers.probes.context import ProbeContext
from workers.probes.state import ProbeState
from workers.probes.tcp import probe_tcp
from workers.target import Target


def test_unreachable_address_is_told_apart(monkeypatch):
    # EHOSTUNREACH while this machine's routing table has a route: an ICMP answer from the
    # origin's network, so the origin's problem.
    from workers.probes import tcp

    def unreachable(self, address):
        raise OSError(errno.EHOSTUNREACH, "No route to host")

    monkeypatch.setattr(socket.socket, "connect", unreachable)
    monkeypatch.setattr(tcp, "route_problem", lambda address, port: None)
    request = build_request("origin.test", timeout=1, connection_attempts=1)
    state = ProbeState()
    result = probe_tcp(Target.of(request).at("192.0.2.1", "https", 443),
                       ProbeContext.for_request(request), state)
    assert state.stream is None
    assert (result.status, result.reason, result.detail) == (
        "failed", "unreachable", "No route to host")


def test_no_route_on_this_machine_is_not_the_origins_fault(monkeypatch):
    # The same error while this machine's own routing table has no route: nothing was
    # measured about the origin.
    from workers.probes import tcp

    def unreachable(self, address):
        raise OSError(errno.EHOSTUNREACH, "No route to host")

    monkeypatch.setattr(socket.socket, "connect", unreachable)
    monkeypatch.setattr(tcp, "route_problem", lambda address, port: "Network is unreachable")
    request = build_request("origin.test", timeout=1, connection_attempts=3)
    state = ProbeState()
    result = probe_tcp(Target.of(request).at("192.0.2.1", "https", 443),
                       ProbeContext.for_request(request), state)
    assert state.stream is None
    assert (result.status, result.reason) == ("error", "no_route_here")
    assert result.attempts == 1  # a missing route does not come back on a retry
    assert "could not be checked from here" in result.detail
