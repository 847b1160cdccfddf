"""Show evidence: what the origin presented and how long each phase took, per address."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.render.message import Message, context, escape, header, paginate, sections
from workers.models import CertificateInfo, ConnectionProbe, Report, ValidatorVerdict

MAX_SANS = 8


def _cert_line(index: int, cert: CertificateInfo) -> str:
    names = cert.dns_names + cert.ip_addresses
    shown = ", ".join(names[:MAX_SANS]) + (
        f" (+{len(names) - MAX_SANS})" if len(names) > MAX_SANS else ""
    )
    key = (
        cert.key_type
        + (f" {cert.key_size}" if cert.key_size else "")
        + (f" {cert.curve}" if cert.curve else "")
    )
    flags = []
    if cert.is_ca:
        flags.append("CA")
    if cert.self_signed:
        flags.append("self-signed")
    return (
        f"{index}. *{escape(cert.subject)}*\n"
        f"      issuer {escape(cert.issuer)}\n"
        f"      valid {escape(cert.not_before)} → {escape(cert.not_after)} · {escape(key)}"
        + (f" · {escape(cert.signature_hash)}" if cert.signature_hash else "")
        + (f" · {', '.join(flags)}" if flags else "")
        + (f"\n      names: {escape(shown)}" if names else "")
        + f"\n      sha256 `{escape(cert.sha256[:23])}…`"
    )


def _timings(probe: ConnectionProbe) -> str:
    if not probe.timings_ms:
        return "no timings"
    return " · ".join(f"{escape(k)} {v:.1f} ms" for k, v in probe.timings_ms.items())


def probe_text(address: str, probe: ConnectionProbe) -> str:
    lines = [f"*{escape(address)}* {probe.scheme} port {probe.port}", f"Timings: {_timings(probe)}"]
    tcp = probe.tcp
    lines.append(
        f"TCP: {escape(tcp.status)}"
        + (f" ({escape(tcp.reason)})" if tcp.reason else "")
        + f" after {tcp.attempts} attempt(s)"
        + (f" — {escape(tcp.detail)}" if tcp.detail else "")
    )
    tls = probe.tls
    if tls is not None:
        line = f"TLS: {escape(tls.status)}"
        if tls.protocol:
            line += f", {escape(tls.protocol)}"
        if tls.cipher:
            line += f", {escape(tls.cipher)}"
        if tls.sni:
            line += f", SNI {escape(tls.sni)}"
        if tls.reason:
            line += f" ({escape(tls.reason)})"
        if tls.detail:
            line += f" — {escape(tls.detail)}"
        lines.append(line)
        if tls.accepted_protocols:
            lines.append(f"Origin accepts: {escape(', '.join(tls.accepted_protocols))}")
        if tls.chain:
            lines.append("Certificate chain as presented:")
            lines.extend(_cert_line(i, cert) for i, cert in enumerate(tls.chain))
        analysis = tls.analysis
        if analysis is not None:
            trust = (
                "trusted"
                if analysis.trusted
                else f"not trusted ({escape(analysis.break_reason or 'unknown')})"
            )
            extra = [trust, "in order" if analysis.in_order else "out of order"]
            if analysis.anchor_subject:
                extra.append(
                    f"anchor {escape(analysis.anchor_subject)} ({escape(analysis.anchor_source)})"
                )
            if analysis.missing_issuer:
                extra.append(f"missing issuer {escape(analysis.missing_issuer)}")
            lines.append("Chain: " + " · ".join(extra))
            if analysis.validators:
                lines.append("Validators: " + " · ".join(
                    _verdict_text(v) for v in analysis.validators))
    http = probe.http
    line = f"HTTP: {escape(http.status)}"
    if http.status_code is not None:
        line += f", {http.status_code} {escape(http.reason_phrase or '')}".rstrip()
    if http.request_host:
        line += f", Host {escape(http.request_host)}"
    if http.server:
        line += f", server {escape(http.server)}"
    if http.reason:
        line += f" ({escape(http.reason)})"
    if http.detail:
        line += f" — {escape(http.detail)}"
    lines.append(line)
    return "\n".join(lines)


def edge_text(report: Report) -> str:
    """The viewer-side reading of CloudFront's edge: how it was recognised, and each answer."""
    edge = report.edge
    assert edge is not None
    how = ", ".join(edge.detected_by)
    lines = [f"*CloudFront's edge* (recognised by {escape(how)}"
             + (f"; {escape(edge.cloudfront_name)}" if edge.cloudfront_name else "") + ")"]
    for answer in edge.answers:
        lines.append(f"`{escape(answer.address)}`: {escape(answer.viewer_line())}")
        if answer.via:
            lines.append(f"      Via: {escape(answer.via)}")
        if answer.matched:
            lines.append(f"      read from: {escape(answer.matched)}")
    if not edge.answers:
        lines.append("No answer from the edge was received.")
    return "\n".join(lines)


def evidence_messages(report: Report, requested_by: str | None = None) -> list[Message]:
    """The evidence of one report as thread replies."""
    blocks: list[Block] = [header(f"Evidence for {report.target.display}")]
    dns = report.dns
    dns_line = f"*DNS*: {escape(dns.status)}"
    if dns.reason:
        dns_line += f" ({escape(dns.reason)})"
    if dns.addresses:
        dns_line += f" → {escape(', '.join(dns.addresses))}"
    if dns.cname_chain:
        dns_line += f"\nCNAME chain: {escape(' → '.join(dns.cname_chain))}"
    if dns.nameserver:
        dns_line += f"\nResolver: {escape(dns.nameserver)}"
    dns_line += f"\nTook {dns.duration_ms:.1f} ms"
    blocks.extend(sections(dns_line))
    if report.edge is not None:
        blocks.extend(sections(edge_text(report)))
    for address in report.addresses:
        if address.private_reason and not address.probes:
            blocks.extend(
                sections(
                    f"*{escape(address.address)}*: not probed, {escape(address.private_reason)}"
                )
            )
        for probe in address.probes:
            blocks.extend(sections(probe_text(address.address, probe)))
    note = f"Probe started {escape(report.started_at)}"
    if requested_by:
        note += f" · shown for <@{requested_by}>"
    blocks.append(context(note))
    fallback = f"Evidence for {report.target.display}"
    return paginate(blocks, fallback, continued=f"Evidence for {report.target.display}, continued")


_VALIDATOR_NAMES = {"openssl": "OpenSSL", "webpki": "Web PKI profile"}


def _verdict_text(verdict: ValidatorVerdict) -> str:
    """One validator's verdict; the rule and certificate come from the origin's chain, so
    they are escaped like everything else it controls."""
    name = _VALIDATOR_NAMES.get(verdict.validator, escape(verdict.validator))
    if verdict.accepted is None:
        return f"{name} could not run"
    if verdict.accepted:
        return f"{name} accepts"
    rule = escape(verdict.code or verdict.rule or "rejected")
    on = f" on {escape(verdict.certificate)}" if verdict.certificate else ""
    return f"{name} rejects ({rule}{on})"
