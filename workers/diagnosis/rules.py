"""Diagnosis rules: small pure functions from a measured report to drafts of findings. No I/O.

Each rule looks at one aspect and returns zero or more drafts that carry the measured facts;
every word of a finding comes from ``catalog``, whose templates ``render`` fills with them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from workers.diagnosis import catalog
from workers.diagnosis.catalog import Shape
from workers.diagnosis.draft import Draft, Facts, Note, draft
from workers.diagnosis.names import Doubt, NameJudgement, judge_names, names_for_matching
from workers.diagnosis.render import plural, say
from workers.models import (
    AddressReport,
    CertificateInfo,
    ChainAnalysis,
    ChainBreak,
    CipherOffer,
    ConnectionProbe,
    DnsReason,
    DnsWalk,
    FindingCode,
    HttpReason,
    HttpResult,
    NameServerCheck,
    NameServerOutcome,
    OcspStaple,
    Report,
    Severity,
    Status,
    TargetInfo,
    TcpReason,
    TlsReason,
    TlsResult,
    ValidatorVerdict,
)
from workers.models.cloudfront import (
    CLOUDFRONT_CIPHERS,
    EXPIRY_WARNING_DAYS,
    RESPONSE_HEAD_LIMIT,
    RSA_KEY_EXCHANGE_CIPHERS,
    RSA_MAX_BITS,
    RSA_MIN_BITS,
    UNBUILDABLE_CIPHERS,
    WEAK_CLOUDFRONT_CIPHERS,
    port_allowed,
)

Rule = Callable[[Report, dt.datetime], list[Draft]]


def _probes(report: Report) -> Iterator[tuple[AddressReport, ConnectionProbe]]:
    for address in report.addresses:
        for probe in address.probes:
            yield address, probe


def _parse(ts: str) -> dt.datetime:
    return dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))


def _ago(delta: dt.timedelta) -> str:
    days = abs(delta).days
    if days >= 2:
        return say(catalog.AGO_DAYS, count=days)
    hours = int(abs(delta).total_seconds() // 3600)
    if hours >= 2:
        return say(catalog.AGO_HOURS, count=hours)
    return say(catalog.AGO_MINUTES, count=int(abs(delta).total_seconds() // 60))


def _setting(scheme: str) -> str:
    return catalog.PORT_SETTINGS["https" if scheme == "https" else "http"]


def _apex(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[-2:]) if len(parts) >= 2 else name


def _more(shown: list[str], total: int) -> str:
    """``shown`` as a list, saying how many more there are when it was cut short."""
    return ", ".join(shown) + (say(catalog.MORE, count=total - len(shown))
                               if total > len(shown) else "")


# --- target and DNS ------------------------------------------------------------------------

def rule_ip_literal(report: Report, _now: dt.datetime) -> list[Draft]:
    if not report.target.is_ip_literal:
        return []
    return [draft(FindingCode.ORIGIN_IS_IP_ADDRESS, None, address=report.target.hostname)]


_ANSWERED = (NameServerOutcome.ANSWER, NameServerOutcome.NODATA, NameServerOutcome.NXDOMAIN)
_FAILING = (NameServerOutcome.TIMEOUT, NameServerOutcome.UNREACHABLE,
            NameServerOutcome.SERVFAIL, NameServerOutcome.NO_ADDRESS, NameServerOutcome.OTHER)
_LAME = (NameServerOutcome.REFUSED, NameServerOutcome.NOT_AUTHORITATIVE)
_SILENT = (NameServerOutcome.TIMEOUT, NameServerOutcome.UNREACHABLE, NameServerOutcome.NO_ADDRESS)


def _server_said(check: NameServerCheck, record: str) -> str:
    """What one authoritative server did, in words."""
    who = (say(catalog.NAME_SERVER_AT, server=check.server, address=check.address)
           if check.address else check.server)
    if check.outcome == NameServerOutcome.ANSWER and not check.addresses:
        what = say(catalog.NAME_SERVER_CNAME, cname=check.cname)
    elif check.outcome == NameServerOutcome.UNREACHABLE and check.detail:
        what = say(catalog.NAME_SERVER_UNREACHABLE, detail=check.detail)
    elif check.outcome in catalog.NAME_SERVER_OUTCOMES:
        what = say(catalog.NAME_SERVER_OUTCOMES[check.outcome],
                   addresses=", ".join(check.addresses), record=record)
    else:
        what = check.detail or catalog.NAME_SERVER_FAILS
    return say(catalog.NAME_SERVER_SAID, server=who, what=what)


def _servers_said(checks: list[NameServerCheck], record: str) -> str:
    return "; ".join(_server_said(c, record) for c in checks)


def _chain(name: str, chain: list[str]) -> str:
    return " → ".join([name, *chain])


def _walk_findings(report: Report, walk: DnsWalk, resolved: bool) -> list[Draft]:
    """Findings about the zone's own servers, asked directly: failing, lame, disagreeing."""
    # A server origin502's own budget left unasked says nothing about the zone.
    checks = [c for c in walk.nameservers if c.outcome != NameServerOutcome.NOT_ASKED]
    if not checks or all(c.outcome in _SILENT for c in checks):
        # Nothing answered from here: all down, or this machine cannot query them directly.
        # Which one is not known, so no finding names the servers.
        return []
    zone = walk.zone or ""
    answered = [c for c in checks if c.outcome in _ANSWERED]
    out = []
    fill: Facts = {"zone": zone, "name": walk.name, "record": walk.record}
    failing = [c for c in checks if c.outcome in _FAILING]
    lame = [c for c in checks if c.outcome in _LAME]
    for code, bad in ((FindingCode.DNS_NAMESERVER_FAILING, failing),
                      (FindingCode.DNS_LAME_DELEGATION, lame)):
        if not bad:
            continue
        one, several = catalog.NAME_SERVERS_VERB[code]
        words: Facts = {
            "count": len(bad), "total": len(checks), "verb": one if len(bad) == 1 else several,
            "said": _servers_said(bad, walk.record),
            "others": catalog.NAME_SERVERS_OTHERS_ANSWER if answered else ""}
        d = draft(code, None, servers=", ".join(c.server for c in bad), **fill).worded(**words)
        if answered or resolved:
            d.severity = Severity.WARNING
        out.append(d)
    exists = [c for c in answered if c.outcome == NameServerOutcome.ANSWER]
    missing = [c for c in answered if c.outcome != NameServerOutcome.ANSWER]
    if exists and missing:
        out.append(draft(FindingCode.DNS_SERVERS_DISAGREE, None,
                         servers=", ".join(c.server for c in missing), **fill)
                   .worded(said=_servers_said(answered, walk.record)))
    return out


def rule_dns(report: Report, _now: dt.datetime) -> list[Draft]:
    dns = report.dns
    name = report.target.hostname
    kind = report.target.ip_address_type
    if report.target.is_ip_literal:
        family = "ipv6" if ":" in name else "ipv4"
        if report.target.uses_family(family):
            return []
        return [draft(FindingCode.ADDRESS_FAMILY_NOT_USED, None, address=name,
                      family=catalog.FAMILY_LABELS[family], kind=kind,
                      kind_fix=catalog.ADDRESS_TYPE_FIXES[family])]
    if dns.status == Status.OK:
        found = _walk_findings(report, dns.walk, resolved=True) if dns.walk else []
        found.extend(_slow_answer(report))
        record = {"ipv4": "A", "ipv6": "AAAA"}.get(kind)
        usable = dns.ipv4 if kind == "ipv4" else dns.ipv6 if kind == "ipv6" else dns.addresses
        if record and not usable:
            found.insert(0, draft(
                FindingCode.DNS_RESOLUTION_FAILED, None, Shape.NO_USABLE_ADDRESS, name=name,
                apex=_apex(name), reason="no_usable_address",
            ).worded(record=record, kind=kind, found=", ".join(dns.addresses),
                     # the fix is a type that uses the family the name does have
                     kind_fix=catalog.ADDRESS_TYPE_FIXES["ipv6" if kind == "ipv4" else "ipv4"]))
        return found
    if dns.status != Status.FAILED:
        return []
    walk = dns.walk
    out: list[Draft] = []
    apex = walk.zone if walk and walk.zone else _apex(name)
    if dns.reason == DnsReason.NXDOMAIN and dns.cname_chain:
        target = dns.cname_chain[-1]
        out.append(draft(FindingCode.DNS_DANGLING_CNAME, None, name=name, target=target,
                         chain=[name, *dns.cname_chain], apex=apex)
                   .worded(path=_chain(name, dns.cname_chain)))
    elif walk is not None and walk.dnssec_bogus:
        seen = (say(catalog.DNSSEC_CD_ANSWER, addresses=", ".join(walk.cd_answer))
                if walk.cd_answer else catalog.DNSSEC_CD_ANSWERED)
        out.append(draft(FindingCode.DNS_DNSSEC_FAILED, None, name=walk.name,
                         zone=walk.zone or apex).worded(nameserver=dns.nameserver, seen=seen))
    if walk is not None:
        out.extend(_walk_findings(report, walk, resolved=False))
    if any(d.severity == Severity.ERROR for d in out):
        return out
    failure = (catalog.DNS_FAILURES.get(dns.reason) if dns.reason is not None else None)
    walked = ""
    if walk is not None:
        checks = walk.nameservers
        if checks and all(c.outcome in _SILENT for c in checks):
            walked = say(catalog.DNS_WALK_SILENT, count=len(checks), zone=walk.zone,
                         servers=", ".join(c.server for c in checks))
        elif checks:
            walked = say(catalog.DNS_WALK_SAID, zone=walk.zone,
                         said=_servers_said(checks, walk.record))
        elif walk.detail:
            walked = say(catalog.DNS_WALK_STOPPED, detail=walk.detail[0].upper() + walk.detail[1:])
    if dns.reason == DnsReason.TIMEOUT:
        # No answer is not "no such name": nothing asks whether it exists (audit zoo3 #05).
        resolver = (say(catalog.DNS_RESOLVER_NAMED, nameserver=dns.nameserver)
                    if dns.nameserver else catalog.DNS_RESOLVER_SYSTEM)
        cnames = (say(catalog.DNS_CNAME_CHAIN, chain=_chain(name, dns.cname_chain))
                  if dns.cname_chain else "")
        timeout = dns.timeout_s or report.target.connect_timeout
        # Re-audit A: say how often it was asked, so "no answer" is not read as one lost packet.
        waited = (say(catalog.DNS_SENT[0 if dns.sends == 1 else 1], count=dns.sends,
                      timeout=timeout) if dns.sends else
                  say(catalog.DNS_UNCOUNTED, timeout=timeout))
        out.insert(0, draft(FindingCode.DNS_TIMEOUT, None, name=name, apex=apex,
                            resolver=resolver, sends=dns.sends or 0).worded(
            timeout=timeout, cnames=cnames, walked=walked, waited=waited))
        return out
    words: Facts = {
        "what": say(failure or catalog.DNS_FAILURE_OTHER, name=name, reason=str(dns.reason)),
        "via": say(catalog.DNS_ASKED, nameserver=dns.nameserver) if dns.nameserver else "",
        "cnames": (say(catalog.DNS_CNAME_CHAIN, chain=_chain(name, dns.cname_chain))
                   if dns.cname_chain else ""),
        "walked": walked}
    out.insert(0, draft(FindingCode.DNS_RESOLUTION_FAILED, None, name=name, apex=apex,
                        reason=str(dns.reason)).worded(**words))
    return out


