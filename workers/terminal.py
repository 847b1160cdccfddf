"""Readable terminal output for a report: the verdict first, then each finding with its
evidence, numbered fixes and links, then what was measured per address."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.markup import escape

from workers.models import ConnectionProbe, Finding, ProbeRequest, Report

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
    """Verdict first; then findings that concern every address; then each address with its
    own findings and what was measured there."""
    console = console or Console(highlight=False)
    target = report.target
    label, sentence = _VERDICT.get(report.verdict, (report.verdict, ""))
    if report.edge is not None:
        sentence = _edge_sentence(report)
    port = target.https_port if target.protocol_policy != "http-only" else target.http_port
    console.print(f"{label}  {escape(target.display)} "
                  f"({target.protocol_policy}, port {port}) — {sentence}")
    if report.probe_error:
        console.print(f"[red]The probe could not run:[/] {escape(report.probe_error)}")
    if target.host_header != target.hostname:
        console.print(f"  Host header and SNI: {escape(target.host_header)}")
    if report.trust_note:
        console.print(f"  [yellow]Note:[/] {escape(report.trust_note)}")
    dns = report.dns
    if dns.addresses:
        via = " via " + " → ".join(dns.cname_chain) if dns.cname_chain else ""
        console.print(f"  DNS: {escape(target.hostname)}{escape(via)} → "
                      f"{', '.join(dns.addresses)} ({dns.reason or 'resolved'}, "
                      f"{dns.duration_ms:.0f} ms)")
    if report.edge is not None:
        for line in dict.fromkeys(a.viewer_line() for a in report.edge.answers):
            console.print(f"  Viewer side: {escape(line)}")
    console.print()
    number = 0
    general = [f for f in report.findings if f.address is None]
    for finding in general:
        number += 1
        _render_finding(console, number, finding)
    for address in report.addresses:
        console.rule(f"[bold]{address.address}[/] ({address.family})", align="left")
        for finding in (f for f in report.findings if f.address == address.address):
            number += 1
            _render_finding(console, number, finding)
        for probe in address.probes:
            console.print("  " + _measured(probe))
        console.print()
    if not report.findings:
        console.print("No findings.")
    console.print(f"[dim]{report.duration_ms:.0f} ms in all[/]")


def _edge_sentence(report: Report) -> str:
    """The verdict line when the target is CloudFront's edge: what viewers get, not a verdict
    about an origin that was never probed."""
    worst = report.edge.worst if report.edge is not None else None
    if worst is None:
        return "This name is CloudFront's edge; it did not answer from here."
    if (worst.status_code or 0) >= 500:
        return f"CloudFront's edge answers {worst.status_code} for this name (seen from here)."
    return "This name is CloudFront's edge and answers normally; its origins were not checked."


def _render_finding(console: Console, number: int, finding: Finding) -> None:
    uncertain = " [magenta](uncertain)[/]" if finding.uncertain else ""
    console.print(f"{number}. {_SEVERITY.get(finding.severity, finding.severity)} "
                  f"[bold]{finding.code}[/]{uncertain}")
    console.print(f"   {escape(finding.summary)}")
    for step_no, step in enumerate(finding.remediation, 1):
        console.print(f"   [cyan]{step_no})[/] {escape(step)}")
    for link in finding.links:
        console.print(f"   [dim]→ {link}[/]", overflow="ignore", crop=False)
    console.print()


def _measured(probe: ConnectionProbe) -> str:
    """One line per connection: each layer's outcome and time."""
    t = probe.timings_ms
    parts = [f"[bold]{probe.scheme}:{probe.port}[/]"]
    tcp = probe.tcp
    parts.append(f"TCP {'ok' if tcp.status == 'ok' else tcp.reason}"
                 + (f" {t['connect']:.1f} ms" if "connect" in t else ""))
    tls = probe.tls
    if tls is not None and tls.status != "not_run":
        what = f"{tls.protocol} {tls.cipher}" if tls.status == "ok" else str(tls.reason)
        parts.append(f"TLS {escape(what)}" + (f" {t['tls']:.1f} ms" if "tls" in t else ""))
        if tls.chain:
            leaf = tls.chain[0]
            parts.append(escape(f"cert {leaf.common_name or leaf.subject} "
                                f"until {leaf.not_after[:10]}"))
    http = probe.http
    if http.status != "not_run":
        what = f"{http.status_code} {http.reason_phrase or ''}".strip() if http.status_code \
            else str(http.reason)
        parts.append(f"HTTP {escape(what)}"
                     + (f" {t['first_byte']:.1f} ms" if "first_byte" in t else ""))
    return " · ".join(parts)
