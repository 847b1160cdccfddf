"""DNS layer: the A and AAAA answers for the origin name, asked as a public resolver would be.

CloudFront resolves origins with public DNS, so /etc/hosts is deliberately not consulted;
``--resolve`` is the way to point a name at an address by hand, and then no resolver is asked
(nor dnspython imported: the CLI starts faster).
"""

from __future__ import annotations

import time

from workers.models import DnsReason, DnsResult, Status
from workers.probes.context import ProbeContext, ResolverUnavailable

__all__ = ["ResolverUnavailable", "probe_dns"]


def probe_dns(hostname: str, ctx: ProbeContext) -> DnsResult:
    """The addresses CloudFront would dial for `hostname`; raises ResolverUnavailable when the
    resolver cannot stand in for public DNS from here."""
    started = time.perf_counter()
    overrides = dict(ctx.request.options.resolve)
    if hostname in overrides:
        ip = overrides[hostname]
        is_v6 = ":" in ip
        return DnsResult(status=Status.OK, reason=DnsReason.OVERRIDDEN, addresses=[ip],
                         ipv4=[] if is_v6 else [ip], ipv6=[ip] if is_v6 else [],
                         detail="given with --resolve", duration_ms=0.0)
    from workers.probes.dns_resolve import resolve_name

    return resolve_name(hostname, ctx, started)
