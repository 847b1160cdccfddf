"""TCP layer: can CloudFront open a connection to this address and port, and how does it fail."""

from __future__ import annotations

import errno
import socket
import time

from workers.models import Status, TcpReason, TcpResult
from workers.probes.context import DeadlineExceeded, ProbeContext

_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT}


def probe_tcp(address: str, port: int, ctx: ProbeContext) -> tuple[TcpResult, socket.socket | None]:
    """Connect as CloudFront does: up to ``connection_attempts`` tries of ``connect_timeout``."""
    settings = ctx.request.settings
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    started = time.perf_counter()
    reason: str = TcpReason.OTHER
    detail = ""
    attempts = 0
    for attempts in range(1, settings.connection_attempts + 1):
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(ctx.timeout(settings.connect_timeout))
            sock.connect((address, port))
        except DeadlineExceeded:
            sock.close()
            reason, detail = TcpReason.TIMEOUT, "the diagnosis ran out of time"
            break
        except TimeoutError:
            sock.close()
            reason = TcpReason.TIMEOUT
            detail = f"no answer to the connection request within {settings.connect_timeout:g} s"
            continue
        except ConnectionRefusedError:
            sock.close()
            reason, detail = TcpReason.REFUSED, "the connection was refused (TCP reset)"
            continue
        except OSError as exc:
            sock.close()
            if exc.errno in _UNREACHABLE:
                reason, detail = TcpReason.UNREACHABLE, exc.strerror or str(exc)
            else:
                reason, detail = TcpReason.OTHER, exc.strerror or str(exc)
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        elapsed = (time.perf_counter() - started) * 1000
        return TcpResult(status=Status.OK, attempts=attempts, duration_ms=elapsed), sock
    elapsed = (time.perf_counter() - started) * 1000
    return TcpResult(status=Status.FAILED, reason=reason, attempts=attempts, detail=detail,
                     duration_ms=elapsed), None
