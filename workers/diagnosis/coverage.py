"""Whether every connection CloudFront would make was looked at all the way up: the guarantee
that a report never says CloudFront can connect on the strength of a layer that did not look.

"CloudFront can connect" (``ok`` or ``warn``) rests on three things measured on each connection
CloudFront makes: TCP connected, the certificate was judged (HTTPS: some handshake presented a
chain and it was judged), and the request got an HTTP status. When one of them is missing and
no error finding explains the report, the verdict is ``unknown`` with the reason this gives
(see :func:`workers.diagnosis.conclude`); an error finding still makes it ``fail``, since what
was measured is true whatever else could not be.
"""

from __future__ import annotations

from workers.diagnosis import catalog
from workers.diagnosis.render import say
from workers.models import AddressReport, ConnectionProbe, Report, Status


def _used(report: Report) -> list[AddressReport]:
    """The addresses CloudFront connects to: not seeing the others changes nothing."""
    return [a for a in report.addresses if report.target.uses_family(a.family)]


def not_connected_here(report: Report) -> str | None:
    """Why a connection CloudFront would make could not be made from here (origin502 failed
    inside, or this machine has no route to the address), for the first such connection."""
    for address in _used(report):
        for probe in address.probes:
            if probe.tcp.status == Status.ERROR:
                return say(catalog.UNCHECKED_AT, address=address.address, port=probe.port,
                           why=probe.tcp.detail or catalog.UNCHECKED_TCP)
    return None


def not_looked_at(report: Report) -> str | None:
    """Why a connection CloudFront would make was not looked at all the way up, for the first
    such connection; None when every one was."""
    here = not_connected_here(report)
    if here is not None:
        return here  # a connection origin502 could not make at all says the most
    for address in _used(report):
        for probe in address.probes:
            why = _connection_unchecked(probe)
            if why is not None:
                return say(catalog.UNCHECKED_AT, address=address.address, port=probe.port,
                           why=why)
    return None


def _connection_unchecked(probe: ConnectionProbe) -> str | None:
    if probe.tcp.status != Status.OK:
        return say(catalog.UNCHECKED_TCP_NOT_CONNECTED, detail=probe.tcp.detail or "")
    tls = probe.tls
    if probe.scheme == "https" and (tls is None or not tls.chain):
        why = (tls.chain_problem or tls.detail) if tls is not None else None
        return say(catalog.UNCHECKED_CERTIFICATE,
                   why=why or catalog.UNCHECKED_NO_CHAIN)
    http = probe.http
    if http.status_code is None:
        return say(catalog.UNCHECKED_HTTP, why=http.detail or str(http.status))
    return None

