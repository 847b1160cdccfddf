"""DNS layer: the A and AAAA answers for the origin name, asked as a public resolver would be.

CloudFront resolves origins with public DNS, so /etc/hosts is deliberately not consulted;
``--resolve`` is the way to point a name at an address by hand.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

from workers.config import nameserver as parse_nameserver
from workers.models import DnsReason, DnsResult, Status
from workers.probes.context import ProbeContext

DNS_LIFETIME = 5.0


class ResolverUnavailable(RuntimeError):
    """No resolver could be configured on this machine: the probe itself cannot run."""


def _resolver(nameserver: str | None, lifetime: float) -> dns.resolver.Resolver:
    if nameserver:
        # Checked when the process started (workers/config.py), so this cannot fail here.
        host, port = parse_nameserver(nameserver)
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [host]
        resolver.port = port
    else:
        try:
            resolver = dns.resolver.Resolver()
        except dns.resolver.NoResolverConfiguration as exc:
            raise ResolverUnavailable(f"no DNS resolver is configured here: {exc}") from None
    resolver.lifetime = lifetime
    resolver.timeout = min(2.0, lifetime)
    resolver.retry_servfail = False
    return resolver


def _query(resolver: dns.resolver.Resolver, name: str, rdtype: str) -> tuple[
    list[str], list[str], str | None, str | None
]:
    """(addresses, cname chain, failure reason, detail) for one record type."""
    try:
        answer = resolver.resolve(name, rdtype, search=False, raise_on_no_answer=False)
    except dns.resolver.NXDOMAIN as exc:
        return [], [], DnsReason.NXDOMAIN, str(exc)
    except dns.resolver.NoNameservers as exc:
        return [], [], DnsReason.SERVFAIL, "the name servers answered SERVFAIL or refused: " + (
            str(exc).split(";")[0])
    except dns.resolver.LifetimeTimeout:
        return [], [], DnsReason.TIMEOUT, f"no answer within {resolver.lifetime:.0f} s"
    except dns.exception.DNSException as exc:
        return [], [], DnsReason.RESOLVER_ERROR, str(exc)
    chain: list[str] = []
    response = answer.response
    if response is not None:
        for rrset in response.answer:
            if rrset.rdtype == dns.rdatatype.CNAME:
                chain.extend(str(r.target).rstrip(".") for r in rrset)
    if answer.rrset is None:
        return [], chain, DnsReason.NO_ADDRESS, None
    return [r.address for r in answer.rrset], chain, None, None


def _resolver_answers(resolver: dns.resolver.Resolver) -> bool:
    """Whether the resolver answers anything: tells a slow origin zone from a dead resolver."""
    probe = dns.resolver.Resolver(configure=False)
    probe.nameservers, probe.port = resolver.nameservers, resolver.port
    probe.lifetime = probe.timeout = 1.0
    try:
        probe.resolve(".", "NS", search=False, raise_on_no_answer=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoNameservers, dns.resolver.NoAnswer):
        return True
    except dns.exception.DNSException:
        return False
    return True


def probe_dns(hostname: str, ctx: ProbeContext) -> DnsResult:
    started = time.perf_counter()
    options = ctx.request.options
    overrides = {name: ip for name, ip in options.resolve}
    if hostname in overrides:
        ip = overrides[hostname]
        is_v6 = ":" in ip
        return DnsResult(status=Status.OK, reason=DnsReason.OVERRIDDEN, addresses=[ip],
                         ipv4=[] if is_v6 else [ip], ipv6=[ip] if is_v6 else [],
                         detail="given with --resolve", duration_ms=0.0)
    # CloudFront's DNS timeout is not documented; the connection timeout is a fair bound.
    lifetime = min(DNS_LIFETIME, max(1.0, ctx.request.settings.connect_timeout))
    resolver = _resolver(options.nameserver, ctx.timeout(lifetime))
    nameserver = f"{resolver.nameservers[0]}:{resolver.port}" if resolver.nameservers else None
    with ThreadPoolExecutor(max_workers=2) as pool:
        a_future = pool.submit(_query, resolver, hostname, "A")
        aaaa_future = pool.submit(_query, resolver, hostname, "AAAA")
        v4, chain4, reason4, detail4 = a_future.result()
        v6, chain6, reason6, detail6 = aaaa_future.result()
    elapsed = (time.perf_counter() - started) * 1000
    addresses = v4 + v6
    chain = chain4 or chain6
    if addresses:
        detail = None
        if reason4 not in (None, DnsReason.NO_ADDRESS):
            detail = f"the A query failed ({reason4}: {detail4})"
        elif reason6 not in (None, DnsReason.NO_ADDRESS):
            detail = f"the AAAA query failed ({reason6}: {detail6})"
        return DnsResult(status=Status.OK, addresses=addresses, ipv4=v4, ipv6=v6,
                         cname_chain=chain, nameserver=nameserver, detail=detail,
                         duration_ms=elapsed)
    if reason4 == reason6 == DnsReason.TIMEOUT and not _resolver_answers(resolver):
        raise ResolverUnavailable(
            f"the DNS resolver {nameserver} does not answer at all, so {hostname} could not be "
            "checked from here")
    # Report the most telling failure: NXDOMAIN and SERVFAIL say more than "no address".
    order = [DnsReason.NXDOMAIN, DnsReason.SERVFAIL, DnsReason.TIMEOUT,
             DnsReason.RESOLVER_ERROR, DnsReason.NO_ADDRESS]
    reasons = {reason4: detail4, reason6: detail6}
    reason = next(r for r in order if r in reasons)
    return DnsResult(status=Status.FAILED, reason=reason, cname_chain=chain,
                     nameserver=nameserver, detail=reasons[reason], duration_ms=elapsed)
