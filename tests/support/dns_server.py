"""A small DNS server on 127.0.0.1 (UDP and TCP, same port) built on dnslib.

It answers like a recursive resolver would for a zone the test controls:

* a name present with records of the asked type: NOERROR with those records;
* a name present without records of that type: NOERROR, empty answer (NODATA);
* a name absent: NXDOMAIN;
* CNAMEs are followed and the whole chain is put in the answer; every name is "ours", so
  a chain that ends at an absent name gives NXDOMAIN *with* the CNAMEs (RFC 6604, what a
  dangling CNAME looks like through a resolver), and a loop gives SERVFAIL;
* names in ``servfail`` answer SERVFAIL (also when reached through a CNAME); an entry
  ``name/TYPE`` fails that record type only (servers that mishandle AAAA exist);
* names in ``delay`` are answered after that many seconds (stop() cuts the wait short);
* names in ``bogus`` behave as a validating resolver answers a zone whose DNSSEC signatures
  do not validate (expired RRSIG, wrong DS): SERVFAIL, unless the query sets the CD
  (checking disabled) bit, as ``dig +cd`` does, which gets the answer;
* the root zone's NS record exists (``a.root-servers.invalid``, with an address that is never
  dialled) unless ``records`` sets ``"."``: any resolver on the internet knows them, and
  origin502 asks for them to tell a resolver that sees public DNS from one that does not.

With ``zones=[...]`` the server is *authoritative* for those zones only, as an operator's
BIND/NSD with recursion off is: answers carry the AA flag and no RA, CNAMEs are followed only
inside its zones, names outside them are REFUSED (what such a server answers when it is
listed as a name server of a zone it does not serve: a lame delegation), and an NXDOMAIN or
NODATA answer carries the zone's SOA. ``host`` and ``port`` pick the address to listen on,
so several "authorities" can share a port on 127.0.0.2, 127.0.0.3...

Names are compared lower-case and without the trailing dot.  Record values for A/AAAA
should be loopback addresses (127.0.0.1, ::1) when a test will connect to them.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Mapping
from typing import Any, Self

from dnslib import QTYPE, RCODE, RR, DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from tests.support.lifecycle import Service

Records = list[tuple[str, str]]

DEFAULT_TTL = 60
_MAX_CHAIN = 16


def _norm(name: str) -> str:
    return name.lower().rstrip(".")


class _Resolver(BaseResolver):  # type: ignore[misc]
    def __init__(self, owner: FakeDns) -> None:
        self.owner = owner

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord:
        return self.owner._answer(request)


class FakeDns(Service):
    """Authoritative-for-everything DNS server for tests.  Use as a context manager.

    ``records`` maps ``name`` to ``[(rtype, value), ...]`` with rtype ``A``, ``AAAA``,
    ``CNAME`` (or any other type dnslib can parse from zone-file text, e.g. ``TXT``).
    ``queries`` records every question as ``(name, rtype)``.
    """

    def __init__(
        self,
        records: Mapping[str, Iterable[tuple[str, str]]] | None = None,
        servfail: Iterable[str] | None = None,
        delay: Mapping[str, float] | None = None,
        ttl: int = DEFAULT_TTL,
        *,
        bogus: Iterable[str] | None = None,
        zones: Iterable[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.ttl = ttl
        self._records: dict[str, Records] = {}
        self._lock = threading.Lock()
        self.zones: list[str] | None = [_norm(z) for z in zones] if zones is not None else None
        records = dict(records or {})
        if self.zones is None and not any(_norm(n) == "" for n in records):
            # Never dialled: origin502 only checks that a resolver can name and locate them.
            records["."] = [("NS", "a.root-servers.invalid")]
            records.setdefault("a.root-servers.invalid", [("A", "192.0.2.53")])
        for name, recs in records.items():
            self.set(name, recs)
        self.bogus: set[str] = {_norm(n) for n in (bogus or ())}
        self._host = host
        self._wanted_port = port
        self.servfail: set[str] = {n.lower().rstrip(".") if "/" not in n else
                                   _norm(n.split("/")[0]) + "/" + n.split("/")[1].upper()
                                   for n in (servfail or ())}
        self.delay: dict[str, float] = {_norm(n): d for n, d in (delay or {}).items()}
        self.queries: list[tuple[str, str]] = []
        self._stop = threading.Event()
        self._servers: list[DNSServer] = []
        self._port = 0

    # -- zone editing --------------------------------------------------------------------

    def set(self, name: str, records: Iterable[tuple[str, str]]) -> None:
        """Replace ``name``'s records (an empty list makes the name exist with no data)."""
        recs = [(rtype.upper(), value) for rtype, value in records]
        for rtype, value in recs:
            self._rr(name, rtype, value)  # fail now on a bad record, not at query time
        with self._lock:
            self._records[_norm(name)] = recs

    def remove(self, name: str) -> None:
        """Forget ``name`` so it answers NXDOMAIN."""
        with self._lock:
            self._records.pop(_norm(name), None)

    @property
    def records(self) -> dict[str, Records]:
        with self._lock:
            return {k: list(v) for k, v in self._records.items()}

    # -- addresses -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def host(self) -> str:
        return self._host

    @property
    def nameserver(self) -> str:
        return f"{self._host}:{self._port}"

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> Self:
        if self._servers:
            return self
        logger = DNSLogger(logf=_quiet)
        resolver = _Resolver(self)
        for _ in range(20):
            udp = DNSServer(resolver, address=self._host, port=self._wanted_port, logger=logger)
            port = udp.server.server_address[1]
            try:
                tcp = DNSServer(resolver, address=self._host, port=port, tcp=True, logger=logger)
            except OSError:
                udp.server.server_close()
                if self._wanted_port:
                    raise
                continue  # the TCP side of that port is taken; try another
            self._port = port
            self._servers = [udp, tcp]
            for server in self._servers:
                threading.Thread(
                    target=server.server.serve_forever,
                    kwargs={"poll_interval": 0.05},
                    name=f"fake-dns-{port}",
                    daemon=True,
                ).start()
            return self
        raise RuntimeError("no port free for both UDP and TCP on 127.0.0.1")

    def stop(self) -> None:
        self._stop.set()
        for server in self._servers:
            with contextlib.suppress(Exception):
                server.server.shutdown()
            with contextlib.suppress(OSError):
                server.server.server_close()
        self._servers = []


    # -- answering -----------------------------------------------------------------------

    def _rr(self, name: str, rtype: str, value: str) -> RR:
        fqdn = _norm(name) + "." if _norm(name) else "."
        if rtype in ("CNAME", "NS"):
            value = _norm(value) + "."
        try:
            return RR.fromZone(f"{fqdn} {self.ttl} IN {rtype} {value}")[0]
        except Exception as exc:
            raise ValueError(f"bad record for {name}: {rtype} {value!r}: {exc}") from exc

    def _zone_of(self, name: str) -> str | None:
        """The zone of ours that holds ``name`` (the longest match), None when not ours."""
        if self.zones is None:
            return ""
        matches = [z for z in self.zones if name == z or name.endswith("." + z) or z == ""]
        return max(matches, key=len) if matches else None

    def _add_soa(self, reply: DNSRecord, zone: str | None) -> None:
        if self.zones is None or zone is None:
            return
        apex = zone or "."
        soa = f"ns.{zone}. hostmaster.{zone}. 1 3600 600 86400 {self.ttl}" if zone else (
            "a.root-servers.invalid. nstld.invalid. 1 3600 600 86400 60")
        reply.add_auth(RR.fromZone(f"{_norm(apex)}. {self.ttl} IN SOA {soa}")[0])

    def _answer(self, request: DNSRecord) -> DNSRecord:
        authoritative = self.zones is not None
        reply = request.reply(ra=0 if authoritative else 1, aa=1)
        qname = _norm(str(request.q.qname))
        qtype = QTYPE.get(request.q.qtype, str(request.q.qtype))
        self.queries.append((qname, qtype))
        if self._zone_of(qname) is None:
            reply.header.aa = 0
            reply.header.rcode = RCODE.REFUSED
            return reply
        seen: set[str] = set()
        name = qname
        while True:
            wait = self.delay.get(name)
            if wait and self._stop.wait(wait):
                reply.header.rcode = RCODE.SERVFAIL
                return reply
            if name in self.servfail or f"{name}/{qtype}" in self.servfail or name in seen \
                    or len(seen) >= _MAX_CHAIN:
                reply.header.rcode = RCODE.SERVFAIL
                return reply
            if name in self.bogus and not request.header.cd:
                reply = request.reply(ra=1, aa=0)
                reply.header.rcode = RCODE.SERVFAIL
                return reply
            seen.add(name)
            zone = self._zone_of(name)
            if zone is None:
                return reply  # a CNAME that leaves our zones: the resolver follows it
            with self._lock:
                recs = self._records.get(name)
            if recs is None:
                reply.header.rcode = RCODE.NXDOMAIN
                self._add_soa(reply, zone)
                return reply
            matching = [(t, v) for t, v in recs if qtype in (t, "ANY")]
            cname = next((v for t, v in recs if t == "CNAME"), None)
            if matching or cname is None or qtype == "CNAME":
                for t, v in matching:
                    reply.add_answer(self._rr(name, t, v))
                if not matching:
                    self._add_soa(reply, zone)
                return reply  # answer, or NODATA
            reply.add_answer(self._rr(name, "CNAME", cname))
            name = _norm(cname)


