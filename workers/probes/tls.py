"""TLS layer: one handshake that offers exactly what CloudFront offers, then, only when it fails,
a few follow-up handshakes that find out what the origin does accept.

The certificate is not verified during the handshake: the chain is taken exactly as the origin
sent it and judged afterwards, here, with ``workers.probes.certificates``, so one handshake
yields every certificate fact.
"""

from __future__ import annotations

import ctypes
import socket
import ssl
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from workers.models import (
    CipherOffer,
    Layer,
    OcspStaple,
    OtherCertificate,
    StalledHandshake,
    Status,
    TlsAttempt,
    TlsReason,
    TlsResult,
)
from workers.models.cloudfront import (
    CLOUDFRONT_CIPHER_IDS,
    CLOUDFRONT_CIPHERS,
    CLOUDFRONT_GROUPS,
    CLOUDFRONT_SIGALGS,
    TLS12_ONLY_CIPHERS,
    UNBUILDABLE_CIPHERS,
)
from workers.models.record import Record
from workers.probes.attempts import Attempt
from workers.probes.chain_cache import CHAIN_VERDICTS
from workers.probes.context import DeadlineExceeded, ProbeContext
from workers.probes.ocsp import read_staple, stapled_response
from workers.probes.state import ProbeState, run_beside
from workers.probes.wire import NanoClock, PlainStream, TlsStream
from workers.target import Target

if TYPE_CHECKING:
    from workers.probes import cipher_offer
    from workers.probes.side_checks import Primary

_VERSIONS: dict[str, ssl.TLSVersion] = {
    "SSLv3": ssl.TLSVersion.SSLv3,
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
_NO_FLAGS = {"TLSv1": "OP_NO_TLSv1", "TLSv1.1": "OP_NO_TLSv1_1", "TLSv1.2": "OP_NO_TLSv1_2"}
CLOUDFRONT_CIPHER_STRING = ":".join(CLOUDFRONT_CIPHERS) + ":@SECLEVEL=0"
BROAD_CIPHER_STRING = "ALL:COMPLEMENTOFALL:@SECLEVEL=0"
MAX_CIPHER_HANDSHAKES = 8
# The error of a follow-up handshake that origin502's own time budget ended (not the origin).
OUT_OF_TIME = "out of time"

# TLS alert descriptions (RFC 8446 §6) that tell the failures apart.
_ALERTS = {40: "handshake_failure", 42: "bad_certificate", 47: "illegal_parameter",
           70: "protocol_version", 71: "insufficient_security", 80: "internal_error",
           112: "unrecognized_name", 116: "certificate_required"}
_SSL_CTRL_SET_GROUPS_LIST = 92
_SSL_CTRL_SET_SIGALGS_LIST = 98
_SSL_CTRL_SET_TLSEXT_STATUS_REQ_TYPE = 65
_TLSEXT_STATUSTYPE_OCSP = 1


def _libssl_ctrl() -> Any:
    try:
        lib = ctypes.CDLL(ssl._ssl.__file__)  # type: ignore[attr-defined]
        ctrl = lib.SSL_CTX_ctrl
        get_options = lib.SSL_CTX_get_options
    except (OSError, AttributeError):
        return None
    ctrl.restype = ctypes.c_long
    ctrl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_char_p]
    get_options.restype = ctypes.c_ulong
    get_options.argtypes = [ctypes.c_void_p]
    return ctrl, get_options


_CTRL = _libssl_ctrl()


def _restrict(context: ssl.SSLContext, groups: str, sigalgs: str) -> bool:
    """Limit the offered curves and signature schemes to CloudFront's lists.

    Python's ssl module exposes neither setting before 3.13/3.14, so this calls OpenSSL's
    SSL_CTX_ctrl on the context's SSL_CTX. The pointer is checked (its options must equal the
    context's) before use; when anything looks off, nothing is changed and False is returned.
    """
    pointer = _ssl_ctx(context)
    if _CTRL is None or pointer is None:
        return False
    ctrl, _ = _CTRL
    ok_groups = ctrl(pointer, _SSL_CTRL_SET_GROUPS_LIST, 0, groups.encode()) == 1
    ok_sigalgs = ctrl(pointer, _SSL_CTRL_SET_SIGALGS_LIST, 0, sigalgs.encode()) == 1
    return bool(ok_groups and ok_sigalgs)


def _ssl_ctx(context: ssl.SSLContext) -> int | None:
    """The context's SSL_CTX pointer, once checked (its options must equal the context's);
    None when anything looks off."""
    if _CTRL is None:
        return None
    _, get_options = _CTRL
    pointer = ctypes.c_void_p.from_address(id(context) + object.__basicsize__).value
    if not pointer or get_options(pointer) != int(context.options):
        return None
    return int(pointer)


def _ask_for_status(context: ssl.SSLContext) -> bool:
    """Ask, in every ClientHello of the context, for the certificate status the server may
    staple (status_request, RFC 6066 §8), as browsers do; OpenSSL then keeps the response
    without judging it (no status callback is set). Python's ssl module has no setting for
    it: SSL_CTX_set_tlsext_status_type through SSL_CTX_ctrl. False when it could not ask."""
    pointer = _ssl_ctx(context)
    if _CTRL is None or pointer is None:
        return False
    ctrl, _ = _CTRL
    return bool(ctrl(pointer, _SSL_CTRL_SET_TLSEXT_STATUS_REQ_TYPE,
                     _TLSEXT_STATUSTYPE_OCSP, None) == 1)


@dataclass(eq=False, repr=False)
class Handshake(Record):
    """One TLS handshake: completed (with its stream) or how it failed."""

    ok: bool
    sock: TlsStream | None = None
    protocol: str | None = None
    cipher: str | None = None
    error: str | None = None
    ssl_reason: str | None = None  # OpenSSL's reason code, e.g. TLSV1_ALERT_PROTOCOL_VERSION
    alert: str | None = None  # alert the origin sent
    kind: str | None = None  # "reset", "timeout", "eof", "ssl", "connect"
    cert_requested: bool = False
    chain_der: list[bytes] = field(default_factory=list)
    duration_ms: float = 0.0
    server_random: bytes | None = None  # from the ServerHello (workers/probes/tls13.py reads it)
    status_requested: bool = False  # the ClientHello asked for a stapled certificate status
    staple: bytes | None = None  # the OCSP response the origin stapled (DER), when it did
    # How far the origin's answer got, for a handshake that did not finish: bytes received,
    # and whether a whole ServerHello and a whole Certificate message were among them.
    received: int = 0
    server_hello: bool = False
    certificate: bool = False


