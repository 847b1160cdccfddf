"""What each probe layer measured. Plain, JSON-ready values: no sockets, no library objects.

Every layer result carries a status, a reason from the enums below, the facts it measured and
its duration, so that diagnosis rules never have to guess. A failure in a lower layer marks the
upper layers ``not_run``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    OK = "ok"
    FAILED = "failed"  # the origin did something CloudFront would not accept
    ERROR = "error"  # origin502 itself could not find out (local problem, unsupported check)
    NOT_RUN = "not_run"  # a lower layer failed, so this one was not attempted


class DnsReason(StrEnum):
    NXDOMAIN = "nxdomain"
    NO_ADDRESS = "no_address"  # the name exists but has no A/AAAA record
    SERVFAIL = "servfail"
    TIMEOUT = "timeout"
    RESOLVER_ERROR = "resolver_error"
    OVERRIDDEN = "overridden"  # --resolve supplied the address
    IP_LITERAL = "ip_literal"


class NameServerOutcome(StrEnum):
    """What one authoritative name server said when asked directly for the origin name."""

    ANSWER = "answer"  # authoritative answer with addresses
    NODATA = "nodata"  # the name exists there, without an A/AAAA record
    NXDOMAIN = "nxdomain"
    SERVFAIL = "servfail"
    REFUSED = "refused"  # the server does not serve the zone: lame
    NOT_AUTHORITATIVE = "not_authoritative"  # answered without the AA bit or with a referral
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"  # the server's address could not be reached (ICMP, reset)
    NO_ADDRESS = "no_address"  # the server's own name has no address
    OTHER = "other"


class TcpReason(StrEnum):
    REFUSED = "refused"  # RST: nothing listens, or a firewall rejects
    TIMEOUT = "timeout"  # no answer: a firewall drops the SYN
    UNREACHABLE = "unreachable"  # no route (ICMP unreachable, no IPv6 route...)
    BLOCKED = "blocked"  # origin502 refused to dial it (private address)
    # This machine has no route to the address (ENETUNREACH before any packet left, no IPv6
    # here...): a fact about where origin502 runs, not about the origin (status ``error``).
    NO_ROUTE_HERE = "no_route_here"
    OTHER = "other"


class TlsReason(StrEnum):
    PROTOCOL_UNSUPPORTED = "protocol_unsupported"
    CIPHER_UNSUPPORTED = "cipher_unsupported"
    CURVE_UNSUPPORTED = "curve_unsupported"  # a cipher in common, but no curve/sigalg in common
    NOT_TLS = "not_tls"  # the port speaks something else (often plain HTTP)
    CLIENT_CERT_REQUIRED = "client_cert_required"
    RESET = "reset"  # the origin closed or reset the connection during the handshake
    TIMEOUT = "timeout"
    HANDSHAKE_FAILED = "handshake_failed"
    UNVERIFIABLE_HERE = "unverifiable_here"  # only ciphers this OpenSSL cannot build


class HttpReason(StrEnum):
    CLOSED = "closed"  # the connection closed before any response
    TIMEOUT = "timeout"
    INVALID = "invalid"  # bytes that are not an HTTP/1.x response
    RESET = "reset"


@dataclass
class NameServerCheck:
    """One authoritative server of the zone, asked directly (no recursion) for a name."""

    server: str  # the NS name
    address: str | None  # the address asked; None when the NS name has no address
    outcome: NameServerOutcome
    rcode: str | None = None
    authoritative: bool = False
    addresses: list[str] = field(default_factory=list)
    cname: str | None = None  # the CNAME target, when the server answered with one
    detail: str | None = None
    duration_ms: float = 0.0


@dataclass
class DnsWalk:
    """The steps of AWS's NonS3OriginDnsError page, done when resolution failed or was
    partial: find the zone's name servers and ask each of them directly."""

    name: str  # the name asked of the servers (the last name of a CNAME chain)
    record: str = "A"  # the record type asked: the one that failed
    zone: str | None = None  # the zone that holds it, None when not found
    nameservers: list[NameServerCheck] = field(default_factory=list)
    # The resolver answered SERVFAIL, but with checking disabled (+cd) it answered: the
    # failure is DNSSEC validation. None when not tried.
    dnssec_bogus: bool | None = None
    cd_answer: list[str] = field(default_factory=list)  # the addresses +cd gave
    detail: str | None = None  # why the walk stopped short, when it did
    duration_ms: float = 0.0


