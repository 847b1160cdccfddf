"""Loopback ports that fail in specific ways: refused (closed) and silently dropped.

Linux facts ``DroppingPort`` relies on (checked in test_support_ports.py):

* ``listen(0)`` gives an accept queue that holds one connection: the queue counts as full
  only when it holds *more* than the backlog (``sk_ack_backlog > sk_max_ack_backlog``).
* While the accept queue is full the kernel drops incoming SYNs without answering
  (``tcp_conn_request``: "goto drop", counted as ListenOverflows), whatever
  ``net.ipv4.tcp_syncookies`` says, so ``connect()`` retransmits SYNs until its timeout.
* ``net.ipv4.tcp_abort_on_overflow`` only decides what happens to the *final ACK* of a
  handshake that arrives while the queue is full (drop it, or send RST when set to 1).
  New connections never get that far (their SYN is dropped), so it does not matter here.

The number of fillers is not hard-coded: fillers are added until a connect attempt times
out, which also proves the port really drops.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Self

from tests.support.lifecycle import Service


def closed_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` with nothing listening (connect() to it is refused).

    The port was free a moment ago; another process could take it in between, which on a
    test machine is unlikely enough.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class DroppingPort(Service):
    """A listener on 127.0.0.1 whose accept queue is full, so new SYNs are dropped.

    ``connect()`` to ``(host, port)`` then times out (it is neither accepted nor refused),
    which is what a firewall that drops packets looks like.  ``fillers`` is how many
    connections it took to fill the queue.
    """

    MAX_FILLERS = 16

    def __init__(self, host: str = "127.0.0.1", probe_timeout: float = 0.2) -> None:
        self._host = host
        self._probe_timeout = probe_timeout
        self._listener: socket.socket | None = None
        self._fillers: list[socket.socket] = []
        self._port = 0

    @property
    def port(self) -> int:
        return self._port

    @property
    def host(self) -> str:
        return self._host

    @property
    def address(self) -> tuple[str, int]:
        return (self._host, self._port)

    @property
    def fillers(self) -> int:
        return len(self._fillers)

    def start(self) -> Self:
        if self._listener is not None:
            return self
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.bind((self._host, 0))
            listener.listen(0)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        self._port = listener.getsockname()[1]
        for _ in range(self.MAX_FILLERS):
            s = socket.socket(family, socket.SOCK_STREAM)
            s.settimeout(self._probe_timeout)
            try:
                s.connect((self._host, self._port))
            except TimeoutError:
                s.close()  # the SYN was dropped: the queue is full
                return self
            except OSError:
                s.close()
                raise
            self._fillers.append(s)
        self.stop()
        raise RuntimeError(
            f"accept queue of a listen(0) socket did not fill after {self.MAX_FILLERS} "
            "connections; SYNs are not being dropped on this kernel"
        )

    def stop(self) -> None:
        for s in self._fillers:
            with contextlib.suppress(OSError):
                s.close()
        self._fillers.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None



class SilentPort(Service):
    """A listener on 127.0.0.1 that completes TCP handshakes (the kernel does, from its accept
    queue) but never reads or answers: an origin that accepts connections and then says
    nothing, so a TLS handshake or an HTTP request waits until its timeout."""

    BACKLOG = 128

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._host = host
        self._listener: socket.socket | None = None
        self._port = 0

    @property
    def port(self) -> int:
        return self._port

    def start(self) -> Self:
        if self._listener is None:
            family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
            listener = socket.socket(family, socket.SOCK_STREAM)
            try:
                listener.bind((self._host, 0))
                listener.listen(self.BACKLOG)
            except OSError:
                listener.close()
                raise
            self._listener = listener
            self._port = listener.getsockname()[1]
        return self

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
