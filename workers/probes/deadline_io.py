"""Reads that end by a deadline, whatever the peer does.

A socket timeout bounds only the gap between two packets: a peer that sends one byte a
second (or an endless stream of `100 Continue` lines) never trips it, and a probe would run
for as long as the peer likes. Every read of an origin, of an AIA URL, or of anything else a
probe talks to goes through `recv_within`, which bounds each wait by the time left until one
deadline as well as by the gap; the caller then reports the overrun as a finding.
"""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING

from workers.probes.context import DeadlineExceeded

if TYPE_CHECKING:
    from workers.probes.wire import Stream


def recv_within(sock: Stream, deadline: float, gap: float, size: int = 16384) -> bytes:
    """One `recv` that returns by `deadline` (a time.monotonic() value).

    Waits at most `gap` seconds for the next bytes and never past the deadline. Raises
    DeadlineExceeded when the deadline passes (before or during the wait), TimeoutError
    when only the gap passed. Works on plain and TLS sockets (an SSL read keeps one
    deadline per call, so a TLS record trickled byte by byte is bounded too).
    """
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlineExceeded("the deadline passed while the peer was still sending")
    wait = min(gap, left)
    sock.settimeout(wait)
    try:
        return sock.recv(size)
    except TimeoutError:
        if wait >= left:
            raise DeadlineExceeded("the deadline passed while the peer was still sending") \
                from None
        raise


class ResponseTooLarge(ValueError):
    """The body is larger than the caller is willing to read."""


# 1xx responses are allowed before the final one, but not without end: an origin that
# streams `100 Continue` lines would otherwise keep the parser busy until the deadline.
MAX_INFORMATIONAL = 32


def http_get(address: str, port: int, path: str, host: str, *, gap: float, budget: float,
             max_bytes: int) -> tuple[int, bytes]:
    """GET `path` from `address:port` with Host `host`: (status, body).

    The connection, the response and its body must all arrive within `budget` seconds;
    `gap` bounds each wait for the next packet. Raises DeadlineExceeded, TimeoutError,
    OSError, h11.ProtocolError, or ResponseTooLarge beyond `max_bytes` of body.
    """
    import h11

    deadline = time.monotonic() + budget
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(min(gap, budget))
        sock.connect((address, port))
        conn = h11.Connection(our_role=h11.CLIENT, max_incomplete_event_size=64 * 1024)
        sock.sendall(conn.send(h11.Request(method="GET", target=path, headers=[
            ("Host", host), ("User-Agent", "origin502"), ("Connection", "close")])) or b"")
        sock.sendall(conn.send(h11.EndOfMessage()) or b"")
        status: int | None = None
        informational = 0
        body = bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(recv_within(sock, deadline, gap))
            elif isinstance(event, h11.InformationalResponse):
                informational += 1
                if informational > MAX_INFORMATIONAL:
                    raise h11.RemoteProtocolError(
                        f"more than {MAX_INFORMATIONAL} informational (1xx) responses")
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                body.extend(event.data)
                if len(body) > max_bytes:
                    raise ResponseTooLarge(f"larger than {max_bytes} bytes")
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                break
        if status is None:
            raise h11.RemoteProtocolError("the connection closed before a response")
        return status, bytes(body)
