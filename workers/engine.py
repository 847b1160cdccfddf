"""Run one diagnosis: DNS, then every address concurrently through TCP, TLS and HTTP, then the
diagnosis rules. This is the only entry point the CLI, the bot's jobs and the watches use."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from workers import __version__
from workers.addresses import private_reason
from workers.diagnosis import diagnose_findings
from workers.diagnosis.edge import edge_reading
from workers.models import (
    AddressReport,
    ConnectionProbe,
    DnsReason,
    DnsResult,
    HttpResult,
    ProbeRequest,
    Report,
    Status,
    TargetInfo,
    TcpReason,
    TcpResult,
    TlsResult,
    Verdict,
    verdict_for,
)
from workers.probes.chain_cache import CHAIN_VERDICTS
from workers.probes.context import DeadlineExceeded, ProbeContext
from workers.probes.dns import ResolverUnavailable, probe_dns
from workers.probes.http import probe_http
from workers.probes.tcp import probe_tcp
from workers.probes.tls import probe_tls
from workers.probes.wire import PlainStream, Stream
from workers.target import canonical_ip

ProgressCallback = Callable[[str, str], None]
log = logging.getLogger(__name__)
MAX_PARALLEL_ADDRESSES = 16
# A name can resolve to hundreds of addresses; each costs connections, handshakes and chain
# checks. Past this many the rest are listed as not probed (ADDRESSES_NOT_ALL_PROBED).
MAX_PROBED_ADDRESSES = 8


def _not_run(layer: str) -> str:
    return f"not run: the {layer} layer failed"


class LayerProgress:
    """Tells the caller about a layer once every connection has got past it (done, failed or
    skipped), so a Slack message can say "TCP ok" while the TLS handshakes still run."""

    ORDER = ("tcp", "tls", "http")

    def __init__(self, expected: dict[str, int], callback: ProgressCallback) -> None:
        self._expected = expected
        self._seen: dict[str, list[str]] = {layer: [] for layer in expected}
        self._callback = callback
        self._lock = threading.Lock()
        self._next = 0  # index in ORDER of the next layer to announce

    def _line(self, layer: str) -> str:
        seen = self._seen[layer]
        ok, ran = seen.count("ok"), len(seen) - seen.count("not_run")
        unchecked = seen.count("error")  # could not be checked from here
        if ran == 0:
            return "not run"
        if unchecked == ran:
            return "not checked from here"
        if unchecked:
            return f"{ok}/{ran - unchecked} ok, {unchecked} not checked from here"
        return "ok" if ok == ran else f"{ok}/{ran} ok"

    def mark(self, layer: str, status: str) -> None:
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


def _no_mark(_layer: str, _status: str) -> None:
    return None


def probe_connection(address: str, scheme: str, port: int, ctx: ProbeContext,
                     mark: ProgressCallback = _no_mark) -> ConnectionProbe:
    """One scheme on one address, layer by layer; a failed layer marks the rest not run."""
    request = ctx.request
    transcript = [f"connect {address} port {port} ({scheme})"]
    tcp, sock = probe_tcp(address, port, ctx)
    mark("tcp", str(tcp.status))
    timings = {"connect": round(tcp.duration_ms, 2)}
    tls: TlsResult | None = None
    if sock is None:
        transcript.append(f"tcp {tcp.reason}: {tcp.detail}")
        http = HttpResult(status=Status.NOT_RUN, detail=_not_run("TCP"))
        if scheme == "https":
            tls = TlsResult(status=Status.NOT_RUN, detail=_not_run("TCP"))
        return ConnectionProbe(scheme, port, tcp, tls, http, timings, transcript)
    transcript.append(f"tcp connected after {tcp.attempts} attempt(s)")
    # Times its sends and the kernel's arrival times, for a first-byte time of the origin's.
    stream: Stream = PlainStream(sock)
    try:
        if scheme == "https":
            tls, tls_sock, chain_der = probe_tls(sock, address, port, ctx)
            timings["tls"] = round(tls.duration_ms, 2)
            if chain_der:
                judged = time.perf_counter()
                _judge_certificates(tls, chain_der, ctx)
                # Path building and the AIA fetch take time of their own: shown apart so that
                # the phases of a connection add up.
                timings["certificates"] = round((time.perf_counter() - judged) * 1000, 2)
            mark("tls", str(tls.status))
            transcript.append(
                f"tls {tls.status}: {tls.protocol or tls.reason} {tls.cipher or ''} "
                f"sni={tls.sni} handshakes={len(tls.attempts)}".strip())
            if tls_sock is None:
                detail = _not_run("TLS")
                if tls.status == Status.OK:
                    # The origin chose a suite this machine's OpenSSL cannot build (3DES, RC4):
                    # CloudFront connects, but no request can be sent from here.
                    detail = (f"not run: this machine cannot complete a handshake with "
                              f"{tls.cipher}")
                http = HttpResult(status=Status.NOT_RUN, detail=detail)
                return ConnectionProbe(scheme, port, tcp, tls, http, timings, transcript)
            stream = tls_sock
        http = probe_http(stream, ctx)
        if http.ttfb_ms is not None:
            timings["first_byte"] = round(http.ttfb_ms, 2)
        transcript.append(
            f"GET {request.settings.path} Host: {request.host} -> "
            f"{http.status_code or http.reason}")
    finally:
        stream.close()
    return ConnectionProbe(scheme, port, tcp, tls, http, timings, transcript)


def _judge_certificates(tls: TlsResult, chain_der: list[bytes], ctx: ProbeContext) -> None:
    options = ctx.request.options
    request = ctx.request
    name = request.hostname if canonical_ip(request.hostname) is not None else request.sni
    # Origins that present the same chain share one verdict while it cannot change.
    judged = CHAIN_VERDICTS.judge(chain_der, name=name, ca_file=options.ca_file,
                                  fetch_aia=options.fetch_aia,
                                  allow_private=options.allow_private)
    if judged.problem is not None:
        tls.detail = judged.problem
        return
    tls.chain = list(judged.chain)
    tls.analysis = judged.analysis


def probe_address(address: str, ctx: ProbeContext,
                  progress: LayerProgress | None = None) -> AddressReport:
    request = ctx.request
    family = "ipv6" if ":" in address else "ipv4"
    reason = private_reason(address)
    report = AddressReport(address=address, family=family, private_reason=reason)
    for scheme, port in request.settings.schemes():
        if reason and not request.options.allow_private:
            blocked = TcpResult(status=Status.FAILED, reason=TcpReason.BLOCKED,
                                detail=f"{address} is {reason}; origin502 does not probe it")
            tls = TlsResult(status=Status.NOT_RUN) if scheme == "https" else None
            report.probes.append(ConnectionProbe(scheme, port, blocked, tls,
                                                 HttpResult(status=Status.NOT_RUN)))
            if progress is not None:
                progress.mark("tcp", "failed")
                if tls is not None:
                    progress.mark("tls", "not_run")
                progress.mark("http", "not_run")
            continue
        marked: set[str] = set()

        def mark(layer: str, status: str, marked: set[str] = marked) -> None:
            marked.add(layer)
            if progress is not None:
                progress.mark(layer, status)

        try:
            report.probes.append(probe_connection(address, scheme, port, ctx, mark))
        except Exception as exc:
            log.exception("probing %s %s:%s failed inside origin502", address, scheme, port)
            failed = TcpResult(status=Status.ERROR, reason=TcpReason.OTHER,
                               detail=f"origin502 failed while probing: {type(exc).__name__}: "
                               f"{exc}")
            tls = TlsResult(status=Status.NOT_RUN) if scheme == "https" else None
            report.probes.append(ConnectionProbe(scheme, port, failed, tls,
                                                 HttpResult(status=Status.NOT_RUN)))
        probe = report.probes[-1]
        for layer, result in (("tcp", probe.tcp), ("tls", probe.tls), ("http", probe.http)):
            if result is not None and layer not in marked:
                mark(layer, str(result.status))
    return report


def diagnose(request: ProbeRequest, *, on_progress: ProgressCallback | None = None,
             budget: float | None = None) -> Report:
    """Probe the origin the way CloudFront connects to it and name what would make it fail.

    Never raises for anything the origin does; ``Report.probe_error`` is set when the probe
    itself could not run (no resolver here, deadline passed before anything was measured).
    """
    started_at = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    ctx = ProbeContext.for_request(request, budget)
    progress = on_progress or (lambda _layer, _text: None)
    probe_error: str | None = None
    literal = canonical_ip(request.hostname)
    if literal is not None:
        dns = DnsResult(status=Status.OK, reason=DnsReason.IP_LITERAL, addresses=[literal],
                        ipv4=[] if ":" in literal else [literal],
                        ipv6=[literal] if ":" in literal else [])
    else:
        resolving = time.perf_counter()
        try:
            dns = probe_dns(request.hostname, ctx)
        except ResolverUnavailable as exc:
            probe_error = str(exc)
            dns = DnsResult(status=Status.ERROR, reason=DnsReason.RESOLVER_ERROR, detail=str(exc))
        except DeadlineExceeded as exc:
            probe_error = str(exc)
            dns = DnsResult(status=Status.ERROR, reason=DnsReason.TIMEOUT, detail=str(exc))
        if dns.status == Status.ERROR:
            dns.duration_ms = round((time.perf_counter() - resolving) * 1000, 2)
    progress("dns", _dns_line(dns))

    addresses: list[AddressReport] = []
    probing = time.perf_counter()
    probed, not_probed = dns.addresses[:MAX_PROBED_ADDRESSES], dns.addresses[MAX_PROBED_ADDRESSES:]
    if probed:
        schemes = [scheme for scheme, _ in request.settings.schemes()]
        count = len(probed)
        layers = LayerProgress({"tcp": count * len(schemes), "http": count * len(schemes),
                                "tls": count * schemes.count("https")}, progress)
        if count == 1:
            # One address (most origins): no thread to start, which costs a watch worker
            # more CPU than the rules.
            addresses = [probe_address(probed[0], ctx, layers)]
        else:
            workers = min(MAX_PARALLEL_ADDRESSES, count)
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe") as pool:
                addresses = list(pool.map(lambda a: probe_address(a, ctx, layers), probed))

    settings = request.settings
    target = TargetInfo(
        hostname=request.hostname, display=request.display or request.hostname,
        is_ip_literal=literal is not None, sni=request.sni, host_header=request.host,
        protocol_policy=settings.protocol_policy, https_port=settings.https_port,
        http_port=settings.http_port, origin_ssl_protocols=list(settings.origin_ssl_protocols),
        path=settings.path, connect_timeout=settings.connect_timeout,
        connection_attempts=settings.connection_attempts, read_timeout=settings.read_timeout,
        ip_address_type=settings.ip_address_type)
    report = Report(
        target=target, verdict=Verdict.UNKNOWN, findings=[], dns=dns, addresses=addresses,
        started_at=started_at.isoformat().replace("+00:00", "Z"), duration_ms=0.0,
        probe_error=probe_error, tool_version=__version__,
        trust_note=("roots from --ca-file were trusted for this report; CloudFront trusts only "
                    "Mozilla's list" if request.options.ca_file else None),
        addresses_not_probed=list(not_probed),
    )
    probed_ms = round((time.perf_counter() - probing) * 1000, 2)
    if report.probe_error is None:
        report.probe_error = _unmeasured(report)
    report.edge = edge_reading(report)
    report.findings = diagnose_findings(report, now=started_at)
    report.verdict = verdict_for(report.findings, report.probe_error)
    report.duration_ms = round((time.perf_counter() - started) * 1000, 2)
    # The phases add up to the total: the DNS probe, the addresses (probed in parallel, so
    # the wall time of that phase, not a sum), and the rest (rules, building the report).
    dns_ms = round(dns.duration_ms, 2)
    report.timings_ms = {"dns": dns_ms, "connections": probed_ms,
                         "other": round(max(0.0, report.duration_ms - dns_ms - probed_ms), 2),
                         "total": report.duration_ms}
    return report


def _unmeasured(report: Report) -> str | None:
    """Why a connection CloudFront would make could not be checked from here, if one could
    not: origin502 failed inside, or this machine has no route to the address."""
    for address in report.addresses:
        if not report.target.uses_family(address.family):
            continue  # CloudFront does not connect to it, so not seeing it changes nothing
        for probe in address.probes:
            if probe.tcp.status == Status.ERROR:
                return f"{address.address} port {probe.port}: {probe.tcp.detail}"
    return None


DNS_FAILURE_WORDS = {
    DnsReason.NXDOMAIN: "the name does not exist (NXDOMAIN)",
    DnsReason.NO_ADDRESS: "the name has no A or AAAA record",
    DnsReason.SERVFAIL: "the name servers fail (SERVFAIL)",
    DnsReason.TIMEOUT: "no answer in time",
    DnsReason.RESOLVER_ERROR: "the resolver failed",
}


def _dns_line(dns: DnsResult) -> str:
    if dns.status == Status.OK:
        return f"resolved to {', '.join(dns.addresses)}"
    if dns.status == Status.ERROR:
        return f"not checked from here: {dns.detail}"
    return DNS_FAILURE_WORDS.get(DnsReason(dns.reason), "the name does not resolve") if \
        dns.reason in set(DnsReason) else "the name does not resolve"
