"""What changed between two runs of the same target, in short lines."""

from __future__ import annotations

from bot.render.message import escape
from workers.models import Report

_SETTINGS = (
    ("sni", "SNI"),
    ("host_header", "Host header"),
    ("protocol_policy", "protocol policy"),
    ("https_port", "HTTPS port"),
    ("http_port", "HTTP port"),
    ("origin_ssl_protocols", "origin SSL protocols"),
    ("path", "path"),
)


def changes(previous: Report, current: Report) -> list[str]:
    """Lines naming what differs: settings, verdict, findings gone and new, addresses."""
    lines: list[str] = []
    for name, label in _SETTINGS:
        before, after = getattr(previous.target, name), getattr(current.target, name)
        if before != after:
            lines.append(f"{label}: {escape(_show(before))} → {escape(_show(after))}")
    if previous.verdict != current.verdict:
        lines.append(f"verdict: {previous.verdict} → *{current.verdict}*")
    before_codes = {f.code: f for f in previous.findings}
    after_codes = {f.code: f for f in current.findings}
    for code, finding in before_codes.items():
        if code not in after_codes:
            lines.append(f":white_check_mark: gone: *{escape(code)}* ({escape(finding.summary)})")
    for code, finding in after_codes.items():
        if code not in before_codes:
            lines.append(f":new: new: *{escape(code)}* ({escape(finding.summary)})")
    kept = [code for code in after_codes if code in before_codes]
    if kept:
        lines.append("still there: " + ", ".join(f"*{escape(c)}*" for c in kept))
    before_addrs = {a.address for a in previous.addresses}
    after_addrs = {a.address for a in current.addresses}
    if before_addrs != after_addrs:
        lines.append(
            f"addresses: {escape(', '.join(sorted(before_addrs)) or 'none')} → "
            f"{escape(', '.join(sorted(after_addrs)) or 'none')}"
        )
    if not lines or (len(lines) == 1 and lines[0].startswith("still there")):
        lines.insert(0, "nothing changed: same settings, verdict and findings")
    return lines


def _show(value: object) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)
