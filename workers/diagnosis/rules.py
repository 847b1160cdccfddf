"""Diagnosis rules: small pure functions from a measured report to findings. No I/O here.

Each rule looks at one aspect and returns zero or more findings whose summary carries the
measured evidence; the wording of the fixes comes from ``catalog``.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Callable, Iterator
from typing import Any

from workers.diagnosis.catalog import CATALOG
from workers.diagnosis.names import certificate_matches, names_for_matching
from workers.models import (
    AddressReport,
    CertificateInfo,
    CipherOffer,
    ConnectionProbe,
    DnsWalk,
    Finding,
    NameServerCheck,
    NameServerOutcome,
    Report,
    Status,
)
from workers.models.cloudfront import (
    CLOUDFRONT_CIPHERS,
    EXPIRY_WARNING_DAYS,
    RSA_MAX_BITS,
    RSA_MIN_BITS,
    UNBUILDABLE_CIPHERS,
    WEAK_CLOUDFRONT_CIPHERS,
    port_allowed,
)

Rule = Callable[[Report, dt.datetime], list[Finding]]


class _Blank(string.Formatter):
    """Leaves a template's unknown fields empty rather than failing, and keeps a filled-in value
    (a name an origin chose) from opening or closing the template's `code` spans: its backticks
    show as ˋ, so the steps' commands stay commands wherever they are shown."""

    def get_value(self, key: Any, args: Any, kwargs: Any) -> Any:
        if isinstance(key, str):
            return kwargs.get(key, "")
        return super().get_value(key, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> str:
        return str(super().format_field(value, format_spec)).replace("`", "\u02cb")


_FORMAT = _Blank()


def _sentences(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"(?<=[.:;!?])\s+", text) if part.strip()]


def _new_to(summary: str, step: str) -> str:
    """``step`` without the sentences the summary already says: a fix starts with what to do,
    never with the summary again (templates fill ``{detail}`` with the measured facts)."""
    said = " ".join(summary.split()).rstrip(".").lower()
    kept = [s for s in _sentences(step)
            if len(s) < 20 or " ".join(s.split()).rstrip(".:;").lower() not in said]
    return " ".join(kept)


def finding(code: str, summary: str, at: str | None = None, **fill: Any) -> Finding:
    """A catalog finding with its evidence; ``at`` is the address it concerns (None: all)."""
    entry = CATALOG[code]
    steps = [_new_to(summary, _FORMAT.format(step, **fill).strip())
             for step in entry.remediation]
    return Finding(
        code=code, severity=entry.severity, summary=summary, address=at, title=entry.title,
        remediation=[s for s in steps if s], links=list(entry.links), uncertain=entry.uncertain,
        evidence={k: v for k, v in fill.items() if isinstance(v, str | int | float | list)},
    )


def _probes(report: Report) -> Iterator[tuple[AddressReport, ConnectionProbe]]:
    for address in report.addresses:
        for probe in address.probes:
            yield address, probe


def _parse(ts: str) -> dt.datetime:
    return dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))


