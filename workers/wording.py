"""Words for what was measured, shared by the terminal and Slack so they never disagree.

Pure functions over the models: no enum value reaches a person as it is spelled in code.
A layer line takes the findings into account, so a handshake that completed with an expired
certificate reads "certificate rejected", never "TLS ok" beside a 502.
"""

from __future__ import annotations

from workers.diagnosis.catalog import CATALOG, FAMILY_LABELS
from workers.models import (
    ConnectionProbe,
    DnsResult,
    Finding,
    HttpResult,
    NameServerCheck,
    Report,
    Severity,
    TcpResult,
    TlsResult,
    Verdict,
)

VERDICT_WORDS = {
    Verdict.OK: "no problem found",
    Verdict.WARN: "works, with warnings",
    Verdict.FAIL: "error expected",  # a report says which (workers.headline.fail_words)
    Verdict.UNKNOWN: "could not check from here",
}

_DNS_REASONS = {
    "nxdomain": "the name does not exist (NXDOMAIN)",
    "no_address": "the name has no A or AAAA record",
    "servfail": "the name servers fail (SERVFAIL)",
    "timeout": "no answer in time",
    "resolver_error": "the resolver failed",
    "overridden": "given with --resolve",
    "ip_literal": "an IP address, no DNS needed",
}
_TCP_REASONS = {
    "refused": "refused",
    "timeout": "no answer (dropped)",
    "unreachable": "no route to the origin",
    "blocked": "not probed (not a public address)",
    "unconnectable": "not dialled (no server can have this address)",
    "no_route_here": "not checked from here (no route from this machine)",
    "other": "failed",
}
_TLS_REASONS = {
    "protocol_unsupported": "no protocol in common",
    "cipher_unsupported": "no cipher in common",
    "curve_unsupported": "no curve in common",
    "not_tls": "not TLS",
    "client_cert_required": "client certificate required",
    "reset": "closed during the handshake",
    "timeout": "handshake timed out",
    "handshake_failed": "handshake failed",
    "unverifiable_here": "cannot be reproduced from here",
}
_HTTP_REASONS = {
    "closed": "closed without a response",
    "timeout": "no response in time",
    "invalid": "not HTTP",
    "truncated": "response cut short",
    "reset": "connection reset",
}
_OUTCOMES = {
    "answer": "answers", "nodata": "no such record", "nxdomain": "NXDOMAIN",
    "servfail": "SERVFAIL", "refused": "refuses (does not serve the zone)",
    "not_authoritative": "not authoritative", "timeout": "no answer",
    "unreachable": "unreachable", "no_address": "no address", "other": "failed",
    "not_asked": "not asked (origin502's time budget ran out)",
}

# Which layer a finding code speaks about, by its prefix (codes added later follow the same
# naming); a finding of no layer does not colour a layer line.
_LAYER_PREFIXES = (("DNS_", "dns"), ("PORT_", "tcp"), ("ADDRESS_", "tcp"), ("TLS", "tls"),
                   ("CERT_", "tls"), ("ORIGIN_RETURNED", "http"), ("ORIGIN_CLOSED", "http"),
                   ("ORIGIN_RESPONSE", "http"), ("HTTP_", "http"))


def title_of(finding: Finding) -> str:
    """The short name of a finding's cause (reports stored before titles existed have none)."""
    entry = CATALOG.get(finding.code)
    return finding.title or (entry.title if entry is not None else finding.code)


def lower_first(text: str) -> str:
    """"A certificate has expired" → "a certificate…", but "TLS handshake…" and "CloudFront
    cannot…" stay: a word with a capital past its first letter is a name."""
    first = text.split(" ", 1)[0]
    return text if any(c.isupper() for c in first[1:]) else text[:1].lower() + text[1:]


def layer_of(code: str) -> str | None:
    return next((layer for prefix, layer in _LAYER_PREFIXES if code.startswith(prefix)), None)


def verdict_words(verdict: str) -> str:
    return VERDICT_WORDS.get(Verdict(verdict), str(verdict)) if verdict in set(Verdict) \
        else str(verdict)


# A name that resolves, but to no address of the family CloudFront uses: said on the DNS line,
# so that it agrees with the finding (DNS_RESOLUTION_FAILED's NO_USABLE_ADDRESS shape) below it.
ONLY_OTHER_FAMILY = ("{found} addresses only; the origin's IP address type is {kind}, so "
                     "CloudFront has no {wanted} address to use")


