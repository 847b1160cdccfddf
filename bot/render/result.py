"""The thread under a finished run: a summary, then each finding with its evidence, the steps
to fix it and documentation links, split across messages when it does not fit in one."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import Block

from bot.render.diff import changes
from bot.render.message import Message, context, divider, escape, header, paginate, sections
from bot.render.status import VERDICT_WORDS
from workers.models import ConnectionProbe, Finding, Report

SEVERITY_ICONS = {
    "error": ":red_circle:",
    "warning": ":large_yellow_circle:",
    "info": ":information_source:",
}
EVIDENCE_VALUE_LIMIT = 300


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if len(text) > EVIDENCE_VALUE_LIMIT:
        text = text[: EVIDENCE_VALUE_LIMIT - 1] + "…"
    return escape(text)


def _layer_word(probe: ConnectionProbe) -> str:
    parts = [f"TCP {probe.tcp.status}" + (f" ({probe.tcp.reason})" if probe.tcp.reason else "")]
    if probe.tls is not None:
        tls = f"TLS {probe.tls.status}"
        if probe.tls.reason:
            tls += f" ({probe.tls.reason})"
        elif probe.tls.protocol:
            tls += f" ({probe.tls.protocol})"
        parts.append(tls)
    http = f"HTTP {probe.http.status}"
    if probe.http.status_code is not None:
        http += f" ({probe.http.status_code})"
    elif probe.http.reason:
        http += f" ({probe.http.reason})"
    parts.append(http)
    return " · ".join(escape(p) for p in parts)


def address_lines(report: Report) -> list[str]:
    lines = []
    for address in report.addresses:
        if address.private_reason and not address.probes:
            lines.append(
                f"`{escape(address.address)}` not probed: {escape(address.private_reason)}"
            )
            continue
        for probe in address.probes:
            lines.append(
                f"`{escape(address.address)}` {probe.scheme}:{probe.port} — {_layer_word(probe)}"
            )
    return lines


def viewer_lines(report: Report) -> list[str]:
    """What a viewer gets from CloudFront's edge, when the target is the edge (else nothing)."""
    if report.edge is None:
        return []
    answers = dict.fromkeys(a.viewer_line() for a in report.edge.answers)
    return [f"*Viewer side* (CloudFront's edge): {escape(line)}" for line in answers]


def summary_blocks(report: Report, previous: Report | None) -> list[Block]:
    errors = sum(1 for f in report.findings if f.severity == "error")
    warnings = sum(1 for f in report.findings if f.severity == "warning")
    title = (
        f"Diagnosis of {report.target.display}: {VERDICT_WORDS.get(report.verdict, report.verdict)}"
    )
    lines = [
        f"*{errors}* error{'s' if errors != 1 else ''} (502 causes), *{warnings}* "
        f"warning{'s' if warnings != 1 else ''}, "
        f"{len(report.findings) - errors - warnings} note(s)."
    ]
    if report.probe_error:
        lines.insert(0, f":warning: The check could not complete: {escape(report.probe_error)}")
    if report.dns.addresses:
        lines.append(f"DNS: {escape(', '.join(report.dns.addresses))}")
    elif report.dns.status != "ok":
        lines.append(
            f"DNS {escape(report.dns.status)}: {escape(report.dns.detail or report.dns.reason)}"
        )
    lines.extend(viewer_lines(report))
    lines.extend(address_lines(report))
    blocks: list[Block] = [header(title), *sections("\n".join(lines))]
    if previous is not None:
        diff = changes(previous, report)
        blocks.extend(
            sections("*What changed since the previous run*\n" + "\n".join(f"• {d}" for d in diff))
        )
    notes = [
        f"SNI/Host {escape(report.target.sni)}",
        f"checked in {report.duration_ms / 1000:.1f} s",
    ]
    if report.trust_note:
        notes.append(escape(report.trust_note))
    blocks.append(context(" · ".join(notes)))
    return blocks


def finding_blocks(finding: Finding) -> list[Block]:
    icon = SEVERITY_ICONS.get(finding.severity, ":grey_question:")
    head = f"{icon} *{escape(finding.code)}* — {escape(finding.summary)}"
    if finding.address:
        head += f" (`{escape(finding.address)}`)"
    if finding.uncertain:
        head += "\n_AWS does not document this clearly; treat it as likely, not certain._"
    blocks: list[Block] = [divider(), *sections(head)]
    if finding.evidence:
        evidence = "\n".join(f"• {escape(k)}: {_value(v)}" for k, v in finding.evidence.items())
        blocks.extend(sections(f"*Evidence*\n{evidence}"))
    if finding.remediation:
        steps = "\n".join(f"{n}. {escape(step)}" for n, step in enumerate(finding.remediation, 1))
        blocks.extend(sections(f"*What to change*\n{steps}"))
    if finding.links:
        links = " · ".join(f"<{link}|{escape(_link_label(link))}>" for link in finding.links[:8])
        blocks.append(context(links))
    return blocks


def _link_label(link: str) -> str:
    tail = link.rstrip("/").rsplit("/", 1)[-1]
    return tail.split("#")[0][:60] or link[:60]


def result_messages(report: Report, previous: Report | None = None) -> list[Message]:
    """The thread replies for a finished run, each within Slack's limits."""
    blocks = summary_blocks(report, previous)
    for finding in report.findings:
        blocks.extend(finding_blocks(finding))
    fallback = (
        f"Diagnosis of {report.target.display}: {VERDICT_WORDS.get(report.verdict, report.verdict)}"
        f", {len(report.findings)} finding(s)"
    )
    if report.primary is not None and report.verdict != "ok":
        fallback += f". First: {report.primary.code} — {report.primary.summary}"
    return paginate(blocks, fallback, continued=f"Diagnosis of {report.target.display}, continued")