def _ago(delta: dt.timedelta) -> str:
    days = abs(delta).days
    if days >= 2:
        return f"{days} days"
    hours = int(abs(delta).total_seconds() // 3600)
    return f"{hours} hours" if hours >= 2 else f"{int(abs(delta).total_seconds() // 60)} minutes"


def _setting(scheme: str) -> str:
    return "HTTPS port" if scheme == "https" else "HTTP port"


def _apex(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[-2:]) if len(parts) >= 2 else name


# --- target and DNS ------------------------------------------------------------------------

def rule_ip_literal(report: Report, _now: dt.datetime) -> list[Finding]:
    if not report.target.is_ip_literal:
        return []
    ip = report.target.hostname
    return [finding("ORIGIN_IS_IP_ADDRESS",
                    f"The origin is given as the IP address {ip}, not a domain name.",
                    None, address=ip)]


_SERVER_WORDS = {
    NameServerOutcome.NXDOMAIN: "says the name does not exist (NXDOMAIN)",
    NameServerOutcome.SERVFAIL: "answers SERVFAIL",
    NameServerOutcome.REFUSED: "refuses the query: it does not serve the zone",
    NameServerOutcome.TIMEOUT: "does not answer",
}
_ANSWERED = (NameServerOutcome.ANSWER, NameServerOutcome.NODATA, NameServerOutcome.NXDOMAIN)
_FAILING = (NameServerOutcome.TIMEOUT, NameServerOutcome.UNREACHABLE,
            NameServerOutcome.SERVFAIL, NameServerOutcome.NO_ADDRESS, NameServerOutcome.OTHER)
_LAME = (NameServerOutcome.REFUSED, NameServerOutcome.NOT_AUTHORITATIVE)
_SILENT = (NameServerOutcome.TIMEOUT, NameServerOutcome.UNREACHABLE, NameServerOutcome.NO_ADDRESS)


def _server_said(check: NameServerCheck, record: str) -> str:
    """What one authoritative server did, in words."""
    who = f"{check.server} ({check.address})" if check.address else check.server
    if check.outcome == NameServerOutcome.ANSWER:
        what = (f"answers {', '.join(check.addresses)}" if check.addresses
                else f"answers with a CNAME to {check.cname}")
    elif check.outcome == NameServerOutcome.NODATA:
        what = f"says the name has no {record} record"
    else:
        what = _SERVER_WORDS.get(check.outcome) or check.detail or "fails"
        if check.outcome == NameServerOutcome.UNREACHABLE and check.detail:
            what = f"cannot be reached ({check.detail})"
    return f"{who} {what}"


def _servers_said(checks: list[NameServerCheck], record: str) -> str:
    return "; ".join(_server_said(c, record) for c in checks)


def _chain(name: str, chain: list[str]) -> str:
    return " → ".join([name, *chain])


def _walk_findings(report: Report, walk: DnsWalk, resolved: bool) -> list[Finding]:
    """Findings about the zone's own servers, asked directly: failing, lame, disagreeing."""
    checks = walk.nameservers
    if not checks or all(c.outcome in _SILENT for c in checks):
        # Nothing answered from here: all down, or this machine cannot query them directly.
        # Which one is not known, so no finding names the servers.
        return []
    zone = walk.zone or ""
    answered = [c for c in checks if c.outcome in _ANSWERED]
    out = []
    fill: dict[str, Any] = {"zone": zone, "name": walk.name, "record": walk.record}
    failing = [c for c in checks if c.outcome in _FAILING]
    lame = [c for c in checks if c.outcome in _LAME]
    for code, bad, verbs in (("DNS_NAMESERVER_FAILING", failing, ("fails", "fail")),
                             ("DNS_LAME_DELEGATION", lame,
                              ("does not serve the zone", "do not serve the zone"))):
        if not bad:
            continue
        names = ", ".join(c.server for c in bad)
        what = verbs[0] if len(bad) == 1 else verbs[1]
        where = (f"{len(bad)} of the {len(checks)} name servers of {zone} {what} when asked "
                 f"directly for {walk.name} {walk.record}: {_servers_said(bad, walk.record)}.")
        if answered:
            where += (" The others answer, so resolvers (CloudFront's too) that pick a "
                      "broken one retry elsewhere: slower, and some lookups fail.")
        f = finding(code, where, None, servers=names, **fill)
        if answered or resolved:
            f.severity = "warning"
        out.append(f)
    exists = [c for c in answered if c.outcome == NameServerOutcome.ANSWER]
    missing = [c for c in answered if c.outcome != NameServerOutcome.ANSWER]
    if exists and missing:
        out.append(finding(
            "DNS_SERVERS_DISAGREE", f"The name servers of {zone} disagree about {walk.name} "
            f"{walk.record}: {_servers_said(answered, walk.record)}. Resolvers ask any of "
            "them, so CloudFront resolves the origin some of the time only.", None,
            servers=", ".join(c.server for c in missing), **fill))
    return out


def rule_dns(report: Report, _now: dt.datetime) -> list[Finding]:
    dns = report.dns
    name = report.target.hostname
    kind = report.target.ip_address_type
    if report.target.is_ip_literal:
        family = "ipv6" if ":" in name else "ipv4"
        if report.target.uses_family(family):
            return []
        label = "IPv6" if family == "ipv6" else "IPv4"
        return [finding("ADDRESS_FAMILY_NOT_USED",
                        f"The origin is the {label} address {name}, and the origin IP address "
                        f"type is {kind}: CloudFront has no address it would connect to.",
                        None, address=name, family=label, kind=kind,
                        kind_fix="dualstack" if family == "ipv6" else "dualstack or ipv4")]
    if dns.status == Status.OK:
        found = _walk_findings(report, dns.walk, resolved=True) if dns.walk else []
        record = {"ipv4": "A", "ipv6": "AAAA"}.get(kind)
        usable = dns.ipv4 if kind == "ipv4" else dns.ipv6 if kind == "ipv6" else dns.addresses
        if record and not usable:
            found.insert(0, finding(
                "DNS_RESOLUTION_FAILED", f"{name} has no {record} record, and the origin IP "
                f"address type is {kind}: CloudFront has no address to connect to (it has "
                f"{', '.join(dns.addresses)}).", None, name=name, apex=_apex(name),
                reason="no_usable_address"))
        return found
    if dns.status != Status.FAILED:
        return []
    walk = dns.walk
    out: list[Finding] = []
    apex = walk.zone if walk and walk.zone else _apex(name)
    if dns.reason == "nxdomain" and dns.cname_chain:
        target = dns.cname_chain[-1]
        out.append(finding(
            "DNS_DANGLING_CNAME", f"{_chain(name, dns.cname_chain)}: the CNAME points at "
            f"{target}, a name that no longer exists (NXDOMAIN). A deleted load balancer or "
            "bucket left behind is the usual cause.", None, name=name, target=target,
            chain=[name, *dns.cname_chain], apex=apex))
    elif walk is not None and walk.dnssec_bogus:
        seen = (f" (with checking disabled it answers {', '.join(walk.cd_answer)})"
                if walk.cd_answer else " (with checking disabled it answers)")
        out.append(finding(
            "DNS_DNSSEC_FAILED", f"The resolver {dns.nameserver} answers SERVFAIL for "
            f"{walk.name}, but not when asked with DNSSEC checking disabled (+cd){seen}: the "
            "zone's DNSSEC signatures or its DS record do not validate.", None,
            name=walk.name, zone=walk.zone or apex))
    if walk is not None:
        out.extend(_walk_findings(report, walk, resolved=False))
    if any(f.severity == "error" for f in out):
        return out
    what = {
        "nxdomain": f"{name} does not exist in DNS (NXDOMAIN)",
        "no_address": f"{name} exists but has no A or AAAA record",
        "servfail": f"the name servers for {name} fail (SERVFAIL)",
        "timeout": f"no DNS answer for {name} in time",
    }.get(str(dns.reason), f"{name} could not be resolved ({dns.reason})")
    via = f" (asked {dns.nameserver})" if dns.nameserver else ""
    chain = f"; CNAME chain: {_chain(name, dns.cname_chain)}" if dns.cname_chain else ""
    walked = ""
    if walk is not None:
        checks = walk.nameservers
        if checks and all(c.outcome in _SILENT for c in checks):
            walked = (f" None of the {len(checks)} name servers of {walk.zone} "
                      f"({', '.join(c.server for c in checks)}) answered from here: they are "
                      "all down, or this machine cannot query them directly.")
        elif checks:
            walked = (f" Asked directly, the name servers of {walk.zone} say: "
                      f"{_servers_said(checks, walk.record)}.")
        elif walk.detail:
            walked = f" {walk.detail[0].upper()}{walk.detail[1:]}."
    out.insert(0, finding("DNS_RESOLUTION_FAILED", f"{what}{via}{chain}.{walked}", None,
                          name=name, apex=apex, reason=str(dns.reason)))
    return out


def rule_ports_allowed(report: Report, _now: dt.datetime) -> list[Finding]:
    target = report.target
    schemes = {"https-only": ["https"], "http-only": ["http"]}.get(
        target.protocol_policy, ["https", "http"])
    out = []
    for scheme in schemes:
        port = target.https_port if scheme == "https" else target.http_port
        if not port_allowed(port):
            out.append(finding("PORT_NOT_ALLOWED",
                               f"The {_setting(scheme)} {port} is not one CloudFront accepts "
                               "(80, 443 or 1024-65535).", None,
                               port=port, setting=_setting(scheme)))
    return out


# --- addresses and TCP ----------------------------------------------------------------------

def rule_private_address(report: Report, _now: dt.datetime) -> list[Finding]:
    out = []
    for address in report.addresses:
        if not address.private_reason:
            continue
        blocked = any(p.tcp.reason == "blocked" for p in address.probes)
        code = "ADDRESS_NOT_ALLOWED" if blocked else "ORIGIN_PRIVATE_ADDRESS"
        out.append(finding(code, f"{report.target.hostname} resolves to {address.address}, "
                           f"{address.private_reason}.", address.address,
                           address=address.address, reason=address.private_reason))
    return out


def rule_tcp(report: Report, _now: dt.datetime) -> list[Finding]:
    out = []
    for address, probe in _probes(report):
        tcp = probe.tcp
        if tcp.status != Status.FAILED or tcp.reason == "blocked":
            continue
        where = f"{address.address} port {probe.port} ({probe.scheme})"
        tries = f"{tcp.attempts} attempt{'s' if tcp.attempts != 1 else ''}"
        fill = {"port": probe.port, "address": address.address, "setting": _setting(probe.scheme)}
        if tcp.reason == "refused":
            out.append(finding("PORT_CLOSED", f"{where} refuses connections ({tries}, each "
                               "answered with a TCP reset).", address.address, **fill))
        elif tcp.reason == "timeout":
            out.append(finding("PORT_TIMEOUT", f"{where} does not answer: {tries} of "
                               f"{report.target.connect_timeout:g} s each timed out. Whether "
                               "CloudFront shows this as 502 or 504 is not documented; "
                               "expect either.", address.address, **fill))
        else:
            out.append(finding("PORT_UNREACHABLE", f"{where} cannot be reached: {tcp.detail}.",
                               address.address, **fill))
    return out


# --- TLS --------------------------------------------------------------------------------------

def _cipher_list(names: list[str]) -> str:
    return ", ".join(names) if names else "nothing"


def _offer_answer(offer: CipherOffer) -> str:
    """How the origin answered CloudFront's exact list, in words."""
    if offer.outcome == "alert":
        return f"alert {offer.alert}"
    if offer.outcome == "chose":
        return f"a choice of {offer.cipher} over {offer.version}"
    return {"closed": "a closed connection", "timeout": "no answer in time",
            "not_tls": "bytes that are not TLS"}.get(offer.outcome, offer.detail or offer.outcome)


def _offer_sentence(offer: CipherOffer) -> str:
    return (f"A ClientHello offering exactly CloudFront's {len(offer.offered)} ciphers for "
            f"{offer.client_version} (DES-CBC3-SHA and RC4-MD5 included) got "
            f"{_offer_answer(offer)}.")


def rule_tls(report: Report, _now: dt.datetime) -> list[Finding]:
    out = []
    offered = report.target.origin_ssl_protocols
    for address, probe in _probes(report):
        tls = probe.tls
        if tls is None or tls.status in (Status.OK, Status.NOT_RUN):
            continue
        ip = address.address
        where = f"{ip} port {probe.port}"
        fill: dict[str, Any] = {"port": probe.port, "address": ip, "sni": tls.sni or ip,
                                "detail": tls.detail or ""}
        reason = tls.reason
        accepted = tls.accepted_protocols
        if reason == "not_tls":
            plain = (" (it answered plain HTTP)" if probe.http.status_code else "")
            out.append(finding("TLS_NOT_SPOKEN", f"{where} does not answer a TLS handshake: "
                               f"{tls.detail}.", ip, plain=plain, **fill))
        elif reason == "protocol_unsupported":
            only13 = accepted == ["TLSv1.3"]
            if only13:
                out.append(finding("TLS13_ONLY", f"{where} accepts only TLS 1.3; CloudFront "
                                   f"is set to {', '.join(offered)}.", ip, **fill))
                continue
            older = [p for p in accepted if p != "TLSv1.3"]
            fix = (f"Add {older[0]} to the distribution's origin SSL protocols, or better, "
                   "enable TLS 1.2 on the origin." if older else "Enable TLS 1.2 on the origin.")
            out.append(finding("TLS_PROTOCOL_UNSUPPORTED",
                               f"{where} accepts {', '.join(accepted)}; CloudFront offers "
                               f"{', '.join(offered)}.", ip, offered=", ".join(offered),
                               accepted=", ".join(accepted), fix=fix, **fill))
        elif reason == "cipher_unsupported":
            common = [p for p in accepted if p in offered]
            protocol = common[0] if common else "the common protocol"
            ciphers = tls.accepted_ciphers
            offer = tls.cipher_offer
            if offer is None and ciphers and all(c in UNBUILDABLE_CIPHERS for c in ciphers):
                # An older probe that could not offer these suites: it proves nothing.
                continue
            cloudfront = offer.offered if offer else list(CLOUDFRONT_CIPHERS)
            evidence = f" {_offer_sentence(offer)}" if offer else ""
            out.append(finding("TLS_CIPHER_UNSUPPORTED",
                               f"{where}: no cipher in common. Over {protocol} the origin "
                               f"accepts {_cipher_list(ciphers)}; CloudFront offers "
                               f"{', '.join(cloudfront)}.{evidence}",
                               ip, protocol=protocol, accepted=_cipher_list(ciphers),
                               cloudfront_ciphers=cloudfront, **fill))
        elif reason == "curve_unsupported":
            out.append(finding("TLS_CURVE_UNSUPPORTED", f"{where}: {tls.detail}.", ip, **fill))
        elif reason == "client_cert_required":
            why = tls.detail or "it ends the handshake when none is sent"
            out.append(finding("TLS_CLIENT_CERT_REQUIRED", f"{where} requires a client "
                               f"certificate: {why}.", ip,
                               how="it ends the TLS handshake", **fill))
        elif reason == "cert_message_too_large":
            out.append(finding("CERT_MESSAGE_TOO_LARGE", f"{where}: the origin's certificate "
                               f"message is larger than this machine's TLS library accepts "
                               f"({tls.detail}).", ip, **fill))
        elif reason == "unverifiable_here":
            out.append(finding("TLS_UNVERIFIABLE_HERE", f"{where}: {tls.detail}.", ip, **fill))
        else:
            what = {"reset": "the origin closed the connection during the handshake",
                    "timeout": "the origin did not complete the handshake in time"}.get(
                        str(reason), tls.detail or "the handshake failed")
            extra = ""
            if tls.cipher_offer is not None:
                extra = f" {_offer_sentence(tls.cipher_offer)}"
            elif not accepted:
                extra = (" It accepted no protocol and cipher this machine can offer; if it "
                         "only supports DES-CBC3-SHA or RC4-MD5 (on CloudFront's list but not "
                         "buildable here) that could not be checked.")
            f = finding("TLS_HANDSHAKE_FAILED", f"{where}: {what} ({tls.detail}).{extra}", ip,
                        **fill)
            out.append(f)
    return out


def client_cert_refusal(probe: ConnectionProbe) -> str | None:
    """How the origin refused the request after asking for a client certificate, when it did:
    nginx with ``ssl_verify_client on`` completes a TLS 1.2 handshake without a certificate and
    answers "400 No required SSL certificate was sent"; a TLS 1.3 server sends its
    certificate_required alert only after the handshake, so the request meets a closed
    connection. None when the request got an answer that is not about the certificate."""
    tls, http = probe.tls, probe.http
    if tls is None or tls.status != Status.OK or not tls.client_cert_requested:
        return None
    if http.status == Status.FAILED and http.reason in ("closed", "reset"):
        return f"a closed connection instead of an answer ({http.detail})"
    if http.status_code not in (400, 403):
        return None
    said = " ".join(filter(None, [http.reason_phrase, http.body_excerpt]))
    if "certificate" not in said.lower():
        return None
    quote = _body_quote(http.body_excerpt) or (http.reason_phrase or "")
    return f"{http.status_code} “{quote}”"


def _body_quote(body: str | None) -> str:
    """The first piece of text of an error page that mentions the certificate, without markup
    and without a leading status code."""
    for piece in re.split(r"<[^>]*>|\n", body or ""):
        text = re.sub(r"^\d{3}\s+", "", " ".join(piece.split()))
        if "certificate" in text.lower():
            return text[:160]
    return ""


def rule_client_cert_requested(report: Report, _now: dt.datetime) -> list[Finding]:
    out = []
    for address, probe in _probes(report):
        tls = probe.tls
        if not (tls and tls.status == Status.OK and tls.client_cert_requested):
            continue
        where = f"{address.address} port {probe.port}"
        refusal = client_cert_refusal(probe)
        http = probe.http
        if refusal:
            out.append(finding("TLS_CLIENT_CERT_REQUIRED", f"{where} asks for a client "
                               "certificate during the handshake and, when none is sent, "
                               f"answers GET {report.target.path} with {refusal}.",
                               address.address, address=address.address, port=probe.port,
                               how=f"it answers {refusal}"))
            continue
        if http.status_code is not None:
            outcome = "optional: the request got an answer without one"
        elif http.status == Status.NOT_RUN:
            outcome = ("no request could be sent from here, so whether it insists on one is "
                       "unknown")
        else:
            outcome = "the request got no answer, so whether it insists on one is unknown"
        out.append(finding("TLS_CLIENT_CERT_REQUESTED", f"{where} asks for a client "
                           f"certificate ({outcome}).", address.address))
    return out


def rule_weak_cipher(report: Report, _now: dt.datetime) -> list[Finding]:
    out = []
    for address, probe in _probes(report):
        tls = probe.tls
        if not (tls and tls.status == Status.OK and tls.cipher in WEAK_CLOUDFRONT_CIPHERS):
            continue
        where = f"{address.address} port {probe.port}"
        unchecked = (" This machine cannot complete a handshake with that suite, so only the "
                     "origin's choice and certificates were checked, not its HTTP answer."
                     if tls.negotiated_by == "cipher_offer" else "")
        out.append(finding("TLS_WEAK_CIPHER", f"{where} connects with CloudFront only through "
                           f"{tls.cipher} over {tls.protocol}: it chose that suite from "
                           f"CloudFront's list.{unchecked}", address.address,
                           cipher=tls.cipher, protocol=tls.protocol))
    return out


# --- certificates -----------------------------------------------------------------------------

def _cert_label(info: CertificateInfo) -> str:
    name = info.common_name or info.subject
    return f"\"{name}\" (issuer \"{info.issuer}\", SHA-256 {info.sha256[:16]}…)"


def _which(index: int, leaf_index: int = 0) -> str:
    return "server" if index == leaf_index else f"intermediate #{index}"


def rule_certificates(report: Report, now: dt.datetime) -> list[Finding]:
    out = []
    target = report.target
    for address, probe in _probes(report):
        tls = probe.tls
        if tls is None or tls.status != Status.OK or not tls.chain:
            continue
        ip = address.address
        chain = tls.chain
        analysis = tls.analysis
        leaf_index = analysis.leaf_index if analysis is not None else 0
        leaf = chain[leaf_index] if leaf_index < len(chain) else chain[0]
        found = _name_findings(target, leaf, ip)
        found.extend(_validity_findings(chain, analysis, ip, now))
        if analysis is not None:
            found.extend(_trust_findings(chain, analysis, ip))
        found.extend(_key_findings(chain, analysis, ip))
        if analysis is not None:
            found.extend(_limit_findings(analysis, ip))
            found.extend(_validator_findings(target, analysis, found, ip))
        out.extend(found)
    return out


def _name_findings(target: Any, leaf: CertificateInfo, ip: str) -> list[Finding]:
    name = target.sni if not target.is_ip_literal else target.hostname
    if leaf.extensions_error or certificate_matches(leaf, name):
        return []  # unreadable names are not a mismatch: the validators' verdict speaks
    names, from_cn = names_for_matching(leaf)
    listed = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    source = "its Common Name (it has no DNS names in SAN)" if from_cn else "its SAN"
    forwarded = target.host_header != target.hostname
    if forwarded:
        why = (f"the distribution forwards Host {target.host_header}, so CloudFront checks "
               "the certificate against that name (and sends it as SNI)")
        alternative = ("Or stop forwarding the Host header (an origin request policy without "
                       f"Host, e.g. AllViewerExceptHostHeader) so CloudFront checks "
                       f"{target.hostname} instead.")
    else:
        why = "CloudFront checks the certificate against the origin domain"
        alternative = ("Or point the origin domain at a name the certificate already covers "
                       f"({names[0]}), or forward the viewer's Host header if the certificate "
                       "names the viewer domain." if names else "")
    summary = (f"The certificate names {listed or 'nothing'} in {source}, not {name}: {why}. "
               f"Certificate: {_cert_label(leaf)}.")
    return [finding("CERT_HOSTNAME_MISMATCH", summary, ip, name=name, alternative=alternative,
                    certificate_names=names)]


def _validity_findings(chain: list[CertificateInfo], analysis: Any, ip: str,
                       now: dt.datetime) -> list[Finding]:
    out = []
    # Only the certificates on the path judged count: a cross-signed path that works is not
    # "expired" because another offered path is.
    used = _path_indexes(chain, analysis)
    leaf_index = analysis.leaf_index if analysis is not None else 0
    for index in used:
        info = chain[index]
        not_after, not_before = _parse(info.not_after), _parse(info.not_before)
        which = _which(index, leaf_index)
        if not_after < now:
            out.append(finding(
                "CERT_EXPIRED", f"The {which} certificate {_cert_label(info)} expired "
                f"{_ago(now - not_after)} ago, on {not_after:%Y-%m-%d %H:%M} UTC.", ip,
                which=which, not_after=info.not_after))
        elif not_before > now:
            out.append(finding(
                "CERT_NOT_YET_VALID", f"The {which} certificate {_cert_label(info)} is valid "
                f"only from {not_before:%Y-%m-%d %H:%M} UTC, in {_ago(not_before - now)}.", ip,
                which=which, not_before=f"{not_before:%Y-%m-%d %H:%M} UTC"))
        elif index == leaf_index and not_after - now < dt.timedelta(days=EXPIRY_WARNING_DAYS):
            out.append(finding(
                "CERT_EXPIRES_SOON", f"The server certificate {_cert_label(info)} expires in "
                f"{_ago(not_after - now)}, on {not_after:%Y-%m-%d %H:%M} UTC.", ip,
                not_after=f"{not_after:%Y-%m-%d %H:%M} UTC",
                days_left=(not_after - now).days))
    return out


def _path_indexes(chain: list[CertificateInfo], analysis: Any) -> list[int]:
    if analysis is not None and analysis.path:
        return [i for i in analysis.path if i < len(chain)]
    if analysis is not None and analysis.unused_indexes:
        return [i for i in range(len(chain)) if i not in analysis.unused_indexes]
    return list(range(len(chain)))


def _label(info: CertificateInfo) -> str:
    return info.common_name or info.subject


def _order_findings(chain: list[CertificateInfo], analysis: Any, ip: str) -> list[Finding]:
    received = " → ".join(f"[{i}] {_label(c)}" for i, c in enumerate(chain))
    needed_indexes = list(analysis.path) or list(range(len(chain)))
    needed = " → ".join(f"[{i}] {_label(chain[i])}" for i in needed_indexes if i < len(chain))
    if analysis.leaf_index:
        first = chain[0]
        lead = (f"The origin sends the CA certificate \"{_label(first)}\" first and its server "
                f"certificate \"{_label(chain[analysis.leaf_index])}\" in position "
                f"{analysis.leaf_index}. TLS requires the server certificate first.")
    else:
        lead = "The origin sends its certificates out of order."
    summary = (f"{lead} Received: {received}. Needed: {needed}. CloudFront rejects a chain "
               "whose certificates do not each follow the one they sign.")
    return [finding("CERT_CHAIN_ORDER", summary, ip, order=received, needed=needed)]


def _trust_findings(chain: list[CertificateInfo], analysis: Any, ip: str) -> list[Finding]:
    out = []
    leaf = chain[analysis.leaf_index] if analysis.leaf_index < len(chain) else chain[0]
    if not analysis.in_order:
        out.extend(_order_findings(chain, analysis, ip))
    reason = analysis.break_reason
    if analysis.trusted and analysis.anchor_source == "ca_file":
        out.append(finding("TRUSTED_VIA_CA_FILE", f"The chain is trusted only through the "
                           f"--ca-file root \"{analysis.anchor_subject}\".", ip,
                           anchor=analysis.anchor_subject))
    elif reason == "self_signed_leaf":
        out.append(finding("CERT_SELF_SIGNED", f"The server certificate {_cert_label(leaf)} is "
                           "self-signed.", ip))
    elif reason == "untrusted_root":
        root = chain[next(i for i, c in enumerate(chain) if c.self_signed and i > 0)] if any(
            c.self_signed for c in chain[1:]) else chain[-1]
        line = (f"The chain ends at \"{root.subject}\", a root that is not on Mozilla's list.")
        out.append(finding("CERT_UNTRUSTED_ROOT", line, ip, evidence_line=line))
    elif reason == "incomplete":
        out.extend(_incomplete_findings(chain, analysis, ip))
    if analysis.unused_indexes or analysis.root_included:
        parts = []
        if analysis.unused_indexes:
            names = ", ".join(chain[i].common_name or chain[i].subject
                              for i in analysis.unused_indexes)
            parts.append(f"The chain includes certificates that are not in the path: {names}.")
        if analysis.root_included and len(chain) > 1:
            parts.append("The chain includes the root certificate.")
        if parts:
            out.append(finding("CERT_EXTRA_CERTIFICATES", " ".join(parts), ip,
                               detail=" ".join(parts)))
    return out


def _incomplete_findings(chain: list[CertificateInfo], analysis: Any, ip: str) -> list[Finding]:
    dangling = chain[analysis.dangling_index or 0]
    missing = analysis.missing_issuer
    status = analysis.aia_status
    if status == "fetched" and analysis.aia_completes_chain:
        fetched = analysis.aia_certificate
        where = f" (download it from {analysis.aia_url})"
        line = (f"The origin sends {len(chain)} certificate(s) and stops at "
                f"\"{dangling.common_name or dangling.subject}\" without its issuer "
                f"\"{missing}\". Fetching {analysis.aia_url} found it "
                f"(SHA-256 {fetched.sha256[:16]}…), and with it the chain reaches a trusted "
                "root: the intermediate is missing.")
        return [finding("CERT_CHAIN_INCOMPLETE", line, ip, missing=missing, where=where)]
    if status == "fetched":
        line = (f"The chain stops at an issuer \"{missing}\" that is not sent; its AIA URL "
                f"{analysis.aia_url} gives a certificate that still does not lead to a root on "
                "Mozilla's list, so the CA itself is not trusted.")
        return [finding("CERT_UNTRUSTED_ROOT", line, ip, evidence_line=line)]
    if status in ("failed", "blocked", "skipped"):
        note = f" (the AIA fetch of {analysis.aia_url}: {analysis.aia_detail or status})"
    else:
        note = " (the certificate names no AIA issuer URL to check)"
    if status == "absent" and not dangling.is_ca:
        line = (f"The server certificate's issuer \"{missing}\" is neither sent nor on "
                "Mozilla's list, and the certificate names no AIA caIssuers URL. Certificates "
                "from public CAs carry one (the CA/Browser Forum Baseline Requirements' "
                "subscriber-certificate profile requires the AIA extension and asks for the "
                "issuing CA's certificate URL in it), so this is most likely a private or "
                "interception CA that CloudFront will never trust. Less likely: a public CA's "
                "intermediate is missing from the chain.")
        return [finding("CERT_UNTRUSTED_ROOT", line, ip, evidence_line=line)]
    if dangling.is_ca:
        label = dangling.common_name or dangling.subject
        line = (f"The chain stops at the intermediate \"{label}\", whose issuer "
                f"\"{missing}\" is not on Mozilla's list{note}. Most likely the CA is private; "
                "if it is a public CA, an intermediate is missing.")
        return [finding("CERT_UNTRUSTED_ROOT", line, ip, evidence_line=line)]
    line = (f"The server certificate's issuer \"{missing}\" is neither sent nor on Mozilla's "
            f"list{note}. Public CAs sign servers through intermediates, so most likely the "
            "intermediate is missing; if the CA is private, CloudFront will not trust it "
            "either way.")
    f = finding("CERT_CHAIN_INCOMPLETE", line, ip, missing=missing,
                where=" (get it from your CA)")
    f.uncertain = True
    return [f]


def _key_findings(chain: list[CertificateInfo], analysis: Any, ip: str) -> list[Finding]:
    out = []
    leaf_index = analysis.leaf_index if analysis is not None else 0
    leaf = chain[leaf_index] if leaf_index < len(chain) else chain[0]
    path = _path_indexes(chain, analysis)
    for index in path:
        info = chain[index]
        if info.key_type == "RSA" and info.key_size and info.key_size < RSA_MIN_BITS:
            which = _which(index, leaf_index)
            detail = (f"The {which} certificate {_cert_label(info)} has a {info.key_size}-bit "
                      "RSA key.")
            out.append(finding("CERT_RSA_KEY_TOO_SMALL", detail, ip, detail=detail,
                               bits=info.key_size, which=which))
    if leaf.key_type == "RSA" and leaf.key_size:
        if leaf.key_size < RSA_MIN_BITS:
            pass
        elif leaf.key_size > RSA_MAX_BITS:
            out.append(finding("CERT_RSA_KEY_TOO_LARGE", f"The server certificate has a "
                               f"{leaf.key_size}-bit RSA key.", ip, bits=leaf.key_size))
        elif leaf.key_size < 2048:
            detail = f"The server certificate has a {leaf.key_size}-bit RSA key."
            out.append(finding("CERT_WEAK_KEY", detail, ip, detail=detail))
    elif leaf.key_type == "EC" and leaf.curve not in ("secp256r1", "prime256v1"):
        detail = f"The server certificate has an ECDSA {leaf.curve} key."
        out.append(finding("CERT_KEY_TYPE_UNCERTAIN", detail, ip, detail=detail))
    elif leaf.key_type not in ("RSA", "EC"):
        detail = f"The server certificate has an {leaf.key_type} key."
        out.append(finding("CERT_KEY_TYPE_UNCERTAIN", detail, ip, detail=detail))
    unchecked = analysis.unchecked_signatures if analysis is not None else {}
    for index in path:
        info = chain[index]
        if info.signature_hash not in ("sha1", "md5") or info.self_signed:
            continue
        note = ""
        if index in unchecked or str(index) in unchecked:
            note = (" Its signature could not be checked here "
                    f"({unchecked.get(index) or unchecked.get(str(index))}); the path was "
                    "built from names and key identifiers.")
        detail = (f"The {_which(index, leaf_index)} certificate {_cert_label(info)} is signed "
                  f"with {info.signature_hash.upper()}.{note}")
        code = "CERT_MD5_SIGNATURE" if info.signature_hash == "md5" else "CERT_SHA1_SIGNATURE"
        out.append(finding(code, detail, ip, detail=detail))
    return out


def _limit_findings(analysis: Any, ip: str) -> list[Finding]:
    cut = []
    if analysis.presented_count > analysis.considered_count > 0:
        cut.append(f"the origin sent {analysis.presented_count} certificates and only the "
                   f"first {analysis.considered_count} were considered")
    if analysis.signature_budget_exhausted:
        cut.append(f"signature checks stopped at {analysis.signature_checks}")
    if not cut:
        return []
    detail = "; ".join(cut)
    return [finding("CERT_CHAIN_CUT", f"The certificate chain was too large to judge in full: "
                    f"{detail}.", ip, detail=detail, presented=analysis.presented_count)]


# A validator's rejection that an own finding already explains is not said twice: the words of
# its code or rule, and the own codes that explain them.
_EXPLAINED_BY: tuple[tuple[tuple[str, ...], frozenset[str]], ...] = (
    (("HAS_EXPIRED", "NOT_YET_VALID", "not valid at validation time"),
     frozenset({"CERT_EXPIRED", "CERT_NOT_YET_VALID"})),
    (("UNABLE_TO_GET_ISSUER", "SELF_SIGNED", "UNABLE_TO_VERIFY_LEAF", "no interior errors"),
     frozenset({"CERT_UNTRUSTED_ROOT", "CERT_CHAIN_INCOMPLETE", "CERT_SELF_SIGNED"})),
    (("HOSTNAME_MISMATCH", "no matching subjectaltname"),
     frozenset({"CERT_HOSTNAME_MISMATCH"})),
    (("MD_TOO_WEAK", "signature algorithm"),
     frozenset({"CERT_SHA1_SIGNATURE", "CERT_MD5_SIGNATURE"})),
    (("KEY_TOO_SMALL", "public key"),
     frozenset({"CERT_RSA_KEY_TOO_SMALL", "CERT_WEAK_KEY", "CERT_KEY_TYPE_UNCERTAIN"})),
)


_NO_TRUSTED_PATH = {"CERT_SELF_SIGNED", "CERT_UNTRUSTED_ROOT", "CERT_CHAIN_INCOMPLETE",
                    "CERT_CHAIN_CUT"}


def _explained(verdict: Any, own_codes: set[str]) -> bool:
    if own_codes & _NO_TRUSTED_PATH:
        # Without a path to a trusted root (or with the chain cut), whatever else a validator
        # says about that path is beside the point.
        return True
    words = f"{verdict.code or ''} {verdict.rule or ''}".lower()
    return any(any(k.lower() in words for k in keys) and own_codes & codes
               for keys, codes in _EXPLAINED_BY)


# The fix for a validator's rule, by OpenSSL verify code or words of cryptography's message.
_VALIDATOR_FIXES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("INVALID_CA", "INVALID_NON_CA", "basicconstraints", "not a ca", "ca certificate"),
     "Have the CA reissue \"{certificate}\" as a CA certificate (basicConstraints cA=true, "
     "marked critical, with keyCertSign), or send the intermediate the CA really published."),
    (("PATH_LENGTH", "path length", "pathlen"),
     "A CA on the path allows fewer CAs below it (pathLenConstraint) than the chain has: get "
     "the server certificate issued by an intermediate that may issue it."),
    (("INVALID_PURPOSE", "extended key usage", "eku", "extkeyusage"),
     "Reissue the server certificate with extendedKeyUsage serverAuth (TLS Web Server "
     "Authentication); a clientAuth-only or empty EKU cannot serve TLS."),
    (("PERMITTED_VIOLATION", "EXCLUDED_VIOLATION", "SUBTREE", "name constraint",
      "UNSUPPORTED_NAME_SYNTAX", "UNSUPPORTED_CONSTRAINT"),
     "A CA on the path is name-constrained and its constraints do not allow the names in "
     "\"{certificate}\": issue the certificate from a CA whose constraints permit {name}."),
    (("keyidentifier", "key identifier", "2.5.29.35", "2.5.29.14"),
     "Reissue \"{certificate}\" with correct key identifiers: an authorityKeyIdentifier that "
     "is present, not critical, and matches its issuer's subjectKeyIdentifier."),
    (("UNHANDLED_CRITICAL", "critical"),
     "\"{certificate}\" carries a critical extension validators do not understand (or mark "
     "an extension critical that must not be): reissue it without that."),
    (("subjectaltname", "2.5.29.17"),
     "Put {name} in the certificate's Subject Alternative Name extension: strict validators "
     "ignore the Common Name."),
    (("KEY_TOO_SMALL", "MD_TOO_WEAK", "key", "signature", "algorithm"),
     "Reissue \"{certificate}\" with an RSA 2048-bit or ECDSA P-256 key, signed with SHA-256."),
)


