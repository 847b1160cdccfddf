"""Readable terminal output for a report: the verdict first, then each finding with its
evidence, numbered fixes and links, then what was measured per address."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.markup import escape

from workers.headline import verdict_sentence
from workers.models import (
    ConnectionProbe,
    Finding,
    ProbeRequest,
    Report,
    Severity,
    TargetInfo,
    Verdict,
)
from workers.wording import dns_words, nameserver_words, probe_words

_VERDICT = {Verdict.OK: "[bold green]OK[/]", Verdict.WARN: "[bold yellow]WARN[/]",
            Verdict.FAIL: "[bold red]FAIL[/]", Verdict.UNKNOWN: "[bold magenta]UNKNOWN[/]"}
_SEVERITY = {Severity.ERROR: "[red]✖ error[/]", Severity.WARNING: "[yellow]▲ warning[/]",
             Severity.INFO: "[blue]ℹ info[/]"}


def run_with_progress(request: ProbeRequest,
                      run: Callable[..., Report]) -> Report:
    """Run the diagnosis with a live status on stderr (only when it is a terminal): what is
    being waited for, and a provisional verdict once a first connection attempt timed out."""
    console = Console(stderr=True)
    if not console.is_terminal:
        return run(request)
    from workers.terminal_live import run_live

    return run_live(request, run, console)


def render_report(report: Report, console: Console | None = None) -> None:
    """Verdict first; then every finding, errors before warnings before notes (each names the
    address it concerns); then what was measured per address, and where the time went."""
    console = console or Console(highlight=False)
    target = report.target
    verdict = Verdict(report.verdict)
    label = _VERDICT[verdict]
    sentence = escape(verdict_sentence(report))
    console.print(f"{label}  {escape(target.display)} ({ports_words(target)}) — {sentence}")
    if report.probe_error and verdict != Verdict.UNKNOWN:
        console.print(f"  [magenta]Not checked from here:[/] {escape(report.probe_error)}")
    if target.host_header != target.hostname:
        console.print(f"  Host header and SNI: {escape(target.host_header)}")
    if report.trust_note:
        console.print(f"  [yellow]Note:[/] {escape(report.trust_note)}")
    _render_dns(console, report)
    if report.edge is not None:
        for line in dict.fromkeys(a.viewer_line() for a in report.edge.answers):
            console.print(f"  Viewer side: {escape(line)}")
    console.print()
    for number, finding in enumerate(report.findings, 1):
        _render_finding(console, number, finding)
    for address in report.addresses:
        console.rule(f"[bold]{address.address}[/] ({address.family})", align="left")
        for probe in address.probes:
            console.print("  " + _measured(report, address.address, probe))
        console.print()
    if not report.findings:
        console.print("No findings." if verdict != Verdict.UNKNOWN else
                      "No findings, but that proves nothing: the check could not run.")
    console.print(f"[dim]{_time_line(report)}[/]")


def ports_words(target: TargetInfo) -> str:
    """The protocol policy and the port(s) CloudFront connects to: both for match-viewer,
    whose HTTP viewers reach the HTTP port and HTTPS viewers the HTTPS port."""
    policy = target.protocol_policy
    if policy == "match-viewer":
        return f"{policy}, HTTP port {target.http_port}, HTTPS port {target.https_port}"
    port = target.https_port if policy != "http-only" else target.http_port
    return f"{policy}, port {port}"


def _render_dns(console: Console, report: Report) -> None:
    dns = report.dns
    name = escape(report.target.hostname)
    chain = escape(" → ".join(dns.cname_chain))
    via = f" → {chain}" if chain else ""
    if dns.status != "error" or not report.probe_error:
        words = dns_words(dns, report.target.ip_address_type)
        console.print(f"  DNS: {name}{via} → {escape(words)}, {dns.duration_ms:.0f} ms")
    walk = dns.walk
    if walk is not None and walk.nameservers:
        console.print(f"  Name servers of {escape(walk.zone or '?')}, asked directly for "
                      f"{escape(walk.name)} {walk.record}:")
        for check in walk.nameservers:
            console.print(f"    {escape(nameserver_words(check))}")
    elif walk is not None and walk.detail:
        console.print(f"  Name servers: {escape(walk.detail)}")


def _time_line(report: Report) -> str:
    t = report.timings_ms
    if {"dns", "connections", "other"} <= t.keys() and report.addresses:
        return (f"{report.duration_ms:.0f} ms in all: DNS {t['dns']:.0f} ms + connections "
                f"{t['connections']:.0f} ms (addresses in parallel) + rules and report "
                f"{t['other']:.0f} ms")
    if "dns" in t:
        return f"{report.duration_ms:.0f} ms in all: DNS {t['dns']:.0f} ms + the rest " \
            f"{max(0.0, report.duration_ms - t['dns']):.0f} ms"
    return f"{report.duration_ms:.0f} ms in all"


def _render_finding(console: Console, number: int, finding: Finding) -> None:
    uncertain = " [magenta](uncertain)[/]" if finding.uncertain else ""
    where = f" [dim]{escape(finding.address)}[/]" if finding.address else ""
    console.print(f"{number}. {_SEVERITY.get(finding.severity, finding.severity)} "
                  f"[bold]{finding.code}[/]{uncertain}{where}")
    console.print(f"   {escape(finding.summary)}")
    for step_no, step in enumerate(finding.remediation, 1):
        console.print(f"   [cyan]{step_no})[/] {escape(step)}")
    for link in finding.links:
        console.print(f"   [dim]→ {link}[/]", overflow="ignore", crop=False)
    console.print()


_TIMING_NAMES = {"connect": "connect", "tls": "TLS", "certificates": "certificate checks",
                 "first_byte": "first byte"}


def _measured(report: Report, address: str, probe: ConnectionProbe) -> str:
    """One line per connection: each layer's outcome in words, then where the time went."""
    parts = [f"[bold]{probe.scheme}:{probe.port}[/]"]
    parts += [f"{layer} {escape(words)}" for layer, words in probe_words(report, address, probe)]
    tls = probe.tls
    if tls is not None and tls.chain:
        leaf = tls.chain[0]
        parts.append(escape(f"cert {leaf.common_name or leaf.subject} "
                            f"until {leaf.not_after[:10]}"))
    t = probe.timings_ms
    if t:
        spent = " + ".join(f"{_TIMING_NAMES.get(k, k)} {v:.1f}" for k, v in t.items())
        parts.append(f"[dim]{spent} ms[/]")
    return " · ".join(parts)
