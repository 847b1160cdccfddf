"""TLS and first-byte times come from the timestamps at the socket operations: ours right
before each send, the kernel's on each arrival. Whatever time this process takes between them
(its own CPU, its turn for the interpreter lock) is not in them.

The origin here is a real TLS server (an ssl.SSLObject with a minted certificate) behind a
stand-in socket that answers each flight at once and stamps its answer 2 ms (handshake) or
3 ms (response) after our send, as the kernel would; the injected clock makes every step of
this process look one second long."""

from __future__ import annotations

import socket
import ssl
import struct

import pytest

from workers.options import build_request
from workers.probes.context import ProbeContext
from workers.probes.http import exchange
from workers.probes.tls import (
    BROAD_CIPHER_STRING,
    CLOUDFRONT_CIPHER_STRING,
    handshake,
    make_context,
)
from workers.probes.wire import PlainStream
from workers.target import Target

HANDSHAKE_RTT_NS = 2_000_000
RESPONSE_NS = 3_000_000
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class SlowProcessClock:
    """Wall-clock nanoseconds that advance a whole second at every reading."""

    def __init__(self) -> None:
        self.last = 1_900_000_000 * 10**9

    def __call__(self) -> int:
        self.last += 10**9
        return self.last


class OriginSocket:
    """A connected socket as the probes see it, with a TLS origin (or a plain HTTP one) on
    the other end that answers everything at once; arrivals are stamped `answer_ns` after the
    departure of what they answer."""

    def __init__(self, clock: SlowProcessClock, server: ssl.SSLContext | None) -> None:
        self.clock = clock
        self.timeout: float | None = None
        self.sent_at: int | None = None
        self.pending = b""
        self.answer_ns = HANDSHAKE_RTT_NS
        self._in, self._out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = server.wrap_bio(self._in, self._out, server_side=True) if server else None
        self.handshake_done = False

    # what the stream under test calls
    def setsockopt(self, *_args: object) -> None:
        return None

    def settimeout(self, value: float | None) -> None:
        self.timeout = value

    def gettimeout(self) -> float | None:
        return self.timeout

    def sendall(self, data: bytes) -> None:
        self.sent_at = self.clock.last  # the reading the sender took just before this call
        if self.tls is None:
            self.pending += RESPONSE
            self.answer_ns = RESPONSE_NS
            return
        self._in.write(data)
        if not self.handshake_done:
            try:
                self.tls.do_handshake()
                self.handshake_done = True
            except ssl.SSLWantReadError:
                pass
        if self.handshake_done:
            try:
                if self.tls.read(65536):
                    self.tls.write(RESPONSE)
                    self.answer_ns = RESPONSE_NS
            except ssl.SSLWantReadError:
                pass
        self.pending += self._out.read()

    def recvmsg(self, size: int, _ancillary: int):
        assert self.pending, "the stream waited for an answer that was never coming"
        data, self.pending = self.pending[:size], self.pending[size:]
        arrived = self.sent_at + self.answer_ns
        stamp = struct.pack("@qq", arrived // 10**9, arrived % 10**9)
        return data, [(socket.SOL_SOCKET, 35, stamp)], 0, None

    def close(self) -> None:
        return None


def _target_and_context() -> tuple[Target, ProbeContext]:
    request = build_request("origin.test")
    return Target.of(request).at("127.0.0.1", "https", 443), ProbeContext.for_request(request)


@pytest.fixture
def origin_context(pki, tmp_path) -> ssl.SSLContext:
    (tmp_path / "chain.pem").write_bytes(pki["leaf"].pem + pki["inter"].pem)
    (tmp_path / "key.pem").write_bytes(pki["leaf"].key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "chain.pem", tmp_path / "key.pem")
    return context


@pytest.mark.parametrize(("protocol", "round_trips", "ciphers", "cloudfront_curves"), [
    ("TLSv1.2", 2, CLOUDFRONT_CIPHER_STRING, True),  # CloudFront's own handshake
    ("TLSv1.3", 1, BROAD_CIPHER_STRING, False),  # a follow-up: "accepts TLSv1.3?"
])
def test_tls_time_is_the_origin_s_round_trips_not_this_process_s_time(
        origin_context, protocol, round_trips, ciphers, cloudfront_curves):
    clock = SlowProcessClock()
    sock = OriginSocket(clock, origin_context)
    context, _ = make_context([protocol], ciphers, cloudfront_curves=cloudfront_curves)
    result = handshake(sock, context, "origin.test", 5.0, clock)  # type: ignore[arg-type]
    assert result.ok and result.protocol == protocol
    # Each step of this process took "a second"; the origin answered each flight in 2 ms.
    assert result.duration_ms == pytest.approx(round_trips * HANDSHAKE_RTT_NS / 1e6)


def test_first_byte_over_tls_is_the_origin_s_answer_time(origin_context):
    clock = SlowProcessClock()
    sock = OriginSocket(clock, origin_context)
    context, _ = make_context(["TLSv1.2"], CLOUDFRONT_CIPHER_STRING, cloudfront_curves=True)
    result = handshake(sock, context, "origin.test", 5.0, clock)  # type: ignore[arg-type]
    assert result.sock is not None
    http = exchange(result.sock, *_target_and_context())
    assert http.status_code == 200
    assert http.ttfb_ms == pytest.approx(RESPONSE_NS / 1e6)


def test_first_byte_over_plain_http_is_the_origin_s_answer_time():
    clock = SlowProcessClock()
    stream = PlainStream(OriginSocket(clock, None), clock)  # type: ignore[arg-type]
    http = exchange(stream, *_target_and_context())
    assert http.status_code == 200
    assert http.ttfb_ms == pytest.approx(RESPONSE_NS / 1e6)