def _validator_fix(verdict: Any, name: str) -> str:
    words = f"{verdict.code or ''} {verdict.rule or ''}".lower()
    template = ("Reissue \"{certificate}\" following the CA/Browser Forum profile (RFC 5280): "
                "the validator's rule was \"{rule}\".")
    for keys, fix in _VALIDATOR_FIXES:
        if any(k.lower() in words for k in keys):
            template = fix
            break
    return template.format(certificate=verdict.certificate or "the certificate", name=name,
                           rule=verdict.rule or "")


def _validator_findings(target: Any, analysis: Any, own: list[Finding],
                        ip: str) -> list[Finding]:
    """A maintained validator's rejection that origin502's own checks did not explain."""
    own_codes = {f.code for f in own}
    verdicts = [v for v in analysis.validators if v.accepted is not None]
    all_rejected = [v for v in verdicts if v.accepted is False]
    rejected = [v for v in all_rejected if not _explained(v, own_codes)]
    if not rejected:
        return []
    name = target.sni if not target.is_ip_literal else target.hostname
    first = rejected[0]
    who = {"openssl": "OpenSSL's verifier", "webpki": "the Web PKI profile (cryptography)"}
    said = "; ".join(f"{who.get(v.validator, v.validator)}: {v.rule}"
                     + (f" ({v.code})" if v.code else "")
                     + (f" on \"{v.certificate}\"" if v.certificate else "") for v in rejected)
    agree = len(all_rejected) == len(verdicts) and len(verdicts) > 1
    if agree:
        lead = "Both certificate validators reject the chain"
        doubt = ""
    else:
        accepted = [who.get(v.validator, v.validator) for v in verdicts if v.accepted]
        lead = "A certificate validator rejects the chain"
        doubt = (f" {', '.join(accepted) or 'The other validator'} accepts it; which rules "
                 "CloudFront applies is not documented, so this is the stricter verdict.")
    f = finding("CERT_REJECTED_BY_VALIDATOR", f"{lead} for {name}: {said}.{doubt}", ip,
                fix=_validator_fix(first, name), rule=first.rule or "",
                certificate=first.certificate or "", validator=first.validator)
    if not agree:
        # The stricter verdict, said as uncertain: a warning, so that a rule CloudFront may
        # not apply (CN without SAN is in AWS's own docs) does not fail the verdict.
        f.uncertain = True
        f.severity = "warning"
    return [f]


