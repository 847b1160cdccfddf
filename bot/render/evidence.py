"""Show evidence: what the origin presented and how long each phase took, per address."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.render.message import Message, code, context, escape, header, paginate, sections
from workers.models import CertificateInfo, ConnectionProbe, Report, ValidatorVerdict
from workers.wording import dns_words, errors_at, http_words, nameserver_words, tcp_words, tls_words

_BREAKS = {
    "self_signed_leaf": "the server certificate is self-signed",
    "untrusted_root": "the root is not on Mozilla's list",
    "incomplete": "an issuer is missing",
}
_ANCHORS = {"mozilla": "Mozilla's list", "ca_file": "--ca-file"}
_TIMINGS = {"connect": "connect", "tls": "TLS", "certificates": "certificate checks",
            "first_byte": "first byte"}

MAX_SANS = 8


def _cert_line(index: int, cert: CertificateInfo) -> str:
    names = cert.dns_names + cert.ip_addresses
    shown = ", ".join(code(name) for name in names[:MAX_SANS]) + (
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
        f"{index}. *{code(cert.subject)}*\n"
        f"      issuer {code(cert.issuer)}\n"
        f"      valid {escape(cert.not_before)} → {escape(cert.not_after)} · {escape(key)}"
        + (f" · {escape(cert.signature_hash)}" if cert.signature_hash else "")
        + (f" · {', '.join(flags)}" if flags else "")
        + (f"\n      names: {shown}" if names else "")
        + f"\n      sha256 {code(cert.sha256[:23] + '…')}"
    )


def _timings(probe: ConnectionProbe) -> str:
    if not probe.timings_ms:
        return "no timings"
    spent = " + ".join(
        f"{_TIMINGS.get(k, escape(k))} {v:.1f}" for k, v in probe.timings_ms.items()
    )
    return f"{spent} ms"


def probe_text(address: str, probe: ConnectionProbe, report: Report | None = None) -> str:
    lines = [f"*{escape(address)}* {probe.scheme} port {probe.port}", f"Timings: {_timings(probe)}"]
    tcp = probe.tcp
    lines.append(
        f"TCP: {escape(tcp_words(tcp))}"
        + f" after {tcp.attempts} attempt(s)"
        + (f" — {escape(tcp.detail)}" if tcp.detail else "")
    )
    tls = probe.tls
    if tls is not None:
        errors = errors_at(report, address) if report is not None else []
        line = f"TLS: {escape(tls_words(tls, errors))}"
        if tls.sni:
            line += f", SNI {escape(tls.sni)}"
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
            why = _BREAKS.get(str(analysis.break_reason), "no path to a trusted root")
            trust = "trusted" if analysis.trusted else f"not trusted: {why}"
            extra = [trust, "in order" if analysis.in_order else "out of order"]
            if analysis.anchor_subject:
                source = _ANCHORS.get(str(analysis.anchor_source), str(analysis.anchor_source))
                extra.append(f"anchor {code(analysis.anchor_subject)} ({escape(source)})")
            if analysis.missing_issuer:
                extra.append(f"missing issuer {code(analysis.missing_issuer)}")
            lines.append("Chain: " + " · ".join(extra))
            if analysis.validators:
                lines.append("Validators: " + " · ".join(
                    _verdict_text(v) for v in analysis.validators))
    http = probe.http
    line = f"HTTP: {escape(http_words(http))}"
    if http.request_host:
        line += f", Host {escape(http.request_host)}"
    if http.server:
        line += f", server {code(http.server)}"
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
             + (f"; {code(edge.cloudfront_name)}" if edge.cloudfront_name else "") + ")"]
    for answer in edge.answers:
        lines.append(f"{code(answer.address)}: {escape(answer.viewer_line())}")
        if answer.via:
            lines.append(f"      Via: {code(answer.via)}")
        if answer.matched:
            lines.append(f"      read from: {escape(answer.matched)}")
    if not edge.answers:
        lines.append("No answer from the edge was received.")
    return "\n".join(lines)


def evidence_messages(report: Report, requested_by: str | None = None) -> list[Message]:
    """The evidence of one report as thread replies."""
    blocks: list[Block] = [header(f"Evidence for {report.target.display}")]
    dns = report.dns
    dns_line = f"*DNS*: {escape(dns_words(dns, report.target.ip_address_type))}"
    if dns.cname_chain:
        dns_line += f"\nCNAME chain: {' → '.join(code(name) for name in dns.cname_chain)}"
    if dns.nameserver:
        dns_line += f"\nResolver: {escape(dns.nameserver)}"
    if dns.walk is not None:
        walk = dns.walk
        if walk.nameservers:
            dns_line += (f"\nName servers of {escape(walk.zone or '?')}, asked directly for "
                         f"{escape(walk.name)} {walk.record}:")
            dns_line += "".join(f"\n• {escape(nameserver_words(c))}" for c in walk.nameservers)
        elif walk.detail:
            dns_line += f"\nName servers: {escape(walk.detail)}"
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
            blocks.extend(sections(probe_text(address.address, probe, report)))
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
    on = f" on {code(verdict.certificate)}" if verdict.certificate else ""
    return f"{name} rejects ({rule}{on})"