# An answer later than this is called slow. CloudFront's resolvers' wait is not documented
# (facts §1.1 #7); 2 s is when stub resolvers commonly give a query up as lost and ask again,
# and far beyond a normal recursive lookup (tens of ms), so a wait past it is worth a hedge.
DNS_SLOW_MS = 2000.0


def _slow_answer(report: Report) -> list[Draft]:
    dns = report.dns
    if dns.answered_ms is None or dns.budget_s is None or dns.answered_ms < DNS_SLOW_MS:
        return []
    name = report.target.hostname
    resolver = (say(catalog.DNS_RESOLVER_NAMED, nameserver=dns.nameserver)
                if dns.nameserver else catalog.DNS_RESOLVER_SYSTEM)
    cnames = (say(catalog.DNS_CNAME_CHAIN, chain=_chain(name, dns.cname_chain))
              if dns.cname_chain else "")
    return [draft(FindingCode.DNS_SLOW, None, name=name, apex=_apex(name),
                  answered_ms=dns.answered_ms).worded(
        resolver=resolver, cnames=cnames, seconds=dns.answered_ms / 1000,
        budget=dns.budget_s)]


def rule_ports_allowed(report: Report, _now: dt.datetime) -> list[Draft]:
    target = report.target
    schemes = {"https-only": ["https"], "http-only": ["http"]}.get(
        target.protocol_policy, ["https", "http"])
    out = []
    for scheme in schemes:
        port = target.https_port if scheme == "https" else target.http_port
        if not port_allowed(port):
            out.append(draft(FindingCode.PORT_NOT_ALLOWED, None, port=port,
                             setting=_setting(scheme)))
    return out


# --- addresses and TCP ----------------------------------------------------------------------

def _address_code(address: AddressReport) -> FindingCode:
    """Which finding a non-public address makes: one no server can have (not dialled, a
    failure for anyone) before one origin502 refused to dial before one it probed."""
    reasons = {p.tcp.reason for p in address.probes}
    if TcpReason.UNCONNECTABLE in reasons:
        return FindingCode.ADDRESS_UNCONNECTABLE
    if TcpReason.BLOCKED in reasons:
        return FindingCode.ADDRESS_NOT_ALLOWED
    return FindingCode.ORIGIN_PRIVATE_ADDRESS


def rule_private_address(report: Report, _now: dt.datetime) -> list[Draft]:
    out = []
    for address in report.addresses:
        if not address.private_reason:
            continue
        code = _address_code(address)
        words: Facts = {"hostname": report.target.hostname}
        if code == FindingCode.ADDRESS_UNCONNECTABLE and _unspecified(address.address):
            words["switched_off"] = catalog.UNCONNECTABLE_SWITCHED_OFF
            words["not_dialled"] = say(catalog.UNCONNECTABLE_NOT_DIALLED,
                                       address=address.address)
        out.append(draft(code, address.address, address=address.address,
                         reason=address.private_reason).worded(**words))
    return out


def _unspecified(ip: str) -> bool:
    """0.0.0.0, :: or ::ffff:0.0.0.0: what a connection takes to the machine making it."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    mapped = addr.ipv4_mapped if isinstance(addr, ipaddress.IPv6Address) else None
    return (mapped or addr).is_unspecified


def rule_tcp(report: Report, _now: dt.datetime) -> list[Draft]:
    out = []
    for address, probe in _probes(report):
        tcp = probe.tcp
        if tcp.status != Status.FAILED or tcp.reason in (TcpReason.BLOCKED,
                                                         TcpReason.UNCONNECTABLE):
            continue
        words: Facts = {"scheme": probe.scheme, "tries": plural(catalog.ATTEMPTS, tcp.attempts)}
        fill: Facts = {"port": probe.port, "address": address.address,
                       "setting": _setting(probe.scheme)}
        if tcp.reason == TcpReason.REFUSED:
            out.append(draft(FindingCode.PORT_CLOSED, address.address, **fill).worded(**words))
        elif tcp.reason == TcpReason.TIMEOUT:
            words["timeout"] = report.target.connect_timeout
            out.append(draft(FindingCode.PORT_TIMEOUT, address.address, **fill).worded(**words))
        else:
            words["measured"] = tcp.detail
            out.append(draft(FindingCode.PORT_UNREACHABLE, address.address, **fill).worded(**words))
    return out


# --- TLS --------------------------------------------------------------------------------------

# Reasons a handshake fails that TLS 1.3 can get round: CloudFront's offer is not the origin's.
# (Not a client certificate, a port that is not TLS, a timeout: those fail whatever the
# protocol.)
_TLS12_REASONS = (TlsReason.PROTOCOL_UNSUPPORTED, TlsReason.CIPHER_UNSUPPORTED,
                  TlsReason.CURVE_UNSUPPORTED, TlsReason.CERT_KEY_UNSUPPORTED,
                  TlsReason.HANDSHAKE_FAILED, TlsReason.RESET)


def _cipher_list(names: list[str]) -> str:
    return ", ".join(names) if names else catalog.NOTHING


def _offer_sentence(offer: CipherOffer) -> str:
    """How the origin answered CloudFront's exact cipher list, as a sentence."""
    answer = catalog.OFFER_ANSWERS.get(offer.outcome)
    said = (say(answer, alert=offer.alert, cipher=offer.cipher, version=offer.version)
            if answer is not None else offer.detail or offer.outcome)
    return say(catalog.OFFER_SENTENCE, count=len(offer.offered), version=offer.client_version,
               answer=said)


def _cipher_example(tls: TlsResult) -> str:
    """CloudFront's cipher to suggest for the certificate the origin presented."""
    key = tls.chain[0].key_type if tls.chain else None
    return {"RSA": catalog.CIPHER_EXAMPLE_RSA, "EC": catalog.CIPHER_EXAMPLE_EC}.get(
        key or "", catalog.CIPHER_EXAMPLE_BOTH)


def _served_leaf(tls: TlsResult) -> CertificateInfo | None:
    """The server certificate of the chain presented (the analysis says where it is when the
    chain was sent out of order); None without a chain."""
    if not tls.chain:
        return None
    index = tls.analysis.leaf_index if tls.analysis is not None else 0
    return tls.chain[index] if index < len(tls.chain) else tls.chain[0]


def _tls12_failure(tls: TlsResult, offered: list[str]) -> tuple[str, str]:
    """Why CloudFront's documented handshake (TLS 1.2 and older, its ciphers, curves and
    signature schemes) fails, and the fix of that reason: one wording whatever the reason, so
    that every origin where only TLS 1.3 works is told the same way."""
    accepted = tls.accepted_protocols
    detail = tls.detail or catalog.HANDSHAKE_FAILED
    leaf = _served_leaf(tls)
    if leaf is not None and leaf.key_type == "EC" and leaf.key_usage is not None \
            and "digitalSignature" not in leaf.key_usage:
        # Whatever else the TLS 1.2 attempt ran into, this certificate cannot serve it.
        return (say(catalog.TLS12_WHY_KEY_USAGE, detail=detail,
                    usages=", ".join(leaf.key_usage) or catalog.KEY_USAGE_NONE),
                catalog.TLS12_FIX_KEY_USAGE)
    cipher_fix = say(catalog.TLS12_FIX_CIPHER, example=_cipher_example(tls))
    if tls.reason == TlsReason.CIPHER_UNSUPPORTED:
        common = [p for p in accepted if p in offered]
        ciphers = [c for c in tls.accepted_ciphers if not c.startswith("TLS_")]  # not TLS 1.3
        return (say(catalog.TLS12_WHY_CIPHER, protocol=common[0] if common else
                    catalog.COMMON_PROTOCOL, accepted=_cipher_list(ciphers)), cipher_fix)
    if tls.reason in (TlsReason.CURVE_UNSUPPORTED, TlsReason.CERT_KEY_UNSUPPORTED):
        if tls.reason == TlsReason.CERT_KEY_UNSUPPORTED:
            detail = say(catalog.TLS12_WHY_CERT_KEY, key=tls.certificate_key, detail=detail)
        if leaf is not None and leaf.key_type == "EC" and leaf.curve not in (
                "secp256r1", "secp384r1"):
            return detail, say(catalog.TLS12_FIX_CERT_CURVE, curve=leaf.curve)
        if tls.reason == TlsReason.CERT_KEY_UNSUPPORTED:
            return detail, say(catalog.TLS12_FIX_CERT_KEY, key=tls.certificate_key)
        return detail, catalog.TLS12_FIX_CURVE
    if tls.reason == TlsReason.PROTOCOL_UNSUPPORTED:
        older = [p for p in accepted if p != "TLSv1.3"]
        if older:
            return (say(catalog.TLS12_WHY_PROTOCOL_OLDER, older=", ".join(older)),
                    say(catalog.PROTOCOL_FIX_ADD, protocol=older[0]))
        return say(catalog.TLS12_WHY_NO_OLDER, detail=detail), cipher_fix
    return say(catalog.TLS12_WHY_OTHER, detail=detail), cipher_fix


def _tls13_only(tls: TlsResult, offered: list[str], ip: str, fill: Facts) -> Draft:
    """TLS 1.3 as CloudFront is believed to offer it completes, its documented handshake does
    not: probably fine since November 2025 (cloudfront-facts §2.1), never said as certain."""
    why, fix = _tls12_failure(tls, offered)
    suites = tls.tls13.offered if tls.tls13 is not None else []
    return draft(FindingCode.TLS13_ONLY, ip, offered=", ".join(offered),
                 tls13_suites=", ".join(suites) or catalog.TLS13_SUITES_UNLIMITED,
                 tls12_reason=str(tls.reason), **fill).worded(why=why, fix=fix)


