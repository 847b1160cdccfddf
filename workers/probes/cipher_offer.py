"""A ClientHello that offers exactly the cipher suites we choose, whatever this machine's
OpenSSL can build, and a reader for the origin's answer (ServerHello or alert).

CloudFront still lists DES-CBC3-SHA and RC4-MD5 toward origins; Debian's OpenSSL 3 cannot offer
either, so an OpenSSL handshake cannot tell "the origin speaks only 3DES" (CloudFront connects)
from "the origin speaks only RC4-SHA" (CloudFront cannot). The ClientHello and the ServerHello
are built and parsed with tlslite-ng's message classes; nothing here completes a handshake: the
server's first flight (ServerHello, Certificate, CertificateRequest, ServerHelloDone — all in
clear text up to TLS 1.2) says which suite it chose, which certificates it sends and whether it
asks for a client certificate.
"""

from __future__ import annotations

import os
import socket
import ssl
import struct
import time
from dataclasses import dataclass, field
from functools import cache

# tlslite/__init__ imports asyncore for an integration we do not use; on Python 3.11 that
# import warns (the module is gone in 3.12, where tlslite skips it). It is imported in a
# probe thread, so the warning is silenced once, not here (workers.probes.quiet).
from tlslite.constants import AlertDescription, CipherSuite, GroupName, SignatureScheme
from tlslite.extensions import (
    ECPointFormatsExtension,
    RenegotiationInfoExtension,
    SignatureAlgorithmsExtension,
    SNIExtension,
    SupportedGroupsExtension,
)
from tlslite.messages import ClientHello, ServerHello
from tlslite.utils.codec import Parser

from workers.models.record import Record

# Record and handshake types (RFC 5246 §6.2.1, §7.4).
_ALERT, _HANDSHAKE = 21, 22
_SERVER_HELLO, _CERTIFICATE, _CERTIFICATE_REQUEST, _SERVER_HELLO_DONE = 2, 11, 13, 14
_MAX_RECORD = 2**14 + 2048
# Enough for a first flight with a long chain; a server that sends more is read no further.
MAX_FLIGHT_BYTES = 256 * 1024

VERSIONS: dict[str, tuple[int, int]] = {
    "SSLv3": (3, 0), "TLSv1": (3, 1), "TLSv1.1": (3, 2), "TLSv1.2": (3, 3),
}
_VERSION_NAMES = {v: k for k, v in VERSIONS.items()}

# CloudFront's curves and signature schemes (cloudfront-facts §2.2, §2.4).
_GROUPS = [GroupName.x25519, GroupName.secp256r1, GroupName.secp384r1]
_SIGALGS = [
    SignatureScheme.rsa_pkcs1_sha256, SignatureScheme.rsa_pkcs1_sha384,
    SignatureScheme.rsa_pkcs1_sha512, SignatureScheme.rsa_pkcs1_sha224,
    SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.ecdsa_secp384r1_sha384,
    SignatureScheme.ecdsa_secp521r1_sha512, SignatureScheme.ecdsa_sha224,
    SignatureScheme.rsa_pkcs1_sha1, SignatureScheme.ecdsa_sha1,
]

# OpenSSL names OpenSSL 3 no longer knows (so ssl cannot map them), for suites an old origin may
# still accept; anything else unknown to OpenSSL is shown with its IANA name.
_LEGACY_OPENSSL_NAMES = {
    0x0004: "RC4-MD5", 0x0005: "RC4-SHA", 0x000A: "DES-CBC3-SHA", 0x0009: "DES-CBC-SHA",
    0x0016: "EDH-RSA-DES-CBC3-SHA", 0x0013: "EDH-DSS-DES-CBC3-SHA",
    0xC007: "ECDHE-ECDSA-RC4-SHA", 0xC008: "ECDHE-ECDSA-DES-CBC3-SHA",
    0xC011: "ECDHE-RSA-RC4-SHA", 0xC012: "ECDHE-RSA-DES-CBC3-SHA",
    0x0018: "ADH-RC4-MD5", 0x001B: "ADH-DES-CBC3-SHA",
}
# Signalling values, not suites (RFC 5746, RFC 7507), and the TLS 1.3 suites (never chosen
# without a supported_versions extension, which these ClientHellos do not send).
_NOT_SUITES = {0x00FF, 0x5600}


