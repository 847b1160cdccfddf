"""The TLS 1.3 handshake CloudFront is believed to make toward origins since November 2025.

AWS documents TLS 1.2 as the newest origin protocol, but CloudFront was reported to negotiate
TLS 1.3 with origins that support it from 2025-11-20 (cloudfront-facts §2.1; UNCONFIRMED, and
so are the suites it offers, §8.1). What that changes for an origin is judged from two
handshakes of our own, never reported as certain:

* the faithful (TLS 1.2) handshake failed but this one completes: CloudFront probably connects
  over TLS 1.3 (``TLS13_ONLY``); the HTTP request goes over this connection;
* the faithful handshake completed and the origin's ServerHello said it also speaks TLS 1.3,
  but this handshake fails: an OpenSSL server picks the version before the suite and does not
  fall back to TLS 1.2, so a CloudFront offering TLS 1.3 may be refused (``TLS13_OFFER_REFUSED``).
  This check runs in parallel with the HTTP request, on a connection of its own.

When it fails, one more TLS 1.3 handshake offering every suite, curve and signature scheme
this machine has names what the origin does accept.
"""

from __future__ import annotations

import ctypes
import logging
import ssl
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from workers.models import Tls13Check, TlsAttempt, TlsResult
from workers.models.cloudfront import (
    ALL_TLS13_SUITES,
    CLOUDFRONT_GROUPS,
    CLOUDFRONT_TLS13_SIGALGS,
    CLOUDFRONT_TLS13_SUITES,
)
from workers.probes.context import DeadlineExceeded, ProbeContext
from workers.probes.state import run_beside
from workers.probes.tls import BROAD_CIPHER_STRING, OUT_OF_TIME, Handshake, handshake, make_context
from workers.probes.tls import _connect as connect
from workers.probes.tls import _restrict as restrict
from workers.target import Target

if TYPE_CHECKING:
    from workers.probes.side_checks import Primary

log = logging.getLogger(__name__)

# The last 8 bytes of the ServerHello random of a TLS 1.3 server that negotiates TLS 1.2
# (RFC 8446 §4.1.3). Its "DOWNGRD\x00" for TLS 1.1 and below is also sent by TLS 1.2 servers,
# so it says nothing about TLS 1.3 and is not used.
_DOWNGRADE_TO_12 = b"DOWNGRD\x01"
PURPOSE = "CloudFront's presumed TLS 1.3 offer"
PURPOSE_ANY = "which TLS 1.3 suites?"
UNCHECKED = "this Python cannot limit the TLS 1.3 suites, curves and signature schemes"


def signals_tls13(server_random: bytes | None) -> bool:
    """Whether a TLS 1.2 ServerHello's random says the server also speaks TLS 1.3."""
    return server_random is not None and server_random[-8:] == _DOWNGRADE_TO_12


def _set_suites() -> Any:
    try:
        function = ctypes.CDLL(ssl._ssl.__file__).SSL_CTX_set_ciphersuites  # type: ignore[attr-defined]
    except (OSError, AttributeError):
        return None
    function.restype = ctypes.c_int
    function.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    return function


_SET_SUITES = _set_suites()


@lru_cache(maxsize=4)
def tls13_context(suites: tuple[str, ...], *, cloudfront: bool) -> ssl.SSLContext | None:
    """A TLS 1.3-only client context offering ``suites``; with ``cloudfront``, CloudFront's
    curves and its signature schemes plus RSA-PSS. None when this Python cannot limit them
    (Python's ssl module sets neither TLS 1.3 suites nor curves before 3.13)."""
    context, _ = make_context(["TLSv1.3"], BROAD_CIPHER_STRING, cloudfront_curves=False)
    if cloudfront and not restrict(context, ":".join(CLOUDFRONT_GROUPS),
                                   ":".join(CLOUDFRONT_TLS13_SIGALGS)):
        return None
    # The same pointer check as _restrict: the SSL_CTX's options must be the context's.
    pointer = ctypes.c_void_p.from_address(id(context) + object.__basicsize__).value
    if _SET_SUITES is None or not pointer or _SET_SUITES(pointer, ":".join(suites).encode()) != 1:
        return None
    return context


