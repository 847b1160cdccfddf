"""A small DNS server on 127.0.0.1 (UDP and TCP, same port) built on dnslib.

It answers like a recursive resolver would for a zone the test controls:

* a name present with records of the asked type: NOERROR with those records;
* a name present without records of that type: NOERROR, empty answer (NODATA);
* a name absent: NXDOMAIN;
* CNAMEs are followed and the whole chain is put in the answer; every name is "ours", so
  a chain that ends at an absent name gives NXDOMAIN *with* the CNAMEs (RFC 6604, what a
  dangling CNAME looks like through a resolver), and a loop gives SERVFAIL;
* names in ``servfail`` answer SERVFAIL (also when reached through a CNAME);
* names in ``delay`` are answered after that many seconds (stop() cuts the wait short).

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
    ) -> None:
        self.ttl = ttl
        self._records: dict[str, Records] = {}
        self._lock = threading.Lock()
        for name, recs in (records or {}).items():
            self.set(name, recs)
        self.servfail: set[str] = {_norm(n) for n in (servfail or ())}
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
        return "127.0.0.1"

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self._port}"

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> Self:
        if self._servers:
            return self
        logger = DNSLogger(logf=_quiet)
        resolver = _Resolver(self)
        for _ in range(20):
            udp = DNSServer(resolver, address="127.0.0.1", port=0, logger=logger)
            port = udp.server.server_address[1]
            try:
                tcp = DNSServer(resolver, address="127.0.0.1", port=port, tcp=True, logger=logger)
            except OSError:
                udp.server.server_close()
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
        fqdn = _norm(name) + "."
        if rtype == "CNAME":
            value = _norm(value) + "."
        try:
            return RR.fromZone(f"{fqdn} {self.ttl} IN {rtype} {value}")[0]
        except Exception as exc:
            raise ValueError(f"bad record for {name}: {rtype} {value!r}: {exc}") from exc

    def _answer(self, request: DNSRecord) -> DNSRecord:
        reply = request.reply(ra=1, aa=1)
        qname = _norm(str(request.q.qname))
        qtype = QTYPE.get(request.q.qtype, str(request.q.qtype))
        self.queries.append((qname, qtype))
        seen: set[str] = set()
        name = qname
        while True:
            wait = self.delay.get(name)
            if wait and self._stop.wait(wait):
                reply.header.rcode = RCODE.SERVFAIL
                return reply
            if name in self.servfail or name in seen or len(seen) >= _MAX_CHAIN:
                reply.header.rcode = RCODE.SERVFAIL
                return reply
            seen.add(name)
            with self._lock:
                recs = self._records.get(name)
            if recs is None:
                reply.header.rcode = RCODE.NXDOMAIN
                return reply
            matching = [(t, v) for t, v in recs if qtype in (t, "ANY")]
            cname = next((v for t, v in recs if t == "CNAME"), None)
            if matching or cname is None or qtype == "CNAME":
                for t, v in matching:
                    reply.add_answer(self._rr(name, t, v))
                return reply  # answer, or NODATA
            reply.add_answer(self._rr(name, "CNAME", cname))
            name = _norm(cname)


def _quiet(_msg: str) -> None:
    return