@dataclass(eq=False, repr=False)
class Presented(Record):
    """The certificates an origin presented, and in which handshake: the faithful one, the
    server's first flight to a byte-built ClientHello, or a follow-up (a failed faithful
    handshake does not hide a bad certificate: CloudFront refuses one whatever the protocol).
    ``stream`` is a follow-up connection the HTTP layer may use, when one is kept open."""

    chain_der: list[bytes] = field(default_factory=list)
    source: str | None = None  # "cloudfront", "cipher_offer" or "follow_up"
    protocol: str | None = None
    stream: TlsStream | None = None
    status_requested: bool = False  # the handshake asked for a stapled certificate status
    staple: bytes | None = None  # the OCSP response stapled to it (DER), when one was


def _presented(hs: Handshake, source: str) -> Presented:
    """What a completed OpenSSL handshake presented: its chain and its stapled status."""
    return Presented(hs.chain_der, source, hs.protocol, status_requested=hs.status_requested,
                     staple=hs.staple)


def make_context(protocols: list[str], ciphers: str, *, cloudfront_curves: bool) -> tuple[
    ssl.SSLContext, bool
]:
    """A client context offering ``protocols`` (CloudFront names) and ``ciphers``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    versions = [v for v in protocols if v in _VERSIONS]
    # Offering TLS 1.0/1.1 is the point when CloudFront is configured with them: the ssl
    # module's deprecation warnings for that are silenced once (workers.probes.quiet).
    chosen = [_VERSIONS[v] for v in versions] or [ssl.TLSVersion.TLSv1_2]
    context.minimum_version, context.maximum_version = min(chosen), max(chosen)
    for version, flag in _NO_FLAGS.items():
        low, high = context.minimum_version, context.maximum_version
        if low <= _VERSIONS[version] <= high and version not in versions:
            context.options |= getattr(ssl, flag)
    context.set_ciphers(ciphers)
    restricted = False
    if cloudfront_curves:
        restricted = _restrict(context, ":".join(CLOUDFRONT_GROUPS), ":".join(CLOUDFRONT_SIGALGS))
    context._origin502_asks_status = _ask_for_status(context)  # type: ignore[attr-defined]
    context._msg_callback = _on_message  # type: ignore[attr-defined]
    return context, restricted


@lru_cache(maxsize=64)
def _shared_context(protocols: tuple[str, ...], ciphers: str, *, cloudfront_curves: bool
                    ) -> tuple[ssl.SSLContext, bool]:
    """make_context, once per offer: building a context costs more CPU than the Python side
    of a handshake, and a context serves concurrent handshakes (what one handshake sees is
    kept on its own connection, see _on_message)."""
    return make_context(list(protocols), ciphers, cloudfront_curves=cloudfront_curves)


def _on_message(conn: Any, direction: str, _version: Any, content_type: Any, msg_type: Any,
                data: bytes) -> None:
    """OpenSSL's message callback: notes, on the connection's own record, a certificate
    request or an alert from the origin, and keeps the messages a stapled certificate status
    comes in."""
    seen = getattr(conn, "_origin502_seen", None)
    if seen is None or direction != "read":
        return
    if content_type == ssl._TLSContentType.HANDSHAKE and (  # type: ignore[attr-defined]
        msg_type == ssl._TLSMessageType.CERTIFICATE_REQUEST  # type: ignore[attr-defined]
    ):
        seen["cert_requested"] = True
    if content_type == ssl._TLSContentType.HANDSHAKE:  # type: ignore[attr-defined]
        if msg_type == ssl._TLSMessageType.SERVER_HELLO:  # type: ignore[attr-defined]
            seen["server_hello"] = True
        if msg_type == ssl._TLSMessageType.SERVER_HELLO and len(data) >= 38:  # type: ignore[attr-defined]
            seen["server_random"] = bytes(data[6:38])  # type (1), length (3), version (2), random
        elif msg_type == ssl._TLSMessageType.CERTIFICATE:  # type: ignore[attr-defined]
            seen["certificate"] = data
        elif msg_type == ssl._TLSMessageType.CERTIFICATE_STATUS:  # type: ignore[attr-defined]
            seen["certificate_status"] = data
    if content_type == ssl._TLSContentType.ALERT and len(data) >= 2:  # type: ignore[attr-defined]
        seen["alert"] = _ALERTS.get(data[1], f"alert {data[1]}")


def handshake(sock: socket.socket, context: ssl.SSLContext, sni: str | None,
              timeout: float, clock: NanoClock = time.time_ns) -> Handshake:
    """Run one handshake on a connected socket. Never raises for what the origin does.

    `duration_ms` of a completed handshake is the origin's time (workers/probes/wire.py),
    from our timestamps at the sends and the kernel's at the arrivals (`clock` for ours);
    of a failed one, the time until it failed."""
    seen: dict[str, Any] = {"cert_requested": False, "alert": None, "server_random": None}
    started = time.perf_counter()
    sock.settimeout(timeout)
    result = Handshake(ok=False)
    stream = TlsStream(sock, context, sni, clock)
    stream.tls._origin502_seen = seen  # type: ignore[attr-defined]  # read by _on_message
    try:
        stream.do_handshake()
    except ssl.SSLError as exc:
        result.kind = "eof" if isinstance(exc, ssl.SSLEOFError) else "ssl"
        result.ssl_reason = getattr(exc, "reason", None)
        result.error = _short(exc)
        stream.close()
    except TimeoutError:
        result.kind, result.error = "timeout", f"no handshake answer within {timeout:g} s"
        stream.close()
    except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError) as exc:
        result.kind, result.error = "reset", f"the origin reset the connection ({exc.strerror})"
        stream.close()
    except OSError as exc:
        # ENOTCONN: an origin that resets at once leaves a socket with no peer.
        result.kind, result.error = "reset", (
            f"the origin reset the connection ({exc.strerror})" if exc.strerror
            else str(exc))
        stream.close()
    else:
        result.ok = True
        result.sock = stream
        result.protocol = stream.tls.version()
        cipher = stream.tls.cipher()
        result.cipher = cipher[0] if cipher else None
        # Public as get_unverified_chain() from Python 3.13; the SSL object has it since 3.10.
        chain = stream.tls._sslobj.get_unverified_chain() or []  # type: ignore[attr-defined]
        result.chain_der = [c.public_bytes(ssl._ssl.ENCODING_DER) for c in chain]  # type: ignore[attr-defined]
        result.status_requested = bool(getattr(context, "_origin502_asks_status", False))
        result.staple = stapled_response(result.protocol, seen.get("certificate"),
                                         seen.get("certificate_status"))
    result.cert_requested = bool(seen["cert_requested"])
    result.alert = seen["alert"]
    result.server_random = seen["server_random"]
    result.received = stream.received
    result.server_hello = bool(seen.get("server_hello"))
    result.certificate = seen.get("certificate") is not None
    result.duration_ms = (time.perf_counter() - started) * 1000
    if result.ok and stream.handshake_ms is not None:
        result.duration_ms = stream.handshake_ms
    return result


def _short(exc: ssl.SSLError) -> str:
    reason = getattr(exc, "reason", None)
    text = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
    text = text.split(" (_ssl.c")[0]
    return f"{reason}: {text}" if reason and reason not in text else text


def _connect(address: str, port: int, timeout: float) -> socket.socket | None:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect((address, port))
    except OSError:
        sock.close()
        return None
    return sock


def _attempt(target: Target, ctx: ProbeContext, *, purpose: str, protocols: list[str],
             ciphers: str, cloudfront_curves: bool,
             keep: bool = False) -> tuple[TlsAttempt, Handshake]:
    """One follow-up handshake on a new connection to the target's endpoint; with ``keep``, a
    completed handshake's connection is left open (``Handshake.sock``) for the caller to use
    or close."""
    try:
        timeout, bounded = ctx.bounded(target.settings.connect_timeout)
    except DeadlineExceeded:
        return TlsAttempt(purpose, protocols, ciphers, ok=False, error=OUT_OF_TIME), Handshake(
            ok=False, kind="timeout", error=OUT_OF_TIME)
    sock = _connect(target.dialled.address, target.dialled.port, timeout)
    if sock is None:
        hs = Handshake(ok=False, kind="connect", error="could not reconnect")
    else:
        context, _ = _shared_context(tuple(protocols), ciphers,
                                     cloudfront_curves=cloudfront_curves)
        hs = handshake(sock, context, target.server_name, timeout)
        if hs.sock is not None and not keep:
            hs.sock.close()
            hs.sock = None
    if bounded and hs.kind in ("timeout", "connect"):
        hs.error = OUT_OF_TIME  # the budget ended it: it says nothing about the origin
    attempt = TlsAttempt(purpose=purpose, protocols=protocols, ciphers=ciphers, ok=hs.ok,
                         negotiated_protocol=hs.protocol, negotiated_cipher=hs.cipher,
                         error=hs.error, duration_ms=hs.duration_ms)
    return attempt, hs


def probe_tls(target: Target, ctx: ProbeContext, previous: ProbeState) -> TlsResult:
    """The TLS layer: CloudFront's handshake on the socket handed up (follow-ups when it
    fails), then the judgement of the certificates the origin presented. Hands the TLS socket
    up, or stops the layers above."""
    if not isinstance(previous.stream, PlainStream):
        raise ValueError("the TLS layer needs the socket the TCP layer opened")
    result, tls_sock, presented = _handshakes(previous.stream.sock, target, ctx)
    previous.timings_ms["tls"] = round(result.duration_ms, 2)
    # The side handshakes start at once, beside each other, the judgement of the first chain
    # and the HTTP request: an origin pays for them in time it spends waiting anyway.
    chain_der = presented.chain_der
    primary = _primary(result, chain_der, target, ctx)
    other = _ask_other_certificate(result, chain_der, target, ctx, primary)
    if other is not None:
        previous.wait_for(
            lambda: _judge_other_certificate(result, other, chain_der, target, ctx,
                                             primary=primary))
    if result.tls13_signalled:
        # The origin also speaks TLS 1.3: would CloudFront's presumed TLS 1.3 offer work too?
        # Checked on a connection of its own.
        from workers.probes import tls13

        previous.wait_for(tls13.check_beside(target, ctx, result, primary))
    if chain_der:
        judged = time.perf_counter()
        _judge_certificates(result, presented, target, ctx)
        # Path building and the AIA fetch take time of their own: shown apart so that the
        # phases of a connection add up.
        previous.timings_ms["certificates"] = round((time.perf_counter() - judged) * 1000, 2)
    previous.transcript.append(
        f"tls {result.status}: {result.protocol or result.reason} {result.cipher or ''} "
        f"sni={result.sni} handshakes={len(result.attempts)}".strip())
    if result.http_over:
        previous.transcript.append(f"tls: the HTTP request goes over the {result.http_over} "
                                   "follow-up handshake")
    previous.hand_up(tls_sock)
    if tls_sock is None and result.status == Status.OK:
        # The origin chose a suite this machine's OpenSSL cannot build (3DES, RC4):
        # CloudFront connects, but no request can be sent from here.
        previous.stop(f"not run: this machine cannot complete a handshake with {result.cipher}")
    return result


def _judge_certificates(tls: TlsResult, presented: Presented, target: Target,
                        ctx: ProbeContext) -> None:
    options = ctx.options
    # Origins that present the same chain share one verdict while it cannot change.
    judged = CHAIN_VERDICTS.judge(presented.chain_der, name=target.certificate_name,
                                  ca_file=options.ca_file, fetch_aia=options.fetch_aia,
                                  allow_private=options.allow_private,
                                  also=target.certificate_names[1:])
    if judged.problem is not None:
        tls.chain_problem = judged.problem
        if tls.status == Status.OK:
            tls.detail = judged.problem  # a failed handshake's detail says why it failed
        return
    tls.chain = list(judged.chain)
    tls.analysis = judged.analysis
    tls.chain_source, tls.chain_protocol = presented.source, presented.protocol
    tls.ocsp = _staple_facts(presented, ctx)


def _handshakes(sock: socket.socket, target: Target, ctx: ProbeContext) -> tuple[
    TlsResult, TlsStream | None, Presented
]:
    """The faithful handshake on ``sock``, then follow-ups when it fails.

    Returns the result, the TLS socket (for the HTTP layer) and the presented chain (DER) with
    the handshake that presented it.
    """
    settings = target.settings
    offered = [p for p in settings.origin_ssl_protocols if p in _VERSIONS]
    testable = [p for p in offered if p != "SSLv3" or ssl.HAS_SSLv3]
    sni = target.server_name
    result = TlsResult(status=Status.OK, sni=sni, offered_protocols=offered)
    if not testable:
        sock.close()
        result.status = Status.ERROR
        result.reason = TlsReason.UNVERIFIABLE_HERE
        result.detail = ("SSLv3 cannot be offered from here: this machine's OpenSSL was built "
                         "without it")
        return result, None, Presented()

    context, restricted = _shared_context(tuple(testable), CLOUDFRONT_CIPHER_STRING,
                                          cloudfront_curves=True)
    try:
        timeout, bounded = ctx.bounded(settings.connect_timeout)
    except DeadlineExceeded:
        sock.close()
        result.status, result.reason = Status.ERROR, TlsReason.TIMEOUT
        result.cut = ctx.cut(0.0, settings.connect_timeout)
        return result, None, Presented()
    # issue 8 hook: the faithful handshake is the wait a silent origin makes CloudFront sit
    # through, so it is announced for progress ("TLS: no answer for 6 of 10 s").
    waiting = Attempt(Layer.TLS, target.dialled.address, target.dialled.port, 1, 1, timeout)
    ctx.events.attempt_started(waiting)
    first = handshake(sock, context, sni, timeout)
    cut_short = bounded and first.kind == "timeout"  # by origin502's budget, not the origin
    ctx.events.attempt_ended(waiting, "ok" if first.ok else "out_of_time" if cut_short else (
        "timeout" if first.kind == "timeout" else "failed"))
    result.attempts.append(TlsAttempt(
        purpose="cloudfront", protocols=testable, ciphers=CLOUDFRONT_CIPHER_STRING, ok=first.ok,
        negotiated_protocol=first.protocol, negotiated_cipher=first.cipher, error=first.error,
        duration_ms=first.duration_ms))
    result.duration_ms = first.duration_ms
    result.client_cert_requested = first.cert_requested
    if not restricted:
        result.detail = ("the offered curves and signature schemes could not be limited to "
                         "CloudFront's lists on this Python; the handshake offered OpenSSL's "
                         "defaults for those")
    if first.ok:
        result.protocol = first.protocol
        result.cipher = first.cipher
        result.negotiated_by = "openssl"
        from workers.probes.tls13 import signals_tls13

        result.tls13_signalled = signals_tls13(first.server_random)
        return result, first.sock, _presented(first, "cloudfront")

    if first.kind == "timeout":
        # Re-audit B: a proxy that passes part of the answer on is not a silent origin.
        result.stalled = StalledHandshake(received=first.received,
                                          server_hello=first.server_hello,
                                          certificate=first.certificate)
    if cut_short:
        result.status, result.reason = Status.ERROR, TlsReason.TIMEOUT
        result.cut = ctx.cut(first.duration_ms / 1000, settings.connect_timeout)
        return result, None, Presented()
    result.status = Status.FAILED
    result.detail = first.error
    presented = _explain_failure(first, target, ctx, offered=testable, result=result)
    result.duration_ms = sum(a.duration_ms for a in result.attempts)
    return result, presented.stream, presented


def _staple_facts(presented: Presented, ctx: ProbeContext) -> OcspStaple | None:
    """What the certificate status stapled with the presented chain says; None when the
    handshake did not ask for one."""
    if not presented.status_requested:
        return None
    return read_staple(presented.staple, presented.chain_der, ca_file=ctx.options.ca_file)


def cloudfront_suites(version: str) -> list[str]:
    """CloudFront's suites that exist in ``version``: an older ClientHello cannot offer the
    TLS 1.2-only ones, and SSLv3 has no ECDHE (RFC 4492 extends TLS only)."""
    names = [n for n in CLOUDFRONT_CIPHERS if version == "TLSv1.2" or n not in TLS12_ONLY_CIPHERS]
    return [n for n in names if version != "SSLv3" or not n.startswith("ECDHE")]


def _offer_cloudfront_list(target: Target, ctx: ProbeContext, *, offered: list[str],
                           result: TlsResult) -> cipher_offer.ServerFlight:
    """One ClientHello with exactly CloudFront's suites for the newest configured protocol."""
    # tlslite costs ~50 ms to import: only a failed handshake pays for it.
    from workers.probes import cipher_offer

    version = max((v for v in offered if v in cipher_offer.VERSIONS),
                  key=lambda v: cipher_offer.VERSIONS[v], default="TLSv1.2")
    names = cloudfront_suites(version)
    try:
        timeout = ctx.timeout(target.settings.connect_timeout)
    except DeadlineExceeded:
        flight = cipher_offer.ServerFlight(kind="timeout", detail="out of time")
        ms = 0.0
    else:
        endpoint = target.dialled
        flight, ms = cipher_offer.offer(endpoint.address, endpoint.port, version=version,
                                        sni=target.server_name, timeout=timeout,
                                        suites=[CLOUDFRONT_CIPHER_IDS[n] for n in names])
    chosen = cipher_offer.suite_name(flight.suite) if flight.suite is not None else None
    outcome = {"server_hello": "chose"}.get(str(flight.kind), str(flight.kind))
    result.cipher_offer = CipherOffer(
        client_version=version, offered=names, outcome=outcome, version=flight.version,
        cipher=chosen, alert=flight.alert, certificate_requested=flight.certificate_requested,
        detail=flight.detail)
    result.attempts.append(TlsAttempt(
        purpose="CloudFront's exact cipher list, byte-built ClientHello", protocols=[version],
        ciphers=":".join(names), ok=flight.kind == "server_hello",
        negotiated_protocol=flight.version, negotiated_cipher=chosen,
        error=None if flight.kind == "server_hello" else (
            f"alert {flight.alert}" if flight.alert else flight.detail),
        duration_ms=ms))
    return flight


