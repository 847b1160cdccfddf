"""Readable terminal output for a report: the verdict first, then each finding with its
evidence, numbered fixes and links, then what was measured per address."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from workers.models import ConnectionProbe, ProbeRequest, Report

_VERDICT = {"ok": ("[bold green]OK[/]", "CloudFront can connect to this origin."),
            "warn": ("[bold yellow]WARN[/]", "CloudFront can connect, with warnings."),
            "fail": ("[bold red]FAIL[/]", "CloudFront would answer 502/504 for this origin.")}
_SEVERITY = {"error": "[red]✖ error[/]", "warning": "[yellow]▲ warning[/]",
             "info": "[blue]ℹ info[/]"}


def run_with_progress(request: ProbeRequest,
                      run: Callable[..., Report]) -> Report:
    """Run the diagnosis with a live status line on stderr (only when it is a terminal)."""
    console = Console(stderr=True)
    if not console.is_terminal:
        return run(request)
    with console.status(f"Probing {escape(request.hostname)}…") as status:
        def progress(layer: str, text: str) -> None:
            status.update(f"Probing {escape(request.hostname)}… {layer.upper()}: {escape(text)}")
        return run(request, on_progress=progress)


def render_report(report: Report, console: Console | None = None) -> None:
    console = console or Console(highlight=False)
    target = report.target
    label, sentence = _VERDICT.get(report.verdict, (report.verdict, ""))
    port = target.https_port if target.protocol_policy != "http-only" else target.http_port
    console.print(f"{label}  {escape(target.display)} "
                  f"({target.protocol_policy}, port {port}) — {sentence}")
    if report.probe_error:
        console.print(f"[red]The probe could not run:[/] {escape(report.probe_error)}")
    if target.host_header != target.hostname:
        console.print(f"  Host header and SNI: {escape(target.host_header)}")
    if report.trust_note:
        console.print(f"  [yellow]Note:[/] {escape(report.trust_note)}")
    console.print()
    for number, finding in enumerate(report.findings, 1):
        where = f" [dim]{finding.address}[/]" if finding.address else ""
        uncertain = " [magenta](uncertain)[/]" if finding.uncertain else ""
        console.print(f"{number}. {_SEVERITY.get(finding.severity, finding.severity)} "
                      f"[bold]{finding.code}[/]{where}{uncertain}")
        console.print(f"   {escape(finding.summary)}")
        for step_no, step in enumerate(finding.remediation, 1):
            console.print(f"   [cyan]{step_no})[/] {escape(step)}")
        for link in finding.links:
            console.print(f"   [dim]→ {link}[/]")
        console.print()
    if not report.findings:
        console.print("No findings.\n")
    _render_addresses(report, console)


def _render_addresses(report: Report, console: Console) -> None:
    dns = report.dns
    if dns.addresses:
        console.print(f"[bold]DNS[/] {escape(report.target.hostname)} → "
                      f"{', '.join(dns.addresses)} ({dns.reason or 'resolved'}, "
                      f"{dns.duration_ms:.0f} ms)")
    table = Table(show_edge=False, box=None, pad_edge=False)
    for column in ("address", "port", "tcp", "tls", "certificate", "http", "timings (ms)"):
        table.add_column(column)
    for address in report.addresses:
        for probe in address.probes:
            table.add_row(address.address, f"{probe.scheme}:{probe.port}", _tcp(probe),
                          _tls(probe), _cert(probe), _http(probe), _timings(probe))
    if report.addresses:
        console.print(table)
    console.print(f"[dim]{report.duration_ms:.0f} ms in all[/]")


def _tcp(probe: ConnectionProbe) -> str:
    return "ok" if probe.tcp.status == "ok" else str(probe.tcp.reason)


def _tls(probe: ConnectionProbe) -> str:
    tls = probe.tls
    if tls is None:
        return "-"
    if tls.status == "ok":
        return f"{tls.protocol} {tls.cipher}"
    return str(tls.reason or tls.status)


def _cert(probe: ConnectionProbe) -> str:
    tls = probe.tls
    if tls is None or not tls.chain:
        return "-"
    leaf = tls.chain[0]
    return escape(f"{leaf.common_name or leaf.subject} (until {leaf.not_after[:10]})")


def _http(probe: ConnectionProbe) -> str:
    http = probe.http
    if http.status_code:
        return f"{http.status_code} {escape(http.reason_phrase or '')}"
    return str(http.reason or http.status)


def _timings(probe: ConnectionProbe) -> str:
    return " / ".join(f"{k} {v:.1f}" for k, v in probe.timings_ms.items())