def _tls13_refused(tls: TlsResult, ip: str, fill: Facts) -> list[Draft]:
    """The documented handshake works, but the origin, which speaks TLS 1.3, refuses the TLS
    1.3 handshake CloudFront is believed to make, and would not fall back to TLS 1.2."""
    check = tls.tls13
    if check is None or check.ok or not check.offered or len(check.attempts) < 2:
        return []  # not checked, fine, or not checked to the end (a timeout): nothing to say
    if check.any_suite_cipher is None and check.any_suite_alert == "protocol_version":
        return []  # it does not speak TLS 1.3 after all: CloudFront gets TLS 1.2
    answer = (say(catalog.TLS13_ANSWER_ALERT, alert=check.alert) if check.alert
              else check.error or catalog.HANDSHAKE_FAILED)
    if check.any_suite_cipher:
        accepts = say(catalog.TLS13_ACCEPTS_SUITE, cipher=check.any_suite_cipher)
    else:
        accepts = say(catalog.TLS13_ACCEPTS_NOTHING,
                      error=check.any_suite_error or catalog.HANDSHAKE_FAILED)
    suite_problem = (check.any_suite_cipher is not None
                     and check.any_suite_cipher not in check.offered)
    fix = catalog.TLS13_FIX_SUITES if suite_problem else catalog.TLS13_FIX_OTHER
    return [draft(FindingCode.TLS13_OFFER_REFUSED, ip, tls13_suites=", ".join(check.offered),
                  tls13_accepted=check.any_suite_cipher or "", **fill)
            .worded(answer=answer, accepts=accepts, fix=fix)]


def _tls13_works(tls: TlsResult) -> bool:
    """Whether TLS 1.3 as CloudFront is believed to offer it completes; when that offer could
    not be made here (``offered`` empty), whether an origin that accepts nothing older
    completes TLS 1.3 at all."""
    check = tls.tls13
    if check is not None and check.offered:
        return check.ok
    return tls.reason == TlsReason.PROTOCOL_UNSUPPORTED and tls.accepted_protocols == ["TLSv1.3"]


def _tls13_other_suites(tls: TlsResult) -> Note | None:
    """A note for an error on an origin whose TLS 1.3 works only outside CloudFront's presumed
    offer: whether CloudFront can connect then rests on suites AWS does not document."""
    check = tls.tls13
    if check is None or check.ok or not check.any_suite_cipher:
        return None
    if tls.reason == TlsReason.CERT_KEY_UNSUPPORTED and not (
            tls.certificate_key or "").startswith("ECDSA"):
        return None  # no signature scheme AWS lists verifies the key, whatever the suite
    facts: Facts = {"cipher": check.any_suite_cipher, "tls13_suites": ", ".join(check.offered)}
    if check.any_suite_cipher in check.offered:
        # The suite is one CloudFront is believed to offer: the curves or signature schemes
        # the offer-everything handshake added made the difference, not the suite.
        return Note(catalog.TLS13_OTHER_GROUPS_NOTE, facts)
    return Note(catalog.TLS13_OTHER_SUITES_NOTE, facts)


def rule_tls(report: Report, _now: dt.datetime) -> list[Draft]:
    out = []
    offered = report.target.origin_ssl_protocols
    for address, probe in _probes(report):
        tls = probe.tls
        if tls is None or tls.status == Status.NOT_RUN or tls.cut is not None:
            continue  # a handshake origin502's own budget ended is not checked (coverage)
        ip = address.address
        fill: Facts = {"port": probe.port, "address": ip, "sni": tls.sni or ip,
                       "detail": tls.detail or ""}
        if tls.status == Status.OK:
            out.extend(_tls13_refused(tls, ip, fill))
            continue
        if tls.reason in _TLS12_REASONS and _tls13_works(tls):
            # One rule for "TLS 1.2 fails for reason R, TLS 1.3 works", whatever R is.
            out.append(_tls13_only(tls, offered, ip, fill))
            continue
        before = len(out)
        measured: Facts = {"measured": tls.detail}
        reason = tls.reason
        accepted = tls.accepted_protocols
        if reason == TlsReason.NOT_TLS:
            plain = catalog.PLAIN_HTTP_ANSWER if probe.http.status_code else ""
            out.append(draft(FindingCode.TLS_NOT_SPOKEN, ip, plain=plain, **fill)
                       .worded(**measured))
        elif reason == TlsReason.PROTOCOL_UNSUPPORTED:
            older = [p for p in accepted if p != "TLSv1.3"]
            fix = (say(catalog.PROTOCOL_FIX_ADD, protocol=older[0]) if older
                   else catalog.PROTOCOL_FIX_ENABLE)
            out.append(draft(FindingCode.TLS_PROTOCOL_UNSUPPORTED, ip, offered=", ".join(offered),
                             accepted=", ".join(accepted), fix=fix, **fill))
        elif reason == TlsReason.CIPHER_UNSUPPORTED:
            common = [p for p in accepted if p in offered]
            ciphers = tls.accepted_ciphers
            offer = tls.cipher_offer
            if offer is None and ciphers and all(c in UNBUILDABLE_CIPHERS for c in ciphers):
                # An older probe that could not offer these suites: it proves nothing.
                continue
            cloudfront = offer.offered if offer else list(CLOUDFRONT_CIPHERS)
            words: Facts = {"offered": ", ".join(cloudfront),
                            "offer_said": _offer_sentence(offer) if offer else ""}
            out.append(draft(FindingCode.TLS_CIPHER_UNSUPPORTED, ip,
                             protocol=common[0] if common else catalog.COMMON_PROTOCOL,
                             accepted=_cipher_list(ciphers), cloudfront_ciphers=cloudfront,
                             **fill).worded(**words))
        elif reason == TlsReason.CURVE_UNSUPPORTED:
            out.append(draft(FindingCode.TLS_CURVE_UNSUPPORTED, ip, **fill).worded(**measured))
        elif reason == TlsReason.CERT_KEY_UNSUPPORTED:
            out.append(_key_unsupported(ip, tls, fill))
        elif reason == TlsReason.SNI_REFUSED:
            out.append(_sni_refused(ip, report.target, tls, fill))
        elif reason == TlsReason.CLIENT_CERT_REQUIRED:
            out.append(draft(FindingCode.TLS_CLIENT_CERT_REQUIRED, ip,
                             how=catalog.CLIENT_CERT_HOW_HANDSHAKE, **fill)
                       .worded(why=tls.detail or catalog.CLIENT_CERT_ENDS_HANDSHAKE))
        elif reason == TlsReason.CERT_MESSAGE_TOO_LARGE:
            out.append(draft(FindingCode.CERT_MESSAGE_TOO_LARGE, ip, **fill).worded(**measured))
        elif reason == TlsReason.UNVERIFIABLE_HERE:
            out.append(draft(FindingCode.TLS_UNVERIFIABLE_HERE, ip, **fill).worded(**measured))
        elif reason == TlsReason.TIMEOUT:
            # Silence, not a refusal: says nothing about protocols or ciphers (no offer).
            stalled = tls.stalled
            if stalled is not None and stalled.received > 0:
                progress = (catalog.HANDSHAKE_GOT_CERTIFICATE if stalled.certificate else
                            catalog.HANDSHAKE_GOT_SERVER_HELLO if stalled.server_hello else
                            catalog.HANDSHAKE_GOT_PART)
                out.append(draft(FindingCode.TLS_HANDSHAKE_TIMEOUT, ip,
                                 Shape.HANDSHAKE_STALLED, received=stalled.received,
                                 server_hello=int(stalled.server_hello),
                                 certificate=int(stalled.certificate), **fill).worded(
                    timeout=report.target.connect_timeout,
                    progress=say(progress, received=stalled.received)))
            else:
                out.append(draft(FindingCode.TLS_HANDSHAKE_TIMEOUT, ip, **fill)
                           .worded(timeout=report.target.connect_timeout))
        else:
            what = catalog.HANDSHAKE_FAILURES.get(reason) if reason is not None else None
            extra = ""
            if tls.cipher_offer is not None:
                extra = _offer_sentence(tls.cipher_offer)
            elif not accepted:
                extra = catalog.HANDSHAKE_NOTHING_ACCEPTED
            advice = (catalog.HANDSHAKE_ADVICE.get(reason, catalog.HANDSHAKE_ADVICE_OTHER)
                      if reason is not None else catalog.HANDSHAKE_ADVICE_OTHER)
            # OpenSSL's message goes in the brackets only: "what" is ours, never it again.
            words = {"what": what or catalog.HANDSHAKE_FAILED,
                     "measured": tls.detail or catalog.HANDSHAKE_NO_MESSAGE, "extra": extra,
                     "advice": say(advice, port=probe.port)}
            out.append(draft(FindingCode.TLS_HANDSHAKE_FAILED, ip, **fill).worded(**words))
        note = _tls13_other_suites(tls)
        if note is not None:
            # Neither CloudFront's documented offer nor its presumed TLS 1.3 one works, but
            # TLS 1.3 with another suite does: the error rests on what AWS does not document.
            for d in out[before:]:
                d.notes.append(note)
                d.uncertain = True
    return out


def connected(tls: TlsResult | None) -> bool:
    """Whether a handshake CloudFront may make completed, so that the request went over it:
    the faithful one, or TLS 1.3 on an origin that accepts nothing older (``http_over``)."""
    return tls is not None and (tls.status == Status.OK or tls.http_over is not None)


def _key_unsupported(ip: str, tls: TlsResult, fill: Facts) -> Draft:
    """The certificate's key, not the curves, stops CloudFront's handshake. Ed25519/Ed448 are
    outside the key types AWS documents (RSA, ECDSA); an ECDSA curve other than P-256/P-384
    is refused by CloudFront's documented curve list, which AWS does not state outright, so
    that verdict is uncertain (cloudfront-facts §2.2, §2.4, §3.3)."""
    key = tls.certificate_key or ""
    ecdsa = key.startswith("ECDSA")
    doubt = say(catalog.KEY_DOUBT_CURVE if ecdsa else catalog.KEY_DOUBT_NONE, key=key)
    d = draft(FindingCode.CERT_KEY_UNSUPPORTED, ip, key=key, **fill).worded(
        measured=tls.detail, doubt=doubt)
    d.uncertain = ecdsa
    return d


def _sni_refused(ip: str, target: TargetInfo, tls: TlsResult, fill: Facts) -> Draft:
    """The origin refuses the SNI CloudFront sends and accepts another name (or none)."""
    other = tls.sni_accepted or ""
    forwarded = target.host_header != target.hostname
    accepted_with = (say(catalog.SNI_ACCEPTED_WITH, name=other) if other
                     else catalog.SNI_ACCEPTED_WITHOUT)
    alternative = (say(catalog.SNI_ALTERNATIVE_HOST, hostname=target.hostname)
                   if forwarded and other == target.hostname else catalog.SNI_ALTERNATIVE_NONE)
    return draft(FindingCode.TLS_SNI_REFUSED, ip, sni_accepted=other,
                 **fill).worded(
        measured=tls.detail, accepted_with=accepted_with, alternative=alternative,
        why_sni=catalog.SNI_BECAUSE_HOST if forwarded else catalog.SNI_ORIGIN_DOMAIN)


