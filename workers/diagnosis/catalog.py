"""Everything origin502 says about a cause, as data: each finding code's severity, title,
summary and remediation templates and documentation links, and the phrases the rules fill them
with. The rules measure and choose; the words are all here.

Templates are filled (``workers.diagnosis.render``) with named fields from the rule's measured
facts; a field a template names but the rule did not give is left empty. The wording is ours;
the links go to AWS's own guidance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from workers.models import (
    DnsReason,
    EdgeErrorFamily,
    FindingCode,
    NameServerOutcome,
    Severity,
    TlsReason,
)
from workers.models.record import FrozenRecord

DG = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/"
P502 = DG + "http-502-bad-gateway.html"
LINK_502_NAME = P502 + "#ssl-negotitation-failure"  # AWS spells the anchor this way
LINK_502_CIPHERS = P502 + "#origin-not-responding-with-supported-ciphers-protocols"
LINK_502_CERT = P502 + "#ssl-certificate-expired"
LINK_502_PORTS = P502 + "#origin-not-responding-on-specified-ports"
LINK_502_DNS = P502 + "#http-502-dns-error"
LINK_502_ALB = P502 + "#cloudfront-alb-502-error"
LINK_502_LAMBDA = P502 + "#http-502-lambda-validation-error"
LINK_502_FUNCTION = P502 + "#http-502-cloudfront-function-validation-error"
LINK_503 = DG + "http-503-service-unavailable.html"
LINK_504 = DG + "http-504-gateway-timeout.html"
LINK_ERROR_PAGES = DG + "troubleshooting-response-errors.html"
LINK_CIPHERS = DG + "secure-connections-supported-ciphers-cloudfront-to-origin.html"
LINK_CERT_REQS = DG + "cnames-and-https-requirements.html"
LINK_CERT_ISSUER = LINK_CERT_REQS + "#https-requirements-certificate-issuer"
LINK_CERT_NAMES = LINK_CERT_REQS + "#https-requirements-domain-names-in-cert"
LINK_CERT_INTERMEDIATES = LINK_CERT_REQS + "#https-requirements-intermediate-certificates"
LINK_HTTPS_ORIGIN = DG + "using-https-cloudfront-to-custom-origin.html"
LINK_ORIGIN_SETTINGS = DG + "DownloadDistValuesOrigin.html"
LINK_PORTS_SETTING = LINK_ORIGIN_SETTINGS + "#DownloadDistValuesHTTPPort"
LINK_DOMAIN_SETTING = LINK_ORIGIN_SETTINGS + "#DownloadDistValuesDomainName"
LINK_SSL_PROTOCOLS = LINK_ORIGIN_SETTINGS + "#DownloadDistValuesOriginSSLProtocols"
LINK_RESPONSE_TIMEOUT = LINK_ORIGIN_SETTINGS + "#DownloadDistValuesOriginResponseTimeout"
LINK_CONNECT_TIMEOUT = LINK_ORIGIN_SETTINGS + "#origin-connection-timeout"
LINK_KEEPALIVE_SETTING = LINK_ORIGIN_SETTINGS + "#DownloadDistValuesOriginKeepaliveTimeout"
LINK_PROTOCOL_POLICY = LINK_ORIGIN_SETTINGS + "#DownloadDistValuesOriginProtocolPolicy"
LINK_ORIGIN_BEHAVIOUR = DG + "RequestAndResponseBehaviorCustomOrigin.html"
LINK_ORIGIN_ERRORS = DG + "HTTPStatusCodes.html"
LINK_QUOTAS = DG + "cloudfront-limits.html"
LINK_LOG_FIELDS = DG + "standard-logs-reference.html"
LINK_PREFIX_LIST = DG + "LocationsOfEdgeServers.html#managed-prefix-list"
LINK_IP_RANGES = "https://docs.aws.amazon.com/vpc/latest/userguide/aws-ip-ranges.html"
LINK_HOST_POLICIES = DG + "using-managed-origin-request-policies.html"
LINK_MTLS = DG + "origin-mtls-authentication.html"
LINK_CLIENT_CERT = DG + "RequestAndResponseBehaviorCustomOrigin.html#RequestCustomClientSideSslAuth"
LINK_VPC_ORIGINS = DG + "private-content-vpc-origins.html"
LINK_IPV6_ORIGIN = DG + "cloudfront-enable-ipv6.html#ipv6-origin-requests"
LINK_ALB_502 = "https://repost.aws/knowledge-center/elb-alb-troubleshoot-502-errors"
# CA/Browser Forum Baseline Requirements, §7.1.2.7 (subscriber certificate profile): the AIA
# extension is required in publicly-trusted server certificates (§7.1.2.7.6) and should carry
# the issuing CA's certificate URL, caIssuers (§7.1.2.7.7).
LINK_CABF_BR = "https://cabforum.org/working-groups/server/baseline-requirements/requirements/"
LINK_RFC5280_PATHS = "https://www.rfc-editor.org/rfc/rfc5280#section-6"
LINK_RFC6960 = "https://www.rfc-editor.org/rfc/rfc6960"  # OCSP
LINK_RFC6066_STATUS = "https://www.rfc-editor.org/rfc/rfc6066#section-8"  # OCSP stapling
LINK_RFC7633 = "https://www.rfc-editor.org/rfc/rfc7633"  # TLS feature: OCSP Must-Staple
# What a server certificate's keyUsage must allow for the key exchange (TLS 1.2) and for the
# CertificateVerify signature (TLS 1.3).
LINK_RFC5246_CERT = "https://www.rfc-editor.org/rfc/rfc5246#section-7.4.2"
LINK_RFC8446_CERT = "https://www.rfc-editor.org/rfc/rfc8446#section-4.4.2.2"
LINK_RFC9110_STATUS = "https://www.rfc-editor.org/rfc/rfc9110#section-15"  # status codes
LINK_RFC9112 = "https://www.rfc-editor.org/rfc/rfc9112"  # HTTP/1.1 message syntax
LINK_RFC9112_FIELDS = LINK_RFC9112 + "#section-5.1"  # no whitespace before a field's colon


class Shape(StrEnum):
    """A summary other than the entry's usual one, for a code whose evidence comes in more
    than one form (each shape belongs to one entry: see ``Entry.shapes``)."""

    NO_USABLE_ADDRESS = "no_usable_address"  # resolves, but not in the family CloudFront uses
    REFUSED_REQUEST = "refused_request"  # the handshake passed, the request was refused
    ISSUER_NOT_SENT = "issuer_not_sent"  # no AIA fetch proved the intermediate is missing
    CUT_SHORT = "cut_short"  # the probe stopped reading an answer too large to be HTTP
    EDGE_UNSEEN = "edge_unseen"  # the edge did not answer from here
    EDGE_ANSWERS = "edge_answers"  # the edge answers normally
    ECDSA_KEY_USAGE = "ecdsa_key_usage"  # an ECDSA key: every handshake needs the bit
    STARTED_ONLY = "started_only"  # bytes came, then nothing that completes a response
    HEAD_CUT = "head_cut"  # the connection closed before the response headers ended
    HANDSHAKE_STALLED = "handshake_stalled"  # part of the TLS answer came, then nothing


class Predicts(StrEnum):
    """What viewers get when a finding of the code is an error: the status the verdict line
    names (workers.headline). Decided per code from cloudfront-facts: 502 where AWS documents
    it (DNS, refused connections, TLS and certificates), 504 for the timeouts of §1.3, and
    "502 or 504" where AWS does not say which (a dropped connection or SYN, §1.3 and §7.5)."""

    S502 = "502"  # CloudFront's own 502 Bad Gateway
    S504 = "504"  # CloudFront's own 504 Gateway Timeout
    S502_OR_504 = "502 or 504"  # CloudFront's own error; which of the two is not documented
    UNDOCUMENTED = "undocumented"  # CloudFront's own error, of a status AWS does not document
    PASSED_ON = "passed on"  # the origin's own status (evidence "passed_on"), passed on
    SETTING_REFUSED = "setting refused"  # CloudFront does not accept the origin's settings
    SEEN_AT_EDGE = "seen at the edge"  # the target is CloudFront's edge: what it answered
    SCOPE = "scope"  # says how many requests the other errors concern; no status of its own
    NO_ERROR = "no error"  # viewers get no error status because of it


class Prose(str):
    """Catalog wording a rule passes as a value into another template (a fix, a "how"):
    ours, so its `code` spans are kept where it is filled in. Every other filled-in value may
    come from the origin and has its backticks shown as ˋ in the steps (see
    ``workers.diagnosis.render``). A test checks every catalog phrase with a backtick is one."""

    __slots__ = ()


@dataclass(frozen=True, eq=False, repr=False)
class Entry(FrozenRecord):
    """How one finding code is worded, how severe it is and where to read more."""

    severity: Severity
    title: str
    summary: str  # the one-line evidence, a template filled with the rule's measured facts
    remediation: tuple[str, ...]
    links: tuple[str, ...]
    uncertain: bool = False
    shapes: Mapping[Shape, str] = field(default_factory=dict)  # other summaries, by shape
    # For a finding that is a warning resting on what AWS does not document (uncertain):
    # whether CloudFront might answer 502 because of it all the same. True keeps the headline
    # from saying "CloudFront can connect" (see workers.headline); None, not decided, counts as
    # True. A table test asks it of every code that can be an uncertain warning.
    may_502: bool | None = None
    # What viewers get when a finding of this code is an error (or, for a warning, if it
    # bites). Every code decides it; a table test asks it of the whole enum.
    predicts: Predicts | None = None
    # The summary of a finding merged across addresses, when "each address" cannot stand in
    # the usual one for the address (it is the object of "resolves to"); None: the usual one.
    merged: str | None = None
    # Titles other than the entry's usual one, by shape: a shape whose evidence contradicts
    # the usual title (a name that resolves, but not to an address CloudFront uses).
    shape_titles: Mapping[Shape, str] = field(default_factory=dict)
    # Steps other than the entry's usual ones, by shape: a shape whose fix is not the usual
    # one (a name that resolves needs no "check it exists", but another record or type).
    shape_steps: Mapping[Shape, tuple[str, ...]] = field(default_factory=dict)

    def summary_for(self, shape: Shape | None) -> str:
        return self.summary if shape is None else self.shapes[shape]

    def title_for(self, shape: Shape | None) -> str:
        return self.title if shape is None else self.shape_titles.get(shape, self.title)

    def steps_for(self, shape: Shape | None) -> tuple[str, ...]:
        return self.remediation if shape is None else self.shape_steps.get(shape,
                                                                           self.remediation)


# Shared by several entries.
NAME_SERVERS_FAILING = (
    "{count} of the {total} name servers of {zone} {verb} when asked directly for {name} "
    "{record}: {said}.{others}")
SERVER_RSA_KEY = "The server certificate has a {bits}-bit RSA key."
RESOLVES_TO_EACH = "{hostname} resolves to addresses that are not public: each is {reason}."


P = Predicts
CATALOG: dict[FindingCode, Entry] = {
    FindingCode.DNS_RESOLUTION_FAILED: Entry(
        Severity.ERROR, "The origin name does not resolve",
        "{what}{via}{cnames}.{walked}",
        ("Check that {name} exists in public DNS: ask the zone's authoritative name servers "
         "directly (`dig NS {apex}`, then `dig {name} @<server>`), from a machine on the "
         "public internet.",
         "If the record lives only in a private (split-horizon) zone, publish it publicly or "
         "use a VPC origin: CloudFront resolves origins with public DNS.",
         "For a delegated subdomain, check its NS and SOA records at the parent zone."),
        (LINK_502_DNS, LINK_DOMAIN_SETTING),
        shapes={
            Shape.NO_USABLE_ADDRESS:
                ("{name} has no {record} record, and the origin IP address type is {kind}: "
                 "CloudFront has no address to connect to (it has {found})."),
        },
        shape_titles={
            Shape.NO_USABLE_ADDRESS:
                "The origin name resolves only to addresses of a type CloudFront does not use",
        },
        # Facts §4.11: the IP address type decides which records CloudFront uses; the name
        # exists, so asking whether it does would send the operator the wrong way.
        shape_steps={
            Shape.NO_USABLE_ADDRESS: (
                "Set the origin IP address type to {kind_fix}, so CloudFront uses the "
                "addresses {name} has; or publish {record} records for {name} in its public "
                "zone, pointing at the origin.",),
        }, predicts=P.S502),
    # The resolver gave up waiting: the name may well exist (facts §1.1 #7 documents DNS
    # failures, not how long CloudFront's resolvers wait), and the slow party may be ours.
    FindingCode.DNS_TIMEOUT: Entry(
        Severity.ERROR, "The origin name got no DNS answer in time",
        ("{name}: {resolver} {waited}{cnames}.{walked} How long "
         "CloudFront's own resolvers wait is not documented: if they get an answer in time, "
         "CloudFront connects; if they give up too, it answers 502 (NonS3OriginDnsError)."),
        ("Time the answer as CloudFront's resolvers would get it, from a machine on the public "
         "internet: find the zone's name servers (`dig NS {apex}`), then ask each of them "
         "(`dig {name} @<server>`) and read the query time. A name server that is slow or "
         "does not answer is the usual cause: fix it, or take it out of the zone's NS records "
         "and the delegation.",
         "If every name server answers at once from the internet, the wait was in {resolver}, "
         "not in the origin's DNS: run origin502 with a resolver that answers "
         "(ORIGIN502_NAMESERVER) to check the origin itself."),
        (LINK_502_DNS, LINK_DOMAIN_SETTING), uncertain=True, may_502=True, predicts=P.S502),
    # An answer came, but late: how long CloudFront's resolvers wait is not documented (facts
    # §1.1 #7 documents DNS failures only), so a wait this long may be one they do not make.
    FindingCode.DNS_SLOW: Entry(
        Severity.WARNING, "The origin name's DNS answer is slow",
        ("{name}: {resolver} answered only after {seconds:.1f} s (of the {budget:g} s origin502 "
         "waits){cnames}. How long CloudFront's own resolvers wait is not documented: if they "
         "give up sooner, CloudFront answers 502 (NonS3OriginDnsError)."),
        ("Time the answer from a machine on the public internet: find the zone's name servers "
         "(`dig NS {apex}`), ask each of them (`dig {name} @<server>`) and read the query time. "
         "Fix a slow name server, or take it out of the zone's NS records and the delegation.",
         "If every name server answers at once from the internet, the wait was in {resolver}, "
         "not in the origin's DNS."),
        (LINK_502_DNS,), uncertain=True, may_502=True, predicts=P.S502),
    FindingCode.DNS_DANGLING_CNAME: Entry(
        Severity.ERROR, "A CNAME points at a name that no longer exists",
        ("{path}: the CNAME points at {target}, a name that no longer exists (NXDOMAIN). A deleted "
         "load balancer or bucket left behind is the usual cause."),
        ("Point the CNAME at the origin's current name (for a deleted load balancer, the DNS "
         "name of its replacement), or replace it with records that resolve.",
         "If {target} was a cloud resource's name (a bucket, an app or a load balancer "
         "name), someone else may be able to claim it and receive this traffic: fix the "
         "record rather than recreate the resource under a new name."),
        (LINK_502_DNS, LINK_DOMAIN_SETTING), predicts=P.S502),
    FindingCode.DNS_DNSSEC_FAILED: Entry(
        Severity.ERROR, "DNSSEC validation fails for the origin name",
        ("The resolver {nameserver} answers SERVFAIL for {name}, but not when asked with DNSSEC "
         "checking disabled (+cd){seen}: the zone's DNSSEC signatures or its DS record do not "
         "validate."),
        ("Re-sign the zone {zone} (expired RRSIG signatures are the usual cause), or, after a "
         "key change or a move to another DNS provider, make the DS record at the parent "
         "(your registrar) match the zone's current DNSKEY. To turn DNSSEC off, remove the DS "
         "record first and wait for its TTL.",
         "Check the result with `delv {name}` or `dig {name} +dnssec`. Whether CloudFront's "
         "own resolvers validate DNSSEC is not documented; validating public resolvers reject "
         "the name today."),
        (LINK_502_DNS,), uncertain=True, may_502=True, predicts=P.S502),
    FindingCode.DNS_NAMESERVER_FAILING: Entry(
        Severity.ERROR, "An authoritative name server of the zone fails or does not answer",
        NAME_SERVERS_FAILING,
        ("Bring {servers} back (is the DNS server running, does its firewall admit UDP and "
         "TCP port 53 from the internet?), or remove it from the NS records of {zone} and from "
         "the delegation at the parent zone (your registrar).",
         "Check every server the way AWS suggests: `dig NS {zone}`, then "
         "`dig {name} @<server>` for each."),
        (LINK_502_DNS,), predicts=P.S502),
    FindingCode.DNS_LAME_DELEGATION: Entry(
        Severity.ERROR, "A name server listed for the zone does not serve it (lame delegation)",
        NAME_SERVERS_FAILING,
        ("Load the zone {zone} on {servers}, or take {servers} out of the zone's NS records "
         "and of the delegation at the parent zone (your registrar).",
         "After a move to another DNS provider, the registrar must list only the new "
         "provider's name servers."),
        (LINK_502_DNS,), predicts=P.S502),
    FindingCode.DNS_SERVERS_DISAGREE: Entry(
        Severity.ERROR, "The zone's name servers give different answers",
        ("The name servers of {zone} disagree about {name} {record}: {said}. Resolvers ask any of "
         "them, so CloudFront resolves the origin some of the time only."),
        ("Make every name server of {zone} serve the same zone data. A secondary that stopped "
         "transferring the zone (compare `dig SOA {zone} @<server>` serials) or a server left "
         "from a previous DNS provider is the usual cause; {servers} is the one to look at.",),
        (LINK_502_DNS,), predicts=P.S502),
    FindingCode.ADDRESS_FAMILY_NOT_USED: Entry(
        Severity.ERROR, "The origin's only address is of a family CloudFront does not use",
        ("The origin is the {family} address {address}, and the origin IP address type is {kind}: "
         "CloudFront has no address it would connect to."),
        ("Set the origin IP address type to {kind_fix}, or give the origin a domain name with "
         "an address of the family CloudFront uses.",),
        (LINK_IPV6_ORIGIN, LINK_DOMAIN_SETTING), predicts=P.S502),
    FindingCode.PORT_CLOSED: Entry(
        Severity.ERROR, "The origin refuses connections on the port",
        ("{address} port {port} ({scheme}) refuses connections ({tries}, each answered with a TCP "
         "reset)."),
        ("Start the web server or load balancer listener on port {port}, or change the "
         "distribution's {setting} to the port the origin really listens on.",
         "If a firewall sends the refusal, allow CloudFront's origin-facing ranges (the "
         "managed prefix list com.amazonaws.global.cloudfront.origin-facing) on port {port}."),
        (LINK_502_PORTS, LINK_PREFIX_LIST, LINK_IP_RANGES), predicts=P.S502),
    FindingCode.PORT_TIMEOUT: Entry(
        Severity.ERROR, "Connections to the port are silently dropped",
        ("{address} port {port} ({scheme}) does not answer: {tries} of {timeout:g} s each timed "
         "out. Whether CloudFront shows this as 502 or 504 is not documented; expect either."),
        ("A firewall or security group is probably dropping the connection: allow inbound "
         "port {port} from CloudFront's origin-facing prefix list "
         "(com.amazonaws.global.cloudfront.origin-facing) or the CLOUDFRONT_ORIGIN_FACING "
         "ranges of ip-ranges.json.",
         "Make sure the origin is reachable from the internet at all; a private address needs "
         "a VPC origin instead.",
         "This probe does not come from CloudFront's addresses: an allowlist that admits only "
         "CloudFront would also drop it, so confirm with the rules themselves."),
        (LINK_502_PORTS, LINK_504, LINK_PREFIX_LIST, LINK_IP_RANGES), predicts=P.S502_OR_504),
    FindingCode.PORT_UNREACHABLE: Entry(
        Severity.ERROR, "There is no route to the origin address",
        "{address} port {port} ({scheme}) cannot be reached: {measured}.",
        ("Check that {address} is a public, routed address; an address with no route cannot "
         "be reached by CloudFront either.",
         "For IPv6, only give the origin an AAAA record if it really serves over IPv6, and "
         "check the distribution's origin IP address type."),
        (LINK_502_PORTS, LINK_IPV6_ORIGIN), predicts=P.S502_OR_504),
    FindingCode.PORT_NOT_ALLOWED: Entry(
        Severity.ERROR, "CloudFront cannot use this port for an origin",
        "The {setting} {port} is not one CloudFront accepts (80, 443 or 1024-65535).",
        ("CloudFront accepts only ports 80, 443 and 1024-65535 for an origin. Move the origin's "
         "listener from port {port} to one of those and update the distribution's {setting}.",),
        (LINK_PORTS_SETTING,), predicts=P.SETTING_REFUSED),
    FindingCode.TLS_NOT_SPOKEN: Entry(
        Severity.ERROR, "The HTTPS port does not speak TLS",
        "{address} port {port} does not answer a TLS handshake: {measured}.",
        ("Port {port} answered with something that is not TLS{plain}. Point the distribution's "
         "HTTPS port at the TLS listener, or enable TLS on this one.",
         "If the origin only serves plain HTTP, set the origin protocol policy to HTTP only "
         "(and accept that CloudFront-to-origin traffic is then unencrypted)."),
        (LINK_502_PORTS, LINK_HTTPS_ORIGIN), predicts=P.S502),
    FindingCode.TLS_PROTOCOL_UNSUPPORTED: Entry(
        Severity.ERROR, "No TLS protocol version in common with CloudFront's settings",
        "{address} port {port} accepts {accepted}; CloudFront offers {offered}.",
        ("{fix}",
         "Check the result with `openssl s_client -connect {address}:{port} -servername {sni}"
         " -tls1_2`."),
        (LINK_502_CIPHERS, LINK_SSL_PROTOCOLS, LINK_CIPHERS), predicts=P.S502),
    FindingCode.TLS13_ONLY: Entry(
        Severity.WARNING, "Only TLS 1.3 works with what CloudFront offers",
        ("{address} port {port} completes TLS 1.3 with the suites CloudFront is believed to "
         "offer ({tls13_suites}), but not CloudFront's documented handshake ({offered}): "
         "{why}."),
        ("CloudFront was reported in November 2025 to negotiate TLS 1.3 with origins "
         "automatically, so it probably connects over TLS 1.3; AWS's origin settings still list "
         "TLS 1.2 as the newest protocol and that report is not confirmed in AWS's "
         "documentation here. A CloudFront edge that connects with TLS 1.2 would fail for the "
         "reason above.",
         "To be safe: {fix}"),
        (LINK_CIPHERS, LINK_502_CIPHERS), uncertain=True, may_502=True, predicts=P.S502),
    FindingCode.TLS13_OFFER_REFUSED: Entry(
        Severity.WARNING, "The origin may refuse CloudFront's TLS 1.3 handshake",
        ("{address} port {port} speaks TLS 1.3, but a TLS 1.3 handshake offering "
         "{tls13_suites} (the suites CloudFront is believed to offer) gets {answer}; {accepts}."),
        ("CloudFront's handshake as AWS documents it (TLS 1.2) works today. CloudFront was "
         "reported in November 2025 to negotiate TLS 1.3 with origins that support it, and "
         "which TLS 1.3 suites it offers is not documented: if its TLS 1.3 offer is like the "
         "one above, this origin refuses it rather than falling back to TLS 1.2, and CloudFront "
         "answers 502.",
         "{fix}"),
        (LINK_CIPHERS, LINK_502_CIPHERS), uncertain=True, may_502=True, predicts=P.S502),
    FindingCode.TLS_CIPHER_UNSUPPORTED: Entry(
        Severity.ERROR, "No cipher in common with CloudFront",
        ("{address} port {port}: no cipher in common. Over {protocol} the origin accepts "
         "{accepted}; CloudFront offers {offered}.{offer_said}"),
        ("Enable at least one of CloudFront's origin ciphers on the origin, for example "
         "ECDHE-RSA-AES128-GCM-SHA256 (RSA certificate) or ECDHE-ECDSA-AES128-GCM-SHA256 "
         "(ECDSA certificate).",
         "CloudFront does not offer CHACHA20, DHE or plain-RSA GCM suites toward origins, even "
         "though viewers may use some of them."),
        (LINK_CIPHERS, LINK_502_CIPHERS), predicts=P.S502),
    FindingCode.TLS_CURVE_UNSUPPORTED: Entry(
        Severity.ERROR, "No elliptic curve or signature scheme in common with CloudFront",
        "{address} port {port}: {measured}.",
        ("{detail}.",
         "Allow X25519, prime256v1 (P-256) or secp384r1 (P-384) for ECDHE on the origin, and "
         "RSA-PKCS1 or ECDSA signatures with SHA-256/384/512."),
        (LINK_CIPHERS, LINK_502_CIPHERS), predicts=P.S502),
    FindingCode.TLS_CLIENT_CERT_REQUIRED: Entry(
        Severity.ERROR, "The origin requires a client certificate",
        "{address} port {port} requires a client certificate: {why}.",
        ("Either configure origin mutual TLS on the distribution (a client certificate "
         "imported into ACM in us-east-1, issued by a CA the origin trusts), or stop requiring "
         "client certificates on the listener CloudFront uses (for nginx: "
         "`ssl_verify_client optional` or `off`, and check the certificate in the application "
         "if needed).",
         "CloudFront sends no client certificate unless origin mutual TLS is configured, so "
         "the origin gives it no response and CloudFront answers 502."),
        (LINK_MTLS, LINK_CLIENT_CERT),
        shapes={
            Shape.REFUSED_REQUEST:
                ("{address} port {port} asks for a client certificate during the handshake and, "
                 "when none is sent, answers GET {path} with {refusal}."),
        }, predicts=P.S502),
    FindingCode.TLS_CLIENT_CERT_REQUESTED: Entry(
        Severity.WARNING, "The origin asks for an optional client certificate",
        "{address} port {port} asks for a client certificate ({outcome}).",
        ("The handshake completed without a client certificate, but the origin asked for one. "
         "Older CloudFront documentation says it drops requests to origins that ask; whether "
         "that still applies to an optional request is not confirmed.",
         "Turn the client-certificate request off for CloudFront's path, or configure origin "
         "mutual TLS."),
        (LINK_CLIENT_CERT, LINK_MTLS), uncertain=True, may_502=True, predicts=P.S502),
    FindingCode.TLS_WEAK_CIPHER: Entry(
        Severity.WARNING, "CloudFront can connect only with a broken cipher",
        ("{address} port {port} connects with CloudFront only through {cipher} over {protocol}: it "
         "chose that suite from CloudFront's list.{unchecked}"),
        ("The origin accepts none of CloudFront's other ciphers and picks {cipher} over "
         "{protocol}. CloudFront still lists it, so requests work, but RC4 is prohibited in "
         "TLS (RFC 7465) and 3DES's 64-bit blocks are open to the Sweet32 attack "
         "(CVE-2016-2183); AWS may drop it from the list at any time.",
         "Enable ECDHE-RSA-AES128-GCM-SHA256 (RSA certificate) or "
         "ECDHE-ECDSA-AES128-GCM-SHA256 (ECDSA certificate) with TLS 1.2 on the origin, then "
         "remove {cipher}."),
        (LINK_CIPHERS, "https://www.rfc-editor.org/rfc/rfc7465",
         "https://nvd.nist.gov/vuln/detail/CVE-2016-2183"), predicts=P.NO_ERROR),
    FindingCode.TLS_HANDSHAKE_FAILED: Entry(
        Severity.ERROR, "The TLS handshake failed",
        "{address} port {port}: {what} ({measured}).{extra}",
        ("{detail}",
         "{advice}",
         "Test the origin's TLS with `openssl s_client -connect {address}:{port} "
         "-servername {sni}`."),
        (LINK_502_CIPHERS, LINK_CIPHERS), predicts=P.S502),
    # Silence after the ClientHello is a timeout, not a refusal: nothing was said about
    # protocols or ciphers. AWS documents neither whether the connection timeout (§4.5) also
    # bounds the handshake nor which of 502 and 504 a timeout while connecting gives (§1.3).
    FindingCode.TLS_HANDSHAKE_TIMEOUT: Entry(
        Severity.ERROR, "The origin accepts connections but never answers the TLS handshake",
        ("{address} port {port} accepts TCP connections, then sends nothing back to the "
         "ClientHello: no ServerHello, no alert, no close within {timeout:g} s. AWS does not "
         "document whether CloudFront's connection timeout also bounds the TLS handshake, nor "
         "whether viewers then get 502 or 504; expect either."),
        ("Something on port {port} takes the connection and then waits: a TLS terminator or "
         "load balancer too busy to answer, a TCP proxy (nginx stream, HAProxy in mode tcp) "
         "whose backend does not answer, or a service that is not TLS and waits for the "
         "client to speak first. Check what listens on port {port}, its logs and, for a "
         "proxy, the health of its upstream.",
         "Reproduce it with `openssl s_client -connect {address}:{port} -servername {sni}`: "
         "it stays at CONNECTED and shows no certificate while nothing answers.",
         "CloudFront's standard logs call a request that timed out while connecting to the "
         "origin OriginCommError (x-edge-detailed-result-type); which type they give a TLS "
         "handshake that times out is not documented."),
        (LINK_502_PORTS, LINK_504, LINK_CONNECT_TIMEOUT, LINK_LOG_FIELDS),
        # Re-audit B: part of the answer came (a proxy or a path that passes only some of it
        # on): the origin does speak TLS, so "no ServerHello" and "not TLS" would be false.
        shapes={
            Shape.HANDSHAKE_STALLED:
                ("{address} port {port} accepts TCP connections and starts answering the "
                 "ClientHello, then stops: {progress}, and nothing more came within "
                 "{timeout:g} s. AWS does not document whether CloudFront's connection timeout "
                 "also bounds the TLS handshake, nor whether viewers then get 502 or 504; "
                 "expect either."),
        },
        shape_titles={
            Shape.HANDSHAKE_STALLED: "The origin's TLS handshake stops part-way",
        },
        shape_steps={
            Shape.HANDSHAKE_STALLED: (
                "The TLS server does answer; its answer does not all arrive. Look at what "
                "sits on the path to port {port}: a TCP proxy or load balancer that stalls "
                "passing the server's answer on, or a link (VPN, tunnel) that drops large "
                "packets while the ICMP messages that would shrink them are filtered (a path "
                "MTU problem: the small first packets pass, the full-size ones carrying the "
                "certificates do not). A server that stalls while sending its own certificate "
                "chain is rarer.",
                "Reproduce it with `openssl s_client -connect {address}:{port} -servername "
                "{sni}`: it prints CONNECTED, then waits without finishing the handshake (no "
                "`SSL handshake has read … bytes` line). If it completes with a smaller MTU on "
                "this side, the path drops large packets.",
                "CloudFront's standard logs call a request that timed out while connecting to "
                "the origin OriginCommError (x-edge-detailed-result-type); which type they give "
                "a TLS handshake that times out is not documented."),
        },
        predicts=P.S502_OR_504),
    # The handshake finished, but late. Facts §4.5 define the connection timeout as how long
    # CloudFront "waits when trying to establish a connection" and say nothing of TLS; if it
    # counts the handshake, one that uses over half of it leaves less room than it takes.
    FindingCode.TLS_HANDSHAKE_SLOW: Entry(
        Severity.WARNING, "The origin's TLS handshake is slow",
        ("{address} port {port}: the TLS handshake took {seconds:.1f} s, {percent}% of the "
         "{timeout:g} s connection timeout. AWS does not document whether that timeout, how "
         "long CloudFront waits to establish a connection, also covers the TLS handshake; if "
         "it does, a handshake this slow leaves little room, and a slower moment (or a longer "
         "path from CloudFront's edge) ends in a timeout, which viewers see as 502 or 504."),
        ("Find where the handshake waits: a TLS terminator short of CPU (large RSA keys, a "
         "burst of new connections), a proxy in front of it that is slow to connect to its "
         "backend, or work done before answering (a certificate status fetched while the "
         "client waits). Time it with `openssl s_client -connect {address}:{port} "
         "-servername {sni}` run under `time`.",
         "Until it is faster, a longer connection timeout (up to 10 s) gives the handshake more "
         "room, if the timeout covers it."),
        (LINK_CONNECT_TIMEOUT, LINK_504), uncertain=True, may_502=True,
        predicts=P.S502_OR_504),
    FindingCode.TLS_SNI_REFUSED: Entry(
        Severity.ERROR, "The origin has no certificate for the name CloudFront sends (SNI)",
        ("{address} port {port} refuses the handshake for {sni}, the server name (SNI) "
         "CloudFront sends{why_sni}, but completes the same handshake {accepted_with} "
         "({measured})."),
        ("Give the origin a virtual host and a certificate for {sni}: in nginx, a `server` "
         "block with `server_name {sni};` and an `ssl_certificate` that covers the name (a "
         "default server with `ssl_reject_handshake on;` refuses every name no other server "
         "block lists).",
         "{alternative}"),
        (LINK_502_NAME, LINK_CERT_NAMES, LINK_HOST_POLICIES), predicts=P.S502),
    FindingCode.TLS_UNVERIFIABLE_HERE: Entry(
        Severity.WARNING, "This handshake cannot be reproduced from here",
        "{address} port {port}: {measured}.",
        ("{detail}",),
        (LINK_CIPHERS,), uncertain=True, may_502=True, predicts=P.S502),
    FindingCode.CERT_HOSTNAME_MISMATCH: Entry(
        Severity.ERROR, "The certificate does not name the origin",
        ("The certificate names {listed} in {source}, not {name}: {why}.{doubt} "
         "Certificate: {label}."),
        ("Issue a certificate that covers {name} (for example with ACM for a load balancer) and "
         "install it on the origin.",
         "{alternative}"),
        (LINK_502_NAME, LINK_CERT_NAMES, LINK_HOST_POLICIES), predicts=P.S502),
    FindingCode.CERT_NAME_MATCH_UNCERTAIN: Entry(
        Severity.WARNING, "The certificate names the origin only by a reading AWS does not confirm",
        "{said} Certificate: {label}.",
        ("{fix}",
         "{alternative}"),
        (LINK_502_NAME, LINK_HTTPS_ORIGIN, LINK_DOMAIN_SETTING, LINK_CERT_NAMES),
        uncertain=True, may_502=True, predicts=P.S502),
    FindingCode.CERT_EXPIRED: Entry(
        Severity.ERROR, "A certificate has expired",
        "The {which} certificate {label} expired {ago} ago, on {on} UTC.",
        ("Renew the {which} certificate and install it together with its current intermediate "
         "certificates.",
         "Then check automatic renewal (ACM, certbot...) so it does not lapse again."),
        (LINK_502_CERT, LINK_HTTPS_ORIGIN), predicts=P.S502),
    FindingCode.CERT_NOT_YET_VALID: Entry(
        Severity.ERROR, "A certificate is not valid yet",
        "The {which} certificate {label} is valid only from {not_before}, in {ago}.",
        ("The {which} certificate only becomes valid on {not_before}: install a certificate "
         "that is valid now, or check the origin's clock if it generated the certificate.",),
        (LINK_502_CERT,), predicts=P.S502),
    FindingCode.CERT_EXPIRES_SOON: Entry(
        Severity.WARNING, "The certificate expires soon",
        "The server certificate {label} expires in {ago}, on {not_after}.",
        ("Renew the certificate before {not_after}; CloudFront will answer 502 from then on.",),
        (LINK_502_CERT,), predicts=P.S502),
    # Revocation: the certificate's status is a fact; whether CloudFront checks it toward
    # origins is not documented (cloudfront-facts §3.2, §8.4), hence warnings, uncertain.
    FindingCode.CERT_REVOKED: Entry(
        Severity.WARNING, "The certificate is revoked (its stapled OCSP response says so)",
        ("The server certificate {label} was revoked on {on}{reason}, says the OCSP response "
         "the origin staples{signed}.{doubt} Clients that check revocation refuse this "
         "certificate; whether CloudFront checks revocation toward origins is not documented, "
         "so it may answer 502 or may not."),
        ("Replace the certificate: have the CA issue a new one for a new private key (a revoked "
         "certificate cannot be reinstated, and after a key compromise the old key must be taken "
         "as known to others), then install it with its intermediates.",
         "Then staple the new certificate's status: `ssl_stapling on;` lets nginx fetch it from "
         "the CA's OCSP responder, while a file given with `ssl_stapling_file` must be made "
         "again for the new certificate (or removed).",
         "Check what the origin staples with `openssl s_client -connect {sni}:{port} "
         "-servername {sni} -status`: its OCSP section should say \"Cert Status: good\"."),
        (LINK_RFC6960, LINK_502_CERT), uncertain=True, may_502=True, predicts=P.S502),
    FindingCode.CERT_MUST_STAPLE_MISSING: Entry(
        Severity.WARNING, "The certificate demands OCSP stapling, and the origin staples nothing",
        ("The server certificate {label} carries the OCSP Must-Staple extension (TLS feature "
         "status_request), but the origin sent no certificate status when asked for one. "
         "Clients that enforce Must-Staple refuse such a connection; whether CloudFront does "
         "is not documented."),
        ("Turn OCSP stapling on at the origin (nginx: `ssl_stapling on; ssl_stapling_verify on;` "
         "with a `resolver` that reaches the CA's OCSP responder; Apache: `SSLUseStapling on`). "
         "nginx fetches its first response only after the first handshakes, so right after a "
         "restart it may staple nothing for a while: run the check again to see whether it "
         "lasts.",
         "Or reissue the certificate without the Must-Staple extension (certbot: without "
         "`--must-staple`).",
         "Check with `openssl s_client -connect {sni}:{port} -servername {sni} -status`: "
         "\"OCSP response: no response sent\" means nothing is stapled."),
        (LINK_RFC7633, LINK_RFC6066_STATUS), uncertain=True, may_502=True, predicts=P.S502),
    # Severity is set by the rule: info when the response merely tells nothing (stale, refused,
    # status unknown); warning when it is wrong (another certificate, a bad signature,
    # unreadable) or when the certificate demands stapling.
    FindingCode.CERT_OCSP_STAPLE_UNUSABLE: Entry(
        Severity.INFO, "The stapled OCSP response cannot be used",
        ("The origin staples an OCSP response for the server certificate {label} that a client "
         "cannot use: {problem}.{consequence}"),
        ("{fix}",
         "Check with `openssl s_client -connect {sni}:{port} -servername {sni} -status`, which "
         "prints the stapled response."),
        (LINK_RFC6066_STATUS, LINK_RFC6960), uncertain=True, may_502=True, predicts=P.S502),
    FindingCode.CERT_SELF_SIGNED: Entry(
        Severity.ERROR, "The certificate is self-signed",
        "The server certificate {label} is self-signed.",
        ("CloudFront does not accept self-signed origin certificates. Install a certificate "
         "from a public CA on Mozilla's list (ACM for load balancers, or e.g. Let's Encrypt).",
         "Or set the origin protocol policy to HTTP only if encryption to the origin is not "
         "required."),
        (LINK_502_CERT, LINK_CERT_ISSUER, LINK_HTTPS_ORIGIN), predicts=P.S502),
    FindingCode.CERT_UNTRUSTED_ROOT: Entry(
        Severity.ERROR, "The certificate chains to a CA CloudFront does not trust",
        "{evidence_line}",
        ("{evidence_line}",
         "CloudFront trusts only the CAs on Mozilla's list; private CAs (including AWS Private "
         "CA) and TLS-interception roots are not accepted. Install a certificate from a public "
         "CA.",
         "Public CAs put their certificate's download URL (AIA caIssuers) in every server "
         "certificate, as the CA/Browser Forum Baseline Requirements' subscriber profile asks; "
         "if yours really comes from a public CA, add the intermediate it names after the "
         "server certificate instead."),
        (LINK_502_CERT, LINK_CERT_ISSUER, LINK_CABF_BR), predicts=P.S502),
    FindingCode.CERT_CHAIN_INCOMPLETE: Entry(
        Severity.ERROR, "The origin does not send its intermediate certificate",
        ("The origin sends {count} certificate(s) and stops at \"{dangling}\" without its "
         "issuer \"{missing}\". Fetching {url} found it (SHA-256 {sha256}…), and with it the "
         "chain reaches a trusted root: the intermediate is missing."),
        ("Add the intermediate certificate \"{missing}\" after the server certificate in the "
         "origin's certificate file{where}.",
         "CloudFront does not fetch missing intermediates, even though browsers often do, so "
         "the origin may look fine in a browser."),
        (LINK_502_CERT, LINK_CERT_INTERMEDIATES),
        shapes={
            Shape.ISSUER_NOT_SENT:
                ("The server certificate's issuer \"{missing}\" is neither sent nor on Mozilla's "
                 "list{note}. Public CAs sign servers through intermediates, so most likely the "
                 "intermediate is missing; if the CA is private, CloudFront will not trust it "
                 "either way."),
        }, predicts=P.S502),
    FindingCode.CERT_WRONG_INTERMEDIATE: Entry(
        Severity.ERROR, "The intermediate sent is not the one that signed the certificate",
        ("The origin sends \"{wrong}\" (certificate [{index}], SHA-256 {sha256}…) as the issuer "
         "of \"{dangling}\", but it did not sign it: {why}. The name is right and the key is "
         "not, so no path reaches a trusted root."),
        ("Replace certificate [{index}] in the origin's certificate file with the intermediate "
         "that signed \"{dangling}\"{which_one}: take it from the CA's current bundle for this "
         "certificate{where}.",
         "This happens when a CA re-keys an intermediate under the same name, or when a bundle "
         "from another order or another CA account is installed; check the file with "
         "`openssl verify -untrusted bundle.pem server.pem`."),
        (LINK_502_CERT, LINK_CERT_INTERMEDIATES, LINK_RFC5280_PATHS), predicts=P.S502),
    FindingCode.CERT_CHAIN_ORDER: Entry(
        Severity.ERROR, "The certificate chain is in the wrong order",
        ("{lead} Received: {order}. Needed: {needed}. CloudFront rejects a chain whose "
         "certificates do not each follow the one they sign."),
        ("Reorder the origin's certificate file: the server certificate first, then the "
         "intermediate that signed it, then any next intermediate, up to (not including) the "
         "root. Received now: {order}. Needed: {needed}.",),
        (LINK_502_CERT, LINK_CERT_INTERMEDIATES), predicts=P.S502),
    FindingCode.CERT_EXTRA_CERTIFICATES: Entry(
        Severity.INFO, "The chain holds certificates that are not needed",
        "{detail}",
        ("{detail} Removing them keeps the handshake small; they are not a cause of 502.",),
        (LINK_CERT_INTERMEDIATES,), predicts=P.NO_ERROR),
    FindingCode.CERT_RSA_KEY_TOO_LARGE: Entry(
        Severity.WARNING, "The RSA key is larger than CloudFront documents",
        SERVER_RSA_KEY,
        ("CloudFront documents RSA keys up to 4096 bits; this key has {bits}. Whether the limit "
         "applies to origin certificates is not confirmed. Prefer a 2048- or 3072-bit key.",),
        (LINK_CERT_REQS,), uncertain=True, may_502=True, predicts=P.S502),
    FindingCode.CERT_WEAK_KEY: Entry(
        Severity.WARNING, "The certificate key is weak",
        "{detail}",
        ("{detail} Reissue the certificate with an RSA 2048-bit or ECDSA P-256 key.",),
        (LINK_CERT_REQS,), predicts=P.NO_ERROR),
    FindingCode.CERT_KEY_UNSUPPORTED: Entry(
        Severity.ERROR, "The certificate's key type is one CloudFront cannot use",
        ("{address} port {port}: the server certificate has an {key} key. With CloudFront's "
         "curves and signature schemes the origin refuses the handshake; it completes only "
         "for a client that accepts {key} ({measured}).{doubt}"),
        ("Reissue the certificate with an RSA 2048-bit key or an ECDSA P-256 key and install "
         "it in place of the {key} one (ECDSA P-384 is probably accepted too, but AWS "
         "documents only 256-bit ECDSA keys).",
         "The ECDHE curves the origin allows are not the problem: the certificate's key alone "
         "decides which clients can verify it."),
        (LINK_CERT_REQS, LINK_CIPHERS, LINK_502_CIPHERS), predicts=P.S502),
    # The facts file says nothing of keyUsage. OpenSSL 3 (what origin502 and many origins'
    # clients use) accepts an RSA certificate without digitalSignature in an ECDHE or TLS 1.3
    # handshake; GnuTLS refuses it ("Key usage violation"), as RFC 5246/8446 say a client must.
    # Which CloudFront does is not documented: uncertain.
    FindingCode.CERT_KEY_USAGE_MISMATCH: Entry(
        Severity.WARNING, "The certificate's key usage does not allow the handshake it serves",
        ("{address} port {port}: the server certificate's keyUsage extension allows only "
         "{usages}, but the {protocol} handshake the origin chose ({cipher}) needs {needed}: "
         "{why}."),
        ("Have the CA reissue the server certificate with {needed} in its keyUsage (an RSA "
         "key usually carries digitalSignature and keyEncipherment, an ECDSA key "
         "digitalSignature), then install it in place of this one.",
         "The TLS standards forbid a client to accept a handshake that uses the key this "
         "way. OpenSSL's client, which origin502 checks with, accepts it and GnuTLS's refuses "
         "it; which CloudFront's does is not documented, so a 502 is possible but not "
         "certain."),
        (LINK_RFC5246_CERT, LINK_RFC8446_CERT, LINK_502_CERT), uncertain=True, may_502=True,
        shapes={
            Shape.ECDSA_KEY_USAGE:
                ("{address} port {port}: the server certificate has an ECDSA key and its "
                 "keyUsage extension allows only {usages}, but every handshake CloudFront can "
                 "make with an ECDSA key needs {needed}: {why}.{refused}"),
        }, predicts=P.S502),
    FindingCode.CERT_KEY_TYPE_UNCERTAIN: Entry(
        Severity.WARNING, "The key type may not be accepted",
        "{detail}",
        ("{detail} CloudFront documents RSA keys and ECDSA P-256 keys; for anything else it is "
         "not confirmed that CloudFront accepts it. An RSA 2048 or ECDSA P-256 certificate is "
         "the safe choice.",),
        (LINK_CERT_REQS, LINK_CIPHERS), uncertain=True, may_502=True, predicts=P.S502),
    FindingCode.CERT_SHA1_SIGNATURE: Entry(
        Severity.WARNING, "A certificate is signed with SHA-1",
        "{detail}",
        ("{detail} SHA-1 is still in CloudFront's list of handshake signature schemes, but "
         "whether CloudFront accepts SHA-1 signatures on origin certificates is not "
         "documented, and no public CA issues them any more: reissue with SHA-256.",),
        (LINK_CIPHERS, LINK_CERT_REQS), uncertain=True, may_502=True, predicts=P.S502),
    FindingCode.CERT_MD5_SIGNATURE: Entry(
        Severity.ERROR, "A certificate is signed with MD5",
        "{detail}",
        ("{detail} MD5 is not among CloudFront's signature schemes and MD5 signatures can be "
         "forged; maintained TLS clients refuse them. Reissue the certificate signed with "
         "SHA-256.",),
        (LINK_CIPHERS, LINK_502_CERT), predicts=P.S502),
    FindingCode.CERT_RSA_KEY_TOO_SMALL: Entry(
        Severity.ERROR, "The RSA key is smaller than CloudFront accepts",
        "{detail}",
        ("{detail} CloudFront documents RSA keys of 1024 to 4096 bits; this {which} certificate "
         "has {bits}. Reissue it with an RSA 2048-bit or ECDSA P-256 key.",),
        (LINK_CERT_REQS, LINK_502_CERT), predicts=P.S502),
    FindingCode.CERT_MESSAGE_TOO_LARGE: Entry(
        Severity.ERROR, "The origin's certificate chain is too large to accept",
        ("{address} port {port}: the origin's certificate message is larger than this machine's "
         "TLS library accepts ({measured})."),
        ("The certificate message the origin sends is larger than this machine's TLS library "
         "accepts (OpenSSL's client stops near 100 KB), so the chain could not be read here. "
         "CloudFront's own limit is not documented, but a chain this size is a mistake: send "
         "only the server certificate and its intermediates.",
         "Check the origin's certificate file for duplicated or unrelated certificates "
         "(`openssl crl2pkcs7 -nocrl -certfile chain.pem | openssl pkcs7 -print_certs -noout`)."),
        (LINK_502_CERT, LINK_CERT_INTERMEDIATES), uncertain=True, may_502=True, predicts=P.S502),
    FindingCode.CERT_CHAIN_CUT: Entry(
        Severity.WARNING, "The certificate chain was too large to judge in full",
        "The certificate chain was too large to judge in full: {detail}.",
        ("{detail}. Real chains hold two to four certificates; origin502 limits the work an "
         "origin can make it do, so a verdict on this chain covers only what was considered.",
         "Send only the server certificate and its intermediates, in order."),
        (LINK_CERT_INTERMEDIATES, LINK_502_CERT), uncertain=True, may_502=True, predicts=P.S502),
    FindingCode.CERT_REJECTED_BY_VALIDATOR: Entry(
        Severity.ERROR, "A certificate validator rejects the chain",
        "{lead} for {name}: {said}.{doubt}",
        ("{fix}",
         "Check the result with `openssl verify -purpose sslserver -untrusted chain.pem "
         "server.pem` against Mozilla's roots."),
        # A warning (uncertain) when the validators disagree: the stricter one may be right.
        (LINK_502_CERT, LINK_CERT_REQS, LINK_RFC5280_PATHS), may_502=True, predicts=P.S502),
    FindingCode.TRUSTED_VIA_CA_FILE: Entry(
        Severity.INFO, "Trusted only through --ca-file",
        "The chain is trusted only through the --ca-file root \"{anchor}\".",
        ("The chain ends at \"{anchor}\", a root you supplied with --ca-file (or "
         "ORIGIN502_CA_FILE). It was trusted here because you asked for it; CloudFront trusts "
         "only Mozilla's list and would not accept it, so use a public CA for a real origin.",),
        (LINK_CERT_ISSUER,), predicts=P.S502),
    FindingCode.ORIGIN_CLOSED_CONNECTION: Entry(
        Severity.ERROR, "The origin closed the connection without answering",
        ("{address} port {port} closed the connection without an HTTP response to GET {path}: "
         "{measured}."),
        ("The connection{after_tls} was accepted, then closed before any response to "
         "GET {path} (Host: {host}). Check the origin's logs for that request.",
         "Check that the virtual host for {host} exists and that the origin keeps connections "
         "open longer than CloudFront's keep-alive timeout (5 s by default)."),
        (P502, LINK_ORIGIN_SETTINGS), predicts=P.S502_OR_504),
    FindingCode.HTTP_KEEPALIVE_SHORTER: Entry(
        Severity.WARNING,
        "The origin closes idle connections sooner than CloudFront's keep-alive timeout",
        ("{address} port {port} says it closes an idle connection after {origin_timeout:g} s "
         "(Keep-Alive: {keep_alive}); CloudFront keeps an idle origin connection for reuse up to "
         "{keepalive:g} s (origin keep-alive timeout)."),
        ("CloudFront may send a request on a connection the origin is closing at that moment. "
         "That this gives occasional 502s is widely reported, but AWS does not document it.",
         "Make the origin's idle timeout longer than {keepalive:g} s (nginx: "
         "`keepalive_timeout 75s;`), or set the distribution's origin keep-alive timeout below "
         "the origin's."),
        (LINK_KEEPALIVE_SETTING,), uncertain=True, may_502=True, predicts=P.S502),
    FindingCode.ORIGIN_RESPONSE_TIMEOUT: Entry(
        Severity.ERROR, "The origin does not answer within the response timeout (504, not 502)",
        "{address} port {port} accepted GET {path} but did not answer within {timeout:g} s.",
        ("CloudFront answers 504 Gateway Timeout in this case, not 502.",
         "Find why GET {path} takes more than {timeout:g} s (application, database, upstream), "
         "or raise the distribution's response timeout if the slowness is expected."),
        (LINK_504, LINK_RESPONSE_TIMEOUT),
        shapes={
            # The response timeout also runs between packets (cloudfront-facts §4.6).
            Shape.STARTED_ONLY:
                ("{address} port {port} began to answer GET {path} after {first_byte:g} ms "
                 "({first_bytes!r}), but sent nothing that completes a response: after its "
                 "last bytes, nothing came for {timeout:g} s."),
        }, predicts=P.S504),
    FindingCode.ORIGIN_RESPONSE_STALLED: Entry(
        Severity.ERROR,
        "The origin never completes its response headers (a trickle, or endless 1xx)",
        ("{address} port {port} kept sending without completing its response to GET {path}: "
         "{measured}."),
        ("origin502 stopped waiting at the diagnosis's deadline: {detail}. CloudFront's "
         "response timeout ({timeout:g} s) counts the wait between packets, so a trickling "
         "origin keeps viewers waiting; with a response completion timeout set, CloudFront "
         "then answers 504. AWS does not document how CloudFront treats an endless stream of "
         "1xx responses.",
         "Find what on the origin (or a proxy in front of it) sends GET {path} so slowly, and "
         "make it send complete response headers promptly."),
        (LINK_RESPONSE_TIMEOUT, LINK_504), predicts=P.S504),
    FindingCode.HTTP_INVALID_RESPONSE: Entry(
        Severity.ERROR, "The origin answers with something that is not HTTP",
        "{address} port {port} answered GET {path} with bytes that are not HTTP: {first_bytes!r}.",
        ("The origin sent {first_bytes!r} instead of an HTTP/1.1 response. Check what really "
         "listens on port {port}: CloudFront talks HTTP/1.1 to origins.",),
        (P502,),
        shapes={
            Shape.CUT_SHORT:
                "{address} port {port} answered GET {path}, but {measured}.",
        }, predicts=P.UNDOCUMENTED),
    # A status line, then a part h11 rejects: AWS documents nothing about such responses.
    FindingCode.HTTP_RESPONSE_MALFORMED: Entry(
        Severity.WARNING, "A strict HTTP/1.1 parser rejects part of the origin's response",
        ("{address} port {port} answered GET {path} with {status}, but a strict HTTP/1.1 parser "
         "rejects its {part}: {rejected}."),
        ("{fix}", "{consequence}"),
        # An error (still uncertain) when the fault hides where the body ends (the rule).
        (LINK_RFC9112_FIELDS, LINK_LOG_FIELDS), uncertain=True, may_502=True,
        predicts=P.UNDOCUMENTED),
    # The body ends before its head said, or the head before its blank line (the connection
    # closed or was reset): AWS documents neither.
    FindingCode.HTTP_RESPONSE_TRUNCATED: Entry(
        Severity.WARNING, "The origin closes the connection part-way through its response",
        "{address} port {port} answered GET {path} with {status}, but {how}.",
        ("{consequence}",
         "{fix}"),
        (LINK_ORIGIN_BEHAVIOUR, LINK_LOG_FIELDS),
        shapes={
            Shape.HEAD_CUT:
                ("{address} port {port} began to answer GET {path} ({first_bytes!r}), then "
                 "closed the connection before its response headers ended."),
        }, uncertain=True, may_502=True, predicts=P.UNDOCUMENTED),
    # A three-digit status outside 100-599: AWS documents no answer for it, only a log type
    # for an origin's invalid response (cloudfront-facts §1.4), hence uncertain.
    FindingCode.HTTP_STATUS_INVALID: Entry(
        Severity.ERROR, "The origin answers with a status code HTTP does not define",
        ("{address} port {port} answers GET {path} with status {status}{server}, outside the "
         "100-599 range of HTTP status codes."),
        ("AWS does not document what CloudFront does with such a status. Its access logs have "
         "an error type for an origin that \"returned an invalid response\" "
         "(OriginInvalidResponseError), so viewers most likely get an error from CloudFront "
         "rather than the {status}; CloudFront may also pass it on as it is. Neither is "
         "confirmed.",
         "Make the origin answer GET {path} with a status code from 100 to 599 (a 5xx for a "
         "server error), as HTTP defines them."),
        (LINK_RFC9110_STATUS, LINK_LOG_FIELDS), uncertain=True, may_502=True,
        predicts=P.UNDOCUMENTED),
    FindingCode.HTTP_PORT_SPEAKS_TLS: Entry(
        Severity.ERROR, "The HTTP port speaks TLS",
        ("{address} port {port} speaks TLS: {said}. CloudFront talks plain HTTP to it "
         "(protocol policy {policy}, HTTP port {port}){scope}. {viewers}"),
        ("{fix}",
         "Or set the HTTP port to the origin's plain-HTTP listener (80 by default)."),
        (LINK_PROTOCOL_POLICY, LINK_PORTS_SETTING), predicts=P.S502),
    FindingCode.HTTP_SECOND_100_CONTINUE: Entry(
        Severity.ERROR, "The origin sends more than one 100 Continue",
        ("{address} port {port} answered GET {path} with {count} \"100 Continue\" interim "
         "responses{final}; CloudFront accepts one and returns an error "
         "after a second."),
        ("AWS documents that CloudFront returns an error when the origin sends another 100 "
         "Continue after the first; AWS does not document which status viewers then get (most "
         "likely 502).",
         "Find what on the origin, or a proxy in front of it, sends 100 Continue more than "
         "once and make it send at most one (this GET had no `Expect: 100-continue`, so none "
         "was needed)."),
        (LINK_ORIGIN_BEHAVIOUR,), predicts=P.UNDOCUMENTED),
    FindingCode.HTTP_HEADERS_TOO_LARGE: Entry(
        Severity.ERROR, "The response headers exceed CloudFront's 20,480-byte limit",
        ("{address} port {port} answers GET {path} with {size} of response headers; CloudFront "
         "accepts at most 20,480 bytes.{largest}{counted}"),
        ("{consequence} Which status viewers get is not documented (most likely 502).",
         "Make the response headers smaller: fewer or shorter cookies, a shorter "
         "Content-Security-Policy, no debug headers. origin502 counts the whole response head "
         "as received (status line, header lines and line ends); AWS does not say exactly "
         "how it counts, so stay well below the limit."),
        (LINK_QUOTAS, LINK_LOG_FIELDS), predicts=P.UNDOCUMENTED),
    FindingCode.ORIGIN_RETURNED_ERROR: Entry(
        Severity.ERROR, "The origin itself answers with an error",
        "{address} port {port} itself answers GET {path} with {status}{server}.",
        ("The {status} comes from the origin{server}, not from CloudFront: CloudFront passes "
         "it on to viewers (and caches it for 10 s by default, its error caching minimum TTL).",
         "{fix}"),
        (LINK_ORIGIN_ERRORS,), predicts=P.PASSED_ON),
    FindingCode.ORIGIN_RETURNED_CLIENT_ERROR: Entry(
        Severity.INFO, "The origin answers with a client error",
        "{address} port {port} answers GET {path} with {status}{server}.",
        ("GET {path} with Host {host} got {status}. If the origin expects a secret custom "
         "header from CloudFront, this probe does not send it; otherwise check the path and "
         "the virtual host.",),
        (DG + "add-origin-custom-headers.html",), predicts=P.PASSED_ON),
    FindingCode.HTTP_REDIRECT_LOOP: Entry(
        Severity.INFO, "An HTTP-to-HTTPS redirect would loop behind CloudFront",
        ("{address} port {port} answers GET {path} over HTTP with {status} to {location}. "
         "CloudFront reaches this origin over HTTP only (protocol policy http-only) and "
         "forwards the viewer's Host {host}, so a viewer who follows the redirect comes back "
         "through CloudFront and gets it again."),
        ("Viewers see a redirect loop (too many redirects), not a 502.",
         "Set the origin protocol policy to HTTPS only (or Match viewer) so that CloudFront "
         "uses HTTPS to the origin, or leave the redirect to the distribution's viewer "
         "protocol policy (Redirect HTTP to HTTPS). An origin that redirects by a header "
         "CloudFront can forward (CloudFront-Forwarded-Proto) does not loop once it is "
         "forwarded; this probe sent none."),
        (LINK_PROTOCOL_POLICY,), predicts=P.NO_ERROR),
    FindingCode.ORIGIN_IS_IP_ADDRESS: Entry(
        Severity.WARNING, "The origin is an IP address",
        "The origin is given as the IP address {address}, not a domain name.",
        ("CloudFront needs a domain name as the origin domain: create a DNS record for "
         "{address} and use that name.",
         "Certificates are checked against that name, and no SNI is sent for an IP address."),
        (LINK_DOMAIN_SETTING,), predicts=P.SETTING_REFUSED),
    FindingCode.ORIGIN_PRIVATE_ADDRESS: Entry(
        Severity.WARNING, "The origin resolves to a non-public address",
        "{hostname} resolves to {address}, {reason}.",
        ("CloudFront connects to custom origins over the internet and cannot reach such an "
         "address: publish a public address, or use a VPC origin for private load balancers "
         "and instances.",),
        (LINK_504, LINK_VPC_ORIGINS), merged=RESOLVES_TO_EACH, predicts=P.S504),
    FindingCode.ADDRESS_NOT_ALLOWED: Entry(
        Severity.ERROR, "Refused to probe a non-public address",
        "{hostname} resolves to {address}, {reason}.",
        ("CloudFront could not reach it either: publish a public address or use a VPC origin. "
         "origin502 probes such addresses only with ORIGIN502_ALLOW_PRIVATE_TARGETS=1.",),
        (LINK_504, LINK_VPC_ORIGINS), merged=RESOLVES_TO_EACH, predicts=P.S504),
    # 0.0.0.0, ::, multicast, broadcast, 240.0.0.0/4: a certain failure, but AWS says only
    # that an origin CloudFront cannot connect to gives 502 and one not reachable on the
    # internet 504 (cloudfront-facts §1.1, §1.3), not which this is.
    FindingCode.ADDRESS_UNCONNECTABLE: Entry(
        Severity.ERROR, "The origin resolves to an address no server can have",
        ("{hostname} resolves to {address}, {reason}, which no one can connect to. Whether "
         "CloudFront shows this as 502 or 504 is not documented; expect either."),
        ("Point {hostname} at the public address of the server that really serves the "
         "origin, or take {address} out of its DNS records.{switched_off}",
         "{not_dialled}"),
        (LINK_502_PORTS, LINK_504, LINK_DOMAIN_SETTING),
        merged="{hostname} resolves to addresses no server can have: each is {reason}.",
        predicts=P.S502_OR_504),
    # Severity is set by the rule: error when the edge answers 5xx, info when it answers
    # normally, warning when it could not be reached from here.
    FindingCode.TARGET_IS_CLOUDFRONT: Entry(
        Severity.ERROR, "The name is CloudFront's edge, not an origin",
        ("{display} is served by CloudFront's edge, not an origin: {how}. Viewers get {status} "
         "from {who} for GET {path} ({observed}): {family_words}.{quoted}{hedge}{mixed}"),
        ("{family_step}",
         "To check the origin behind it, run origin502 on the origin domain shown in the "
         "distribution's Origins tab: `origin502 diagnose ORIGIN_DOMAIN --host-header {host}` "
         "when the distribution forwards the viewer's Host header, without --host-header "
         "when it does not.",
         "Or let origin502 look the origins up itself: give it read-only AWS access with "
         "cloudfront:ListDistributions, cloudfront:GetDistribution, "
         "cloudfront:GetOriginRequestPolicy and cloudfront:GetCachePolicy (for multi-tenant "
         "distributions also cloudfront:GetDistributionTenantByDomain, "
         "cloudfront:ListDistributionTenants and cloudfront:GetConnectionGroupByRoutingEndpoint),"
         " or attach the AWS managed policy CloudFrontReadOnlyAccess. The README's AWS access "
         "section (README.md#aws-access) has the policy and how to pass credentials."),
        (LINK_ERROR_PAGES, P502, LINK_504),
        shapes={
            Shape.EDGE_UNSEEN:
                ("{display} is served by CloudFront's edge, not an origin: {how}. But {seen}, so "
                 "what viewers get could not be seen."),
            Shape.EDGE_ANSWERS:
                ("{display} is served by CloudFront's edge, not an origin: {how}. The edge answers "
                 "GET {path} with {status} ({observed}). origin502 probes origins, so the origins "
                 "behind this distribution were not checked."),
        },
        # The target is the edge: its own headline says what viewers get, no origin's.
        may_502=False, predicts=P.SEEN_AT_EDGE),
    FindingCode.SOME_ADDRESSES_FAILING: Entry(
        Severity.ERROR, "Some of the origin's addresses fail: intermittent 502s",
        ("{failing} of {total} addresses of {hostname} fail ({names}: {codes}); the others work, "
         "so CloudFront fails only some requests."),
        ("Fix the hosts behind the failing addresses (their own findings say how), or take "
         "those addresses out of DNS until they work.",),
        (P502,), predicts=P.SCOPE),
    FindingCode.ADDRESSES_NOT_ALL_PROBED: Entry(
        Severity.WARNING, "Not every address of the origin was checked",
        ("{name} resolves to {total} addresses; only the first {probed} were checked ({left} left "
         "out: {skipped})."),
        ("{name} resolves to {total} addresses; origin502 checked the first {probed} and left "
         "out {left} ({skipped}). CloudFront may connect to any of them, so a failure on one "
         "that was not checked would not show here.",
         "Check the others one at a time with `--resolve {name}:ADDRESS`, or trim the record "
         "set to the addresses that serve the origin."),
        (LINK_502_DNS, LINK_DOMAIN_SETTING), uncertain=True, may_502=True, predicts=P.S502),
}


# --- Phrases the rules fill the templates above with ----------------------------------------
# Each is a template (named fields) or a table of them keyed by a measured value. A leading
# space marks a phrase that is appended to a sentence.

# ADDRESS_UNCONNECTABLE, for the unspecified address (0.0.0.0, ::) only.
UNCONNECTABLE_SWITCHED_OFF = (
    " Publishing 0.0.0.0 (or ::) is a common way to switch a name off, and it switches the "
    "origin off for CloudFront too.")
UNCONNECTABLE_NOT_DIALLED = (
    "origin502 did not connect to {address}: a connection to it reaches the machine that "
    "makes it, so whatever answered would have been this machine, not the origin.")

# A distribution's verdict reasons (workers/diagnosis/distribution_coverage.py says which
# origins were not checked, distribution_verdict.py why the verdict is unknown), as the
# terminal, --json (verdict_reason, headline) and Slack all say them.
KIND_WORDS: dict[str, str] = {"s3": "S3 origin", "vpc": "VPC origin"}
PROBE_DID_NOT_RUN = "the probe could not run"
# A probe that raised inside origin502 (not at the origin): the note names the exception
# type only, since its message may carry internals the user cannot act on.
PROBE_FAILED_INSIDE = PROBE_DID_NOT_RUN + ": origin502 failed inside ({exc_name})"
NOT_AN_ORIGIN = "not among the distribution's origins"
UNCHECKED_ONE = "origin {origin}{role}: {why}, serves {behaviours}"
UNCHECKED_REASON = "not every origin viewers reach was checked — {listed}"
NOT_COVERED_ONE = "{kind} {origin}{role} (serves {behaviours})"
NOT_COVERED_REASON = (
    "{listed} not probed: origin502 checks custom origins only (CloudFront reaches S3 and VPC "
    "origins in ways a probe from the internet cannot reproduce), so check {them} in AWS")
ROLE = " (primary of group {group})"
EDGE_BUT_ORIGINS_FINE = (
    "viewers get {status} from CloudFront's edge for GET {path}, yet every origin probed "
    "answers from here, so the cause is out of sight from this machine")
LIKELY_CAUSES = (
    "a firewall, security group or WAF rule that lets this machine in but not CloudFront's "
    "origin-facing addresses (for origins in AWS: the managed prefix lists "
    "com.amazonaws.global.cloudfront.origin-facing and, over IPv6, "
    "com.amazonaws.global.ipv6.cloudfront.origin-facing), DNS that answers CloudFront "
    "differently than it answers here, or an error CloudFront still holds in its error cache "
    "(at least 10 seconds by default) from before a fix")
FUNCTION_CAUSE = "the edge's page points at an edge function rather than the origin"
NOTHING_PROBED = "nothing was probed: {why}"
NO_CUSTOM_ORIGIN = "no custom origin to probe ({listed})"
NOT_SELECTED = "the selection (--path / --origin) reaches no custom origin"
HOST_PAIR_DISAGREES = (
    "this fails with {mine} as the TLS name (SNI), but the same origin answers with {other}; "
    "which name CloudFront sends depends on whether it forwards the viewer's Host, which could "
    "not be read, so whether viewers get this error is uncertain")

MORE = " and {count} more"  # after a list cut short
NOTHING = "nothing"
FAMILY_LABELS: dict[str, str] = {"ipv4": "IPv4", "ipv6": "IPv6"}
PORT_SETTINGS: dict[str, str] = {"https": "HTTPS port", "http": "HTTP port"}
ATTEMPTS = ("{count} attempt", "{count} attempts")  # one, several
AGO_DAYS = "{count} days"
AGO_HOURS = "{count} hours"
AGO_MINUTES = "{count} minutes"

# DNS: what one authoritative server said, asked directly.
NAME_SERVER_AT = "{server} ({address})"  # the server, when its address is known
NAME_SERVER_SAID = "{server} {what}"
NAME_SERVER_OUTCOMES: dict[NameServerOutcome, str] = {
    NameServerOutcome.ANSWER: "answers {addresses}",
    NameServerOutcome.NODATA: "says the name has no {record} record",
    NameServerOutcome.NXDOMAIN: "says the name does not exist (NXDOMAIN)",
    NameServerOutcome.SERVFAIL: "answers SERVFAIL",
    NameServerOutcome.REFUSED: "refuses the query: it does not serve the zone",
    NameServerOutcome.TIMEOUT: "does not answer",
}
NAME_SERVER_CNAME = "answers with a CNAME to {cname}"  # an answer without addresses
NAME_SERVER_UNREACHABLE = "cannot be reached ({detail})"
NAME_SERVER_FAILS = "fails"  # an outcome with no words and no detail
# The verb of NAME_SERVERS_FAILING, for one server and for several.
NAME_SERVERS_VERB: dict[FindingCode, tuple[str, str]] = {
    FindingCode.DNS_NAMESERVER_FAILING: ("fails", "fail"),
    FindingCode.DNS_LAME_DELEGATION: ("does not serve the zone", "do not serve the zone"),
}
NAME_SERVERS_OTHERS_ANSWER = (
    " The others answer, so resolvers (CloudFront's too) that pick a broken one retry "
    "elsewhere: slower, and some lookups fail.")
# How the address type is fixed when the origin's only address is of the family not used.
ADDRESS_TYPE_FIXES: dict[str, str] = {"ipv6": "dualstack", "ipv4": "dualstack or ipv4"}
DNSSEC_CD_ANSWER = " (with checking disabled it answers {addresses})"
DNSSEC_CD_ANSWERED = " (with checking disabled it answers)"
DNS_FAILURES: dict[DnsReason, str] = {
    DnsReason.NXDOMAIN: "{name} does not exist in DNS (NXDOMAIN)",
    DnsReason.NO_ADDRESS: "{name} exists but has no A or AAAA record",
    DnsReason.SERVFAIL: "the name servers for {name} fail (SERVFAIL)",
    DnsReason.TIMEOUT: "no DNS answer for {name} in time",
}
DNS_FAILURE_OTHER = "{name} could not be resolved ({reason})"
DNS_RESOLVER_NAMED = "the resolver {nameserver}"  # DNS_TIMEOUT's {resolver}
DNS_RESOLVER_SYSTEM = "this machine's resolver"
# TLS_HANDSHAKE_TIMEOUT's {progress}, by how far the origin's answer got before it stalled.
HANDSHAKE_GOT_CERTIFICATE = ("{received} bytes came, with the ServerHello and the whole "
                             "certificate message, but not the rest of the handshake")
HANDSHAKE_GOT_SERVER_HELLO = ("{received} bytes came, with the ServerHello but not the whole "
                              "certificate message")
HANDSHAKE_GOT_PART = "{received} bytes came, not even a whole ServerHello"
# DNS_TIMEOUT's {waited}: how often the query went out (a copy every few seconds, every copy
# still waited for) and over how long; the plain form for a report that did not count them.
DNS_SENT = ("was asked once in {timeout:g} s and no answer arrived",
            "was asked {count} times over {timeout:g} s and no answer arrived")
DNS_UNCOUNTED = "gave no answer within {timeout:g} s"
DNS_ASKED = " (asked {nameserver})"
DNS_CNAME_CHAIN = "; CNAME chain: {chain}"
DNS_WALK_SILENT = (
    " None of the {count} name servers of {zone} ({servers}) answered from here: they are "
    "all down, or this machine cannot query them directly.")
DNS_WALK_SAID = " Asked directly, the name servers of {zone} say: {said}."
DNS_WALK_STOPPED = " {detail}."  # why the walk stopped short, as a sentence

# TLS
PLAIN_HTTP_ANSWER = " (it answered plain HTTP)"
PROTOCOL_FIX_ADD = ("Add {protocol} to the distribution's origin SSL protocols, or better, "
                    "enable TLS 1.2 on the origin.")
PROTOCOL_FIX_ENABLE = "Enable TLS 1.2 on the origin."
# Why CloudFront's documented (TLS 1.2) handshake fails on an origin that completes TLS 1.3:
# TLS13_ONLY's {why}, by the failure's reason; and the fix of that reason.
TLS12_WHY_CIPHER = "over {protocol} it accepts only {accepted}, none of CloudFront's ciphers"
TLS12_WHY_PROTOCOL_OLDER = "it accepts {older}, which the distribution does not offer"
TLS12_WHY_NO_OLDER = (
    "no TLS 1.2 or older handshake completes with any cipher this machine can offer "
    "(CloudFront's got: {detail})")
TLS12_WHY_OTHER = "CloudFront's handshake fails ({detail})"
TLS12_FIX_CIPHER = (
    "enable TLS 1.2 on the origin with one of CloudFront's origin ciphers for its "
    "certificate, e.g. {example}. CloudFront does not offer CHACHA20, DHE or plain-RSA GCM "
    "suites toward origins.")
TLS12_FIX_CURVE = (
    "allow X25519, prime256v1 (P-256) or secp384r1 (P-384) for ECDHE on the origin, and "
    "RSA-PKCS1 or ECDSA signatures with SHA-256/384/512 for TLS 1.2.")
TLS12_FIX_CERT_CURVE = (
    "use a certificate with a P-256 or P-384 key (or an RSA one): in TLS 1.2 an ECDSA "
    "certificate's curve must be one CloudFront offers (X25519, P-256, P-384), and this one is "
    "{curve}.")
TLS12_WHY_CERT_KEY = (
    "the server certificate's {key} key is not one CloudFront's curves and signature schemes "
    "let it verify ({detail})")
TLS12_FIX_CERT_KEY = (
    "use a certificate with an RSA or an ECDSA P-256/P-384 key: AWS documents RSA and ECDSA "
    "certificates only, and this one has an {key} key.")
# An ECDSA server certificate whose keyUsage lacks digitalSignature: in TLS 1.2 the key must
# sign the handshake, and OpenSSL-based servers refuse TLS 1.2 with such a certificate (measured
# with nginx in tests/workers/probes/test_key_usage_scenarios.py), so the protocol settings are
# not what to change (CERT_KEY_USAGE_MISMATCH says the same).
TLS12_WHY_KEY_USAGE = (
    "the server certificate has an ECDSA key whose keyUsage extension lacks digitalSignature "
    "(it allows {usages}), and a TLS 1.2 handshake with an ECDSA certificate needs the key to "
    "sign: OpenSSL-based servers (nginx, openssl s_server) refuse TLS 1.2 with such a "
    "certificate ({detail})")
TLS12_FIX_KEY_USAGE = (
    "have the CA reissue the server certificate with digitalSignature in its keyUsage, then "
    "install it in place of this one: the certificate, not the protocol settings, is what to "
    "change.")
# Example ciphers by certificate key type, for the fixes above.
CIPHER_EXAMPLE_RSA = "ECDHE-RSA-AES128-GCM-SHA256 (RSA certificate)"
CIPHER_EXAMPLE_EC = "ECDHE-ECDSA-AES128-GCM-SHA256 (ECDSA certificate)"
CIPHER_EXAMPLE_BOTH = (
    "ECDHE-RSA-AES128-GCM-SHA256 (RSA certificate) or ECDHE-ECDSA-AES128-GCM-SHA256 (ECDSA "
    "certificate)")
# TLS13_ONLY's suites when the TLS 1.3 offer could not be limited to CloudFront's here.
TLS13_SUITES_UNLIMITED = "any suite: the offer could not be limited to CloudFront's here"
# TLS13_OFFER_REFUSED: how the origin answered CloudFront's presumed TLS 1.3 offer, what it
# accepts with every suite offered, and the fix.
TLS13_ANSWER_ALERT = "alert {alert}"
TLS13_ACCEPTS_SUITE = "offered every TLS 1.3 suite, it chooses {cipher}"
TLS13_ACCEPTS_NOTHING = (
    "offered every TLS 1.3 suite, curve and signature scheme, it still fails ({error})")
TLS13_FIX_SUITES = Prose(
    "Allow TLS_AES_128_GCM_SHA256 and TLS_AES_256_GCM_SHA384 among the origin's TLS 1.3 "
    "suites (nginx: `ssl_conf_command Ciphersuites "
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256;`).")
TLS13_FIX_OTHER = Prose(
    "Make TLS 1.3 on the origin accept CloudFront's curves (X25519, P-256, P-384) and RSA-PSS "
    "or ECDSA signatures, or turn TLS 1.3 off on the origin (nginx: `ssl_protocols TLSv1.2;`) "
    "until it does.")
# Added to an error on an origin whose TLS 1.3 works only outside CloudFront's presumed offer.
TLS13_OTHER_SUITES_NOTE = (
    " The origin does complete a TLS 1.3 handshake, but only with {cipher}, not with the "
    "suites CloudFront is believed to offer ({tls13_suites}); whether CloudFront's TLS 1.3 "
    "offer includes {cipher} is not documented.")
# The same, when the suite it chose is one CloudFront is believed to offer: its curves or
# signature schemes are what CloudFront's presumed offer lacks.
TLS13_OTHER_GROUPS_NOTE = (
    " The origin does complete a TLS 1.3 handshake with {cipher}, one of the suites CloudFront "
    "is believed to offer, but only once curves or signature schemes beyond CloudFront's are "
    "offered; which curves and signature schemes CloudFront offers over TLS 1.3 is not "
    "documented.")
COMMON_PROTOCOL = "the common protocol"  # when no protocol was accepted in common
# How the origin answered a ClientHello with exactly CloudFront's ciphers, by outcome.
OFFER_ANSWERS: dict[str, str] = {
    "alert": "alert {alert}",
    "chose": "a choice of {cipher} over {version}",
    "closed": "a closed connection",
    "timeout": "no answer in time",
    "not_tls": "bytes that are not TLS",
}
OFFER_SENTENCE = (
    " A ClientHello offering exactly CloudFront's {count} ciphers for {version} (DES-CBC3-SHA "
    "and RC4-MD5 included) got {answer}.")
CLIENT_CERT_ENDS_HANDSHAKE = "it ends the handshake when none is sent"
CLIENT_CERT_HOW_HANDSHAKE = "it ends the TLS handshake"
CLIENT_CERT_HOW_ANSWER = "it answers {refusal}"
CLIENT_CERT_REFUSAL_CLOSED = "a closed connection instead of an answer ({detail})"
CLIENT_CERT_REFUSAL_ANSWER = "{status} “{quote}”"
CLIENT_CERT_OPTIONAL = "optional: the request got an answer without one"
CLIENT_CERT_NOT_SENT = "no request could be sent from here, so whether it insists on one is unknown"
CLIENT_CERT_NO_ANSWER = "the request got no answer, so whether it insists on one is unknown"
HANDSHAKE_FAILURES: dict[TlsReason, str] = {
    TlsReason.RESET: "the origin closed the connection during the handshake",
}
HANDSHAKE_FAILED = "the handshake failed"
HANDSHAKE_NO_MESSAGE = "no error message"  # TLS_HANDSHAKE_FAILED's brackets, when none came
# What to do about a failed handshake, by what was measured: a connection closed right after
# the ClientHello says nothing about protocols or ciphers (a silence is TLS_HANDSHAKE_TIMEOUT).
HANDSHAKE_ADVICE: dict[TlsReason, str] = {
    TlsReason.RESET: (
        "The connection was closed without a TLS alert right after each ClientHello, whatever "
        "was offered: the usual cause is a TCP proxy or load balancer that passes TLS through "
        "(nginx stream with ssl_preread, HAProxy in mode tcp) to a backend that is down or "
        "refuses it, or a firewall that cuts TLS. Check that proxy's logs and its upstream."),
}
HANDSHAKE_ADVICE_OTHER = (
    "Compare the protocols and ciphers the origin allows with CloudFront's list, and look in "
    "the origin's TLS error log for why it ended the handshake.")
SNI_BECAUSE_HOST = " because the distribution forwards the viewer's Host header"
SNI_ORIGIN_DOMAIN = " (the origin domain)"
SNI_ACCEPTED_WITH = "with SNI {name}"
SNI_ACCEPTED_WITHOUT = "without SNI"
SNI_ALTERNATIVE_HOST = (
    "Or stop forwarding the viewer's Host header to this origin (an origin request policy "
    "without Host, such as AllViewerExceptHostHeader): CloudFront then sends {hostname} as "
    "SNI, which the origin accepts.")
SNI_ALTERNATIVE_NONE = (
    "CloudFront sends the origin domain as SNI (or the forwarded Host); an origin that "
    "completes the handshake only without SNI serves nobody CloudFront's name.")
KEY_DOUBT_CURVE = (
    " AWS documents ECDSA certificates with 256-bit keys and lists P-256, P-384 and X25519 as "
    "CloudFront's curves, which in TLS 1.2 also bound the curve of the certificate a client can "
    "verify; that CloudFront refuses {key} is derived from those lists, not stated by AWS.")
KEY_DOUBT_NONE = (
    " AWS documents RSA and ECDSA certificates only, and lists no signature scheme for {key}.")
WRONG_ISSUER_WHY: dict[str, str] = {
    "key_identifier": ("its subject key identifier is {found}, while the server certificate "
                       "names {expected} as its issuer's key"),
    "signature": "the signature on \"{dangling}\" does not verify with its key",
}
# An origin with an RSA and an ECDSA certificate: which one a finding is about.
DUAL_CERTIFICATE = (
    " This is the origin's {kind} certificate, presented to clients that prefer {kind} "
    "suites; to those that prefer {other} suites it presents its {other} certificate "
    "{label}, {state}.")
DUAL_STATE_OK = "which passes these checks"
DUAL_STATE_BAD = "which fails too"
DUAL_EITHER = (
    " CloudFront's preference between RSA and ECDSA suites is not documented, so it may get "
    "either certificate: requests fail whenever it gets this one.")
WRONG_ISSUER_WHICH = " (subject key identifier {expected})"
HANDSHAKE_NOTHING_ACCEPTED = (
    " It accepted no protocol and cipher this machine can offer; if it only supports "
    "DES-CBC3-SHA or RC4-MD5 (on CloudFront's list but not buildable here) that could not be "
    "checked.")
WEAK_CIPHER_UNCHECKED = (
    " This machine cannot complete a handshake with that suite, so only the origin's choice "
    "and certificates were checked, not its HTTP answer.")

# Certificates
CERT_LABEL = "\"{name}\" (issuer \"{issuer}\", SHA-256 {sha256}…)"
WHICH_SERVER = "server"
WHICH_INTERMEDIATE = "intermediate #{index}"
NAMES_FROM_CN = "its Common Name (it has no DNS names in SAN)"
NAMES_FROM_SAN = "its SAN"
MISMATCH_WHY_FORWARDED = (
    "the distribution forwards Host {host}, which CloudFront sends as SNI, and AWS accepts a "
    "certificate that names that Host or the origin domain {hostname}; it names neither")
MISMATCH_ALTERNATIVE_FORWARDED = (
    "Or issue it for the origin domain {hostname}: AWS's 502 page accepts either name, but its "
    "origin settings page asks for the forwarded Host, so {host} is the safer choice.")
# A mismatch by RFC 6125 that a looser wildcard reading would accept (facts §3.4, §8.4).
MISMATCH_WIDE_WILDCARD = (
    " Only a wildcard standing for more than one label would cover it ({pattern}): RFC 6125 "
    "lets a wildcard stand for exactly one whole left-most label, and AWS says only that "
    "CloudFront supports wildcards, not how it matches them, so this follows the RFC and is not "
    "certain.")
# CERT_NAME_MATCH_UNCERTAIN: why each lenient reading is in doubt, and its fix, by Doubt value
# (workers/diagnosis/names.py). Facts §1.1, §3.4, §3.5, §8.4.
NAME_DOUBTS: dict[str, str] = {
    "forwarded_host": (
        "The distribution forwards Host {host}, which CloudFront also sends as SNI; the "
        "certificate does not name it, but it names the origin domain {origin}{via}. "
        "AWS's 502 troubleshooting page and its page on HTTPS to custom origins accept a "
        "certificate that names either one; its origin settings page says that with Host "
        "forwarded the certificate must match the Host. If CloudFront follows the stricter "
        "page, it answers 502."),
    "common_name": (
        "{name} is only the certificate's Common Name; its SAN lists {listed}. AWS counts the "
        "Common Name among a certificate's names, but clients that follow RFC 6125 ignore it "
        "when the SAN holds DNS names, and AWS does not say which CloudFront does."),
    "partial_wildcard": (
        "{name} matches {pattern} only if a wildcard may stand for part of a label. RFC 6125 "
        "lets a client accept that, RFC 9525 (which replaces it) does not, and AWS says only "
        "that CloudFront supports wildcards, not how it matches them."),
}
NAME_VIA = " (as {pattern})"
NAME_FIXES: dict[str, str] = {
    "forwarded_host": (
        "Add {host} to the certificate's Subject Alternative Names, so that it matches under "
        "either page's rule."),
    "common_name": ("Add {name} to the certificate's Subject Alternative Names: every client "
                    "reads those."),
    "partial_wildcard": (
        "Put {name} itself, or a wildcard for its whole first label ({wildcard}), in the "
        "certificate's Subject Alternative Names: every client reads those the same way."),
}
NAME_ALTERNATIVE_FORWARDED = (
    "Or stop forwarding the Host header (an origin request policy without Host, e.g. "
    "AllViewerExceptHostHeader): CloudFront then sends {origin} as SNI and checks that name, "
    "which the certificate has.")
MISMATCH_WHY = "CloudFront checks the certificate against the origin domain"
MISMATCH_ALTERNATIVE = (
    "Or point the origin domain at a name the certificate already covers ({covered}), or "
    "forward the viewer's Host header if the certificate names the viewer domain.")
MISMATCH_ALTERNATIVE_WILDCARD = (
    "Or point the origin domain at a name the certificate already covers: a name one label "
    "under {domain}, which its {pattern} covers by any reading of wildcards, or forward the "
    "viewer's Host header if the certificate names the viewer domain.")
CHAIN_ORDER_CA_FIRST = (
    "The origin sends the CA certificate \"{first}\" first and its server certificate "
    "\"{server}\" in position {position}. TLS requires the server certificate first.")
CHAIN_ORDER_MIXED = "The origin sends its certificates out of order."
ROOT_NOT_LISTED = "The chain ends at \"{root}\", a root that is not on Mozilla's list."
AIA_LEADS_NOWHERE = (
    "The chain stops at an issuer \"{missing}\" that is not sent; its AIA URL {url} gives a "
    "certificate that still does not lead to a root on Mozilla's list, so the CA itself is not "
    "trusted.")
ISSUER_WITHOUT_AIA = (
    "The server certificate's issuer \"{missing}\" is neither sent nor on Mozilla's list, and "
    "the certificate names no AIA caIssuers URL. Certificates from public CAs carry one (the "
    "CA/Browser Forum Baseline Requirements' subscriber-certificate profile requires the AIA "
    "extension and asks for the issuing CA's certificate URL in it), so this is most likely a "
    "private or interception CA that CloudFront will never trust. Less likely: a public CA's "
    "intermediate is missing from the chain.")
PRIVATE_INTERMEDIATE = (
    "The chain stops at the intermediate \"{label}\", whose issuer \"{missing}\" is not on "
    "Mozilla's list{note}. Most likely the CA is private; if it is a public CA, an "
    "intermediate is missing.")
AIA_FETCH_NOTE = " (the AIA fetch of {url}: {detail})"
NO_AIA_NOTE = " (the certificate names no AIA issuer URL to check)"
AIA_DOWNLOAD = " (download it from {url})"
AIA_ASK_CA = " (get it from your CA)"
EXTRA_NOT_ON_PATH = "The chain includes certificates that are not in the path: {names}."
EXTRA_ROOT = "The chain includes the root certificate."
RSA_KEY_OF = "The {which} certificate {label} has a {bits}-bit RSA key."
SERVER_EC_KEY = "The server certificate has an ECDSA {curve} key."
SERVER_OTHER_KEY = "The server certificate has an {key_type} key."
WEAK_SIGNATURE = "The {which} certificate {label} is signed with {algorithm}.{note}"
UNCHECKED_SIGNATURE = (
    " Its signature could not be checked here ({why}); the path was built from names and key "
    "identifiers.")
CHAIN_CUT_PRESENTED = ("the origin sent {presented} certificates and only the first "
                       "{considered} were considered")
CHAIN_CUT_BUDGET = "signature checks stopped at {checks}"
STAPLE_SIGNED_BY = " (signed by \"{signer}\")"
STAPLE_SIGNATURE_UNCHECKED = (" The response's signature could not be checked here ({detail}), "
                              "so a client might not accept it as proof.")
STAPLE_REASON = " (reason: {reason})"
STAPLE_NO_DATE = "a date it does not give"
STAPLE_ISSUER_NAME_ONLY = (" The issuer's certificate was not at hand: the response was matched "
                           "to this certificate by serial and issuer name.")
STAPLE_PROBLEMS: dict[str, str] = {
    "unreadable": "{detail}",
    "refused": "it is the responder's refusal \"{status}\", with no certificate status in it",
    "other_certificate": "it is about the certificate with serial {serial}, not this one ({ours})",
    "other_issuer": "it names this certificate's serial, but under another issuer",
    "bad_signature": "its signature is not acceptable: {detail}",
    "unknown": "the responder says it does not know this certificate (status unknown)",
    "expired": "it is out of date since {on} UTC ({ago} ago, its nextUpdate)",
    "not_yet_valid": "it is dated {ago} in the future (thisUpdate {on} UTC)",
}
STAPLE_FIXES: dict[str, Prose] = {
    "unreadable": Prose(
        "Staple a real OCSP response for this certificate: let the server fetch "
        "it from the CA's OCSP responder (nginx: `ssl_stapling on;` without "
        "`ssl_stapling_file`), or make the file again with `openssl ocsp`."),
    "refused": Prose(
        "The file or cache holds the responder's refusal: fetch the status again "
        "(`openssl ocsp -issuer issuer.pem -cert server.pem -url URL -respout "
        "resp.der`), or let the server fetch it (nginx: `ssl_stapling on;`)."),
    "other_certificate": Prose(
        "The stapled response belongs to another certificate (most often "
        "the one before a renewal, left in an `ssl_stapling_file`): make it "
        "again for the certificate now installed, or let the server fetch it "
        "(nginx: `ssl_stapling on;` without the file)."),
    "other_issuer": Prose(
        "The stapled response names a certificate of another CA: make it again "
        "with this certificate's issuer (`openssl ocsp -issuer issuer.pem -cert "
        "server.pem ...`), or let the server fetch it (nginx: `ssl_stapling on;`)."),
    "bad_signature": Prose(
        "Staple a response signed by the certificate's issuer or by a "
        "responder it authorised: fetch it from the CA's OCSP responder named in "
        "the certificate."),
    "unknown": Prose(
        "The responder does not know this certificate: check that it is the CA's "
        "responder for this issuer (the certificate's AIA OCSP URL), and that the "
        "certificate is one the CA issued."),
    "expired": Prose(
        "Refresh the stapled response before its nextUpdate: a file given with nginx's "
        "`ssl_stapling_file` is never refreshed by nginx, so make it again on a "
        "schedule, or let nginx fetch it (`ssl_stapling on;` without the file)."),
    "not_yet_valid": Prose(
        "Check the clock of the machine that made the response; a response from "
        "the CA's responder is dated by the CA."),
}
STAPLE_MUST = (" The certificate carries OCSP Must-Staple, so clients that enforce it treat this "
               "as no response at all and refuse the connection; whether CloudFront does is "
               "not documented.")
STAPLE_MAY = (" Clients that check revocation ignore such a response or refuse the connection; "
              "whether CloudFront looks at it is not documented.")
# Why a handshake needs a keyUsage bit (CERT_KEY_USAGE_MISMATCH), by the bit.
KEY_USAGE_WHY: dict[str, str] = {
    "digitalSignature": "the certificate's key signs the handshake",
    "keyEncipherment": "the client encrypts the key exchange to the certificate's key",
}
KEY_USAGE_NONE = "none"
KEY_USAGE_REFUSED = (
    " The origin refused CloudFront's own handshake and completed only {protocol}, as "
    "OpenSSL-based servers (nginx, openssl s_server) do with such a certificate: the "
    "certificate, not the protocol settings, is what to change.")
VALIDATOR_NAMES: dict[str, str] = {
    "openssl": "OpenSSL's verifier", "webpki": "the Web PKI profile (cryptography)"}
VALIDATOR_SAID = "{validator}: {rule}"
VALIDATOR_CODE = " ({code})"
VALIDATOR_ON = " on \"{certificate}\""
VALIDATORS_BOTH_REJECT = "Both certificate validators reject the chain"
VALIDATOR_REJECTS = "A certificate validator rejects the chain"
VALIDATOR_DOUBT = (
    " {accepted} accepts it; which rules CloudFront applies is not documented, so this is the "
    "stricter verdict.")
OTHER_VALIDATOR = "The other validator"
THE_CERTIFICATE = "the certificate"
# The fix for a validator's rule, by OpenSSL verify code or words of cryptography's message
# (matched lower-case, first match wins). The keys are the validators' own messages: a server
# certificate wrongly marked as a CA and an intermediate not marked as one both mention
# basicConstraints and need opposite fixes (tests/workers/probes/test_validator_fix_messages.py
# runs both validators on a chain per entry).
VALIDATOR_FIXES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("INVALID_NON_CA", "must not be asserted in an ee certificate"),
     "Have the CA reissue the server certificate \"{certificate}\" as an end-entity "
     "certificate: basicConstraints cA=false (or no basicConstraints at all) and no "
     "keyCertSign. A server certificate must not claim to be a CA."),
    (("INVALID_CA", "must be asserted in a ca certificate", "ca certificate has no "
      "basicconstraints", "not a ca"),
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
VALIDATOR_FIX_OTHER = ("Reissue \"{certificate}\" following the CA/Browser Forum profile "
                       "(RFC 5280): the validator's rule was \"{rule}\".")

# HTTP
AFTER_TLS = " (and the TLS handshake)"
# Added to a certificate finding when CloudFront's own handshake failed and the chain came from
# another handshake (TLS 1.3 on an origin that accepts only TLS 1.3, or a follow-up).
CHAIN_FROM_OTHER_HANDSHAKE = (
    " (Certificate read in a {protocol} handshake, since CloudFront's own handshake failed; "
    "the same checks apply whatever protocol CloudFront connects with.)")
ANOTHER_PROTOCOL = "follow-up"
# Why a connection CloudFront would make was not looked at all the way up: the report's
# "could not check from here" reason (workers/diagnosis/coverage.py).
UNCHECKED_AT = "{address} port {port}: {why}"
UNCHECKED_TCP = "the connection could not be made from here"
UNCHECKED_TCP_NOT_CONNECTED = "no connection, so nothing above TCP was checked ({detail})"
UNCHECKED_CERTIFICATE = "could not check the certificate: {why}"
UNCHECKED_NO_CHAIN = "no handshake presented a certificate"
UNCHECKED_HTTP = "the HTTP answer could not be checked ({why})"
# origin502's own time budget for the diagnosis ended a wait on the origin before CloudFront's
# own limit for it did (a BudgetCut): not checked, and how to get the full answer.
BUDGET_RAN_OUT = (
    "origin502's time budget of {budget:g} s ran out after {waited:g} s {waiting}, before "
    "CloudFront's own limit of {limit:g} s ({limit_is}); {how}")
BUDGET_RAN_OUT_TRICKLE = (
    "origin502's time budget of {budget:g} s ran out after {waited:g} s while the origin was "
    "still sending its response headers ({bytes} bytes so far, no gap as long as the "
    "{read_timeout:g} s response timeout); CloudFront sets no overall limit on that unless a "
    "response completion timeout is set, so it would still be waiting; {how}")
BUDGET_WAITING = {
    "tcp": "of connection attempts",
    "tls": "of waiting for the TLS handshake",
    "http": "of waiting for the response",
}
BUDGET_LIMITS = {
    "tcp": "{attempts} × the {connect:g} s connection timeout",
    "tls": "the {connect:g} s connection timeout",
    "http": "the {read:g} s response timeout",
}
BUDGET_HOW = Prose(
    "for a full answer, run `origin502 diagnose` again with `--budget {needed:g}`")
BUDGET_HOW_MORE = Prose(
    "for a full answer, run `origin502 diagnose` again with a larger `--budget`")
SERVER_HEADER = " ({server})"
ORIGIN_ERROR_FIX_ALB = (
    "An Application Load Balancer answers 502/503 itself when it has no healthy targets or a "
    "target fails: check the target group's health checks and the targets' logs.")
ORIGIN_ERROR_FIX_504 = "The origin's own upstream timed out: look at the application behind it."
ORIGIN_ERROR_FIX = "Look at the origin's application and error logs for this request."
# HTTP_PORT_SPEAKS_TLS: what showed that the port speaks TLS, what viewers get, and the fix.
PORT_TLS_REFUSED = 'it answers plain HTTP with {status} "{said}"'
PORT_TLS_ANSWERED = "it answers plain HTTP with {status}"
PORT_TLS_RECORD = "it answers plain HTTP with a TLS {kind}record ({hex})"
TLS_RECORD_KINDS = {0x14: "change-cipher-spec ", 0x15: "alert ", 0x16: "handshake ",
                    0x17: "application-data "}
PORT_TLS_CLOSED = "it closes a plain HTTP request without an answer"
PORT_TLS_JOIN = ", and "
PORT_TLS_VIEWERS_ORIGIN = "Viewers get the origin's own {status}, which CloudFront passes on."
PORT_TLS_VIEWERS_502 = ("CloudFront gets no HTTP response from it, so viewers get 502 Bad "
                        "Gateway.")
PORT_TLS_SCOPE = {"match-viewer": ", for viewers who use HTTP"}
PORT_TLS_FIX = {
    "http-only": ("If this is the origin's HTTPS listener, set the origin protocol policy to "
                  "HTTPS only (or Match viewer) with HTTPS port {port}: CloudFront then speaks "
                  "TLS to it and checks its certificate."),
    "match-viewer": ("If this is the origin's HTTPS listener, set the origin protocol policy "
                     "to HTTPS only so that every request goes to the HTTPS port {https_port}."),
}
CONTINUE_FINAL = " before its final {status}"
# HTTP_HEADERS_TOO_LARGE
HEADERS_SIZE = "{bytes:,} bytes"
HEADERS_SIZE_CUT = "more than {bytes:,} bytes (origin502 stopped reading there)"
HEADERS_LARGEST = " The largest: {names}."
# What CloudFront does with it: said as fact only when the size is over by any count.
HEADERS_NOT_PASSED = (
    "CloudFront does not pass such a response on: its logs say OriginHeaderTooBigError.")
HEADERS_NOT_PASSED_IF = (
    "If CloudFront counts the response head as origin502 does, it does not pass such a response "
    "on, and its logs say OriginHeaderTooBigError.")
HEADER_WEIGHT = "{name} {bytes:,} bytes"
HEADERS_COUNTED_UNDER = (" Counting names and values alone it is {fields:,} bytes, under the "
                         "limit: whether CloudFront fails it depends on how it counts, "
                         "which AWS does not document.")

# HTTP_RESPONSE_MALFORMED: the part rejected, and the fix (a recognised fault, or any)
MALFORMED_PARTS = {"headers": "headers", "body": "chunked body"}
MALFORMED_LINE = "the line {line!r} ({said})"
MALFORMED_FIX_SPACE = (
    "Remove the {what} before the colon in the header {name!r}: send {fixed!r}. Find what "
    "writes it (the application, or a proxy in front of it) and fix it there.")
# The whitespace before the colon, named: "the tab", "the 2 spaces", "the spaces and tabs".
WHITESPACE_NAMES = {" ": "space", "\t": "tab"}
WHITESPACE_COUNT = "{count} {word}s"
WHITESPACE_MIXED = "spaces and tabs"
MALFORMED_LENIENT = (
    "AWS does not document what CloudFront does with such a response. It may read it "
    "leniently and pass the {status} on (HTTP asks a proxy to repair some of these faults, "
    "such as a space before a header's colon, or to reject the response), or answer viewers "
    "with an error of its own: its logs have an error type for an origin that \"returned an "
    "invalid response\" (OriginInvalidResponseError). Neither is confirmed.")
# An invalid Content-Length: where the body ends cannot be known (RFC 9112 section 6.3).
MALFORMED_FRAMING = (
    "With this fault nobody can tell where the body ends, and HTTP requires a proxy to "
    "discard such a response and answer 502 Bad Gateway. AWS does not document that "
    "CloudFront does (its logs have an error type for an origin that \"returned an invalid "
    "response\", OriginInvalidResponseError), so the 502 is likely, not confirmed.")
MALFORMED_FIX = (
    "Find what writes this part of the response (the application, or a proxy in front of "
    "it) and make it follow HTTP/1.1's message syntax (RFC 9112).")
# HTTP_RESPONSE_TRUNCATED: how the response ended, what viewers get, the fix
TRUNCATED_ENDS = {"closed": "closed", "reset": "reset"}
TRUNCATED_DECLARED = ("its Content-Length says {declared:,} bytes, and it {ended} the connection "
                      "after {received:,} bytes of body")
TRUNCATED_CHUNKED = ("it {ended} the connection after {received:,} bytes of its chunked body, "
                     "before the last chunk")
TRUNCATED_OTHER = ("it {ended} the connection after {received:,} bytes of body, before the "
                   "body ended")
TRUNCATED_BODY_VIEWERS = (
    "AWS does not document what CloudFront does when an origin's response ends early: it may "
    "pass the {status} on and cut the viewer's download short, or answer with an error of its "
    "own (most likely 502). Either way viewers do not get the whole object.")
TRUNCATED_HEAD_VIEWERS = (
    "Without complete response headers CloudFront has no response to pass on: viewers get an "
    "error from CloudFront, of a status AWS does not document (most likely 502).")
TRUNCATED_FIX_DECLARED = (
    "Make Content-Length the body's real length in bytes, or find why the origin stops "
    "part-way through the body (an application error or timeout while it writes it, a proxy "
    "in between cutting it): its logs for GET {path} should say.")
TRUNCATED_FIX_BODY = (
    "Find why the origin stops part-way through the body (an application error or timeout "
    "while it writes it, a proxy in between cutting it): its logs for GET {path} should say.")
TRUNCATED_FIX_HEAD = (
    "Find why the origin closes the connection part-way through its response headers (an "
    "application crash, a proxy in between cutting it): its logs for GET {path} should say.")

# CloudFront's edge as the target (workers.diagnosis.edge)
EDGE_BY_NAME = "{cloudfront_name} is a CloudFront distribution name"
EDGE_BY_CNAME = "its CNAME chain ends at {cloudfront_name}"
EDGE_BY_HEADERS = "the answer carries CloudFront's headers ({marks})"
EDGE_X_CACHE = "X-Cache: {x_cache}"
EDGE_NO_X_CACHE = "no X-Cache"
EDGE_POP = "edge location {pop}"
EDGE_REQUEST_ID = "request id {request_id}"
EDGE_CONNECTION_FAILURE = "{address} port {port}: {detail}"
EDGE_DNS_FAILURES: dict[DnsReason, str] = {
    DnsReason.NXDOMAIN: "NXDOMAIN", DnsReason.SERVFAIL: "SERVFAIL",
    DnsReason.TIMEOUT: "no answer in time", DnsReason.NO_ADDRESS: "no address"}
EDGE_DNS_NO_ANSWER = "no answer"
EDGE_UNRESOLVED = "the name did not resolve ({why})"
EDGE_SILENT = "the edge did not answer from here ({failure})"
EDGE_UNMEASURED = "no answer from the edge was measured"
EDGE_STEP_UNSEEN = ("Check the name from a machine with internet access, or give origin502 the "
                    "origin domain as below.")
EDGE_STEP_NOTHING = "Nothing fails at the edge right now."
EDGE_FROM_CLOUDFRONT = "CloudFront itself"
EDGE_FROM_EDGE = "CloudFront's edge"
EDGE_PAGE_SAYS = " The page says \"{sentence}\"."
EDGE_HEDGE = (" That reading rests on page wording and header values AWS does not publish: "
              "likely, not certain.")
EDGE_MIXED = " Other edge addresses answered {statuses}: only some requests fail."
EDGE_SET_ASIDE_ITEM = "{code} ({address})"
EDGE_SET_ASIDE_NOTE = (" {serious} check(s) that judge an origin's connection were not applied "
                       "to the edge (listed in the evidence).")

F = EdgeErrorFamily
# What the edge's error page says happened, by family.
EDGE_FAMILY_WORDS: dict[EdgeErrorFamily, str] = {
    F.CANNOT_CONNECT: "CloudFront could not connect to the origin",
    F.ORIGIN_TIMEOUT: "the origin did not answer CloudFront in time (or a firewall dropped it)",
    F.DNS_ERROR: "CloudFront could not resolve the origin's domain name (NonS3OriginDnsError)",
    F.LAMBDA_VALIDATION: "a Lambda@Edge function returned a response CloudFront rejects",
    F.FUNCTION_VALIDATION: "a CloudFront Function changed a header it may not change",
    F.LAMBDA_EXECUTION: "a Lambda@Edge function failed, was throttled or is not allowed to run",
    F.FUNCTION_EXECUTION: "a CloudFront Function failed or could not run",
    F.CAPACITY: "CloudFront answered 503 itself (usually an origin without capacity)",
    F.RELAYED: "the page is not CloudFront's own: most likely the origin's error, passed on",
    F.UNRECOGNISED: "CloudFront's own error page, naming a cause origin502 does not know",
}
# The first step of TARGET_IS_CLOUDFRONT's remediation, by family.
EDGE_FAMILY_STEPS: dict[EdgeErrorFamily, str] = {
    F.CANNOT_CONNECT: (
        "CloudFront could not connect to the origin or complete TLS with it: a DNS, port, "
        "firewall, TLS protocol or cipher, or certificate (name, expiry, chain) problem. "
        "Probe the origin itself, as in the next step, to find which."),
    F.ORIGIN_TIMEOUT: (
        "CloudFront gave up waiting for the origin (its response timeout, 30 s by default), or "
        "a firewall or security group keeps CloudFront out. Probe the origin, as in the next "
        "step, and see how long it takes to answer."),
    F.DNS_ERROR: (
        "CloudFront could not resolve the origin's domain name in public DNS. Probe the origin "
        "domain, as in the next step, and check its records at the zone's authoritative name "
        "servers from a machine on the internet."),
    F.LAMBDA_VALIDATION: (
        "A Lambda@Edge function on this path returned something CloudFront rejects (malformed "
        "output, a read-only or disallowed header, an invalid origin setting). Read the "
        "function's CloudWatch logs in the Region nearest the edge location{pop_hint}; probing "
        "the origin will not show this."),
    F.FUNCTION_VALIDATION: (
        "A CloudFront Function on this path adds, removes or changes a read-only header. This "
        "passes the console's test and fails only once deployed: review the function's last "
        "change; probing the origin will not show this."),
    F.LAMBDA_EXECUTION: (
        "A Lambda@Edge function failed, timed out, was throttled or lacks permission (CloudFront "
        "answers 503 for these). Read its CloudWatch logs and check its Lambda quotas."),
    F.FUNCTION_EXECUTION: (
        "A CloudFront Function failed or went over its limits (CloudFront answers 503). Check "
        "its code and its CloudWatch metrics."),
    F.CAPACITY: (
        "CloudFront answered 503 itself: usually the origin cannot take the request rate; "
        "rarely the edge location is short of capacity (seen in load tests). Probe the origin, "
        "as in the next step."),
    F.RELAYED: (
        "The {status} page is not CloudFront's own: most likely the origin answered {status} and "
        "CloudFront passed it on, or the distribution shows its own custom error page. Probe "
        "the origin, as in the next step, and read its logs."),
    F.UNRECOGNISED: (
        "CloudFront's page names a cause origin502 does not recognise. Probe the origin, as in "
        "the next step; the request id{request_hint} lets AWS Support find this request."),
}
EDGE_POP_HINT = " ({pop})"
EDGE_REQUEST_HINT = " {request_id}"
# The AWS page that explains each family; it leads TARGET_IS_CLOUDFRONT's links.
EDGE_FAMILY_LINKS: dict[EdgeErrorFamily, str] = {
    F.CANNOT_CONNECT: P502, F.ORIGIN_TIMEOUT: LINK_504, F.DNS_ERROR: LINK_502_DNS,
    F.LAMBDA_VALIDATION: LINK_502_LAMBDA, F.FUNCTION_VALIDATION: LINK_502_FUNCTION,
    F.LAMBDA_EXECUTION: LINK_503, F.FUNCTION_EXECUTION: LINK_503, F.CAPACITY: LINK_503,
    F.RELAYED: P502, F.UNRECOGNISED: P502,
}

# Across addresses (workers.diagnosis: downgrade and merge)
UNUSED_FAMILY_NOTE = (
    " CloudFront does not use {family} addresses with the origin IP address type {kind}, so "
    "this causes no 502 today; it will once that setting includes them.")
EACH_ADDRESS = "each address"  # stands for the address in a finding merged across addresses
MERGED_ADDRESSES = " ({scope} {total} addresses: {addresses})"
SCOPE_ALL = "all"
SCOPE_SOME = "{count} of"