def _enumerate_beyond_openssl(target: Target, ctx: ProbeContext, result: TlsResult,
                              presented: Presented) -> list[tuple[str, str]]:
    """What the origin accepts among every suite tlslite-ng can name (RC4-SHA, 3DES and others
    OpenSSL 3 cannot build): byte-built ClientHellos, each without the suites found before.
    The first certificates a server flight carries are kept in ``presented``."""
    # tlslite costs ~50 ms to import: only a failed handshake pays for it.
    from workers.probes import cipher_offer

    remaining = cipher_offer.every_known_suite()
    found: list[tuple[str, str]] = []
    for _ in range(MAX_CIPHER_HANDSHAKES):
        try:
            timeout = ctx.timeout(target.settings.connect_timeout)
        except DeadlineExceeded:
            break
        flight, ms = cipher_offer.offer(target.dialled.address, target.dialled.port,
                                        version="TLSv1.2", suites=remaining,
                                        sni=target.server_name, timeout=timeout)
        ok = flight.kind == "server_hello" and flight.suite in remaining
        name = cipher_offer.suite_name(flight.suite) if flight.suite is not None else None
        result.attempts.append(TlsAttempt(
            purpose="which ciphers? (byte-built ClientHello)", protocols=["TLSv1.2"],
            ciphers=f"{len(remaining)} suites", ok=ok, negotiated_protocol=flight.version,
            negotiated_cipher=name,
            error=None if ok else (f"alert {flight.alert}" if flight.alert else flight.detail),
            duration_ms=ms))
        if not ok or flight.suite is None or flight.version is None or name is None:
            break
        found.append((flight.version, name))
        if flight.chain_der and not presented.chain_der:
            presented.chain_der = flight.chain_der
            presented.source, presented.protocol = "cipher_offer", flight.version
        remaining = [s for s in remaining if s != flight.suite]
    return found


