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

import math

from workers.diagnosis import catalog
from workers.diagnosis.render import say
from workers.models import (
    AddressReport,
    BudgetCut,
    ConnectionProbe,
    HttpResult,
    Report,
    Status,
    TargetInfo,
    TcpResult,
    TlsResult,
)

ROOM_AFTER = 5  # seconds


def _used(report: Report) -> list[AddressReport]:
    """The addresses CloudFront connects to: not seeing the others changes nothing."""
    return [a for a in report.addresses if report.target.uses_family(a.family)]


def not_connected_here(report: Report) -> str | None:
    """Why a connection CloudFront would make could not be made from here (origin502 failed
    inside, or this machine has no route to the address), for the first such connection."""
    for address in _used(report):
        for probe in address.probes:
            if probe.tcp.status == Status.ERROR:
                why = (out_of_time(report.target, probe.tcp) or probe.tcp.detail
                       or catalog.UNCHECKED_TCP)
                return say(catalog.UNCHECKED_AT, address=address.address, port=probe.port,
                           why=why)
    return None


def out_of_time(target: TargetInfo, result: TcpResult | TlsResult | HttpResult) -> str | None:
    """Why ``result`` was not checked when origin502's own time budget ended its wait before
    CloudFront's limit did: how long was waited against CloudFront's limit, and how to get
    the full answer. None when the budget did not cut it."""
    cut: BudgetCut | None = result.cut
    if cut is None:
        return None
    if cut.limit_s is None:
        return say(catalog.BUDGET_RAN_OUT_TRICKLE, budget=cut.budget_s, waited=cut.waited_s,
                   bytes=cut.bytes_seen, read_timeout=target.read_timeout,
                   how=catalog.BUDGET_HOW_MORE)
    layer = ("tcp" if isinstance(result, TcpResult) else
             "tls" if isinstance(result, TlsResult) else "http")
    limit_is = say(catalog.BUDGET_LIMITS[layer], attempts=target.connection_attempts,
                   connect=target.connect_timeout, read=target.read_timeout)
    # A budget that lets this wait run its course, all else taking as long, with a few
    # seconds' room for what comes after it (the layers above, the rules).
    needed = math.ceil(cut.budget_s + cut.limit_s - cut.waited_s) + ROOM_AFTER
    return say(catalog.BUDGET_RAN_OUT, budget=cut.budget_s, waited=cut.waited_s,
               waiting=catalog.BUDGET_WAITING[layer], limit=cut.limit_s, limit_is=limit_is,
               how=say(catalog.BUDGET_HOW, needed=needed))


def not_looked_at(report: Report) -> str | None:
    """Why a connection CloudFront would make was not looked at all the way up, for the first
    such connection; None when every one was."""
    here = not_connected_here(report)
    if here is not None:
        return here  # a connection origin502 could not make at all says the most
    for address in _used(report):
        for probe in address.probes:
            why = _connection_unchecked(report.target, probe)
            if why is not None:
                return say(catalog.UNCHECKED_AT, address=address.address, port=probe.port,
                           why=why)
    return None


def _connection_unchecked(target: TargetInfo, probe: ConnectionProbe) -> str | None:
    for cut_short in (probe.tls, probe.http):  # the budget's own words say the most
        why = out_of_time(target, cut_short) if cut_short is not None else None
        if why is not None:
            return why
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