def client_cert_refusal(probe: ConnectionProbe) -> str | None:
    """How the origin refused the request after asking for a client certificate, when it did:
    nginx with ``ssl_verify_client on`` completes a TLS 1.2 handshake without a certificate and
    answers "400 No required SSL certificate was sent"; a TLS 1.3 server sends its
    certificate_required alert only after the handshake, so the request meets a closed
    connection. None when the request got an answer that is not about the certificate."""
    tls, http = probe.tls, probe.http
    if tls is None or not connected(tls) or not tls.client_cert_requested:
        return None
    if http.status == Status.FAILED and http.reason in (HttpReason.CLOSED, HttpReason.RESET):
        return say(catalog.CLIENT_CERT_REFUSAL_CLOSED, detail=http.detail)
    if http.status_code not in (400, 403):
        return None
    said = " ".join(filter(None, [http.reason_phrase, http.body_excerpt]))
    if "certificate" not in said.lower():
        return None
    quote = _body_quote(http.body_excerpt) or (http.reason_phrase or "")
    return say(catalog.CLIENT_CERT_REFUSAL_ANSWER, status=http.status_code, quote=quote)


def _body_quote(body: str | None) -> str:
    """The first piece of text of an error page that mentions the certificate, without markup
    and without a leading status code."""
    for piece in re.split(r"<[^>]*>|\n", body or ""):
        text = re.sub(r"^\d{3}\s+", "", " ".join(piece.split()))
        if "certificate" in text.lower():
            return text[:160]
    return ""


def rule_client_cert_requested(report: Report, _now: dt.datetime) -> list[Draft]:
    out = []
    for address, probe in _probes(report):
        tls = probe.tls
        if not (tls and connected(tls) and tls.client_cert_requested):
            continue
        refusal = client_cert_refusal(probe)
        http = probe.http
        if refusal:
            out.append(draft(FindingCode.TLS_CLIENT_CERT_REQUIRED, address.address,
                             Shape.REFUSED_REQUEST,
                             address=address.address, port=probe.port,
                             how=say(catalog.CLIENT_CERT_HOW_ANSWER, refusal=refusal))
                       .worded(path=report.target.path, refusal=refusal))
            continue
        if http.status_code is not None:
            outcome = catalog.CLIENT_CERT_OPTIONAL
        elif http.status == Status.NOT_RUN:
            outcome = catalog.CLIENT_CERT_NOT_SENT
        else:
            outcome = catalog.CLIENT_CERT_NO_ANSWER
        out.append(draft(FindingCode.TLS_CLIENT_CERT_REQUESTED, address.address)
                   .worded(address=address.address, port=probe.port, outcome=outcome))
    return out


# A handshake taking this share of the connection timeout or more is called slow: if the
# timeout covers TLS (undocumented, facts §4.5), it uses more of the wait than it leaves.
TLS_SLOW_SHARE = 0.5


def rule_tls_slow(report: Report, _now: dt.datetime) -> list[Draft]:
    out = []
    timeout = report.target.connect_timeout
    for address, probe in _probes(report):
        tls = probe.tls
        if not (tls and tls.status == Status.OK and timeout):
            continue
        seconds = tls.duration_ms / 1000
        if seconds < timeout * TLS_SLOW_SHARE:
            continue
        out.append(draft(FindingCode.TLS_HANDSHAKE_SLOW, address.address,
                         handshake_ms=round(tls.duration_ms, 1), timeout=timeout)
                   .worded(address=address.address, port=probe.port,
                           sni=tls.sni or address.address, seconds=seconds,
                           percent=round(100 * seconds / timeout)))
    return out


def rule_weak_cipher(report: Report, _now: dt.datetime) -> list[Draft]:
    out = []
    for address, probe in _probes(report):
        tls = probe.tls
        if not (tls and tls.status == Status.OK and tls.cipher in WEAK_CLOUDFRONT_CIPHERS):
            continue
        unchecked = (catalog.WEAK_CIPHER_UNCHECKED if tls.negotiated_by == "cipher_offer"
                     else "")
        out.append(draft(FindingCode.TLS_WEAK_CIPHER, address.address, cipher=tls.cipher,
                         protocol=tls.protocol)
                   .worded(address=address.address, port=probe.port, unchecked=unchecked))
    return out


def _usage_needed(protocol: str | None, cipher: str | None) -> str | None:
    """The keyUsage bit the server certificate's key needs in this handshake (RFC 8446
    §4.4.2.2, RFC 5246 §7.4.2): it signs in TLS 1.3 and in ECDHE/DHE suites, and is encrypted
    to in RSA key exchange; None when the handshake is not known well enough to say."""
    if protocol == "TLSv1.3":
        return "digitalSignature"
    if not cipher or not protocol:
        return None
    if cipher.startswith(("ECDHE-", "DHE-")):
        return "digitalSignature"
    if cipher in RSA_KEY_EXCHANGE_CIPHERS:
        return "keyEncipherment"
    return None


def rule_key_usage(report: Report, _now: dt.datetime) -> list[Draft]:
    """A server certificate whose keyUsage lacks the bit the negotiated handshake needs.
    Judged on CloudFront's own handshake only: another handshake's suite says nothing of the
    one CloudFront would get."""
    out = []
    for address, probe in _probes(report):
        tls = probe.tls
        if not (tls and tls.chain):
            continue
        leaf = _served_leaf(tls)
        if leaf is None or leaf.key_usage is None:
            continue
        words: Facts = {"address": address.address, "port": probe.port,
                 "usages": ", ".join(leaf.key_usage) or catalog.KEY_USAGE_NONE}
        if leaf.key_type == "EC" and "digitalSignature" not in leaf.key_usage:
            # An ECDSA key only ever signs (CloudFront's list has ECDHE-ECDSA suites only), so
            # whichever handshake presented it, CloudFront's would need the bit. OpenSSL-based
            # servers refuse TLS 1.2 with such a certificate and still complete TLS 1.3.
            refused = ""
            if tls.status != Status.OK and tls.chain_source == "follow_up":
                refused = say(catalog.KEY_USAGE_REFUSED,
                              protocol=tls.chain_protocol or catalog.ANOTHER_PROTOCOL)
            out.append(draft(FindingCode.CERT_KEY_USAGE_MISMATCH, address.address,
                             Shape.ECDSA_KEY_USAGE, key_usage=list(leaf.key_usage),
                             needed="digitalSignature")
                       .worded(**words, why=catalog.KEY_USAGE_WHY["digitalSignature"],
                               refused=refused))
            continue
        if tls.status != Status.OK or tls.chain_source == "follow_up":
            continue
        needed = _usage_needed(tls.protocol, tls.cipher)
        if needed is None or needed in leaf.key_usage:
            continue
        out.append(draft(FindingCode.CERT_KEY_USAGE_MISMATCH, address.address,
                         key_usage=list(leaf.key_usage), needed=needed,
                         protocol=tls.protocol, cipher=tls.cipher)
                   .worded(**words, why=catalog.KEY_USAGE_WHY[needed]))
    return out


# --- certificates -----------------------------------------------------------------------------

def _cert_label(info: CertificateInfo) -> str:
    return say(catalog.CERT_LABEL, name=info.common_name or info.subject, issuer=info.issuer,
               sha256=info.sha256[:16])


def _which(index: int, leaf_index: int = 0) -> str:
    return (catalog.WHICH_SERVER if index == leaf_index
            else say(catalog.WHICH_INTERMEDIATE, index=index))


def rule_certificates(report: Report, now: dt.datetime) -> list[Draft]:
    out = []
    target = report.target
    for address, probe in _probes(report):
        tls = probe.tls
        # Whichever handshake presented the chain, it is judged: a self-signed or expired
        # certificate makes CloudFront fail whatever the protocol (a TLS 1.3-only origin).
        if tls is None or not tls.chain:
            continue
        ip = address.address
        found = _chain_findings(target, tls.chain, tls.analysis, ip, now)
        if tls.reason == TlsReason.CERT_KEY_UNSUPPORTED:
            # The failed handshake's own finding already names the key, as an error.
            found = [d for d in found if d.code != FindingCode.CERT_KEY_TYPE_UNCERTAIN]
        if tls.chain_source == "follow_up" or tls.status != Status.OK:
            seen = Note(catalog.CHAIN_FROM_OTHER_HANDSHAKE,
                        {"protocol": tls.chain_protocol or catalog.ANOTHER_PROTOCOL})
            for d in found:
                d.notes.append(seen)
        out.extend(_with_other_certificate(found, tls, target, ip, now))
    return out


def _chain_findings(target: TargetInfo, chain: list[CertificateInfo],
                    analysis: ChainAnalysis | None, ip: str, now: dt.datetime) -> list[Draft]:
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
    return found


def _key_kind(chain: list[CertificateInfo], analysis: ChainAnalysis | None) -> tuple[str, str]:
    """(the server certificate's key type as suites name it, its label)."""
    leaf_index = analysis.leaf_index if analysis is not None else 0
    leaf = chain[leaf_index] if leaf_index < len(chain) else chain[0]
    return ("ECDSA" if leaf.key_type == "EC" else leaf.key_type), _cert_label(leaf)


def _with_other_certificate(found: list[Draft], tls: TlsResult, target: TargetInfo, ip: str,
                            now: dt.datetime) -> list[Draft]:
    """The findings of an origin with two certificates (RSA and ECDSA): each certificate's own,
    each saying which one it is about. CloudFront's preference between RSA and ECDSA suites is
    not documented (cloudfront-facts §2.3): when only one certificate fails, CloudFront fails
    whenever it gets that one, which is certain of the certificate and uncertain of how often."""
    other = tls.other_certificate
    if other is None or not other.chain:
        return found
    said = [(d.code, d.facts()) for d in found]
    theirs = [d for d in _chain_findings(target, other.chain, other.analysis, ip, now)
              if (d.code, d.facts()) not in said]
    this = _key_kind(tls.chain, tls.analysis)
    that = _key_kind(other.chain, other.analysis)
    this_bad = any(d.severity == Severity.ERROR for d in found)
    that_bad = any(d.severity == Severity.ERROR for d in theirs)
    for drafts, (kind, _), (other_kind, other_label), bad, other_bad in (
            (found, this, that, this_bad, that_bad), (theirs, that, this, that_bad, this_bad)):
        state = catalog.DUAL_STATE_BAD if other_bad else catalog.DUAL_STATE_OK
        for d in drafts:
            if d.severity == Severity.INFO:
                continue
            d.notes.append(Note(catalog.DUAL_CERTIFICATE, {
                "kind": kind, "other": other_kind, "label": other_label, "state": state}))
            if d.severity == Severity.ERROR and bad and not other_bad:
                d.notes.append(Note(catalog.DUAL_EITHER))
                d.uncertain = True
    return found + theirs