def _quiet(_msg: str) -> None:
    return


class Authorities(Service):
    """Several authoritative FakeDns servers on one port, one per loopback address
    (127.0.0.2, 127.0.0.3...): the name servers of a zone, as DNS knows them, differ by
    address only. ``specs`` maps each address to the keyword arguments of its FakeDns
    (``records``, ``zones``, ``servfail``, ``delay``...); an address mapped to ``None`` has
    no server at all, so a query to it meets an ICMP port unreachable, as a dead server does.
    """

    def __init__(self, specs: Mapping[str, Mapping[str, Any] | None]) -> None:
        self.specs = dict(specs)
        self.servers: dict[str, FakeDns] = {}
        self.port = 0

    def start(self) -> Self:
        last: OSError | None = None
        for _ in range(20):
            port = _free_udp_port(next(iter(self.specs)))
            started: dict[str, FakeDns] = {}
            try:
                for host, spec in self.specs.items():
                    if spec is not None:
                        started[host] = FakeDns(**spec, host=host, port=port).start()
            except OSError as exc:  # the port is taken on one of the addresses: try another
                last = exc
                for server in started.values():
                    server.stop()
                continue
            self.servers, self.port = started, port
            return self
        raise RuntimeError(f"no port free on all of {list(self.specs)}: {last}")

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers = {}


def _free_udp_port(host: str) -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
