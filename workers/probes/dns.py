"""DNS layer: the A and AAAA answers for the origin name, asked as a public resolver would be.

CloudFront resolves origins with public DNS, so /etc/hosts is deliberately not consulted;
``--resolve`` is the way to point a name at an address by hand, and then no resolver is asked
(nor dnspython imported: the CLI starts faster). An IP literal needs no lookup at all.
"""

from __future__ import annotations

import time

from workers.models import DnsReason, DnsResult, Status
from workers.probes.context import DeadlineExceeded, ProbeContext, ResolverUnavailable
from workers.probes.state import ProbeState
from workers.resolve_option import addresses_for
from workers.target import Target

__all__ = ["ResolverUnavailable", "probe_dns"]


def _answer(addresses: list[str], reason: DnsReason, detail: str | None = None) -> DnsResult:
    """The addresses as a DNS answer would give them: A records first, then AAAA."""
    ipv4 = [a for a in addresses if ":" not in a]
    ipv6 = [a for a in addresses if ":" in a]
    return DnsResult(status=Status.OK, reason=reason, addresses=ipv4 + ipv6, ipv4=ipv4,
                     ipv6=ipv6, detail=detail)


def probe_dns(target: Target, ctx: ProbeContext, previous: ProbeState) -> DnsResult:
    """The addresses CloudFront would dial for the target. Status ``error`` (and the reason
    in ``detail``) when the resolver cannot stand in for public DNS from here or the deadline
    passed first: then nothing was measured about the origin's DNS."""
    if target.literal is not None:
        return _answer([target.literal], DnsReason.IP_LITERAL)
    # Every address given for the name (--resolve repeats and takes lists, like curl's):
    # CloudFront would use each of them, so each is probed.
    given = addresses_for(ctx.options.resolve, target.hostname)
    if given:
        return _answer(given, DnsReason.OVERRIDDEN, "given with --resolve")
    from workers.probes.dns_resolve import resolve_name

    started = time.perf_counter()
    try:
        return resolve_name(target, ctx, started)
    except ResolverUnavailable as exc:
        reason = DnsReason.RESOLVER_ERROR
        detail = str(exc)
    except DeadlineExceeded as exc:
        reason = DnsReason.TIMEOUT
        detail = str(exc)
    return DnsResult(status=Status.ERROR, reason=reason, detail=detail,
                     duration_ms=round((time.perf_counter() - started) * 1000, 2))
