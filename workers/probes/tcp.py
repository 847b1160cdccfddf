"""TCP layer: can CloudFront open a connection to this address and port, and how does it fail."""

from __future__ import annotations

import errno
import socket
import time

from workers.models import Layer, OriginSettings, Status, TcpReason, TcpResult
from workers.probes.attempts import Attempt
from workers.probes.context import DeadlineExceeded, ProbeContext
from workers.probes.state import ProbeState
from workers.probes.wire import PlainStream
from workers.target import Target

_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT}
# Errors the kernel of this machine gives before a packet leaves: no route in its own table,
# no address of that family here. ENETUNREACH may also echo an ICMP "network unreachable"
# from a router; calling that "not checked from here" errs toward honesty.
_LOCAL = {errno.ENETUNREACH, errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT}


def route_problem(address: str, port: int) -> str | None:
    """Why this machine has no route to ``address``, or None when its routing table has one.

    Connecting a UDP socket sends nothing; it only asks the kernel for a route.
    """
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((address, port))
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _here(address: str, exc: OSError) -> str:
    return (f"this machine has no route to {address} ({exc.strerror or exc}), so it could "
            "not be checked from here; CloudFront's network may well reach it")


def probe_tcp(target: Target, ctx: ProbeContext, previous: ProbeState) -> TcpResult:
    """Connect to the target's endpoint as CloudFront does and hand the socket up."""
    endpoint = target.dialled
    result, sock = connect(endpoint.address, endpoint.port, target.settings, ctx)
    previous.timings_ms["connect"] = round(result.duration_ms, 2)
    # Handed up as a stream that times its sends and the kernel's arrival times, for a
    # first-byte time of the origin's own (workers/probes/wire.py).
    previous.hand_up(PlainStream(sock) if sock is not None else None)
    previous.transcript.append(f"tcp connected after {result.attempts} attempt(s)"
                               if sock is not None else f"tcp {result.reason}: {result.detail}")
    return result


def connect(address: str, port: int, settings: OriginSettings,
            ctx: ProbeContext) -> tuple[TcpResult, socket.socket | None]:
    """Up to ``connection_attempts`` tries of ``connect_timeout``, as CloudFront makes them;
    the connected socket, or None and why not."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    started = time.perf_counter()
    reason = TcpReason.OTHER
    detail = ""
    attempts = 0
    for attempts in range(1, settings.connection_attempts + 1):
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError as exc:  # no IPv6 on this machine at all
            elapsed = (time.perf_counter() - started) * 1000
            return TcpResult(status=Status.ERROR, reason=TcpReason.NO_ROUTE_HERE,
                             attempts=attempts, detail=_here(address, exc),
                             duration_ms=elapsed), None
        try:
            timeout, bounded = ctx.bounded(settings.connect_timeout)
        except DeadlineExceeded:
            sock.close()
            # CloudFront would still be making its attempts: origin502's budget, not the
            # origin, ended them (attempts here counts the ones made).
            return _out_of_time(ctx, settings, started, attempts - 1, detail), None
        # issue 8 hook: each connect attempt is announced and its end reported, so that a
        # first verdict can be given after one timed-out attempt (workers/provisional.py).
        attempt = Attempt(Layer.TCP, address, port, attempts, settings.connection_attempts, timeout)
        ctx.events.attempt_started(attempt)
        try:
            sock.settimeout(timeout)
            sock.connect((address, port))
        except TimeoutError:
            sock.close()
            if bounded:
                ctx.events.attempt_ended(attempt, "out_of_time")
                return _out_of_time(ctx, settings, started, attempts, detail), None
            reason = TcpReason.TIMEOUT
            detail = f"no answer to the connection request within {settings.connect_timeout:g} s"
            ctx.events.attempt_ended(attempt, "timeout")
            continue
        except ConnectionRefusedError:
            sock.close()
            reason, detail = TcpReason.REFUSED, "the connection was refused (TCP reset)"
            ctx.events.attempt_ended(attempt, "refused")
            continue
        except OSError as exc:
            sock.close()
            ctx.events.attempt_ended(attempt, "failed")
            if exc.errno in _LOCAL or (exc.errno in _UNREACHABLE
                                       and route_problem(address, port) is not None):
                elapsed = (time.perf_counter() - started) * 1000
                return TcpResult(status=Status.ERROR, reason=TcpReason.NO_ROUTE_HERE,
                                 attempts=attempts, detail=_here(address, exc),
                                 duration_ms=elapsed), None
            if exc.errno in _UNREACHABLE:
                reason, detail = TcpReason.UNREACHABLE, exc.strerror or str(exc)
            else:
                reason, detail = TcpReason.OTHER, exc.strerror or str(exc)
            continue
        ctx.events.attempt_ended(attempt, "ok")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        elapsed = (time.perf_counter() - started) * 1000
        return TcpResult(status=Status.OK, attempts=attempts, duration_ms=elapsed), sock
    elapsed = (time.perf_counter() - started) * 1000
    return TcpResult(status=Status.FAILED, reason=reason, attempts=attempts, detail=detail,
                     duration_ms=elapsed), None


def _out_of_time(ctx: ProbeContext, settings: OriginSettings, started: float, attempts: int,
                 before: str) -> TcpResult:
    """The diagnosis's budget ran out before CloudFront's attempts would have ended: not
    checked (status error), with how long was waited against CloudFront's own limit.
    ``before`` is what the attempts made so far met, if any."""
    waited = time.perf_counter() - started
    limit = settings.connect_timeout * settings.connection_attempts
    return TcpResult(status=Status.ERROR, reason=TcpReason.TIMEOUT, attempts=attempts,
                     detail=before or None, duration_ms=waited * 1000,
                     cut=ctx.cut(waited, limit))