# --- revocation (what the origin staples) ------------------------------------------------------

# Stapled responses that are wrong rather than merely uninformative: strict clients refuse them.
_WRONG_STAPLES = frozenset({"unreadable", "other_certificate", "other_issuer", "bad_signature"})
# A thisUpdate this far ahead of our clock is the clocks' difference, not a future response.
_STAPLE_CLOCK_SKEW = dt.timedelta(minutes=5)


def rule_revocation(report: Report, now: dt.datetime) -> list[Draft]:
    """What the certificate status stapled to the handshake says about the server certificate
    (the first sent): revoked, missing though the certificate demands it, or unusable."""
    out = []
    for address, probe in _probes(report):
        tls = probe.tls
        # Stapled with the chain judged, in whichever handshake presented it (as certificates).
        if tls is None or tls.ocsp is None or not tls.chain:
            continue
        fill: Facts = {"port": probe.port, "sni": report.target.sni}
        found = _staple_drafts(tls.ocsp, tls.chain[0], address.address, fill, now)
        if tls.chain_source == "follow_up" or tls.status != Status.OK:
            seen = Note(catalog.CHAIN_FROM_OTHER_HANDSHAKE,
                        {"protocol": tls.chain_protocol or catalog.ANOTHER_PROTOCOL})
            for d in found:
                d.notes.append(seen)
        out.extend(found)
    return out


def _staple_drafts(staple: OcspStaple, leaf: CertificateInfo, ip: str, fill: Facts,
                   now: dt.datetime) -> list[Draft]:
    words: Facts = {"label": _cert_label(leaf)}
    if not staple.stapled:
        if not staple.must_staple:
            return []
        return [draft(FindingCode.CERT_MUST_STAPLE_MISSING, ip, **fill).worded(**words)]
    problem = _staple_problem(staple, leaf, now)
    if problem is None:
        return [_revoked(staple, ip, fill, words)] if staple.cert_status == "revoked" else []
    kind, facts = problem
    d = draft(FindingCode.CERT_OCSP_STAPLE_UNUSABLE, ip, problem=kind, **fill).worded(
        problem=say(catalog.STAPLE_PROBLEMS[kind], **facts), fix=catalog.STAPLE_FIXES[kind],
        consequence=catalog.STAPLE_MUST if staple.must_staple else catalog.STAPLE_MAY, **words)
    if staple.must_staple or kind in _WRONG_STAPLES:
        d.severity = Severity.WARNING
    return [d]


def _revoked(staple: OcspStaple, ip: str, fill: Facts, words: Facts) -> Draft:
    doubt = ""
    if staple.signature != "verified":
        doubt = say(catalog.STAPLE_SIGNATURE_UNCHECKED, detail=staple.signature_detail)
    elif staple.for_this_certificate is None:
        doubt = catalog.STAPLE_ISSUER_NAME_ONLY
    when = _parse(staple.revoked_at) if staple.revoked_at else None
    signed = say(catalog.STAPLE_SIGNED_BY, signer=staple.signed_by) if staple.signed_by else ""
    reason = (say(catalog.STAPLE_REASON, reason=staple.revocation_reason)
              if staple.revocation_reason else "")
    return draft(FindingCode.CERT_REVOKED, ip, revoked_at=staple.revoked_at,
                 reason=staple.revocation_reason, signature=staple.signature,
                 signed_by=staple.signed_by, **fill).worded(
        signed=signed, reason=reason, doubt=doubt,
        on=f"{when:%Y-%m-%d %H:%M} UTC" if when else catalog.STAPLE_NO_DATE, **words)


def _staple_problem(staple: OcspStaple, leaf: CertificateInfo,
                    now: dt.datetime) -> tuple[str, Facts] | None:
    """Why a client cannot use the stapled response, as (kind, facts); None when it can (or
    when it says "revoked", which no later response can undo, whatever its dates)."""
    if staple.problem is not None:
        return "unreadable", {"detail": staple.problem}
    if staple.response_status != "successful":
        return "refused", {"status": staple.response_status}
    if staple.for_this_certificate is False:
        if staple.serial == leaf.serial:
            return "other_issuer", {}
        return "other_certificate", {"serial": staple.serial, "ours": leaf.serial}
    if staple.signature == "invalid":
        return "bad_signature", {"detail": staple.signature_detail}
    if staple.cert_status == "revoked":
        return None
    if staple.cert_status != "good":
        return "unknown", {}
    if staple.next_update and _parse(staple.next_update) < now:
        next_update = _parse(staple.next_update)
        return "expired", {"on": f"{next_update:%Y-%m-%d %H:%M}", "ago": _ago(now - next_update)}
    if staple.this_update and _parse(staple.this_update) > now + _STAPLE_CLOCK_SKEW:
        this_update = _parse(staple.this_update)
        return "not_yet_valid", {"on": f"{this_update:%Y-%m-%d %H:%M}",
                                 "ago": _ago(this_update - now)}
    return None


def _name_findings(target: TargetInfo, leaf: CertificateInfo, ip: str) -> list[Draft]:
    if leaf.extensions_error:
        return []  # unreadable names are not a mismatch: the validators' verdict speaks
    judged = judge_names(leaf, target.hostname, target.host_header)
    if judged.certain_match:
        return []
    names, from_cn = names_for_matching(leaf)
    listed = _more(names[:8], len(names)) or catalog.NOTHING
    if judged.lenient_match:
        return [_lenient_name_finding(target, leaf, ip, judged=judged, listed=listed,
                                      names=names)]
    name = judged.name
    if target.host_header != target.hostname:
        why = say(catalog.MISMATCH_WHY_FORWARDED, host=target.host_header,
                  hostname=target.hostname)
        alternative = say(catalog.MISMATCH_ALTERNATIVE_FORWARDED, hostname=target.hostname,
                          host=target.host_header)
    else:
        why = catalog.MISMATCH_WHY
        alternative = _covered_alternative(names)
    wide = judged.matched and Doubt.WIDE_WILDCARD in judged.doubts
    words: Facts = {
        "listed": listed,
        "source": catalog.NAMES_FROM_CN if from_cn else catalog.NAMES_FROM_SAN,
        "why": why, "label": _cert_label(leaf),
        "doubt": say(catalog.MISMATCH_WIDE_WILDCARD, pattern=judged.pattern) if wide else ""}
    d = draft(FindingCode.CERT_HOSTNAME_MISMATCH, ip, name=name,
              alternative=alternative, certificate_names=names).worded(**words)
    # Wildcard matching is not documented (facts §3.4, §8.4): the RFC's "no" is said, but
    # as uncertain.
    d.uncertain = wide
    return [d]


def _covered_alternative(names: list[str]) -> str:
    """The fix "point the origin domain at a name the certificate covers", with a name one
    can point at: a wildcard such as ``*.example.com`` is no domain name (re-audit #11), so
    it is said as a name one label under ``example.com``. Empty when there is none to name."""
    exact = [n for n in names if "*" not in n]
    if exact:
        return say(catalog.MISMATCH_ALTERNATIVE, covered=exact[0])
    wildcards = [n for n in names if n.startswith("*.") and "*" not in n[2:]]
    if wildcards:
        return say(catalog.MISMATCH_ALTERNATIVE_WILDCARD, pattern=wildcards[0],
                   domain=wildcards[0][2:])
    return ""


def _lenient_name_finding(target: TargetInfo, leaf: CertificateInfo, ip: str, *,
                          judged: NameJudgement, listed: str, names: list[str]) -> Draft:
    """A name that matches only by a reading the documentation allows but does not confirm:
    the documented answer (CloudFront connects), said as uncertain, with what is in doubt."""
    fill: Facts = {"host": target.host_header, "origin": target.hostname, "name": judged.name,
                   "pattern": judged.pattern, "listed": listed,
                   "wildcard": "*." + judged.name.partition(".")[2],
                   "via": (say(catalog.NAME_VIA, pattern=judged.pattern)
                           if judged.pattern != judged.name else "")}
    said = " ".join(say(catalog.NAME_DOUBTS[doubt], **fill) for doubt in judged.doubts)
    alternative = (say(catalog.NAME_ALTERNATIVE_FORWARDED, **fill)
                   if judged.doubts == (Doubt.FORWARDED_HOST,) else "")
    return draft(FindingCode.CERT_NAME_MATCH_UNCERTAIN, ip, name=judged.name,
                 pattern=judged.pattern, doubts=[str(d) for d in judged.doubts],
                 certificate_names=names).worded(
        said=said, label=_cert_label(leaf), alternative=alternative,
        fix=say(catalog.NAME_FIXES[judged.doubts[0]], **fill))


def _validity_findings(chain: list[CertificateInfo], analysis: ChainAnalysis | None, ip: str,
                       now: dt.datetime) -> list[Draft]:
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
            out.append(draft(FindingCode.CERT_EXPIRED, ip, which=which, not_after=info.not_after)
                       .worded(label=_cert_label(info), ago=_ago(now - not_after),
                               on=f"{not_after:%Y-%m-%d %H:%M}"))
        elif not_before > now:
            out.append(draft(FindingCode.CERT_NOT_YET_VALID, ip, which=which,
                             not_before=f"{not_before:%Y-%m-%d %H:%M} UTC")
                       .worded(label=_cert_label(info), ago=_ago(not_before - now)))
        elif index == leaf_index and not_after - now < dt.timedelta(days=EXPIRY_WARNING_DAYS):
            out.append(draft(FindingCode.CERT_EXPIRES_SOON, ip,
                             not_after=f"{not_after:%Y-%m-%d %H:%M} UTC",
                             days_left=(not_after - now).days)
                       .worded(label=_cert_label(info), ago=_ago(not_after - now)))
    return out


def _path_indexes(chain: list[CertificateInfo], analysis: ChainAnalysis | None) -> list[int]:
    if analysis is not None and analysis.path:
        return [i for i in analysis.path if i < len(chain)]
    if analysis is not None and analysis.unused_indexes:
        return [i for i in range(len(chain)) if i not in analysis.unused_indexes]
    return list(range(len(chain)))


def _label(info: CertificateInfo) -> str:
    return info.common_name or info.subject