# --- HTTP -------------------------------------------------------------------------------------

def rule_http(report: Report, _now: dt.datetime) -> list[Finding]:
    out = []
    target = report.target
    for address, probe in _probes(report):
        http = probe.http
        ip = address.address
        fill = {"path": target.path, "host": target.host_header, "port": probe.port,
                "timeout": target.read_timeout,
                "after_tls": " (and the TLS handshake)" if probe.scheme == "https" else ""}
        where = f"{ip} port {probe.port}"
        if http.status == Status.FAILED:
            if client_cert_refusal(probe) is not None:
                continue  # TLS_CLIENT_CERT_REQUIRED names this refusal
            if http.reason in ("closed", "reset"):
                out.append(finding("ORIGIN_CLOSED_CONNECTION", f"{where} closed the connection "
                                   f"without an HTTP response to GET {target.path}: "
                                   f"{http.detail}.", ip, **fill))
            elif http.reason == "timeout":
                out.append(finding("ORIGIN_RESPONSE_TIMEOUT", f"{where} accepted GET "
                                   f"{target.path} but did not answer within "
                                   f"{target.read_timeout:g} s.", ip, **fill))
            elif http.reason == "stalled":
                out.append(finding("ORIGIN_RESPONSE_STALLED", f"{where} kept sending without "
                                   f"completing its response to GET {target.path}: "
                                   f"{http.detail}.", ip, detail=http.detail or "", **fill))
            elif http.reason == "invalid" and "stopped reading" in (http.detail or ""):
                # The probe's byte caps cut the answer: say what was cut, not "not HTTP".
                out.append(finding("HTTP_INVALID_RESPONSE", f"{where} answered GET "
                                   f"{target.path}, but {http.detail}.", ip,
                                   first_bytes=(http.first_bytes or "")[:60], **fill))
            elif http.reason == "invalid":
                out.append(finding("HTTP_INVALID_RESPONSE", f"{where} answered GET "
                                   f"{target.path} with bytes that are not HTTP: "
                                   f"{(http.first_bytes or '')[:60]!r}.", ip,
                                   first_bytes=(http.first_bytes or "")[:60], **fill))
            continue
        code = http.status_code
        if code is None:
            continue
        status = f"{code} {http.reason_phrase or ''}".strip()
        server = f" ({http.server})" if http.server else ""
        if code >= 500:
            fix = _origin_error_fix(code, http.server)
            out.append(finding("ORIGIN_RETURNED_ERROR", f"{where} itself answers GET "
                               f"{target.path} with {status}{server}.", ip, status=status,
                               server=server, fix=fix, **fill))
        elif code >= 400 and client_cert_refusal(probe) is None:
            out.append(finding("ORIGIN_RETURNED_CLIENT_ERROR", f"{where} answers GET "
                               f"{target.path} with {status}{server}.", ip, status=status,
                               **fill))
    return out


