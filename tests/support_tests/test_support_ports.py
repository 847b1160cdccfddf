"""closed_port refuses, DroppingPort times out, SilentPort connects and never answers."""

from __future__ import annotations

import socket
import time

import pytest

from tests.support.ports import DroppingPort, SilentPort, closed_port


def test_closed_port_refuses() -> None:
    port = closed_port()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def test_dropping_port_times_out() -> None:
    with DroppingPort() as dropping:
        assert dropping.fillers >= 1
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            socket.create_connection((dropping.host, dropping.port), timeout=0.5)
        assert time.monotonic() - start >= 0.45
        # Still dropping on a second attempt (nothing drained the queue).
        with pytest.raises(TimeoutError):
            socket.create_connection((dropping.host, dropping.port), timeout=0.3)
    # After exit the port is closed again.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((dropping.host, dropping.port), timeout=1)


def test_silent_port_connects_and_never_answers() -> None:
    with SilentPort() as silent, socket.create_connection(("127.0.0.1", silent.port),
                                                         timeout=1) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(1)