def _order_findings(chain: list[CertificateInfo], analysis: ChainAnalysis,
                    ip: str) -> list[Draft]:
    received = " → ".join(f"[{i}] {_label(c)}" for i, c in enumerate(chain))
    needed_indexes = list(analysis.path) or list(range(len(chain)))
    needed = " → ".join(f"[{i}] {_label(chain[i])}" for i in needed_indexes if i < len(chain))
    if analysis.leaf_index:
        lead = say(catalog.CHAIN_ORDER_CA_FIRST, first=_label(chain[0]),
                   server=_label(chain[analysis.leaf_index]), position=analysis.leaf_index)
    else:
        lead = catalog.CHAIN_ORDER_MIXED
    return [draft(FindingCode.CERT_CHAIN_ORDER, ip, order=received,
                  needed=needed).worded(lead=lead)]


def _trust_findings(chain: list[CertificateInfo], analysis: ChainAnalysis,
                    ip: str) -> list[Draft]:
    out = []
    leaf = chain[analysis.leaf_index] if analysis.leaf_index < len(chain) else chain[0]
    if not analysis.in_order:
        out.extend(_order_findings(chain, analysis, ip))
    reason = analysis.break_reason
    if analysis.trusted and analysis.anchor_source == "ca_file":
        out.append(draft(FindingCode.TRUSTED_VIA_CA_FILE, ip, anchor=analysis.anchor_subject))
    elif reason == ChainBreak.SELF_SIGNED_LEAF:
        out.append(draft(FindingCode.CERT_SELF_SIGNED, ip).worded(label=_cert_label(leaf)))
    elif reason == ChainBreak.UNTRUSTED_ROOT:
        root = chain[next(i for i, c in enumerate(chain) if c.self_signed and i > 0)] if any(
            c.self_signed for c in chain[1:]) else chain[-1]
        out.append(draft(FindingCode.CERT_UNTRUSTED_ROOT, ip,
                         evidence_line=say(catalog.ROOT_NOT_LISTED, root=root.subject)))
    elif reason == ChainBreak.INCOMPLETE and _wrong_issuer(chain, analysis) is not None:
        out.append(_wrong_intermediate(chain, analysis, ip))
    elif reason == ChainBreak.INCOMPLETE:
        out.extend(_incomplete_findings(chain, analysis, ip))
    # The wrong intermediate is off the path too, but its own finding says why.
    unused = [i for i in analysis.unused_indexes if i != _wrong_issuer(chain, analysis)]
    if unused or analysis.root_included:
        parts = []
        if unused:
            names = ", ".join(chain[i].common_name or chain[i].subject for i in unused)
            parts.append(say(catalog.EXTRA_NOT_ON_PATH, names=names))
        if analysis.root_included and len(chain) > 1:
            parts.append(catalog.EXTRA_ROOT)
        if parts:
            out.append(draft(FindingCode.CERT_EXTRA_CERTIFICATES, ip, detail=" ".join(parts)))
    return out


def _wrong_issuer(chain: list[CertificateInfo], analysis: ChainAnalysis) -> int | None:
    index = analysis.wrong_issuer_index
    return index if index is not None and index < len(chain) else None


def _wrong_intermediate(chain: list[CertificateInfo], analysis: ChainAnalysis,
                        ip: str) -> Draft:
    """A certificate named like the missing issuer was sent, and did not sign the one below
    it: the intermediate is the wrong one, not missing, and the CA is not "private"."""
    index = _wrong_issuer(chain, analysis) or 0
    wrong = chain[index]
    dangling = chain[analysis.dangling_index or 0]
    dangling_label = _label(dangling)
    why = say(catalog.WRONG_ISSUER_WHY.get(analysis.wrong_issuer_why or "", ""),
              found=analysis.wrong_issuer_key_id, expected=analysis.expected_key_id,
              dangling=dangling_label)
    which_one = (say(catalog.WRONG_ISSUER_WHICH, expected=analysis.expected_key_id)
                 if analysis.expected_key_id else "")
    where = ""
    if analysis.aia_status == "fetched" and analysis.aia_completes_chain and analysis.aia_url:
        where = say(catalog.AIA_DOWNLOAD, url=analysis.aia_url)
    return draft(FindingCode.CERT_WRONG_INTERMEDIATE, ip, wrong=wrong.subject, index=index,
                 dangling=dangling_label, which_one=which_one, where=where,
                 expected_key_id=analysis.expected_key_id,
                 wrong_key_id=analysis.wrong_issuer_key_id).worded(
        sha256=wrong.sha256[:16], why=why)


def _incomplete_findings(chain: list[CertificateInfo], analysis: ChainAnalysis,
                         ip: str) -> list[Draft]:
    dangling = chain[analysis.dangling_index or 0]
    missing = analysis.missing_issuer
    status = analysis.aia_status
    fetched = analysis.aia_certificate
    if status == "fetched" and analysis.aia_completes_chain and fetched is not None:
        return [draft(FindingCode.CERT_CHAIN_INCOMPLETE, ip, missing=missing,
                      where=say(catalog.AIA_DOWNLOAD, url=analysis.aia_url))
                .worded(count=len(chain), dangling=dangling.common_name or dangling.subject,
                        url=analysis.aia_url, sha256=fetched.sha256[:16])]
    if status == "fetched":
        line = say(catalog.AIA_LEADS_NOWHERE, missing=missing, url=analysis.aia_url)
        return [draft(FindingCode.CERT_UNTRUSTED_ROOT, ip, evidence_line=line)]
    if status in ("failed", "blocked", "skipped"):
        note = say(catalog.AIA_FETCH_NOTE, url=analysis.aia_url,
                   detail=analysis.aia_detail or status)
    else:
        note = catalog.NO_AIA_NOTE
    if status == "absent" and not dangling.is_ca:
        line = say(catalog.ISSUER_WITHOUT_AIA, missing=missing)
        return [draft(FindingCode.CERT_UNTRUSTED_ROOT, ip, evidence_line=line)]
    if dangling.is_ca:
        line = say(catalog.PRIVATE_INTERMEDIATE, label=dangling.common_name or dangling.subject,
                   missing=missing, note=note)
        return [draft(FindingCode.CERT_UNTRUSTED_ROOT, ip, evidence_line=line)]
    d = draft(FindingCode.CERT_CHAIN_INCOMPLETE, ip, Shape.ISSUER_NOT_SENT, missing=missing,
              where=catalog.AIA_ASK_CA).worded(note=note)
    d.uncertain = True
    return [d]


def _key_findings(chain: list[CertificateInfo], analysis: ChainAnalysis | None,
                  ip: str) -> list[Draft]:
    out = []
    leaf_index = analysis.leaf_index if analysis is not None else 0
    leaf = chain[leaf_index] if leaf_index < len(chain) else chain[0]
    path = _path_indexes(chain, analysis)
    for index in path:
        info = chain[index]
        if info.key_type == "RSA" and info.key_size and info.key_size < RSA_MIN_BITS:
            which = _which(index, leaf_index)
            detail = say(catalog.RSA_KEY_OF, which=which, label=_cert_label(info),
                         bits=info.key_size)
            out.append(draft(FindingCode.CERT_RSA_KEY_TOO_SMALL, ip, detail=detail,
                             bits=info.key_size, which=which))
    if leaf.key_type == "RSA" and leaf.key_size:
        if leaf.key_size < RSA_MIN_BITS:
            pass
        elif leaf.key_size > RSA_MAX_BITS:
            out.append(draft(FindingCode.CERT_RSA_KEY_TOO_LARGE, ip, bits=leaf.key_size))
        elif leaf.key_size < 2048:
            out.append(draft(FindingCode.CERT_WEAK_KEY, ip,
                             detail=say(catalog.SERVER_RSA_KEY, bits=leaf.key_size)))
    elif leaf.key_type == "EC" and leaf.curve not in ("secp256r1", "prime256v1"):
        out.append(draft(FindingCode.CERT_KEY_TYPE_UNCERTAIN, ip,
                         detail=say(catalog.SERVER_EC_KEY, curve=leaf.curve)))
    elif leaf.key_type not in ("RSA", "EC"):
        out.append(draft(FindingCode.CERT_KEY_TYPE_UNCERTAIN, ip,
                         detail=say(catalog.SERVER_OTHER_KEY, key_type=leaf.key_type)))
    # Keys are strings once a report went through JSON.
    unchecked = ({int(k): why for k, why in analysis.unchecked_signatures.items()}
                 if analysis is not None else {})
    for index in path:
        info = chain[index]
        if info.signature_hash not in ("sha1", "md5") or info.self_signed:
            continue
        note = (say(catalog.UNCHECKED_SIGNATURE, why=unchecked[index])
                if index in unchecked else "")
        detail = say(catalog.WEAK_SIGNATURE, which=_which(index, leaf_index),
                     label=_cert_label(info), algorithm=info.signature_hash.upper(), note=note)
        code = (FindingCode.CERT_MD5_SIGNATURE if info.signature_hash == "md5"
                else FindingCode.CERT_SHA1_SIGNATURE)
        out.append(draft(code, ip, detail=detail))
    return out


def _limit_findings(analysis: ChainAnalysis, ip: str) -> list[Draft]:
    cut = []
    if analysis.presented_count > analysis.considered_count > 0:
        cut.append(say(catalog.CHAIN_CUT_PRESENTED, presented=analysis.presented_count,
                       considered=analysis.considered_count))
    if analysis.signature_budget_exhausted:
        cut.append(say(catalog.CHAIN_CUT_BUDGET, checks=analysis.signature_checks))
    if not cut:
        return []
    return [draft(FindingCode.CERT_CHAIN_CUT, ip, detail="; ".join(cut),
                  presented=analysis.presented_count)]


# A validator's rejection that an own finding already explains is not said twice: the words of
# its code or rule, and the own codes that explain them.
_EXPLAINED_BY: tuple[tuple[tuple[str, ...], frozenset[FindingCode]], ...] = (
    (("HAS_EXPIRED", "NOT_YET_VALID", "not valid at validation time"),
     frozenset({FindingCode.CERT_EXPIRED, FindingCode.CERT_NOT_YET_VALID})),
    (("UNABLE_TO_GET_ISSUER", "SELF_SIGNED", "UNABLE_TO_VERIFY_LEAF", "no interior errors"),
     frozenset({FindingCode.CERT_UNTRUSTED_ROOT, FindingCode.CERT_CHAIN_INCOMPLETE,
                FindingCode.CERT_SELF_SIGNED})),
    (("HOSTNAME_MISMATCH", "no matching subjectaltname"),
     frozenset({FindingCode.CERT_HOSTNAME_MISMATCH, FindingCode.CERT_NAME_MATCH_UNCERTAIN})),
    (("MD_TOO_WEAK", "signature algorithm"),
     frozenset({FindingCode.CERT_SHA1_SIGNATURE, FindingCode.CERT_MD5_SIGNATURE})),
    (("KEY_TOO_SMALL", "public key"),
     frozenset({FindingCode.CERT_RSA_KEY_TOO_SMALL, FindingCode.CERT_WEAK_KEY,
                FindingCode.CERT_KEY_TYPE_UNCERTAIN})),
)


