"""The thread under a finished run: a summary, then each finding with its evidence, the steps
to fix it and documentation links, split across messages when it does not fit in one."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import Block

from bot.render.diff import changes
from bot.render.message import (
    Message,
    code,
    context,
    divider,
    escape,
    header,
    paginate,
    sections,
    with_code,
)
from workers.headline import outcome, short_verdict
from workers.models import Finding, Report, Severity, Verdict
from workers.wording import dns_words, nameserver_words, probe_words

SEVERITY_ICONS = {
    Severity.ERROR: ":red_circle:",
    Severity.WARNING: ":large_yellow_circle:",
    Severity.INFO: ":information_source:",
}
EVIDENCE_VALUE_LIMIT = 300


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if len(text) > EVIDENCE_VALUE_LIMIT:
        text = text[: EVIDENCE_VALUE_LIMIT - 1] + "…"
    return escape(text)


def address_lines(report: Report) -> list[str]:
    lines = []
    for address in report.addresses:
        if address.private_reason and not address.probes:
            lines.append(
                f"{code(address.address)} not probed: {escape(address.private_reason)}"
            )
            continue
        for probe in address.probes:
            said = probe_words(report, address.address, probe)
            words = " · ".join(f"{layer} {escape(text)}" for layer, text in said)
            lines.append(f"{code(address.address)} {probe.scheme}:{probe.port} — {words}")
    return lines


def viewer_lines(report: Report) -> list[str]:
    """What a viewer gets from CloudFront's edge, when the target is the edge (else nothing)."""
    if report.edge is None:
        return []
    answers = dict.fromkeys(a.viewer_line() for a in report.edge.answers)
    return [f"*Viewer side* (CloudFront's edge): {escape(line)}" for line in answers]


def summary_blocks(report: Report, previous: Report | None) -> list[Block]:
    errors = sum(1 for f in report.findings if f.severity == Severity.ERROR)
    warnings = sum(1 for f in report.findings if f.severity == Severity.WARNING)
    title = f"Diagnosis of {report.target.display}: {short_verdict(report)}"
    found = outcome(report.findings)
    causes = ("502 causes" if found is None or (found.statuses == ("502",) and not found.doubts)
              else "causes of viewer errors")
    lines = [
        f"*{errors}* error{'s' if errors != 1 else ''} ({causes}), *{warnings}* "
        f"warning{'s' if warnings != 1 else ''}, "
        f"{len(report.findings) - errors - warnings} note(s)."
    ]
    if report.probe_error:
        lines.insert(0, f":grey_question: Could not check from here: {escape(report.probe_error)}")
    dns = report.dns
    if dns.status != "error" or not report.probe_error:
        chain = "".join(f" → {code(name)}" for name in dns.cname_chain)
        words = dns_words(dns, report.target.ip_address_type)
        lines.append(f"DNS: {escape(report.target.hostname)}{chain} → {escape(words)}")
    if dns.walk is not None and dns.walk.nameservers:
        servers = "; ".join(escape(nameserver_words(c)) for c in dns.walk.nameservers)
        lines.append(f"Name servers of {escape(dns.walk.zone or '?')}: {servers}")
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
        head += f" ({code(finding.address)})"
    if finding.uncertain:
        head += "\n_AWS does not document this clearly; treat it as likely, not certain._"
    blocks: list[Block] = [divider(), *sections(head)]
    if finding.evidence:
        evidence = "\n".join(f"• {escape(k)}: {_value(v)}" for k, v in finding.evidence.items())
        blocks.extend(sections(f"*Evidence*\n{evidence}"))
    if finding.remediation:
        steps = "\n".join(f"{n}. {with_code(step)}"
                          for n, step in enumerate(finding.remediation, 1))
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
        f"Diagnosis of {report.target.display}: {short_verdict(report)}"
        f", {len(report.findings)} finding(s)"
    )
    if report.primary is not None and report.verdict not in (Verdict.OK, Verdict.UNKNOWN):
        fallback += f". First: {report.primary.code} — {report.primary.summary}"
    return paginate(blocks, fallback, continued=f"Diagnosis of {report.target.display}, continued")