def _explain_failure(first: Handshake, target: Target, ctx: ProbeContext, *,
                     offered: list[str], result: TlsResult) -> Presented:
    """Find out why the faithful handshake failed, with as few handshakes as we can.

    Returns the chain (DER) the origin presented in whichever of those handshakes got one (the
    byte-built ClientHello when CloudFront connects after all with a suite this OpenSSL cannot
    build; else a follow-up, one in a configured protocol first); and, for an origin that
    accepts only TLS 1.3, the TLS 1.3 connection, kept open for the HTTP request.
    """
    if first.kind == "timeout":
        result.reason = TlsReason.TIMEOUT
        return Presented()
    if first.ssl_reason == "EXCESSIVE_MESSAGE_SIZE":
        # Only the Certificate message gets this large (OpenSSL's client caps it at 100 KB):
        # not a protocol or cipher problem, so no follow-up handshakes.
        result.reason = TlsReason.CERT_MESSAGE_TOO_LARGE
        return Presented()
    if first.cert_requested or first.alert == "certificate_required" or (
        first.ssl_reason in ("TLSV13_ALERT_CERTIFICATE_REQUIRED",)
    ):
        result.reason = TlsReason.CLIENT_CERT_REQUIRED
        result.client_cert_requested = True
        answer = (f"ended the handshake with alert {first.alert}" if first.alert else
                  f"ended the handshake ({first.error or 'closed the connection'})")
        result.detail = (f"it sent a CertificateRequest and, given none, {answer}"
                         if first.cert_requested else f"it {answer}")
        return Presented()
    if first.ssl_reason in ("WRONG_VERSION_NUMBER", "PACKET_LENGTH_TOO_LONG",
                            "RECORD_LAYER_FAILURE", "HTTP_REQUEST"):
        result.reason = TlsReason.NOT_TLS
        return Presented()
    if _sni_refused(first, target, ctx, result):
        return Presented()

    # OpenSSL could not offer all of CloudFront's list: ask with exactly that list, built byte
    # by byte. A suite only that ClientHello could offer, in a configured protocol, means
    # CloudFront connects; anything else is explained by the handshakes below.
    flight = _offer_cloudfront_list(target, ctx, offered=offered, result=result)
    chosen = result.cipher_offer.cipher if result.cipher_offer else None
    if (flight.kind == "server_hello" and flight.version in offered
            and chosen in UNBUILDABLE_CIPHERS):
        result.status, result.reason = Status.OK, None
        result.protocol, result.cipher = flight.version, chosen
        result.negotiated_by = "cipher_offer"
        result.client_cert_requested = flight.certificate_requested
        result.detail = (f"the origin chose {chosen} over {flight.version} from CloudFront's "
                         "list; this machine's OpenSSL cannot build that suite, so the "
                         "handshake was not completed and no HTTP request was sent")
        return Presented(flight.chain_der, "cipher_offer", flight.version)
    presented = (Presented(flight.chain_der, "cipher_offer", flight.version)
                 if flight.kind == "server_hello" and flight.chain_der else Presented())

    # Which protocol versions does the origin accept at all? One handshake each, in parallel.
    # The TLS 1.3 connection is kept: on an origin that accepts nothing older, the request is
    # sent over it (CloudFront may negotiate TLS 1.3, cloudfront-facts §8).
    versions = ["TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1"]
    with ThreadPoolExecutor(max_workers=len(versions)) as pool:
        futures = {v: pool.submit(_attempt, target, ctx, purpose=f"accepts {v}?",
                                  protocols=[v], ciphers=BROAD_CIPHER_STRING,
                                  cloudfront_curves=False, keep=v == "TLSv1.3")
                   for v in versions}
        outcomes = {v: f.result() for v, f in futures.items()}
    cloudfront13 = None
    if outcomes["TLSv1.3"][1].ok and "TLSv1.3" not in offered:
        # TLS 1.2 as CloudFront offers it fails, the origin speaks TLS 1.3: does CloudFront's
        # presumed TLS 1.3 offer complete? If so, that is how CloudFront would connect.
        from workers.probes import tls13

        result.tls13, cloudfront13 = tls13.check(target, ctx, keep=True)
    presented = _follow_up_chain(outcomes, offered, result, cloudfront13) or presented
    for v in versions:
        attempt, _ = outcomes[v]
        result.attempts.append(attempt)
    accepted = [v for v in versions if outcomes[v][1].ok]
    cut_off = [hs for v, (_, hs) in outcomes.items()
               if hs.error == OUT_OF_TIME and v not in accepted]
    if cut_off and any(v in offered for v in accepted):
        cut_off = []  # a configured protocol answered: the failure is explained without them
    if cloudfront13 is not None and cloudfront13.error == OUT_OF_TIME:
        cut_off.append(cloudfront13)  # whether CloudFront's TLS 1.3 offer completes decides
    if cut_off:
        # Whether the origin accepts these (TLS 1.3 above all: CloudFront may connect with it)
        # decides the verdict; origin502's budget ran out before they were answered.
        for kept in (presented.stream, cloudfront13.sock if cloudfront13 else None):
            if kept is not None:
                kept.close()
        presented.stream = None
        result.http_over = None
        result.status, result.reason = Status.ERROR, TlsReason.TIMEOUT
        result.accepted_protocols = accepted
        waited = max(hs.duration_ms for hs in cut_off) / 1000
        result.cut = ctx.cut(waited, target.settings.connect_timeout)
        return presented
    result.accepted_protocols = accepted
    for v in accepted:
        cipher = outcomes[v][1].cipher
        if cipher and cipher not in result.accepted_ciphers:
            result.accepted_ciphers.append(cipher)

    if not accepted:
        # Nothing OpenSSL can build: name what the origin does accept, byte by byte.
        beyond = _enumerate_beyond_openssl(target, ctx, result, presented)
        for version, cipher in beyond:
            if version not in result.accepted_protocols:
                result.accepted_protocols.append(version)
            if cipher not in result.accepted_ciphers:
                result.accepted_ciphers.append(cipher)
        accepted = result.accepted_protocols
        if not beyond:
            resets = all(outcomes[v][1].kind in ("reset", "eof") for v in versions)
            if first.kind in ("reset", "eof") and resets:
                result.reason = TlsReason.RESET
            else:
                result.reason = TlsReason.HANDSHAKE_FAILED
            return presented
        if any(v in offered for v in accepted):
            result.reason = TlsReason.CIPHER_UNSUPPORTED
        else:
            result.reason = TlsReason.PROTOCOL_UNSUPPORTED
        return presented

    common = [v for v in accepted if v in offered]
    if not common:
        result.reason = TlsReason.PROTOCOL_UNSUPPORTED
        if cloudfront13 is None or not cloudfront13.ok:
            # Only TLS 1.3 completes, and not as CloudFront is believed to offer it: a key no
            # signature scheme of CloudFront's verifies is the cause, as over TLS 1.2 (enabling
            # TLS 1.2 would not help).
            _blame_tls13_key(outcomes["TLSv1.3"][1], result)
        return presented

    # A protocol in common: so the ciphers (or the curves) are the problem.
    best = common[0]
    attempt, hs = _attempt(target, ctx, purpose="CloudFront's ciphers, any curve",
                           protocols=[best], ciphers=CLOUDFRONT_CIPHER_STRING,
                           cloudfront_curves=False)
    result.attempts.append(attempt)
    if hs.ok:
        result.reason = TlsReason.CURVE_UNSUPPORTED
        result.detail = (f"the origin accepts {hs.cipher} over {best} only with a curve or "
                         "signature scheme CloudFront does not offer")
        _blame_certificate_key(hs, best, result)
        return presented
    # Enumerate the origin's ciphers for that protocol: offer everything minus what it chose.
    chosen = outcomes[best][1].cipher
    found = [chosen] if chosen else []
    for _ in range(MAX_CIPHER_HANDSHAKES):
        exclusions = "".join(f":!{c}" for c in found)
        attempt, hs = _attempt(target, ctx, purpose="which ciphers?",
                               protocols=[best],
                               ciphers=f"ALL:COMPLEMENTOFALL{exclusions}:@SECLEVEL=0",
                               cloudfront_curves=False)
        result.attempts.append(attempt)
        if not hs.ok or not hs.cipher or hs.cipher in found:
            break
        found.append(hs.cipher)
    result.accepted_ciphers = found + [c for c in result.accepted_ciphers if c not in found]
    result.reason = TlsReason.CIPHER_UNSUPPORTED
    return presented


