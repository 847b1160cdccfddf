"""The DNS steps of AWS's NonS3OriginDnsError page, done when resolution fails or is partial.

1. Find the zone that holds the name and its name servers (``dig NS apex``).
2. Ask each of them directly, without recursion (``dig name @server``): which one times out or
   fails, which one does not serve the zone at all (lame delegation), whether they disagree.
3. When the resolver answers SERVFAIL, ask it again with checking disabled (``+cd``): an
   answer then means the failure is DNSSEC validation, not the servers.

Everything here returns plain facts (``DnsWalk``); the diagnosis rules judge them.
"""

from __future__ import annotations

import errno
import time
from concurrent.futures import ThreadPoolExecutor

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver

from workers.models import DnsWalk, NameServerCheck, NameServerOutcome
from workers.probes.context import DeadlineExceeded, ProbeContext, ResolverUnavailable

MAX_SERVERS = 8  # zones rarely have more; a list longer than this is not read to the end
QUERY_TIMEOUT = 2.0


def _server(resolver: dns.resolver.Resolver) -> tuple[str, int]:
    return str(resolver.nameservers[0]), int(resolver.port)


def ask(server: str, port: int, name: str, rdtype: str, timeout: float, *,
        recursion: bool = True, checking_disabled: bool = False) -> dns.message.Message:
    """One question to one server over UDP, again over TCP when the answer is truncated."""
    query = dns.message.make_query(name, rdtype)
    if not recursion:
        query.flags &= ~dns.flags.RD
    if checking_disabled:
        query.flags |= dns.flags.CD
    response = dns.query.udp(query, server, port=port, timeout=timeout)
    if response.flags & dns.flags.TC:
        response = dns.query.tcp(query, server, port=port, timeout=timeout)
    return response


def _addresses(response: dns.message.Message, rdtype: str) -> list[str]:
    wanted = dns.rdatatype.from_text(rdtype)
    return [r.address for rrset in response.answer if rrset.rdtype == wanted for r in rrset]


def _parent(name: str) -> str:
    return name.split(".", 1)[1] if "." in name else ""


def find_zone(resolver: dns.resolver.Resolver, name: str,
              ctx: ProbeContext) -> tuple[str | None, list[str], str | None]:
    """(zone, its NS names, why not found) by asking the resolver for NS, one label up at a time.

    Raises ResolverUnavailable when the resolver cannot even resolve the top-level domain's
    servers: then nothing can be said about the origin from here.
    """
    host, port = _server(resolver)
    candidate = name
    failures: list[str] = []
    while candidate:
        top_level = "." not in candidate
        response: dns.message.Message | None = None
        try:
            response = ask(host, port, candidate, "NS", ctx.timeout(QUERY_TIMEOUT))
        except DeadlineExceeded:
            raise
        except dns.exception.Timeout:
            failures.append(f"{candidate}: no answer")
        except (OSError, dns.exception.DNSException) as exc:
            failures.append(f"{candidate}: {exc}")
        rcode = response.rcode() if response is not None else None
        if response is not None and rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            failures.append(f"{candidate}: {dns.rcode.to_text(response.rcode())}")
        if response is None or rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            if top_level:
                raise ResolverUnavailable(
                    f"the DNS resolver {host}:{port} cannot resolve the name servers of the "
                    f"top-level domain .{candidate} ({failures[-1]}): it cannot reach public "
                    "DNS from here")
        elif rcode == dns.rcode.NXDOMAIN and top_level:
            return None, [], f"the top-level domain .{candidate} does not exist"
        else:
            owner = dns.name.from_text(candidate)
            servers = sorted({str(r.target).rstrip(".") for rrset in response.answer
                              if rrset.rdtype == dns.rdatatype.NS and rrset.name == owner
                              for r in rrset})
            if servers and top_level:
                why = "; ".join(failures) if failures else (
                    "the domain is not delegated (is it registered?)")
                return None, [], f"no zone below .{candidate} holds {name}: {why}"
            if servers:
                return candidate, servers[:MAX_SERVERS], None
        candidate = _parent(candidate)
    return None, [], "no zone found" + (f" ({'; '.join(failures)})" if failures else "")


def _server_addresses(resolver: dns.resolver.Resolver, server: str,
                      ctx: ProbeContext) -> tuple[list[str], str | None]:
    host, port = _server(resolver)
    found: list[str] = []
    problem = None
    for rdtype in ("A", "AAAA"):
        try:
            response = ask(host, port, server, rdtype, ctx.timeout(QUERY_TIMEOUT))
        except (OSError, dns.exception.DNSException) as exc:
            problem = f"looking up {server} failed: {exc}"
            continue
        if response.rcode() == dns.rcode.NXDOMAIN:
            return [], f"the name server name {server} does not exist (NXDOMAIN)"
        found.extend(_addresses(response, rdtype))
        if found:
            break  # one address is enough to ask the server; IPv4 first
    return found, (None if found else problem or f"{server} has no A or AAAA record")