_NO_TRUSTED_PATH = frozenset({FindingCode.CERT_SELF_SIGNED, FindingCode.CERT_UNTRUSTED_ROOT,
                              FindingCode.CERT_CHAIN_INCOMPLETE, FindingCode.CERT_CHAIN_CUT,
                              FindingCode.CERT_WRONG_INTERMEDIATE})


def _explained(verdict: ValidatorVerdict, own_codes: set[FindingCode]) -> bool:
    if own_codes & _NO_TRUSTED_PATH:
        # Without a path to a trusted root (or with the chain cut), whatever else a validator
        # says about that path is beside the point.
        return True
    words = f"{verdict.code or ''} {verdict.rule or ''}".lower()
    return any(any(k.lower() in words for k in keys) and own_codes & codes
               for keys, codes in _EXPLAINED_BY)


def validator_fix(verdict: ValidatorVerdict, name: str) -> str:
    """The fix for the rule a validator's rejection names (catalog.VALIDATOR_FIXES)."""
    words = f"{verdict.code or ''} {verdict.rule or ''}".lower()
    template = next((fix for keys, fix in catalog.VALIDATOR_FIXES
                     if any(k.lower() in words for k in keys)), catalog.VALIDATOR_FIX_OTHER)
    return say(template, certificate=verdict.certificate or catalog.THE_CERTIFICATE, name=name,
               rule=verdict.rule or "")


def _validator_said(verdict: ValidatorVerdict) -> str:
    said = say(catalog.VALIDATOR_SAID, rule=verdict.rule, validator=catalog.VALIDATOR_NAMES.get(
        verdict.validator, verdict.validator))
    if verdict.code:
        said += say(catalog.VALIDATOR_CODE, code=verdict.code)
    if verdict.certificate:
        said += say(catalog.VALIDATOR_ON, certificate=verdict.certificate)
    return said


def _validator_findings(target: TargetInfo, analysis: ChainAnalysis, own: list[Draft],
                        ip: str) -> list[Draft]:
    """A maintained validator's rejection that origin502's own checks did not explain."""
    own_codes = {d.code for d in own}
    verdicts = [v for v in analysis.validators if v.accepted is not None]
    all_rejected = [v for v in verdicts if v.accepted is False]
    rejected = [v for v in all_rejected if not _explained(v, own_codes)]
    if not rejected:
        return []
    first = rejected[0]
    # The name the Web PKI validator judged (the origin domain when the certificate does not
    # name the forwarded Host); OpenSSL checks no name.
    named = next((v.name for v in rejected if v.name), None)
    name = named or (target.sni if not target.is_ip_literal else target.hostname)
    agree = len(all_rejected) == len(verdicts) and len(verdicts) > 1
    if agree:
        lead, doubt = catalog.VALIDATORS_BOTH_REJECT, ""
    else:
        accepted = [catalog.VALIDATOR_NAMES.get(v.validator, v.validator)
                    for v in verdicts if v.accepted]
        lead = catalog.VALIDATOR_REJECTS
        doubt = say(catalog.VALIDATOR_DOUBT, accepted=", ".join(accepted) or
                    catalog.OTHER_VALIDATOR)
    words: Facts = {"lead": lead, "name": name, "doubt": doubt,
                    "said": "; ".join(_validator_said(v) for v in rejected)}
    d = draft(FindingCode.CERT_REJECTED_BY_VALIDATOR, ip, fix=validator_fix(first, name),
              rule=first.rule or "", certificate=first.certificate or "",
              validator=first.validator).worded(**words)
    if not agree:
        # The stricter verdict, said as uncertain: a warning, so that a rule CloudFront may
        # not apply (CN without SAN is in AWS's own docs) does not fail the verdict.
        d.uncertain = True
        d.severity = Severity.WARNING
    return [d]


# --- HTTP -------------------------------------------------------------------------------------

def rule_http(report: Report, _now: dt.datetime) -> list[Draft]:
    out = []
    target = report.target
    for address, probe in _probes(report):
        http = probe.http
        ip = address.address
        fill: Facts = {"path": target.path, "host": target.host_header, "port": probe.port,
                       "timeout": target.read_timeout,
                       "after_tls": catalog.AFTER_TLS if probe.scheme == "https" else ""}
        words: Facts = {"address": ip, "measured": http.detail}
        if http.continue_responses > 1:
            out.append(_second_continue(probe, ip, fill))
        tls_port = _tls_on_http_port(target, probe, ip)
        if tls_port is not None:
            out.append(tls_port)  # it explains the close, the bytes or the 400 below
            continue
        too_large = _headers_too_large(probe, ip, fill)
        if too_large is not None:
            out.append(too_large)
            if too_large.severity == Severity.ERROR:
                continue  # CloudFront passes nothing of this response on
        if http.status == Status.FAILED:
            first_bytes = (http.first_bytes or "")[:60]
            if client_cert_refusal(probe) is not None or http.head_cut:
                continue  # TLS_CLIENT_CERT_REQUIRED / HTTP_HEADERS_TOO_LARGE name these
            if http.reason in (HttpReason.CLOSED, HttpReason.RESET):
                out.append(draft(FindingCode.ORIGIN_CLOSED_CONNECTION, ip, **fill).worded(**words))
            elif http.reason == HttpReason.TIMEOUT and http.ttfb_ms is not None:
                # Bytes came, then too little: say so rather than "did not answer".
                out.append(draft(FindingCode.ORIGIN_RESPONSE_TIMEOUT, ip, Shape.STARTED_ONLY,
                                 first_byte=round(http.ttfb_ms, 1), first_bytes=first_bytes,
                                 **fill).worded(**words))
            elif http.reason == HttpReason.TIMEOUT:
                out.append(draft(FindingCode.ORIGIN_RESPONSE_TIMEOUT, ip, **fill).worded(**words))
            elif http.reason == HttpReason.TRUNCATED:
                out.append(_head_cut(target, ip, first_bytes, fill))
            elif http.reason == HttpReason.STALLED:
                out.append(draft(FindingCode.ORIGIN_RESPONSE_STALLED, ip,
                                 detail=http.detail or "", **fill).worded(**words))
            elif http.reason == HttpReason.INVALID and "stopped reading" in (http.detail or ""):
                # The probe's byte caps cut the answer: say what was cut, not "not HTTP".
                out.append(draft(FindingCode.HTTP_INVALID_RESPONSE, ip, Shape.CUT_SHORT,
                                 first_bytes=first_bytes, **fill).worded(**words))
            elif http.reason == HttpReason.INVALID:
                out.append(draft(FindingCode.HTTP_INVALID_RESPONSE, ip,
                                 first_bytes=first_bytes, **fill).worded(**words))
            continue
        code = http.status_code
        if code is None:
            continue
        status = f"{code} {http.reason_phrase or ''}".strip()
        server = say(catalog.SERVER_HEADER, server=http.server) if http.server else ""
        out.extend(_malformed(http, ip, status, fill))
        out.extend(_body_cut(target, http, ip, status, fill))
        if code > 599:
            # Not an HTTP status: nothing says CloudFront passes it on (no "passed_on").
            out.append(draft(FindingCode.HTTP_STATUS_INVALID, ip, status=status, server=server,
                             **fill).worded(**words))
        elif code >= 500:
            d = draft(FindingCode.ORIGIN_RETURNED_ERROR, ip, status=status, server=server,
                      fix=_origin_error_fix(code, http.server), passed_on=status, **fill)
            d.lead_link = _origin_error_link(code, http.server)
            out.append(d.worded(**words))
        elif code >= 400 and client_cert_refusal(probe) is None:
            out.append(draft(FindingCode.ORIGIN_RETURNED_CLIENT_ERROR, ip,
                             status=status, **fill).worded(**words, server=server))
        out.extend(_redirect_loop(target, probe, ip, status, fill))
        out.extend(_keepalive_shorter(target, probe, ip))
    return out


# How TLS listeners answer a plain HTTP request when they answer in HTTP (status 400): nginx,
# Apache httpd's mod_ssl, Go's net/http. Matched case-insensitively in the body's start.
_TLS_PORT_SAYINGS = ("The plain HTTP request was sent to HTTPS port",
                     "speaking plain HTTP to an SSL-enabled server port",
                     "Client sent an HTTP request to an HTTPS server")


def _tls_record(first_bytes: str | None) -> bool:
    """Whether bytes start like a TLS record (a content type, then version 3.x): an alert is
    what most TLS servers answer a plain HTTP request with."""
    head = (first_bytes or "")[:3]
    return (len(head) == 3 and 0x14 <= ord(head[0]) <= 0x17 and head[1] == "\x03"
            and ord(head[2]) <= 4)


def _tls_on_http_port(target: TargetInfo, probe: ConnectionProbe, ip: str) -> Draft | None:
    """HTTP_PORT_SPEAKS_TLS when a plain-HTTP port showed it speaks TLS: a TLS server's own
    refusal of plain HTTP, a TLS record instead of HTTP, or a completed handshake."""
    http = probe.http
    if probe.scheme != "http":
        return None
    said: list[str] = []
    status = (f"{http.status_code} {http.reason_phrase or ''}".strip()
              if http.status_code is not None else None)
    body = (http.body_excerpt or "").lower()
    saying = next((s for s in _TLS_PORT_SAYINGS if s.lower() in body), None)
    if status is not None and http.status_code == 400 and saying is not None:
        said.append(say(catalog.PORT_TLS_REFUSED, status=status, said=saying))
    elif status is not None and http.port_speaks_tls:
        said.append(say(catalog.PORT_TLS_ANSWERED, status=status))
    if http.status == Status.FAILED and _tls_record(http.first_bytes):
        first = http.first_bytes or ""
        hexed = " ".join(f"{ord(c):02x}" for c in first[:7])
        said.append(say(catalog.PORT_TLS_RECORD, hex=hexed,
                        kind=catalog.TLS_RECORD_KINDS.get(ord(first[0]), "")))
    if http.port_speaks_tls:
        if http.status == Status.FAILED and http.reason in (HttpReason.CLOSED, HttpReason.RESET):
            said.append(catalog.PORT_TLS_CLOSED)
        said.append(http.port_tls_detail or "")
    said = [s for s in said if s]
    if not said or (status is not None and http.status_code != 400):
        return None
    policy = target.protocol_policy
    fix = catalog.PORT_TLS_FIX.get(policy, catalog.PORT_TLS_FIX["http-only"])
    viewers = (say(catalog.PORT_TLS_VIEWERS_ORIGIN, status=status) if status is not None
               else catalog.PORT_TLS_VIEWERS_502)
    evidence: Facts = {"port": probe.port, "policy": policy,
                       "said": catalog.PORT_TLS_JOIN.join(said)}
    if status is not None:
        evidence["passed_on"] = status  # a valid HTTP answer: CloudFront passes it on
    return draft(FindingCode.HTTP_PORT_SPEAKS_TLS, ip, **evidence).worded(
        address=ip, scope=catalog.PORT_TLS_SCOPE.get(policy, ""), viewers=viewers,
        fix=say(fix, port=probe.port, https_port=target.https_port))