def _follow_up_chain(outcomes: dict[str, tuple[TlsAttempt, Handshake]], offered: list[str],
                     result: TlsResult, cloudfront13: Handshake | None = None
                     ) -> Presented | None:
    """The chain of a completed follow-up handshake (one in a configured protocol first, as
    CloudFront would see it), and, when only TLS 1.3 completed, that connection for the HTTP
    layer with what it saw (a CertificateRequest). Every other kept connection is closed.

    ``cloudfront13``, CloudFront's presumed TLS 1.3 handshake, completed: CloudFront would
    connect that way (the TLS 1.2 it documents fails), so its chain and connection are the
    ones used, whatever else completed."""
    if cloudfront13 is not None and cloudfront13.ok and cloudfront13.sock is not None:
        for _, hs in outcomes.values():
            if hs.sock is not None:
                hs.sock.close()
                hs.sock = None
        result.http_over = cloudfront13.protocol
        result.client_cert_requested = (result.client_cert_requested
                                        or cloudfront13.cert_requested)
        chosen13 = _presented(cloudfront13, "follow_up")
        chosen13.stream = cloudfront13.sock
        return chosen13
    done = [v for v, (_, hs) in outcomes.items() if hs.ok]
    only_tls13 = done == ["TLSv1.3"] and "TLSv1.3" not in offered
    chosen: Presented | None = None
    for v in sorted(done, key=lambda v: v not in offered):
        hs = outcomes[v][1]
        if hs.chain_der:
            chosen = _presented(hs, "follow_up")
            break
    for v, (_, hs) in outcomes.items():
        if hs.sock is None:
            continue
        if only_tls13 and v == "TLSv1.3":
            chosen = chosen or Presented(source="follow_up", protocol=hs.protocol)
            chosen.stream, hs.sock = hs.sock, None
            result.http_over = hs.protocol
            result.client_cert_requested = result.client_cert_requested or hs.cert_requested
        else:
            hs.sock.close()
            hs.sock = None
    return chosen


