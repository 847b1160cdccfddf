"""Misbehaving peers on loopback that no off-the-shelf server imitates on demand: an origin
(or AIA URL) that trickles its answer a byte at a time, one that streams `100 Continue`
lines for ever, one that resets every connection (SO_LINGER 0: the kernel sends a real RST).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
from typing import Self

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class MisbehavingServer:
    """`mode`: "trickle" (RESPONSE, or `payload`, one byte every `interval` s after the
    request head), "continue" (100 Continue lines without end), "reset" (RST at once).
    With `context`, TLS is handshaken first (except in "reset" mode)."""

    def __init__(self, mode: str, *, context: ssl.SSLContext | None = None,
                 interval: float = 0.5, payload: bytes = RESPONSE, head: bytes = b"") -> None:
        """`head` is sent at once before the trickle (e.g. an error's status and headers)."""
        self.mode, self.context, self.interval, self.payload = mode, context, interval, payload
        self.head = head
        self.accepted = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        sock: socket.socket = conn
        try:
            if self.mode == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            if self.context is not None:
                sock = self.context.wrap_socket(conn, server_side=True)
            sock.settimeout(5)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = sock.recv(4096)
                if not chunk:
                    return
                head += chunk
            if self.mode == "continue":
                while not self._stop.is_set():
                    sock.sendall(CONTINUE * 64)
            else:
                sock.sendall(self.head)
                for byte in self.payload:
                    if self._stop.wait(self.interval):
                        return
                    sock.sendall(bytes([byte]))
        except (OSError, ValueError):
            return
        finally:
            with contextlib.suppress(OSError):
                sock.close()