def _head_cut(target: TargetInfo, ip: str, first_bytes: str, fill: Facts) -> Draft:
    """HTTP_RESPONSE_TRUNCATED before the headers ended: CloudFront then has no response to
    pass on, so an error for viewers is certain; only its status is not documented."""
    d = draft(FindingCode.HTTP_RESPONSE_TRUNCATED, ip, Shape.HEAD_CUT, first_bytes=first_bytes,
              **fill).worded(address=ip, consequence=catalog.TRUNCATED_HEAD_VIEWERS,
                             fix=say(catalog.TRUNCATED_FIX_HEAD, path=target.path))
    d.severity, d.uncertain = Severity.ERROR, False
    return d


# A header name (RFC 9110 token), whitespace, then the colon: RFC 9112 section 5.1 forbids it.
_SPACE_BEFORE_COLON = re.compile(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+)([ \t]+):[ \t]*(.*)", re.S)


def _whitespace_named(run: str) -> str:
    """The characters of ``run`` (spaces and tabs) as the fix names them: "space", "tab",
    "2 spaces", "spaces and tabs"."""
    kinds = set(run)
    if len(kinds) > 1:
        return catalog.WHITESPACE_MIXED
    word = catalog.WHITESPACE_NAMES[run[0]]
    return word if len(run) == 1 else say(catalog.WHITESPACE_COUNT, count=len(run), word=word)


def _malformed(http: HttpResult, ip: str, status: str, fill: Facts) -> list[Draft]:
    """HTTP_RESPONSE_MALFORMED: a valid status line, then a part a strict parser rejects,
    named with the parser's words; the fix is specific when the fault is recognised."""
    if http.malformed is None:
        return []
    line, said = http.rejected_line, http.parser_said or ""
    rejected = say(catalog.MALFORMED_LINE, line=line, said=said) if line else said
    space = _SPACE_BEFORE_COLON.fullmatch(line or "")
    fix = (say(catalog.MALFORMED_FIX_SPACE, name=space.group(1),
               what=_whitespace_named(space.group(2)),
               fixed=f"{space.group(1)}: {space.group(3)}") if space is not None
           else catalog.MALFORMED_FIX)
    part = catalog.MALFORMED_PARTS.get(str(http.malformed), str(http.malformed))
    # h11 names the header when a Content-Length is invalid or conflicting ("bad
    # Content-Length"), and quotes the line for a line it cannot read at all.
    framing = line is None and "content-length" in said.lower()
    d = draft(FindingCode.HTTP_RESPONSE_MALFORMED, ip, status=status, part=part,
              rejected=rejected, **fill).worded(
        address=ip, fix=fix, consequence=catalog.MALFORMED_FRAMING if framing else say(
            catalog.MALFORMED_LENIENT, status=status))
    if framing:
        d.severity = Severity.ERROR  # uncertain all the same: AWS does not say
    return [d]


def _body_cut(target: TargetInfo, http: HttpResult, ip: str, status: str,
              fill: Facts) -> list[Draft]:
    """HTTP_RESPONSE_TRUNCATED: the origin closed or reset the connection before the body's
    end as its head announced it, with the measured numbers."""
    if http.body_complete is not False:
        return []
    ended = catalog.TRUNCATED_ENDS.get(str(http.body_cut_by), catalog.TRUNCATED_ENDS["closed"])
    received = http.body_bytes or 0
    chunked = "chunked" in http.headers.get("transfer-encoding", "").lower()
    if http.body_declared is not None:
        how = say(catalog.TRUNCATED_DECLARED, declared=http.body_declared, received=received,
                  ended=ended)
        fix = say(catalog.TRUNCATED_FIX_DECLARED, path=target.path)
    else:
        how = say(catalog.TRUNCATED_CHUNKED if chunked else catalog.TRUNCATED_OTHER,
                  received=received, ended=ended)
        fix = say(catalog.TRUNCATED_FIX_BODY, path=target.path)
    return [draft(FindingCode.HTTP_RESPONSE_TRUNCATED, ip, status=status,
                  declared=http.body_declared, received=received, **fill).worded(
        address=ip, how=how, fix=fix,
        consequence=say(catalog.TRUNCATED_BODY_VIEWERS, status=status))]


def _second_continue(probe: ConnectionProbe, ip: str, fill: Facts) -> Draft:
    http = probe.http
    final = (say(catalog.CONTINUE_FINAL,
                 status=f"{http.status_code} {http.reason_phrase or ''}".strip())
             if http.status_code is not None else "")
    return draft(FindingCode.HTTP_SECOND_100_CONTINUE, ip, count=http.continue_responses,
                 **fill).worded(address=ip, final=final)


def _headers_too_large(probe: ConnectionProbe, ip: str, fill: Facts) -> Draft | None:
    """HTTP_HEADERS_TOO_LARGE when the response head is over CloudFront's limit: certain when
    even its names and values alone are over (or the probe stopped reading), an uncertain
    warning when only the head as received is."""
    http = probe.http
    size = http.head_bytes
    if size is None or size <= RESPONSE_HEAD_LIMIT:
        return None
    fields = http.header_field_bytes
    certain = http.head_cut or fields is None or fields > RESPONSE_HEAD_LIMIT
    # Only the headers that weigh (a kilobyte or more) make the size understandable.
    weights = [say(catalog.HEADER_WEIGHT, name=name[:60], bytes=weight)
               for name, weight in http.largest_headers.items() if weight >= 1024]
    d = draft(FindingCode.HTTP_HEADERS_TOO_LARGE, ip, head_bytes=size,
              header_field_bytes=fields, limit=RESPONSE_HEAD_LIMIT, **fill).worded(
        address=ip,
        size=say(catalog.HEADERS_SIZE_CUT if http.head_cut else catalog.HEADERS_SIZE, bytes=size),
        largest=say(catalog.HEADERS_LARGEST, names=", ".join(weights)) if weights else "",
        counted="" if certain else say(catalog.HEADERS_COUNTED_UNDER, fields=fields),
        consequence=catalog.HEADERS_NOT_PASSED if certain else catalog.HEADERS_NOT_PASSED_IF)
    if not certain:
        d.severity, d.uncertain = Severity.WARNING, True
    return d


_REDIRECTS = (301, 302, 303, 307, 308)


def _redirect_loop(target: TargetInfo, probe: ConnectionProbe, ip: str, status: str,
                   fill: Facts) -> list[Draft]:
    """HTTP_REDIRECT_LOOP: over HTTP only, with the viewer's Host forwarded, a redirect to the
    same host over HTTPS sends viewers back through CloudFront to the same redirect."""
    http = probe.http
    location = http.headers.get("location", "")
    if (probe.scheme != "http" or target.protocol_policy != "http-only"
            or http.status_code not in _REDIRECTS or not location
            or target.host_header.lower() == target.hostname.lower()):
        return []
    try:
        parts = urlsplit(location)
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return []
    if parts.scheme.lower() != "https" or host != target.host_header.lower():
        return []
    return [draft(FindingCode.HTTP_REDIRECT_LOOP, ip, status=status, location=location[:200],
                  **fill).worded(address=ip)]


def _keepalive_shorter(target: TargetInfo, probe: ConnectionProbe, ip: str) -> list[Draft]:
    """HTTP_KEEPALIVE_SHORTER when the origin announces (Keep-Alive: timeout=N) that it closes
    idle connections sooner than CloudFront keeps them for reuse."""
    headers = probe.http.headers
    said = headers.get("keep-alive", "")
    found = re.search(r"(?:^|[\s,;])timeout\s*=\s*(\d+)", said, re.I)
    if found is None or "close" in headers.get("connection", "").lower():
        return []
    seconds = int(found.group(1))
    if seconds >= target.keepalive_timeout:
        return []
    return [draft(FindingCode.HTTP_KEEPALIVE_SHORTER, ip, port=probe.port,
                  origin_timeout=seconds, keepalive=target.keepalive_timeout,
                  keep_alive=said[:80]).worded(address=ip)]


def _origin_error_link(code: int, server: str | None) -> str | None:
    """The AWS page about this status from an origin, to lead the finding's links."""
    if "elb" in (server or "").lower():
        return catalog.LINK_ALB_502
    return {503: catalog.LINK_503, 504: catalog.LINK_504}.get(code)


def _origin_error_fix(code: int, server: str | None) -> str:
    server = (server or "").lower()
    if "awselb" in server or "elb" in server:
        return catalog.ORIGIN_ERROR_FIX_ALB
    if code == 504:
        return catalog.ORIGIN_ERROR_FIX_504
    return catalog.ORIGIN_ERROR_FIX


# --- across addresses ---------------------------------------------------------------------

def rule_some_addresses_failing(report: Report, _now: dt.datetime,
                                drafts: list[Draft] | None = None) -> list[Draft]:
    """Called last, with the drafts of the other rules (see ``diagnose_findings``)."""
    used = [a.address for a in report.addresses if report.target.uses_family(a.family)]
    if len(used) < 2 or drafts is None:
        return []
    failing: dict[str, set[FindingCode]] = {}
    for d in drafts:
        if d.severity == Severity.ERROR and d.address in used:
            failing.setdefault(d.address, set()).add(d.code)
    if not failing or len(failing) == len(used):
        return []
    codes = sorted({c for cs in failing.values() for c in cs})
    return [draft(FindingCode.SOME_ADDRESSES_FAILING, None, failing=len(failing),
                  total=len(used), codes=", ".join(codes))
            .worded(hostname=report.target.hostname, names=", ".join(sorted(failing)))]


def rule_addresses_not_probed(report: Report, _now: dt.datetime) -> list[Draft]:
    left = report.addresses_not_probed
    if not left:
        return []
    probed = len(report.addresses)
    return [draft(FindingCode.ADDRESSES_NOT_ALL_PROBED, None, name=report.target.hostname,
                  total=probed + len(left), probed=probed, left=len(left),
                  skipped=_more(left[:5], len(left)))]


RULES: list[Rule] = [
    rule_ip_literal,
    rule_dns,
    rule_ports_allowed,
    rule_private_address,
    rule_tcp,
    rule_tls,
    rule_certificates,
    rule_revocation,
    rule_client_cert_requested,
    rule_weak_cipher,
    rule_tls_slow,
    rule_key_usage,
    rule_http,
    rule_addresses_not_probed,
]