# Alerts an origin answers a server name it has no certificate for with: nginx's
# ssl_reject_handshake and OpenSSL's servername callback send unrecognized_name, others
# handshake_failure or simply close.
_SNI_ALERTS = ("unrecognized_name", "handshake_failure")


def _sni_refused(first: Handshake, target: Target, ctx: ProbeContext,
                 result: TlsResult) -> bool:
    """Whether the origin refuses the server name CloudFront sends and completes the same
    handshake with another one: the origin domain when the forwarded Host is the SNI, or no
    SNI at all. Then ``result`` says so (reason SNI_REFUSED, the name that worked) and True is
    returned. At most two handshakes, made only after a refusal that could be about the name."""
    sni = target.server_name
    if sni is None or first.kind not in ("ssl", "eof") or (
            first.kind == "ssl" and first.alert not in _SNI_ALERTS):
        return False
    others: list[str] = []
    if target.hostname != sni and not target.is_ip_literal:
        others.append(target.hostname)
    others.append("")  # no SNI: the origin's default certificate
    for other in others:
        attempt, hs = _handshake_with_name(target, ctx, other or None)
        result.attempts.append(attempt)
        if hs.ok:
            result.reason = TlsReason.SNI_REFUSED
            result.sni_accepted = other
            refusal = f"alert {first.alert}" if first.alert else "a closed connection"
            said = f"SNI {other}" if other else "no SNI"
            result.detail = f"{refusal} to SNI {sni}; {hs.protocol} {hs.cipher} with {said}"
            return True
    return False