@dataclass
class DnsResult:
    """Answers for the origin name. ``addresses`` is empty when resolution failed."""

    status: Status
    reason: str | None = None
    addresses: list[str] = field(default_factory=list)
    ipv4: list[str] = field(default_factory=list)
    ipv6: list[str] = field(default_factory=list)
    cname_chain: list[str] = field(default_factory=list)
    nameserver: str | None = None  # the resolver asked, when known
    detail: str | None = None
    duration_ms: float = 0.0
    walk: DnsWalk | None = None  # set when resolution failed or was partial


@dataclass
class TcpResult:
    status: Status
    reason: str | None = None
    attempts: int = 0
    detail: str | None = None
    duration_ms: float = 0.0


@dataclass
class CertificateInfo:
    """One certificate, described with plain values."""

    subject: str
    issuer: str
    common_name: str | None
    dns_names: list[str]
    ip_addresses: list[str]
    not_before: str  # ISO 8601, UTC
    not_after: str
    serial: str
    sha256: str
    key_type: str  # "RSA", "EC", "Ed25519", ...
    key_size: int | None
    curve: str | None
    signature_hash: str | None  # "sha256", "sha1"...; None for Ed25519
    is_ca: bool
    self_issued: bool  # subject == issuer
    self_signed: bool  # subject == issuer and the signature verifies with its own key
    aia_ca_issuers: list[str]
    pem: str


@dataclass
class ChainAnalysis:
    """What the presented chain proves about trust, order and completeness."""

    # Index in the presented chain of the issuer of each presented certificate; None when the
    # issuer was not among the presented certificates.
    issuer_index: list[int | None] = field(default_factory=list)
    in_order: bool = True
    trusted: bool = False
    # "mozilla" or "ca_file": where the anchor was found; None when untrusted.
    anchor_source: str | None = None
    anchor_subject: str | None = None
    # Why the path did not reach a trusted root, when it did not:
    # "self_signed_leaf", "untrusted_root", "incomplete".
    break_reason: str | None = None
    # The certificate whose issuer could not be found (index into the presented chain).
    dangling_index: int | None = None
    missing_issuer: str | None = None
    # Result of fetching the AIA caIssuers URL of the dangling certificate.
    aia_url: str | None = None
    aia_status: str | None = None  # "fetched", "failed", "absent", "skipped", "blocked"
    aia_detail: str | None = None
    aia_certificate: CertificateInfo | None = None
    aia_completes_chain: bool | None = None
    # Presented certificates that are not needed for the path (harmless, but noisy).
    unused_indexes: list[int] = field(default_factory=list)
    root_included: bool = False


@dataclass
class TlsAttempt:
    """One handshake: what was offered and what came back."""

    purpose: str  # "cloudfront" for the faithful first handshake, else what it tested
    protocols: list[str]
    ciphers: str
    ok: bool
    negotiated_protocol: str | None = None
    negotiated_cipher: str | None = None
    error: str | None = None
    duration_ms: float = 0.0


@dataclass
class TlsResult:
    status: Status
    reason: str | None = None
    sni: str | None = None
    offered_protocols: list[str] = field(default_factory=list)
    protocol: str | None = None
    cipher: str | None = None
    detail: str | None = None
    client_cert_requested: bool = False
    # Which protocols and ciphers the origin accepted in the follow-up handshakes; only filled
    # when the faithful handshake failed.
    accepted_protocols: list[str] = field(default_factory=list)
    accepted_ciphers: list[str] = field(default_factory=list)
    chain: list[CertificateInfo] = field(default_factory=list)
    analysis: ChainAnalysis | None = None
    attempts: list[TlsAttempt] = field(default_factory=list)
    duration_ms: float = 0.0


@dataclass
class HttpResult:
    status: Status
    reason: str | None = None
    request_host: str | None = None
    path: str | None = None
    status_code: int | None = None
    reason_phrase: str | None = None
    server: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    first_bytes: str | None = None  # what came back when it was not HTTP
    detail: str | None = None
    ttfb_ms: float | None = None
    duration_ms: float = 0.0


@dataclass
class ConnectionProbe:
    """One way CloudFront connects to one address: a scheme on a port."""

    scheme: str  # "https" or "http"
    port: int
    tcp: TcpResult
    tls: TlsResult | None  # None for http
    http: HttpResult
    timings_ms: dict[str, float] = field(default_factory=dict)  # connect / tls / first_byte
    transcript: list[str] = field(default_factory=list)


@dataclass
class AddressReport:
    address: str
    family: str  # "ipv4" or "ipv6"
    private_reason: str | None = None  # why the address is not public, when it is not
    probes: list[ConnectionProbe] = field(default_factory=list)