@cache
def _openssl_names() -> dict[int, str]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    return {c["id"] & 0xFFFF: c["name"] for c in context.get_ciphers()}


def suite_name(suite: int) -> str:
    """The OpenSSL name of a suite id when one is known, else its IANA name, else its value."""
    name = _openssl_names().get(suite) or _LEGACY_OPENSSL_NAMES.get(suite)
    if name:
        return name
    return str(CipherSuite.ietfNames.get(suite, f"0x{suite:04X}"))


def every_known_suite() -> list[int]:
    """Every TLS 1.0-1.2 suite tlslite-ng has a name for: what an enumeration may offer."""
    return sorted(s for s in CipherSuite.ietfNames
                  if s <= 0xFFFF and s not in _NOT_SUITES and s >> 8 != 0x13)


def build_client_hello(version: str, suites: list[int], sni: str | None) -> bytes:
    """One TLS record holding a ClientHello for ``version`` offering ``suites`` in order, with
    CloudFront's curves and signature schemes and the SNI (none for an IP literal)."""
    extensions = [RenegotiationInfoExtension().create(bytearray())]
    if sni:
        extensions.append(SNIExtension().create(bytearray(sni, "ascii")))
    if version != "SSLv3":
        extensions.append(SupportedGroupsExtension().create(list(_GROUPS)))
        extensions.append(ECPointFormatsExtension().create([0]))
    if version == "TLSv1.2":
        extensions.append(SignatureAlgorithmsExtension().create(list(_SIGALGS)))
    hello = ClientHello().create(
        VERSIONS[version], bytearray(os.urandom(32)), bytearray(), list(suites),
        extensions=extensions)
    body = bytes(hello.write())
    # The record version says TLS 1.0 for any newer ClientHello, as clients do (RFC 5246 E.1).
    record_version = (3, 0) if version == "SSLv3" else (3, 1)
    return struct.pack("!BBBH", _HANDSHAKE, *record_version, len(body)) + body


@dataclass(eq=False, repr=False)
class ServerFlight(Record):
    """What the bytes the server sent so far say. ``complete`` once they decide the matter."""

    complete: bool = False
    # "server_hello", "alert", "not_tls", "malformed"; None while more bytes are needed.
    kind: str | None = None
    version: str | None = None
    suite: int | None = None
    alert: str | None = None
    alert_fatal: bool = False
    certificate_requested: bool = False
    chain_der: list[bytes] = field(default_factory=list)
    detail: str | None = None


def parse_server_flight(data: bytes) -> ServerFlight:
    """Read the server's records up to its ServerHelloDone (or an alert). Never raises: bytes
    that are not TLS, or TLS that does not parse, are said so in the result."""
    flight = ServerFlight()
    handshake = bytearray()
    offset = 0
    while offset + 5 <= len(data):
        content, major, _minor, length = struct.unpack_from("!BBBH", data, offset)
        if content not in (_ALERT, _HANDSHAKE) or major != 3 or length > _MAX_RECORD:
            if flight.kind == "server_hello":
                # Anything after the hello (a ChangeCipherSpec on resumption...) ends the read.
                flight.complete = True
                return flight
            seen = data[offset:offset + 8]
            return _done(flight, "not_tls", f"bytes that are not a TLS record: {seen!r}")
        if offset + 5 + length > len(data):
            break  # the rest of this record has not arrived yet
        fragment = data[offset + 5:offset + 5 + length]
        offset += 5 + length
        if content == _ALERT:
            if len(fragment) < 2:
                return _done(flight, "malformed", "a truncated alert")
            flight.alert = str(AlertDescription.toStr(fragment[1]))
            flight.alert_fatal = fragment[0] == 2
            if flight.kind is None:
                flight.kind = "alert"
            flight.complete = True
            return flight
        handshake.extend(fragment)
        while len(handshake) >= 4:
            msg_type = handshake[0]
            msg_len = int.from_bytes(handshake[1:4], "big")
            if len(handshake) < 4 + msg_len:
                break
            body = bytes(handshake[4:4 + msg_len])
            del handshake[:4 + msg_len]
            if not _read_message(flight, msg_type, body):
                return flight
    if len(data) > MAX_FLIGHT_BYTES:
        flight.complete = True
        if flight.kind is None:
            flight.kind, flight.detail = "malformed", "no ServerHello in the first 256 KB"
    return flight