def _handshake_with_name(target: Target, ctx: ProbeContext,
                         sni: str | None) -> tuple[TlsAttempt, Handshake]:
    """CloudFront's handshake again, on a new connection, with server name ``sni``."""
    purpose = f"SNI {sni}?" if sni else "no SNI?"
    protocols = [p for p in target.settings.origin_ssl_protocols
                 if p in _VERSIONS and (p != "SSLv3" or ssl.HAS_SSLv3)]
    try:
        timeout = ctx.timeout(target.settings.connect_timeout)
    except DeadlineExceeded:
        return (TlsAttempt(purpose, protocols, CLOUDFRONT_CIPHER_STRING, ok=False,
                           error="out of time"), Handshake(ok=False, kind="timeout"))
    sock = _connect(target.dialled.address, target.dialled.port, timeout)
    if sock is None:
        hs = Handshake(ok=False, kind="connect", error="could not reconnect")
    else:
        context, _ = _shared_context(tuple(protocols), CLOUDFRONT_CIPHER_STRING,
                                     cloudfront_curves=True)
        hs = handshake(sock, context, sni, timeout)
        if hs.sock is not None:
            hs.sock.close()
            hs.sock = None
    return TlsAttempt(purpose=purpose, protocols=protocols, ciphers=CLOUDFRONT_CIPHER_STRING,
                      ok=hs.ok, negotiated_protocol=hs.protocol, negotiated_cipher=hs.cipher,
                      error=hs.error, duration_ms=hs.duration_ms), hs


# ECDSA curves whose certificates CloudFront's offer can verify (its supported groups, which in
# TLS 1.2 also bound the curve of an ECDSA certificate, RFC 8422 §5.1).
_CLOUDFRONT_CERT_CURVES = ("secp256r1", "secp384r1")


def certificate_key(chain_der: list[bytes]) -> str | None:
    """The server certificate's key when it is one CloudFront's curves and signature schemes
    cannot verify ("ECDSA secp521r1", "Ed25519", "Ed448"); None for RSA, ECDSA P-256/P-384 or
    a certificate that does not parse."""
    # cryptography is imported by the certificate judgement anyway; only this path needs it here.
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519

    if not chain_der:
        return None
    try:
        key = x509.load_der_x509_certificate(chain_der[0]).public_key()
    except ValueError:
        return None
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name in _CLOUDFRONT_CERT_CURVES:
            return None
        known = {"secp521r1": "P-521", "secp224r1": "P-224", "secp192r1": "P-192"}
        name = known.get(key.curve.name)
        return f"ECDSA {name} ({key.curve.name})" if name else f"ECDSA {key.curve.name}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448"
    return None


def _blame_certificate_key(hs: Handshake, protocol: str, result: TlsResult) -> None:
    """When the handshake that completed with any curve shows a certificate key CloudFront's
    offer cannot verify, that key is the cause, not the ECDHE curves (they were CloudFront's
    own, or the origin would not have got this far)."""
    key = certificate_key(hs.chain_der)
    if key is None:
        return
    result.reason = TlsReason.CERT_KEY_UNSUPPORTED
    result.certificate_key = key
    result.detail = (f"{hs.cipher} over {protocol} once any curve and signature scheme "
                     "is offered")


