"""Resolving the origin name with dnspython: the A and AAAA answers, asked as a public resolver
would be, and the walk of the delegation when that fails. Imported by the DNS layer only when
a name really has to be resolved (dnspython costs ~40 ms of start-up)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import dns.exception
import dns.inet
import dns.message
import dns.nameserver
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver

from workers.config import nameserver as parse_nameserver
from workers.models import DnsReason, DnsResult, DnsWalk, NameServerOutcome, Status
from workers.probes.context import DeadlineExceeded, ProbeContext, ResolverUnavailable
from workers.probes.dns_patient import PatientNameserver, sends_in
from workers.probes.dns_walk import walk_dns
from workers.target import Target

__all__ = ["ResolverUnavailable", "resolve_name", "resolver_problem"]

DNS_LIFETIME = 5.0


def _resolver(nameserver: str | None, lifetime: float) -> dns.resolver.Resolver:
    if nameserver:
        # Checked when the process started (workers/config.py), so this cannot fail here;
        # it reads `[::1]:5353` too, which splitting at the last colon could not.
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


def _patient(resolver: dns.resolver.Resolver) -> dns.resolver.Resolver:
    """``resolver`` asking its servers with PatientNameserver: an answer that comes after a
    resend is still taken (re-audit A). Each server is given an equal share of the lifetime
    (all of it when there is one), so one that never answers still leaves time for the next.
    ``resolver`` itself keeps its servers as text, which the walk and the root check read."""
    servers = [str(s) for s in resolver.nameservers]
    patient = dns.resolver.Resolver(configure=False)
    patient.nameservers = [
        PatientNameserver(s, resolver.nameserver_ports.get(s, resolver.port))
        if dns.inet.is_address(s) else s for s in servers]
    patient.lifetime = resolver.lifetime
    patient.timeout = float(resolver.lifetime) / max(1, len(servers))
    patient.retry_servfail = False
    return patient


def _cnames(response: dns.message.Message | None) -> list[str]:
    """The CNAME targets in an answer section, in the order they chain."""
    chain: list[str] = []
    if response is not None:
        for rrset in response.answer:
            if rrset.rdtype == dns.rdatatype.CNAME:
                chain.extend(str(r.target).rstrip(".") for r in rrset)
    return chain


def _local_failure(errors: list[Any]) -> str | None:
    """Why the resolver itself failed us, when every error is about reaching it (network
    error, refused) rather than about the name (SERVFAIL); None otherwise."""
    reasons = []
    for error in errors:
        problem = error[3] if len(error) > 3 else error
        if isinstance(problem, OSError):
            reasons.append(problem.strerror or str(problem))
        elif str(problem) == "REFUSED":
            reasons.append("it refused the query")
        else:
            return None
    return "; ".join(dict.fromkeys(reasons)) if reasons else None


def _query(resolver: dns.resolver.Resolver, name: str, rdtype: str) -> tuple[
    list[str], list[str], str | None, str | None, int
]:
    """(addresses, cname chain, failure reason, detail, copies of the query sent when none
    was answered) for one record type."""
    try:
        answer = resolver.resolve(name, rdtype, search=False, raise_on_no_answer=False)
    except dns.resolver.NXDOMAIN as exc:
        # Keep the chain: a CNAME that ends at a name that does not exist is the classic
        # deleted-load-balancer case, and the chain is the evidence.
        responses: dict[Any, dns.message.Message] = exc.kwargs.get("responses") or {}
        chain = _cnames(next(iter(responses.values()), None)) if responses else []
        return [], chain, DnsReason.NXDOMAIN, str(exc), 0
    except dns.resolver.NoNameservers as exc:
        local = _local_failure(list(exc.kwargs.get("errors") or []))
        if local is not None:
            raise ResolverUnavailable(
                f"the DNS resolver {_server(resolver)} cannot be used from this machine "
                f"({local})") from None
        return [], [], DnsReason.SERVFAIL, "the resolver answered SERVFAIL", 0
    except dns.resolver.LifetimeTimeout as exc:
        sends = sends_in(list(exc.kwargs.get("errors") or []))
        return ([], [], DnsReason.TIMEOUT, f"no answer within {resolver.lifetime:g} s", sends)
    except dns.exception.DNSException as exc:
        return [], [], DnsReason.RESOLVER_ERROR, str(exc), 0
    chain = _cnames(answer.response)
    if answer.rrset is None:
        return [], chain, DnsReason.NO_ADDRESS, None, 0
    return [r.address for r in answer.rrset], chain, None, None, 0


def _server(resolver: dns.resolver.Resolver) -> str:
    if not resolver.nameservers:
        return "(none)"
    first = resolver.nameservers[0]
    if isinstance(first, dns.nameserver.AddressAndPortNameserver):  # the patient copy's
        return f"{first.address}:{first.port}"
    return f"{first}:{resolver.port}"


def resolver_problem(resolver: dns.resolver.Resolver) -> str | None:
    """Why this resolver cannot stand in for public DNS, or None when it can.

    Any resolver on the internet knows the root zone's name servers. One that does not
    answer, refuses, or says the root does not exist (sandboxes, captive or filtered
    networks answer NXDOMAIN for everything) tells nothing about the origin.
    """
    server = _server(resolver)
    query = dns.message.make_query(".", "NS")
    try:
        response = dns.query.udp(query, str(resolver.nameservers[0]), port=resolver.port,
                                 timeout=min(2.0, float(resolver.lifetime)))
    except dns.exception.Timeout:
        # Asked for the root zone, which any resolver knows: the resolver itself is the slow
        # party, whatever the origin's zone does.
        return (f"the DNS resolver {server} does not answer at all (not even for the root "
                f"zone within {min(2.0, float(resolver.lifetime)):g} s): it is the resolver "
                "this machine uses that does not answer, not the origin's DNS")
    except OSError as exc:
        return f"the DNS resolver {server} cannot be reached ({exc.strerror or exc})"
    except dns.exception.DNSException as exc:
        return f"the DNS resolver {server} answers with garbage ({exc})"
    rcode = response.rcode()
    if rcode == dns.rcode.REFUSED:
        return f"the DNS resolver {server} refuses queries from this machine"
    if rcode == dns.rcode.NXDOMAIN or (rcode == dns.rcode.NOERROR and not any(
            rrset.rdtype == dns.rdatatype.NS for rrset in response.answer)):
        return (f"the DNS resolver {server} does not see public DNS (it does not know the "
                "root zone's name servers; a sandbox or filtered network?)")
    if rcode != dns.rcode.NOERROR:
        return (f"the DNS resolver {server} cannot resolve even the root zone "
                f"({dns.rcode.to_text(rcode)}): it cannot reach public DNS")
    # A filtering resolver may know the root's NS record by heart yet answer NXDOMAIN for
    # every other name; a real one can also give the root servers' addresses.
    roots = sorted(str(r.target) for rrset in response.answer
                   if rrset.rdtype == dns.rdatatype.NS for r in rrset)
    try:
        located = dns.query.udp(dns.message.make_query(roots[0], "A"),
                                str(resolver.nameservers[0]), port=resolver.port,
                                timeout=min(2.0, float(resolver.lifetime)))
    except (OSError, dns.exception.DNSException):
        return None  # it answered the root; do not call it broken on one lost packet
    if located.rcode() == dns.rcode.NXDOMAIN or (
            located.rcode() == dns.rcode.NOERROR and not located.answer):
        return (f"the DNS resolver {server} does not see public DNS (it names the root "
                f"servers but cannot find {roots[0].rstrip('.')}; a filtered network?)")
    return None


def resolve_name(target: Target, ctx: ProbeContext, started: float) -> DnsResult:
    """Ask the resolver (``ctx.options.nameserver`` or the system's) for the target's name."""
    options = ctx.options
    hostname = target.hostname
    # CloudFront's DNS timeout is not documented; the connection timeout is a fair bound.
    lifetime = min(DNS_LIFETIME, max(1.0, target.settings.connect_timeout))
    given, bounded = ctx.bounded(lifetime)
    resolver = _resolver(options.nameserver, given)
    nameserver = f"{resolver.nameservers[0]}:{resolver.port}" if resolver.nameservers else None
    patient = _patient(resolver)
    with ThreadPoolExecutor(max_workers=2) as pool:
        a_future = pool.submit(_timed, patient, hostname, "A")
        aaaa_future = pool.submit(_timed, patient, hostname, "AAAA")
        (v4, chain4, reason4, detail4, sends4), took4 = a_future.result()
        (v6, chain6, reason6, detail6, sends6), took6 = aaaa_future.result()
    # The slower of the two answers is when the name was resolved (both are asked at once).
    took = [t for t, r in ((took4, reason4), (took6, reason6)) if r != DnsReason.TIMEOUT]
    answered_ms = max(took) if took else None
    addresses = v4 + v6
    chain = chain4 or chain6
    last = chain[-1] if chain else hostname
    port = options.dns_authority_port
    if addresses:
        detail = None
        failed = None
        if reason4 not in (None, DnsReason.NO_ADDRESS):
            detail, failed = f"the A query failed ({reason4}: {detail4})", ("A", reason4)
        elif reason6 not in (None, DnsReason.NO_ADDRESS):
            detail, failed = f"the AAAA query failed ({reason6}: {detail6})", ("AAAA", reason6)
        walk = None
        if failed is not None:  # partial: find out which server fails for that type
            walk = walk_dns(resolver, last, failed[0], servfail=failed[1] == DnsReason.SERVFAIL,
                            authority_port=port, ctx=ctx)
        return DnsResult(status=Status.OK, addresses=addresses, ipv4=v4, ipv6=v6,
                         cname_chain=chain, nameserver=nameserver, detail=detail,
                         duration_ms=_ms(started), walk=walk, answered_ms=answered_ms,
                         budget_s=given)
    problem = resolver_problem(resolver)
    if problem is not None:
        raise ResolverUnavailable(problem)
    # Report the most telling failure: NXDOMAIN and SERVFAIL say more than "no address".
    order = [DnsReason.NXDOMAIN, DnsReason.SERVFAIL, DnsReason.TIMEOUT,
             DnsReason.RESOLVER_ERROR, DnsReason.NO_ADDRESS]
    reasons = {reason4: detail4, reason6: detail6}
    reason = next(r for r in order if r in reasons)
    if reason == DnsReason.TIMEOUT and bounded:
        # origin502's budget, not the resolver, ended the wait: the name was not checked.
        raise DeadlineExceeded(f"origin502's time budget of {ctx.budget:g} s ran out before "
                               f"the resolver answered (it is given {lifetime:g} s)")
    rdtype = "AAAA" if reason4 == DnsReason.NO_ADDRESS and reason6 != reason4 else "A"
    walk = walk_dns(resolver, last, rdtype, servfail=reason == DnsReason.SERVFAIL,
                    authority_port=port, ctx=ctx)
    timeout_s = lifetime if reason == DnsReason.TIMEOUT else None
    sends = max(sends4, sends6) if reason == DnsReason.TIMEOUT else None
    answered = _answered_directly(walk) if reason == DnsReason.TIMEOUT else None
    if answered is not None:
        # The zone's own servers answer what the resolver did not: the wait is on this side,
        # and CloudFront asks other resolvers. Not a fact about the origin: not checked.
        return DnsResult(status=Status.ERROR, reason=reason, cname_chain=chain,
                         nameserver=nameserver, duration_ms=_ms(started), walk=walk,
                         timeout_s=timeout_s, sends=sends, detail=(
                             f"the DNS resolver {nameserver or '(system)'} gave no answer for "
                             f"{last} within {lifetime:g} s, but the zone's own name servers "
                             f"answer it when asked directly ({answered}): the wait is in the "
                             "resolver this machine uses, not in the origin's DNS; point "
                             "ORIGIN502_NAMESERVER at a resolver that answers to check the "
                             "origin"))
    return DnsResult(status=Status.FAILED, reason=reason, cname_chain=chain,
                     nameserver=nameserver, detail=reasons[reason], duration_ms=_ms(started),
                     walk=walk, timeout_s=timeout_s, sends=sends)


def _timed(resolver: dns.resolver.Resolver, name: str, rdtype: str) -> tuple[
    tuple[list[str], list[str], str | None, str | None, int], float
]:
    """``_query``'s result and how long it took, in ms."""
    started = time.perf_counter()
    result = _query(resolver, name, rdtype)
    return result, _ms(started)


def _answered_directly(walk: DnsWalk) -> str | None:
    """Every asked server of the zone with its answer, when each answered the name with
    addresses; None otherwise (a silent or failing server may be why the resolver waited)."""
    asked = [c for c in walk.nameservers if c.outcome != NameServerOutcome.NOT_ASKED]
    if not asked or any(c.outcome != NameServerOutcome.ANSWER or not c.addresses
                        for c in asked):
        return None
    return "; ".join(f"{c.server}: {', '.join(c.addresses)}" for c in asked)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