def check_server(server: str, address: str | None, *, port: int, name: str, rdtype: str,
                 ctx: ProbeContext, problem: str | None = None) -> NameServerCheck:
    """Ask one authoritative server directly, without recursion, and say what it did."""
    if address is None:
        return NameServerCheck(server, None, NameServerOutcome.NO_ADDRESS, detail=problem)
    started = time.perf_counter()

    def done(outcome: NameServerOutcome, **kw: object) -> NameServerCheck:
        ms = round((time.perf_counter() - started) * 1000, 2)
        return NameServerCheck(server, address, outcome, duration_ms=ms, **kw)  # type: ignore[arg-type]

    try:
        timeout, bounded = ctx.bounded(QUERY_TIMEOUT)
        response = ask(address, port, name, rdtype, timeout, recursion=False)
    except DeadlineExceeded:
        return done(NameServerOutcome.NOT_ASKED,
                    detail=f"not asked: origin502's time budget of {ctx.budget:g} s ran out")
    except dns.exception.Timeout:
        if bounded:  # origin502's budget, not the server, ended the wait: nothing learnt
            return done(NameServerOutcome.NOT_ASKED, detail=(
                f"no answer before origin502's time budget of {ctx.budget:g} s ran out"))
        return done(NameServerOutcome.TIMEOUT, detail=f"no answer within {QUERY_TIMEOUT:g} s")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.errno == errno.ECONNREFUSED:
            reason = "nothing answers DNS on that address (ICMP port unreachable)"
        return done(NameServerOutcome.UNREACHABLE, detail=reason)
    except dns.exception.DNSException as exc:
        return done(NameServerOutcome.OTHER, detail=f"unreadable answer: {exc}")
    rcode = response.rcode()
    text = dns.rcode.to_text(rcode)
    authoritative = bool(response.flags & dns.flags.AA)
    if rcode == dns.rcode.REFUSED:
        return done(NameServerOutcome.REFUSED, rcode=text,
                    detail="refused: it does not serve this zone")
    if rcode == dns.rcode.SERVFAIL:
        return done(NameServerOutcome.SERVFAIL, rcode=text)
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return done(NameServerOutcome.OTHER, rcode=text, detail=f"answered {text}")
    if not authoritative:
        referral = any(rrset.rdtype == dns.rdatatype.NS for rrset in response.authority)
        return done(NameServerOutcome.NOT_AUTHORITATIVE, rcode=text, detail=(
            "answered with a referral elsewhere" if referral else
            "answered without the authoritative (AA) flag"))
    if rcode == dns.rcode.NXDOMAIN:
        return done(NameServerOutcome.NXDOMAIN, rcode=text, authoritative=True)
    addresses = _addresses(response, rdtype)
    cnames = [str(r.target).rstrip(".") for rrset in response.answer
              if rrset.rdtype == dns.rdatatype.CNAME for r in rrset]
    if addresses or cnames:
        return done(NameServerOutcome.ANSWER, rcode=text, authoritative=True,
                    addresses=sorted(addresses), cname=cnames[-1] if cnames else None)
    return done(NameServerOutcome.NODATA, rcode=text, authoritative=True)


def _dnssec_bogus(resolver: dns.resolver.Resolver, name: str, rdtype: str,
                  ctx: ProbeContext) -> tuple[bool | None, list[str]]:
    """Ask the resolver again with checking disabled: an answer (or an NXDOMAIN) where it
    said SERVFAIL means its DNSSEC validation rejects the zone."""
    host, port = _server(resolver)
    try:
        response = ask(host, port, name, rdtype, ctx.timeout(QUERY_TIMEOUT),
                       checking_disabled=True)
    except (OSError, dns.exception.DNSException):
        return None, []
    if response.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return True, _addresses(response, rdtype)
    return False, []


def walk_dns(resolver: dns.resolver.Resolver, name: str, rdtype: str, *, servfail: bool,
             authority_port: int, ctx: ProbeContext) -> DnsWalk:
    """Walk the name's delegation and ask every authoritative server for ``rdtype``.

    ``servfail``: the resolver answered SERVFAIL, so check whether DNSSEC validation is why.
    ``authority_port`` is 53 except in tests, which run their name servers on loopback.
    """
    started = time.perf_counter()
    walk = DnsWalk(name=name, record=rdtype)
    try:
        if servfail:
            walk.dnssec_bogus, walk.cd_answer = _dnssec_bogus(resolver, name, rdtype, ctx)
        zone, servers, why = find_zone(resolver, name, ctx)
    except DeadlineExceeded:
        walk.detail = "the name servers were not asked: the diagnosis ran out of time"
        return walk
    walk.zone = zone
    if zone is None:
        walk.detail = why
    else:
        with ThreadPoolExecutor(max_workers=min(MAX_SERVERS, len(servers)),
                                thread_name_prefix="dns-walk") as pool:
            located = list(pool.map(lambda s: _server_addresses(resolver, s, ctx), servers))
            checks = [pool.submit(check_server, server, found[0] if found else None,
                                  port=authority_port, name=name, rdtype=rdtype, ctx=ctx,
                                  problem=problem)
                      for server, (found, problem) in zip(servers, located, strict=True)]
            walk.nameservers = [c.result() for c in checks]
    walk.duration_ms = round((time.perf_counter() - started) * 1000, 2)
    return walk
