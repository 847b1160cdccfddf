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
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from workers.models import CipherOffer, Layer, Status, TlsAttempt, TlsReason, TlsResult
from workers.models.cloudfront import (
    CLOUDFRONT_CIPHER_IDS,
    CLOUDFRONT_CIPHERS,
    CLOUDFRONT_GROUPS,
    CLOUDFRONT_SIGALGS,
    TLS12_ONLY_CIPHERS,
    UNBUILDABLE_CIPHERS,
)
from workers.probes.attempts import Attempt
from workers.probes.chain_cache import CHAIN_VERDICTS
from workers.probes.context import DeadlineExceeded, ProbeContext
from workers.probes.state import ProbeState
from workers.probes.wire import NanoClock, PlainStream, TlsStream
from workers.target import Target

if TYPE_CHECKING:
    from workers.probes import cipher_offer

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

# TLS alert descriptions (RFC 8446 §6) that tell the failures apart.
_ALERTS = {40: "handshake_failure", 42: "bad_certificate", 47: "illegal_parameter",
           70: "protocol_version", 71: "insufficient_security", 80: "internal_error",
           112: "unrecognized_name", 116: "certificate_required"}
_SSL_CTRL_SET_GROUPS_LIST = 92
_SSL_CTRL_SET_SIGALGS_LIST = 98


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
    if _CTRL is None:
        return False
    ctrl, get_options = _CTRL
    pointer = ctypes.c_void_p.from_address(id(context) + object.__basicsize__).value
    if not pointer or get_options(pointer) != int(context.options):
        return False
    ok_groups = ctrl(pointer, _SSL_CTRL_SET_GROUPS_LIST, 0, groups.encode()) == 1
    ok_sigalgs = ctrl(pointer, _SSL_CTRL_SET_SIGALGS_LIST, 0, sigalgs.encode()) == 1
    return bool(ok_groups and ok_sigalgs)


@dataclass
class Handshake:
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


@dataclass
class Presented:
    """The certificates an origin presented, and in which handshake: the faithful one, the
    server's first flight to a byte-built ClientHello, or a follow-up (a failed faithful
    handshake does not hide a bad certificate: CloudFront refuses one whatever the protocol).
    ``stream`` is a follow-up connection the HTTP layer may use, when one is kept open."""

    chain_der: list[bytes] = field(default_factory=list)
    source: str | None = None  # "cloudfront", "cipher_offer" or "follow_up"
    protocol: str | None = None
    stream: TlsStream | None = None


def make_context(protocols: list[str], ciphers: str, *, cloudfront_curves: bool) -> tuple[
    ssl.SSLContext, bool
]:
    """A client context offering ``protocols`` (CloudFront names) and ``ciphers``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    versions = [v for v in protocols if v in _VERSIONS]
    with warnings.catch_warnings():
        # Offering TLS 1.0/1.1 is the point when CloudFront is configured with them.
        warnings.simplefilter("ignore", DeprecationWarning)
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
    request or an alert from the origin."""
    seen = getattr(conn, "_origin502_seen", None)
    if seen is None or direction != "read":
        return
    if content_type == ssl._TLSContentType.HANDSHAKE and (  # type: ignore[attr-defined]
        msg_type == ssl._TLSMessageType.CERTIFICATE_REQUEST  # type: ignore[attr-defined]
    ):
        seen["cert_requested"] = True
    if content_type == ssl._TLSContentType.ALERT and len(data) >= 2:  # type: ignore[attr-defined]
        seen["alert"] = _ALERTS.get(data[1], f"alert {data[1]}")


def handshake(sock: socket.socket, context: ssl.SSLContext, sni: str | None,
              timeout: float, clock: NanoClock = time.time_ns) -> Handshake:
    """Run one handshake on a connected socket. Never raises for what the origin does.

    `duration_ms` of a completed handshake is the origin's time (workers/probes/wire.py),
    from our timestamps at the sends and the kernel's at the arrivals (`clock` for ours);
    of a failed one, the time until it failed."""
    seen: dict[str, Any] = {"cert_requested": False, "alert": None}
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
    result.cert_requested = bool(seen["cert_requested"])
    result.alert = seen["alert"]
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
        timeout = ctx.timeout(target.settings.connect_timeout)
    except DeadlineExceeded:
        return TlsAttempt(purpose, protocols, ciphers, ok=False, error="out of time"), Handshake(
            ok=False, kind="timeout")
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
    if presented.chain_der:
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
                                  allow_private=options.allow_private)
    if judged.problem is not None:
        tls.chain_problem = judged.problem
        if tls.status == Status.OK:
            tls.detail = judged.problem  # a failed handshake's detail says why it failed
        return
    tls.chain = list(judged.chain)
    tls.analysis = judged.analysis
    tls.chain_source, tls.chain_protocol = presented.source, presented.protocol


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
        timeout = ctx.timeout(settings.connect_timeout)
    except DeadlineExceeded:
        sock.close()
        result.status, result.reason = Status.FAILED, TlsReason.TIMEOUT
        result.detail = "the diagnosis ran out of time before the handshake"
        return result, None, Presented()
    # issue 8 hook: the faithful handshake is the wait a silent origin makes CloudFront sit
    # through, so it is announced for progress ("TLS: no answer for 6 of 10 s").
    waiting = Attempt(Layer.TLS, target.dialled.address, target.dialled.port, 1, 1, timeout)
    ctx.events.attempt_started(waiting)
    first = handshake(sock, context, sni, timeout)
    ctx.events.attempt_ended(waiting, "ok" if first.ok else (
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
        return result, first.sock, Presented(first.chain_der, "cloudfront", first.protocol)

    result.status = Status.FAILED
    result.detail = first.error
    presented = _explain_failure(first, target, ctx, offered=testable, result=result)
    result.duration_ms = sum(a.duration_ms for a in result.attempts)
    return result, presented.stream, presented


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
    presented = _follow_up_chain(outcomes, offered, result) or presented
    for v in versions:
        attempt, _ = outcomes[v]
        result.attempts.append(attempt)
    accepted = [v for v in versions if outcomes[v][1].ok]
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
                     result: TlsResult) -> Presented | None:
    """The chain of a completed follow-up handshake (one in a configured protocol first, as
    CloudFront would see it), and, when only TLS 1.3 completed, that connection for the HTTP
    layer with what it saw (a CertificateRequest). Every other kept connection is closed."""
    done = [v for v, (_, hs) in outcomes.items() if hs.ok]
    only_tls13 = done == ["TLSv1.3"] and "TLSv1.3" not in offered
    chosen: Presented | None = None
    for v in sorted(done, key=lambda v: v not in offered):
        hs = outcomes[v][1]
        if hs.chain_der:
            chosen = Presented(hs.chain_der, "follow_up", hs.protocol)
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