def _done(flight: ServerFlight, kind: str, detail: str) -> ServerFlight:
    flight.kind, flight.detail, flight.complete = kind, detail, True
    return flight


def _read_message(flight: ServerFlight, msg_type: int, body: bytes) -> bool:
    """Fold one handshake message into ``flight``; False once the flight is decided."""
    if flight.kind is None:
        if msg_type != _SERVER_HELLO:
            _done(flight, "malformed", f"handshake message {msg_type} before the ServerHello")
            return False
        try:
            hello = ServerHello().parse(Parser(bytearray(len(body).to_bytes(3, "big") + body)))
        except Exception as exc:  # noqa: BLE001 - tlslite raises several types for bad input
            _done(flight, "malformed", f"a ServerHello that does not parse ({exc!r})")
            return False
        version = tuple(hello.server_version)
        flight.kind = "server_hello"
        flight.version = _VERSION_NAMES.get(version, f"{version[0]}.{version[1]}")
        flight.suite = int(hello.cipher_suite)
        return True
    if msg_type == _CERTIFICATE:
        flight.chain_der = _certificates(body)
    elif msg_type == _CERTIFICATE_REQUEST:
        flight.certificate_requested = True
    elif msg_type == _SERVER_HELLO_DONE:
        flight.complete = True
        return False
    return True


def _certificates(body: bytes) -> list[bytes]:
    """The DER certificates of a TLS 1.0-1.2 Certificate message (RFC 5246 §7.4.2)."""
    out: list[bytes] = []
    if len(body) < 3:
        return out
    end = min(len(body), 3 + int.from_bytes(body[:3], "big"))
    offset = 3
    while offset + 3 <= end:
        size = int.from_bytes(body[offset:offset + 3], "big")
        if offset + 3 + size > end:
            break
        out.append(body[offset + 3:offset + 3 + size])
        offset += 3 + size
    return out


def offer(address: str, port: int, *, version: str, suites: list[int], sni: str | None,
          timeout: float) -> tuple[ServerFlight, float]:
    """Connect, send the ClientHello and read the answer. Returns the flight (its ``kind`` is
    "closed", "timeout" or "error" when no decision came) and the time it took in ms."""
    started = time.perf_counter()
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    flight = ServerFlight()
    data = bytearray()
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect((address, port))
            sock.sendall(build_client_hello(version, suites, sni))
            deadline = time.monotonic() + timeout
            while not flight.complete:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                sock.settimeout(left)
                chunk = sock.recv(65536)
                if not chunk:
                    if not flight.kind:
                        flight = _done(flight, "closed", "the origin closed the connection")
                    flight.complete = True
                    break
                data.extend(chunk)
                flight = parse_server_flight(bytes(data))
    except TimeoutError:
        if not flight.kind:
            flight = _done(flight, "timeout", f"no answer within {timeout:g} s")
    except ConnectionError as exc:
        if not flight.kind:
            flight = _done(flight, "closed", f"the origin reset the connection ({exc.strerror})")
    except OSError as exc:
        flight = _done(flight, "error", exc.strerror or str(exc))
    return flight, (time.perf_counter() - started) * 1000
