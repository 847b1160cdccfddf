"""Connections that remember when bytes left for the origin and when its answer arrived, as
the kernel saw it, so that TLS and first-byte times measure the origin, not this process.

A time read after a blocking call returns includes the wait for the interpreter lock: with
dozens of probes in one process that wait was most of a "TLS time" (issue 8: 10x on TLS, 25x
on the first byte). Here the arrival time is the kernel's receive timestamp of the packet
(SO_TIMESTAMPNS, read with recvmsg), taken before any thread of ours runs, and the departure
time is read right before the send system call, while this thread holds the lock and nothing
can come between. TLS runs over memory buffers (ssl.SSLObject) so that every byte goes
through these two calls. Where the kernel gives no timestamps (not Linux), the time after
the receive stands in, as before.

Both ends use the wall clock, as kernel timestamps do; a clock step between them (rare)
shows as a negative span, which is never reported.
"""

from __future__ import annotations

import platform
import socket
import ssl
import struct
import sys
import time
from collections.abc import Callable
from typing import Protocol

# SO_TIMESTAMPNS of the Linux ABIs that use asm-generic's socket numbers (the socket module
# does not name it). Elsewhere, no timestamps are asked for.
_SO_TIMESTAMPNS = 35
_GENERIC_ABI = {"x86_64", "amd64", "aarch64", "arm64", "i686", "i386", "riscv64", "armv7l",
                "armv8l", "ppc64le", "s390x", "loongarch64"}
_TIMESPEC = struct.Struct("@qq")
_ANCILLARY = socket.CMSG_SPACE(_TIMESPEC.size) if hasattr(socket, "CMSG_SPACE") else 0
RECV_SIZE = 65536

#: Wall-clock nanoseconds, the clock kernel timestamps are on (injectable for tests).
NanoClock = Callable[[], int]


class Stream(Protocol):
    """What the HTTP layer needs of a connection (a socket has it too)."""

    def settimeout(self, value: float | None) -> None: ...

    def sendall(self, data: bytes, /) -> None: ...

    def recv(self, size: int, /) -> bytes: ...

    def close(self) -> None: ...


def ask_for_timestamps(sock: socket.socket) -> bool:
    """Ask the kernel to stamp what arrives on `sock`; False where it cannot."""
    if sys.platform != "linux" or platform.machine().lower() not in _GENERIC_ABI:
        return False
    try:
        sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
    except OSError:
        return False
    return True


def recv_stamped(sock: socket.socket, size: int, clock: NanoClock) -> tuple[bytes, int]:
    """One receive: the bytes and when they arrived (the kernel's timestamp of the newest
    packet read; `clock` read now when the kernel gave none)."""
    data, ancillary, _flags, _address = sock.recvmsg(size, _ANCILLARY)
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and \
                len(payload) >= _TIMESPEC.size:
            seconds, nanoseconds = _TIMESPEC.unpack_from(payload)
            return data, seconds * 1_000_000_000 + nanoseconds
    return data, clock()


def span_ms(sent_ns: int | None, arrived_ns: int | None) -> float | None:
    """Milliseconds from a departure to an arrival; None when either is unknown or the clock
    stepped back between them."""
    if sent_ns is None or arrived_ns is None or arrived_ns < sent_ns:
        return None
    return (arrived_ns - sent_ns) / 1e6


class PlainStream:
    """A connected TCP socket that notes when it last sent and when its data arrived."""

    def __init__(self, sock: socket.socket, clock: NanoClock = time.time_ns) -> None:
        self.sock = sock
        self.clock = clock
        self.sent_ns: int | None = None
        self.arrived_ns: int | None = None  # of the data the last recv returned
        ask_for_timestamps(sock)

    def settimeout(self, value: float | None) -> None:
        self.sock.settimeout(value)

    def sendall(self, data: bytes, /) -> None:
        self.sent_ns = self.clock()
        self.sock.sendall(data)

    def recv(self, size: int, /) -> bytes:
        data, self.arrived_ns = recv_stamped(self.sock, size, self.clock)
        return data

    def close(self) -> None:
        self.sock.close()


def _hostname_arg(sni: str | None) -> str | bytes | None:
    """The server name as ``ssl`` takes it. ssl encodes a str with the 'idna' codec, whose
    import costs a CLI run a few milliseconds, and which leaves an ASCII name of labels of 1 to
    63 characters as it is; such a name is handed over as bytes, which ssl only decodes. Any
    other name goes through the codec (and its errors) as before."""
    if sni is not None and sni.isascii() and all(
            0 < len(label) < 64 for label in sni.removesuffix(".").split(".")):
        return sni.encode("ascii")
    return sni