def _one(target: Target, ctx: ProbeContext, context: ssl.SSLContext | None, purpose: str,
         suites: tuple[str, ...], *, keep: bool) -> tuple[TlsAttempt, Handshake]:
    offered = ":".join(suites)
    if context is None:
        return (TlsAttempt(purpose, ["TLSv1.3"], offered, ok=False, error=UNCHECKED),
                Handshake(ok=False, kind="unverifiable", error=UNCHECKED))
    try:
        timeout, bounded = ctx.bounded(target.settings.connect_timeout)
    except DeadlineExceeded:
        return (TlsAttempt(purpose, ["TLSv1.3"], offered, ok=False, error=OUT_OF_TIME),
                Handshake(ok=False, kind="timeout", error=OUT_OF_TIME))
    sock = connect(target.dialled.address, target.dialled.port, timeout)
    if sock is None:
        hs = Handshake(ok=False, kind="connect", error="could not reconnect")
    else:
        hs = handshake(sock, context, target.server_name, timeout)
        if hs.sock is not None and not keep:
            hs.sock.close()
            hs.sock = None
    if bounded and hs.kind in ("timeout", "connect"):
        hs.error = OUT_OF_TIME  # origin502's budget ended it: it says nothing about the origin
    attempt = TlsAttempt(purpose=purpose, protocols=["TLSv1.3"], ciphers=offered, ok=hs.ok,
                         negotiated_protocol=hs.protocol, negotiated_cipher=hs.cipher,
                         error=hs.error, duration_ms=hs.duration_ms)
    return attempt, hs


def check(target: Target, ctx: ProbeContext, *, keep: bool) -> tuple[Tls13Check, Handshake]:
    """CloudFront's presumed TLS 1.3 handshake, and when it fails, one offering everything.
    With ``keep``, a completed presumed handshake's connection is left open in the returned
    ``Handshake`` for the caller to use or close."""
    attempt, hs = _one(target, ctx, tls13_context(CLOUDFRONT_TLS13_SUITES, cloudfront=True),
                       PURPOSE, CLOUDFRONT_TLS13_SUITES, keep=keep)
    # ``offered`` stays empty when the offer could not be made as CloudFront's: no judgement.
    found = Tls13Check(offered=[] if hs.kind == "unverifiable" else list(CLOUDFRONT_TLS13_SUITES),
                       ok=hs.ok, cipher=hs.cipher, error=hs.error, alert=hs.alert,
                       attempts=[attempt])
    if hs.ok or hs.kind in ("unverifiable", "timeout", "connect"):
        return found, hs
    any_attempt, any_hs = _one(target, ctx, tls13_context(ALL_TLS13_SUITES, cloudfront=False),
                               PURPOSE_ANY, ALL_TLS13_SUITES, keep=False)
    found.attempts.append(any_attempt)
    found.any_suite_cipher, found.any_suite_error = any_hs.cipher, any_hs.error
    found.any_suite_alert = any_hs.alert
    return found, hs


def check_beside(target: Target, ctx: ProbeContext, result: TlsResult,
                 primary: Primary | None = None) -> Callable[[], None]:
    """Start ``check`` on a side thread (the faithful handshake completed: the certificate
    judgement and the HTTP request go on meanwhile); it fills ``result.tls13``. Returns the
    function that waits for it. A watch may be given an earlier answer for the same
    ``primary`` handshake instead (workers/probes/side_checks.py)."""
    cache = ctx.side_checks if primary is not None else None
    if cache is not None and primary is not None:
        reused = cache.tls13(primary)
        if reused is not None:
            result.tls13 = reused
            return _answered

    def run() -> None:
        try:
            result.tls13, _ = check(target, ctx, keep=False)
            if cache is not None and primary is not None:
                cache.keep_tls13(primary, result.tls13)
        except Exception:  # a bug here must not lose the rest of the connection's results
            log.exception("the TLS 1.3 side check of %s failed inside origin502",
                          target.dialled.address)

    running = run_beside(run)
    return running.result


def _answered() -> None:
    return None