def _origin_error_fix(code: int, server: str | None) -> str:
    server = (server or "").lower()
    if "awselb" in server or "elb" in server:
        return ("An Application Load Balancer answers 502/503 itself when it has no healthy "
                "targets or a target fails: check the target group's health checks and the "
                "targets' logs.")
    if code == 504:
        return "The origin's own upstream timed out: look at the application behind it."
    return "Look at the origin's application and error logs for this request."


# --- across addresses ---------------------------------------------------------------------

def rule_some_addresses_failing(report: Report, _now: dt.datetime,
                                findings: list[Finding] | None = None) -> list[Finding]:
    """Called last, with the findings of the other rules (see ``diagnose_findings``)."""
    used = [a.address for a in report.addresses if report.target.uses_family(a.family)]
    if len(used) < 2 or findings is None:
        return []
    failing: dict[str, set[str]] = {}
    for f in findings:
        if f.severity == "error" and f.address in used:
            failing.setdefault(f.address, set()).add(f.code)
    if not failing or len(failing) == len(used):
        return []
    codes = sorted({c for cs in failing.values() for c in cs})
    names = ", ".join(sorted(failing))
    return [finding("SOME_ADDRESSES_FAILING", f"{len(failing)} of {len(used)} "
                    f"addresses of {report.target.hostname} fail ({names}: {', '.join(codes)}); "
                    "the others work, so CloudFront fails only some requests.", None,
                    failing=len(failing), total=len(used), codes=", ".join(codes))]


def rule_addresses_not_probed(report: Report, _now: dt.datetime) -> list[Finding]:
    left = report.addresses_not_probed
    if not left:
        return []
    probed = len(report.addresses)
    total = probed + len(left)
    shown = ", ".join(left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
    return [finding("ADDRESSES_NOT_ALL_PROBED",
                    f"{report.target.hostname} resolves to {total} addresses; only the first "
                    f"{probed} were checked ({len(left)} left out: {shown}).", None,
                    name=report.target.hostname, total=total, probed=probed, left=len(left),
                    skipped=shown)]


RULES: list[Rule] = [
    rule_ip_literal,
    rule_dns,
    rule_ports_allowed,
    rule_private_address,
    rule_tcp,
    rule_tls,
    rule_certificates,
    rule_client_cert_requested,
    rule_weak_cipher,
    rule_http,
    rule_addresses_not_probed,
]