class TlsStream:
    """TLS over a connected socket through memory buffers, so that each send and receive is
    one of ours and timed as PlainStream times them.

    `handshake_ms` is the origin's share of the handshake: for each round trip, from our
    flight's departure to the arrival of the last packet of its answer, summed (TLS 1.2 has
    two, TLS 1.3 one). The time this process spends between round trips, on its own CPU or
    waiting for its turn, is not in it.
    """

    def __init__(self, sock: socket.socket, context: ssl.SSLContext, sni: str | None,
                 clock: NanoClock = time.time_ns) -> None:
        self.sock = sock
        self.clock = clock
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(self._incoming, self._outgoing,
                                    server_hostname=_hostname_arg(sni))
        self.sent_ns: int | None = None
        self.arrived_ns: int | None = None
        self.handshake_ms: float | None = None
        self.received = 0  # bytes the origin sent, as they came off the wire (TLS records)
        ask_for_timestamps(sock)

    # -- the handshake ------------------------------------------------------------------------
    def do_handshake(self) -> None:
        """Run the handshake; raises what SSLSocket.do_handshake raises (SSLError,
        TimeoutError, OSError), within the socket's timeout for the whole handshake, as
        SSLSocket does."""
        timeout = self.sock.gettimeout()
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            self._handshake(deadline)
        finally:
            self.sock.settimeout(timeout)

    def _handshake(self, deadline: float | None) -> None:
        origin_ns = 0
        measured = True  # every round trip got both of its timestamps
        flight_sent: int | None = None  # departure of the flight awaiting its answer
        answer_arrived: int | None = None  # the newest arrival since then
        while True:
            try:
                self.tls.do_handshake()
                done = True
            except ssl.SSLWantReadError:
                done = False
            if self._outgoing.pending:
                # Sending again ends the round trip our previous flight began.
                if flight_sent is not None:
                    span = span_ms(flight_sent, answer_arrived)
                    measured = measured and span is not None
                    origin_ns += int((span or 0) * 1e6)
                self._flush()
                flight_sent, answer_arrived = self.sent_ns, None
            if done:
                break
            self._wait_until(deadline)
            arrived = self._receive_once()
            if arrived is not None:
                answer_arrived = arrived
        if flight_sent is not None and answer_arrived is not None:
            # TLS 1.2: the origin's Finished answered our last flight.
            span = span_ms(flight_sent, answer_arrived)
            measured = measured and span is not None
            origin_ns += int((span or 0) * 1e6)
        self.handshake_ms = origin_ns / 1e6 if measured and origin_ns > 0 else None

    # -- data ---------------------------------------------------------------------------------
    def settimeout(self, value: float | None) -> None:
        self.sock.settimeout(value)

    def sendall(self, data: bytes, /) -> None:
        self.tls.write(data)
        self._flush()

    def recv(self, size: int, /) -> bytes:
        """Up to `size` decrypted bytes; b"" at the end (a close without close_notify too,
        as SSLSocket's suppress_ragged_eofs). One timeout for the whole call, however many
        packets a record takes to arrive."""
        timeout = self.sock.gettimeout()
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                try:
                    return self.tls.read(size)
                except ssl.SSLWantReadError:
                    self._flush()
                    self._wait_until(deadline)
                    self._receive_once()
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
            return b""
        finally:
            if deadline is not None:
                self.sock.settimeout(timeout)

    def close(self) -> None:
        self.sock.close()

    # -- the wire -----------------------------------------------------------------------------
    def _flush(self) -> None:
        data = self._outgoing.read()
        if data:
            self.sent_ns = self.clock()
            self.sock.sendall(data)

    def _wait_until(self, deadline: float | None) -> None:
        """The next receive waits no later than `deadline` (a time.monotonic() value)."""
        if deadline is None:
            return
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("The operation timed out")
        self.sock.settimeout(left)

    def _receive_once(self) -> int | None:
        """Feed what arrives next to TLS; when it arrived (None at the end of the stream)."""
        data, arrived = recv_stamped(self.sock, RECV_SIZE, self.clock)
        if not data:
            self._incoming.write_eof()
            return None
        self._incoming.write(data)
        self.received += len(data)
        self.arrived_ns = arrived
        return arrived
