"""Terminal output for a distribution: the distribution, a line per origin with its verdict and
the behaviours it serves, then each origin's findings under a heading naming the origin id."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from workers.headline import distribution_sentence
from workers.headline_groups import probe_words
from workers.models.distribution import DistOrigin, DistributionReport, OriginProbe
from workers.terminal import render_report

_MARK = {"ok": "[bold green]OK  [/]", "warn": "[bold yellow]WARN[/]", "fail": "[bold red]FAIL[/]",
         "unknown": "[bold magenta]??  [/]"}


def origin_line(origin: DistOrigin) -> str:
    """The settings CloudFront uses for a custom origin, as one short phrase."""
    if origin.kind != "custom":
        return origin.kind
    policy = origin.protocol_policy or "https-only"
    ports = {"https-only": f"{origin.https_port}", "http-only": f"{origin.http_port}"}.get(
        policy, f"{origin.https_port}/{origin.http_port}")
    protocols = ",".join(origin.origin_ssl_protocols) if policy != "http-only" else ""
    return " ".join(x for x in (f"{policy}:{ports}", protocols) if x)


def probe_label(probe: OriginProbe) -> str:
    host = f", Host {probe.host_header}" if probe.host_header else ""
    role = f", {probe.role}" if probe.role else ""
    return f"{probe.origin_id} ({probe.domain_name}{host}{role})"


def render_distribution(report: DistributionReport, console: Console | None = None) -> None:
    console = console or Console(highlight=False)
    dist = report.distribution
    aliases = ", ".join(dist.aliases) or "none"
    console.print(f"[bold]Distribution {escape(dist.id)}[/] ({escape(dist.domain_name)}) — "
                  f"{escape(report.input)} matched by {escape(dist.matched_by)}; "
                  f"aliases: {escape(aliases)}")
    if dist.tenant:
        console.print(f"  Tenant: {escape(dist.tenant)}")
    if dist.disabled_note:
        # Up front: every verdict below is about the origins, not what viewers get now.
        console.print(f"  [bold yellow]Disabled:[/] {escape(dist.disabled_note)}")
    probed = {p.origin_id for p in report.probes}
    for probe in report.probes:
        origin = dist.origin(probe.origin_id)
        settings = origin_line(origin) if origin else ""
        # A failing origin says what its viewers get (CloudFront's 502 or 504, the origin's
        # own status; per viewer scheme for match-viewer), as its own headline below does.
        # An origin group or a custom error page changes that (workers/headline_groups.py).
        words = probe_words(report, probe)
        gets = f": {words}" if words else ""
        console.print(f"{_MARK.get(probe.verdict, probe.verdict)}  {escape(probe_label(probe))} "
                      f"{escape(settings)} — serves {escape(', '.join(probe.behaviours))}"
                      f"{escape(gets)}")
    for origin in dist.origins:
        if origin.id in probed:
            continue
        serves = [b.label for b in dist.behaviours if origin.id in b.origin_ids]
        why = dist.why_not_probed(origin.id)
        console.print(f"[dim]--  [/]  {escape(origin.id)} ({escape(origin.domain_name)}) — "
                      f"serves {escape(', '.join(serves) or 'no behaviour')}; not probed: "
                      f"{escape(why)}")
    for behaviour in dist.behaviours:
        for fn in behaviour.edge_functions:
            console.print(f"  {escape(behaviour.label)}: {fn.kind} on {fn.event_type} "
                          f"({escape(fn.arn)}) — a 502/503 can come from it too")
    worst = report.viewer.worst if report.viewer is not None else None
    if worst is not None:
        console.print(f"  Viewer side ({escape(dist.viewer_host)}): {escape(worst.viewer_line())}")
    elif report.viewer_note:
        console.print(f"  [dim]Viewer side: {escape(report.viewer_note)}[/]")
    for note in dist.notes:
        console.print(f"  [yellow]Note:[/] {escape(note)}")
    if report.verdict == "unknown":
        # No origin's line says why when nothing was probed or the edge contradicts them.
        console.print(f"[bold]UNKNOWN[/]  {escape(distribution_sentence(report))}")
    elif report.verdict_reason:
        # An ok or warn that does not cover every origin viewers reach (S3, VPC) says so, in
        # the words of --json's headline and Slack.
        console.print(f"{_MARK.get(report.verdict, report.verdict)}  "
                      f"{escape(distribution_sentence(report))}")
    console.print(f"[dim]  Looked up with {report.lookup.api_calls} API call(s) in "
                  f"{report.lookup.duration_ms:.0f} ms[/]")
    for probe in report.probes:
        console.print()
        console.rule(f"[bold]origin {escape(probe_label(probe))}[/] — serves "
                     f"{escape(', '.join(probe.behaviours))}", align="left")
        console.print(f"  GET {escape(probe.path)}"
                      + (f" with {escape(', '.join(probe.headers_sent))}"
                         if probe.headers_sent else ""))
        for note in probe.notes:
            console.print(f"  [yellow]Note:[/] {escape(note)}")
        behaviours = [b for b in dist.behaviours if b.label in probe.behaviours]
        for behaviour in behaviours:
            console.print(f"  {escape(behaviour.label)}: {escape(behaviour.host_reason)}")
        if probe.report is not None:
            render_report(probe.report, console)
    if not report.probes:
        console.print("No custom origin to probe for this selection.")