def dns_words(dns: DnsResult, ip_address_type: str | None = None) -> str:
    """The DNS line's words; with the origin's IP address type, a name that resolves only to
    the other family says so rather than "resolved"."""
    if dns.status == "ok":
        how = _DNS_REASONS.get(str(dns.reason), "resolved")
        wanted = {"ipv4": dns.ipv4, "ipv6": dns.ipv6}.get(str(ip_address_type))
        if wanted is not None and not wanted and dns.addresses and dns.reason != "ip_literal":
            other = "ipv6" if ip_address_type == "ipv4" else "ipv4"
            only = ONLY_OTHER_FAMILY.format(
                found=FAMILY_LABELS[other], kind=ip_address_type,
                wanted=FAMILY_LABELS[str(ip_address_type)])
            how = f"resolved to {only}" if dns.reason is None else f"{how}: {only}"
        return f"{', '.join(dns.addresses)} ({how})"
    if dns.status == "error":
        return f"not checked from here: {dns.detail}"
    return _DNS_REASONS.get(str(dns.reason), "does not resolve")


def nameserver_words(check: NameServerCheck) -> str:
    who = f"{check.server} ({check.address})" if check.address else check.server
    what = _OUTCOMES.get(str(check.outcome), str(check.outcome))
    if check.addresses:
        what += " " + ", ".join(check.addresses)
    elif check.cname:
        what += f" CNAME {check.cname}"
    return f"{who}: {what}"


# A wait origin502's own time budget ended before CloudFront's limit did (a BudgetCut).
OUT_OF_TIME = "not checked: origin502's time budget ran out first"


def tcp_words(tcp: TcpResult) -> str:
    if tcp.status == "ok":
        return "connected"
    if tcp.cut is not None:
        return OUT_OF_TIME
    return _TCP_REASONS.get(str(tcp.reason), "failed")


def tls13_only_words(tls: TlsResult) -> str:
    """A TLS 1.3-only origin, as it happened: the request went over TLS 1.3, CloudFront's
    configured protocols were not accepted (or not with its ciphers or curves)."""
    done = f"{tls.http_over} worked (the request went over it)"
    offered = "/".join(tls.offered_protocols) or "the configured protocols"
    if str(tls.reason) == "protocol_unsupported":
        return f"{done}; {offered} not accepted"
    return f"{done}; {offered}: {_TLS_REASONS.get(str(tls.reason), 'failed')}"


def tls_words(tls: TlsResult, errors: list[Finding]) -> str:
    """The handshake, and whether its certificate passes: ``errors`` are the error findings
    about this address."""
    if tls.status == "not_run":
        return "not run"
    rejected = [f for f in errors if f.code.startswith("CERT_")]
    if tls.cut is not None:
        return OUT_OF_TIME
    if tls.status != "ok":
        words = tls13_only_words(tls) if tls.http_over else _TLS_REASONS.get(str(tls.reason),
                                                                             "failed")
        if rejected:
            # The chain came from a follow-up handshake: it is judged all the same.
            words += (f"; CloudFront would also reject the certificate "
                      f"({lower_first(title_of(rejected[0]))})")
        return words
    words = f"{tls.protocol} {tls.cipher}".strip() if tls.protocol else "handshake done"
    if rejected:
        return f"{words}, but CloudFront would reject it: {lower_first(title_of(rejected[0]))}"
    return words


def http_words(http: HttpResult) -> str:
    if http.status == "not_run":
        return "not run"
    if http.status_code is not None:
        return f"{http.status_code} {http.reason_phrase or ''}".strip()
    if http.cut is not None:
        return OUT_OF_TIME
    return _HTTP_REASONS.get(str(http.reason), "failed")


def errors_at(report: Report, address: str) -> list[Finding]:
    """Error findings about ``address``, including merged ones that name it."""
    return [f for f in report.findings if f.severity == Severity.ERROR and (
        f.address == address or address in (f.evidence.get("addresses") or []))]


def probe_words(report: Report, address: str, probe: ConnectionProbe) -> list[tuple[str, str]]:
    """(layer name, words) for one connection, in layer order."""
    parts = [("TCP", tcp_words(probe.tcp))]
    if probe.tls is not None:
        parts.append(("TLS", tls_words(probe.tls, errors_at(report, address))))
    parts.append(("HTTP", http_words(probe.http)))
    return parts


def layer_summary(report: Report, layer: str) -> tuple[str, str] | None:
    """(state, words) for a whole layer of a finished report, from its error findings:
    state "fail" or "unknown"; None when the progress line already tells the truth."""
    errors = [f for f in report.findings
              if f.severity == Severity.ERROR and layer_of(f.code) == layer]
    if errors:
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        return "fail", f"{lower_first(title_of(errors[0]))}{more}"
    if layer == "dns" and report.dns.status == "error":
        return "unknown", f"not checked from here: {report.dns.detail}"
    if any(getattr(p, layer, None) is not None and getattr(p, layer).cut is not None
           for a in report.addresses for p in a.probes):
        return "unknown", OUT_OF_TIME
    return None