def _blame_tls13_key(hs: Handshake, result: TlsResult) -> None:
    """On an origin that completes only TLS 1.3 (``hs``, offering every curve and signature
    scheme), and not CloudFront's presumed TLS 1.3 offer, blame the certificate's key when it
    is one CloudFront cannot verify: Ed25519 and Ed448 always (AWS lists no signature scheme
    for them), another ECDSA curve only when that offer was made here as CloudFront's and
    failed while every suite completes (its ecdsa_secp521r1_sha512 may well verify P-521)."""
    key = certificate_key(hs.chain_der)
    check = result.tls13
    if key is None or not hs.ok:
        return
    if key.startswith("ECDSA") and not (check is not None and check.offered and not check.ok
                                        and check.any_suite_cipher):
        return
    _blame_certificate_key(hs, "TLSv1.3", result)


def _suites_of(auth: str) -> str:
    """CloudFront's suites authenticated by ``auth`` ("ECDSA" or "RSA"), as a cipher string."""
    names = [n for n in CLOUDFRONT_CIPHERS if ("-ECDSA-" in n) == (auth == "ECDSA")]
    return ":".join(names) + ":@SECLEVEL=0"


def _other_suites(result: TlsResult, chain_der: list[bytes]) -> str | None:
    """The key type whose suites the completed handshake did not use ("RSA" or "ECDSA"), or
    None when there is nothing to ask: the handshake failed or was not OpenSSL's, or it was
    TLS 1.3, whose suites do not name the key type."""
    if (result.status != Status.OK or result.negotiated_by != "openssl" or not chain_der
            or not result.cipher or result.protocol == "TLSv1.3"):
        return None
    return "RSA" if "-ECDSA-" in result.cipher else "ECDSA"


def _primary(result: TlsResult, chain_der: list[bytes], target: Target,
             ctx: ProbeContext) -> Primary | None:
    """What identifies the completed faithful handshake to a watch's side-check cache; None
    when there is no cache or nothing a side check could be reused for."""
    if (ctx.side_checks is None or result.status != Status.OK
            or result.negotiated_by != "openssl" or not chain_der):
        return None
    from workers.probes.side_checks import Primary  # watches only

    endpoint = target.dialled
    return Primary.of(address=endpoint.address, port=endpoint.port, sni=target.server_name,
                      offered=result.offered_protocols, chain_der=chain_der,
                      protocol=result.protocol, cipher=result.cipher)


def _ask_other_certificate(result: TlsResult, chain_der: list[bytes], target: Target,
                           ctx: ProbeContext, primary: Primary | None = None
                           ) -> Future[tuple[TlsAttempt, Handshake]] | None:
    """Start one handshake offering only CloudFront's suites of the other key type: an origin
    with an RSA and an ECDSA certificate (nginx picks by the client's suite order) presents
    the other one to it, and CloudFront's own order is not documented (cloudfront-facts §2.3),
    so CloudFront may get either. None when there is nothing to ask. A watch may be given an
    earlier answer instead (workers/probes/side_checks.py)."""
    auth = _other_suites(result, chain_der)
    if auth is None:
        return None
    if ctx.side_checks is not None and primary is not None:
        reused = ctx.side_checks.other_key(primary)
        if reused is not None:
            answered: Future[tuple[TlsAttempt, Handshake]] = Future()
            # No chain: only a check that showed no other certificate is ever reused.
            answered.set_result((reused, Handshake(
                ok=reused.ok, protocol=reused.negotiated_protocol,
                cipher=reused.negotiated_cipher)))
            return answered
    return run_beside(_handshake_offering, target, ctx, auth, list(result.offered_protocols))


def _handshake_offering(target: Target, ctx: ProbeContext, auth: str,
                        protocols: list[str]) -> tuple[TlsAttempt, Handshake]:
    testable = [p for p in protocols if p != "SSLv3" or ssl.HAS_SSLv3] or ["TLSv1.2"]
    ciphers = _suites_of(auth)
    purpose = f"another certificate? (only CloudFront's {auth} suites)"
    try:
        timeout = ctx.timeout(target.settings.connect_timeout)
    except DeadlineExceeded:
        return (TlsAttempt(purpose, testable, ciphers, ok=False, error="out of time"),
                Handshake(ok=False, kind="timeout"))
    sock = _connect(target.dialled.address, target.dialled.port, timeout)
    if sock is None:
        hs = Handshake(ok=False, kind="connect", error="could not reconnect")
    else:
        context, _ = _shared_context(tuple(testable), ciphers, cloudfront_curves=True)
        hs = handshake(sock, context, target.server_name, timeout)
        if hs.sock is not None:
            hs.sock.close()
            hs.sock = None
    return TlsAttempt(purpose=purpose, protocols=testable, ciphers=ciphers, ok=hs.ok,
                      negotiated_protocol=hs.protocol, negotiated_cipher=hs.cipher,
                      error=hs.error, duration_ms=hs.duration_ms), hs


def _judge_other_certificate(result: TlsResult, other: Future[tuple[TlsAttempt, Handshake]],
                             chain_der: list[bytes], target: Target, ctx: ProbeContext, *,
                             primary: Primary | None = None) -> None:
    """Wait for the other key type's handshake and, when it got a different certificate,
    judge that one too (``result.other_certificate``)."""
    attempt, hs = other.result()
    result.attempts.append(attempt)
    if ctx.side_checks is not None and primary is not None and attempt.reused_from is None:
        ctx.side_checks.keep_other_key(
            primary, attempt, kind=hs.kind,
            same_certificate=bool(hs.ok and hs.chain_der and hs.chain_der[0] == chain_der[0]))
    if not hs.ok or not hs.chain_der or hs.chain_der[0] == chain_der[0]:
        return  # one certificate: the same one, or none for the other key type
    found = OtherCertificate(suites="RSA" if "-ECDSA-" not in (hs.cipher or "") else "ECDSA",
                             protocol=hs.protocol, cipher=hs.cipher)
    options = ctx.options
    judged = CHAIN_VERDICTS.judge(hs.chain_der, name=target.certificate_name,
                                  ca_file=options.ca_file, fetch_aia=options.fetch_aia,
                                  allow_private=options.allow_private)
    if judged.problem is not None:
        found.problem = judged.problem
    else:
        found.chain, found.analysis = list(judged.chain), judged.analysis
    result.other_certificate = found
