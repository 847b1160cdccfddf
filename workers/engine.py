"""Run one diagnosis: DNS, then every address concurrently through TCP, TLS and HTTP, then the
diagnosis rules. This is the only entry point the CLI, the bot's jobs and the watches use."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from workers import __version__
from workers.addresses import private_reason, unconnectable_reason
from workers.diagnosis import conclude
from workers.diagnosis.edge import edge_reading
from workers.models import (
    AddressReport,
    ConnectionProbe,
    DnsReason,
    DnsResult,
    Layer,
    ProbeRequest,
    Report,
    Status,
    TcpReason,
    TcpResult,
    TlsResult,
    Verdict,
)
from workers.models.layers import LayerResult, connection_probe, connection_results
from workers.probes.attempts import FanOut, ProbeEvents
from workers.probes.context import ProbeContext
from workers.probes.registry import CONNECTION_LAYERS, PROBES, connection_probes
from workers.probes.state import ProbeState
from workers.target import Target

if TYPE_CHECKING:
    from workers.models.provisional import Provisional
    from workers.probes.side_checks import SideCheckCache

ProgressCallback = Callable[[str, str], None]
log = logging.getLogger(__name__)
MAX_PARALLEL_ADDRESSES = 16
# A name can resolve to hundreds of addresses; each costs connections, handshakes and chain
# checks. Past this many the rest are listed as not probed (ADDRESSES_NOT_ALL_PROBED).
MAX_PROBED_ADDRESSES = 8


def _not_run(layer: Layer) -> str:
    return f"not run: the {layer.label} layer failed"


class LayerProgress:
    """Tells the caller about a layer once every connection has got past it (done, failed or
    skipped), so a Slack message can say "TCP ok" while the TLS handshakes still run."""

    ORDER = CONNECTION_LAYERS

    def __init__(self, expected: dict[Layer, int], callback: ProgressCallback) -> None:
        self._expected = expected
        self._seen: dict[Layer, list[str]] = {layer: [] for layer in expected}
        self._callback = callback
        self._lock = threading.Lock()
        self._next = 0  # index in ORDER of the next layer to announce

    @classmethod
    def for_connections(cls, addresses: int, schemes: list[str],
                        callback: ProgressCallback) -> LayerProgress:
        """Expect each layer once per address and per scheme that runs it."""
        expected = {layer: addresses * sum(scheme in PROBES[layer].schemes for scheme in schemes)
                    for layer in cls.ORDER}
        return cls(expected, callback)

    def _line(self, layer: Layer) -> str:
        seen = self._seen[layer]
        ok, ran = seen.count("ok"), len(seen) - seen.count("not_run")
        unchecked = seen.count("error")  # could not be checked from here
        tls13 = seen.count(TLS13_ONLY)
        if ran == 0:
            return "not run"
        if unchecked == ran:
            return "not checked from here"
        if unchecked:
            return f"{ok}/{ran - unchecked} ok, {unchecked} not checked from here"
        if tls13 and ok + tls13 == ran:
            # What happened: the request went over TLS 1.3, the configured protocols failed.
            which = "" if tls13 == ran else f" on {tls13} of {ran} connections"
            return f"TLS 1.3 worked{which}; the configured protocols did not"
        return "ok" if ok == ran else f"{ok}/{ran} ok"

    def mark(self, layer: Layer, status: str) -> None:
        announce = []
        with self._lock:
            self._seen[layer].append(status)
            # Announce layers in order, even when one connection's TLS ends before another's
            # TCP (match-viewer probes two ports per address).
            while self._next < len(self.ORDER):
                nxt = self.ORDER[self._next]
                if len(self._seen[nxt]) < self._expected[nxt]:
                    break
                self._next += 1
                if self._expected[nxt]:
                    announce.append((nxt, self._line(nxt)))
        for name, line in announce:
            self._callback(name, line)


Mark = Callable[[Layer, str], None]
# The mark of a TLS layer whose configured protocols failed but whose TLS 1.3 handshake
# completed, the request going over it (``TlsResult.http_over``): not "ok", not "failed".
TLS13_ONLY = "tls13_only"


def _mark_of(result: LayerResult) -> str:
    if isinstance(result, TlsResult) and result.http_over and result.status == Status.FAILED:
        return TLS13_ONLY
    return str(result.status)


def _no_mark(_layer: Layer, _status: str) -> None:
    return None


def probe_connection(target: Target, ctx: ProbeContext, mark: Mark = _no_mark) -> ConnectionProbe:
    """One scheme on one address (the target's endpoint), layer by layer from the registry;
    a layer that leaves nothing to build on marks the layers above not run."""
    endpoint = target.dialled
    state = ProbeState()
    state.transcript.append(f"connect {endpoint.address} port {endpoint.port} "
                            f"({endpoint.scheme})")
    try:
        for probe in connection_probes(endpoint.scheme):
            result: LayerResult
            if state.stopped is None:
                result = probe.run(target, ctx, state)
                if state.stream is None and state.stopped is None:
                    state.stopped = _not_run(probe.layer)
            else:
                result = probe.not_run(state.stopped)
            state.results[probe.layer] = result
            mark(probe.layer, _mark_of(result))
    finally:
        state.close()
    return connection_probe(endpoint.scheme, endpoint.port, state.results, state.timings_ms,
                            state.transcript)


def _stand_in(scheme: str, port: int, tcp: TcpResult) -> ConnectionProbe:
    """A connection that never got past ``tcp`` (blocked, or origin502 failed inside): the
    layers above are not run, and say nothing more."""
    results: dict[Layer, LayerResult] = {Layer.TCP: tcp}
    for probe in connection_probes(scheme):
        results.setdefault(probe.layer, probe.not_run())
    return connection_probe(scheme, port, results, {}, [])


def address_shell(address: str) -> AddressReport:
    """The report of one address before any connection to it was probed."""
    family = "ipv6" if ":" in address else "ipv4"
    return AddressReport(address=address, family=family, private_reason=private_reason(address))


def schemes_concurrent(target: Target) -> bool:
    """Whether the schemes of one address are probed side by side: match-viewer probes HTTPS
    and HTTP, two independent connections, and one after the other a dropped origin cost
    twice CloudFront's wait. Ports that coincide stay one after the other, since the attempt
    events name a connection by address and port."""
    ports = [port for _, port in target.settings.schemes()]
    return len(ports) > 1 and len(set(ports)) == len(ports)


def _probe_scheme(target: Target, address: str, scheme: str, port: int, ctx: ProbeContext, *,
                  reason: str | None, progress: LayerProgress | None) -> ConnectionProbe:
    marked: set[Layer] = set()

    def mark(layer: Layer, status: str) -> None:
        marked.add(layer)
        if progress is not None:
            progress.mark(layer, status)

    probe: ConnectionProbe
    nowhere = unconnectable_reason(address)
    if nowhere:  # even when private targets are allowed: 0.0.0.0 would dial this machine
        never = TcpResult(status=Status.FAILED, reason=TcpReason.UNCONNECTABLE,
                          detail=f"{address} is {nowhere}; no server can have it, so origin502 "
                          f"does not dial it")
        probe = _stand_in(scheme, port, never)
    elif reason and not ctx.options.allow_private:
        blocked = TcpResult(status=Status.FAILED, reason=TcpReason.BLOCKED,
                            detail=f"{address} is {reason}; origin502 does not probe it")
        probe = _stand_in(scheme, port, blocked)
    else:
        try:
            probe = probe_connection(target.at(address, scheme, port), ctx, mark)
        except Exception as exc:
            log.exception("probing %s %s:%s failed inside origin502", address, scheme, port)
            failed = TcpResult(status=Status.ERROR, reason=TcpReason.OTHER,
                               detail=f"origin502 failed while probing: "
                               f"{type(exc).__name__}: {exc}")
            probe = _stand_in(scheme, port, failed)
    for layer, result in connection_results(probe).items():
        if layer not in marked:
            mark(layer, str(result.status))
    ctx.events.connection_ended(address, probe)  # issue 8 hook
    return probe


def probe_address(target: Target, address: str, ctx: ProbeContext,
                  progress: LayerProgress | None = None) -> AddressReport:
    report = address_shell(address)
    reason = report.private_reason
    schemes = target.settings.schemes()
    if schemes_concurrent(target):
        with ThreadPoolExecutor(max_workers=len(schemes), thread_name_prefix="scheme") as pool:
            report.probes = list(pool.map(
                lambda pair: _probe_scheme(target, address, pair[0], pair[1], ctx,
                                           reason=reason, progress=progress), schemes))
        return report
    for scheme, port in schemes:
        report.probes.append(_probe_scheme(target, address, scheme, port, ctx,
                                           reason=reason, progress=progress))
    return report


def diagnose(request: ProbeRequest, *, on_progress: ProgressCallback | None = None,
             budget: float | None = None,
             on_provisional: Callable[[Provisional], None] | None = None,
             events: ProbeEvents | None = None,
             side_checks: SideCheckCache | None = None) -> Report:
    """Probe the origin the way CloudFront connects to it and name what would make it fail.

    Never raises for anything the origin does; ``Report.probe_error`` is set when the probe
    itself could not run (no resolver here, deadline passed before anything was measured).
    ``on_provisional`` is called (from a probe thread) with a first verdict once every
    connection has ended or is only retrying after a timed-out attempt, before this returns
    the final report (see workers/provisional.py); ``events`` hears every attempt, for
    progress lines (see workers/waiting.py). ``side_checks``: where a watch keeps the side
    handshakes' reassuring answers for its next cycles (workers/probes/side_checks.py); None
    makes every side handshake afresh.
    """
    started_at = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    target = Target.of(request)
    ctx = ProbeContext.for_request(request, budget)
    ctx.side_checks = side_checks
    progress = on_progress or (lambda _layer, _text: None)
    dns = PROBES[Layer.DNS].run(target, ctx, ProbeState())
    if not isinstance(dns, DnsResult):  # the first layer names the addresses to connect to
        raise TypeError(f"the DNS layer gave a {type(dns).__name__}")
    # Status error: the resolver cannot stand in for public DNS here, or time ran out first.
    probe_error = dns.detail if dns.status == Status.ERROR else None
    progress(Layer.DNS, _dns_line(dns, request.settings.ip_address_type))

    addresses: list[AddressReport] = []
    probing = time.perf_counter()
    probed, not_probed = dns.addresses[:MAX_PROBED_ADDRESSES], dns.addresses[MAX_PROBED_ADDRESSES:]

    def assemble(addresses: list[AddressReport]) -> Report:
        return _assemble(target, ctx, dns, addresses, not_probed=not_probed,
                         probe_error=probe_error, started_at=started_at, started=started,
                         probing=probing)

    if probed:
        schemes = [scheme for scheme, _ in target.settings.schemes()]
        # issue 8 hook: a first verdict after one timed-out connection attempt, and attempt
        # events for progress lines; nothing is watched unless the caller asks.
        watchers: list[ProbeEvents] = [events] if events is not None else []
        if on_provisional is not None:
            from workers.provisional import FirstVerdict  # only a caller showing progress

            connections = [(a, scheme, port) for a in probed
                           for scheme, port in target.settings.schemes()]
            watchers.append(FirstVerdict(connections, address_shell, assemble, on_provisional,
                                         concurrent=schemes_concurrent(target)))
        if watchers:
            ctx.events = FanOut(*watchers)
        layers = LayerProgress.for_connections(len(probed), schemes, progress)
        if len(probed) == 1:
            # One address (most origins): no thread to start, which costs a watch worker
            # more CPU than the rules.
            addresses = [probe_address(target, probed[0], ctx, layers)]
        else:
            workers = min(MAX_PARALLEL_ADDRESSES, len(probed))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe") as pool:
                addresses = list(pool.map(lambda a: probe_address(target, a, ctx, layers),
                                          probed))
    return assemble(addresses)


def _assemble(target: Target, ctx: ProbeContext, dns: DnsResult,
              addresses: list[AddressReport], *, not_probed: list[str], probe_error: str | None,
              started_at: dt.datetime, started: float, probing: float) -> Report:
    """The report from what was measured: rules, verdict and where the time went (also used
    for a first verdict while some connections still retry)."""
    report = Report(
        target=target.info(), verdict=Verdict.UNKNOWN, findings=[], dns=dns,
        addresses=addresses, started_at=started_at.isoformat().replace("+00:00", "Z"),
        duration_ms=0.0, probe_error=probe_error, tool_version=__version__,
        trust_note=("roots from --ca-file were trusted for this report; CloudFront trusts only "
                    "Mozilla's list" if ctx.options.ca_file else None),
        addresses_not_probed=list(not_probed),
    )
    probed_ms = round((time.perf_counter() - probing) * 1000, 2)
    report.edge = edge_reading(report)
    conclude(report, now=started_at)
    report.duration_ms = round((time.perf_counter() - started) * 1000, 2)
    # The phases add up to the total: the DNS probe, the addresses (probed in parallel, so
    # the wall time of that phase, not a sum), and the rest (rules, building the report).
    dns_ms = round(dns.duration_ms, 2)
    report.timings_ms = {"dns": dns_ms, "connections": probed_ms,
                         "other": round(max(0.0, report.duration_ms - dns_ms - probed_ms), 2),
                         "total": report.duration_ms}
    return report


DNS_FAILURE_WORDS = {
    DnsReason.NXDOMAIN: "the name does not exist (NXDOMAIN)",
    DnsReason.NO_ADDRESS: "the name has no A or AAAA record",
    DnsReason.SERVFAIL: "the name servers fail (SERVFAIL)",
    DnsReason.TIMEOUT: "no answer in time",
    DnsReason.RESOLVER_ERROR: "the resolver failed",
}


# Not "resolved": a name with no address of the family CloudFront uses fails at DNS for it.
DNS_OTHER_FAMILY_ONLY = "no {wanted} address (IP address type {kind}): resolved to {addresses} only"


def _dns_line(dns: DnsResult, ip_address_type: str) -> str:
    if dns.status == Status.OK:
        wanted = {"ipv4": dns.ipv4, "ipv6": dns.ipv6}.get(ip_address_type)
        if wanted is not None and not wanted and dns.reason != DnsReason.IP_LITERAL:
            return DNS_OTHER_FAMILY_ONLY.format(
                wanted={"ipv4": "IPv4", "ipv6": "IPv6"}[ip_address_type],
                kind=ip_address_type, addresses=", ".join(dns.addresses))
        return f"resolved to {', '.join(dns.addresses)}"
    if dns.status == Status.ERROR:
        return f"not checked from here: {dns.detail}"
    return DNS_FAILURE_WORDS.get(DnsReason(dns.reason), "the name does not resolve") if \
        dns.reason in set(DnsReason) else "the name does not resolve"
