"""What each probe layer measured. Plain, JSON-ready values: no sockets, no library objects.

Every layer result carries a status, a reason from the enums below, the facts it measured and
its duration, so that diagnosis rules never have to guess. A failure in a lower layer marks the
upper layers ``not_run``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from workers.models.record import Record


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
    # origin502's own time budget ran out before the server was asked or could answer: says
    # nothing about the server.
    NOT_ASKED = "not_asked"
    OTHER = "other"


class TcpReason(StrEnum):
    REFUSED = "refused"  # RST: nothing listens, or a firewall rejects
    TIMEOUT = "timeout"  # no answer: a firewall drops the SYN
    UNREACHABLE = "unreachable"  # no route (ICMP unreachable, no IPv6 route...)
    BLOCKED = "blocked"  # origin502 refused to dial it (private address)
    # No server can have the address (0.0.0.0, multicast, broadcast...): not dialled, since
    # Linux would take 0.0.0.0 to this machine; anyone's connection to it fails.
    UNCONNECTABLE = "unconnectable"
    # This machine has no route to the address (ENETUNREACH before any packet left, no IPv6
    # here...): a fact about where origin502 runs, not about the origin (status ``error``).
    NO_ROUTE_HERE = "no_route_here"
    OTHER = "other"


class TlsReason(StrEnum):
    PROTOCOL_UNSUPPORTED = "protocol_unsupported"
    CIPHER_UNSUPPORTED = "cipher_unsupported"
    CURVE_UNSUPPORTED = "curve_unsupported"  # a cipher in common, but no curve/sigalg in common
    # CloudFront's cipher and curve lists work, but only with the certificate's key type as the
    # problem: the origin's certificate key is not one CloudFront's offer can verify.
    CERT_KEY_UNSUPPORTED = "cert_key_unsupported"
    # The origin refuses the SNI CloudFront sends, and completes the same handshake with another
    # name (or none): it has no certificate for that name.
    SNI_REFUSED = "sni_refused"
    NOT_TLS = "not_tls"  # the port speaks something else (often plain HTTP)
    CLIENT_CERT_REQUIRED = "client_cert_required"
    RESET = "reset"  # the origin closed or reset the connection during the handshake
    TIMEOUT = "timeout"
    HANDSHAKE_FAILED = "handshake_failed"
    UNVERIFIABLE_HERE = "unverifiable_here"  # only ciphers this OpenSSL cannot build
    # The origin's certificate message is larger than this machine's TLS library accepts.
    CERT_MESSAGE_TOO_LARGE = "cert_message_too_large"


class HttpReason(StrEnum):
    CLOSED = "closed"  # the connection closed before any response
    TIMEOUT = "timeout"
    INVALID = "invalid"  # bytes that are not an HTTP/1.x response
    RESET = "reset"
    # Bytes kept coming but the response headers never completed (a trickle, endless 1xx).
    STALLED = "stalled"
    # The start of a response, then the connection closed before its headers ended.
    TRUNCATED = "truncated"


class BodyStop(StrEnum):
    """Why origin502 stopped reading a body before its end: none of these is a finding."""

    IDLE = "idle"  # a pause between packets (CloudFront's own read timeout is per packet)
    TIME = "time"  # origin502's short overall cap on the body read
    SIZE = "size"  # origin502's byte cap: a large object is not downloaded
    DEADLINE = "deadline"  # the diagnosis's own budget
    # The head is valid HTTP/1.1 that origin502's parser (h11) cannot frame, such as
    # "Transfer-Encoding: gzip, chunked": the body is not read at all.
    PARSER = "parser"


class ResponsePart(StrEnum):
    """The part of an HTTP response, after a valid status line, that a strict HTTP/1.1
    parser rejected."""

    HEADERS = "headers"
    BODY = "body"


class ChainBreak(StrEnum):
    """Why the presented chain does not reach a trusted root, when it does not."""

    EMPTY = "empty"  # no certificate was presented
    SELF_SIGNED_LEAF = "self_signed_leaf"
    UNTRUSTED_ROOT = "untrusted_root"  # it ends at a self-signed root not in the store
    INCOMPLETE = "incomplete"  # it stops at a certificate whose issuer was not presented


@dataclass(eq=False, repr=False)
class NameServerCheck(Record):
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


@dataclass(eq=False, repr=False)
class DnsWalk(Record):
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


@dataclass(eq=False, repr=False)
class DnsResult(Record):
    """Answers for the origin name. ``addresses`` is empty when resolution failed."""

    status: Status
    reason: DnsReason | None = None
    addresses: list[str] = field(default_factory=list)
    ipv4: list[str] = field(default_factory=list)
    ipv6: list[str] = field(default_factory=list)
    cname_chain: list[str] = field(default_factory=list)
    nameserver: str | None = None  # the resolver asked, when known
    detail: str | None = None
    duration_ms: float = 0.0
    walk: DnsWalk | None = None  # set when resolution failed or was partial
    timeout_s: float | None = None  # how long the resolver was given, when it timed out
    # Copies of the query sent (one every few seconds) when none was answered in time.
    sends: int | None = None
    # When both answers were in, ms after asking (a slow resolver or zone); None: none came.
    answered_ms: float | None = None
    budget_s: float | None = None  # how long the resolver was given, when it answered


@dataclass(eq=False, repr=False)
class BudgetCut(Record):
    """origin502's own time budget for the diagnosis ended a wait on the origin before
    CloudFront's own limit for that wait did: the layer could not be checked (status
    ``error``), whatever it looked like when time ran out."""

    budget_s: float  # the whole diagnosis's budget
    waited_s: float  # how long the origin had been waited for when the budget ran out
    # What CloudFront itself waits, from the diagnosis's settings; None when CloudFront sets
    # no overall limit (headers trickling in, no response completion timeout configured).
    limit_s: float | None
    bytes_seen: int = 0  # of the response headers, when some came


@dataclass(eq=False, repr=False)
class TcpResult(Record):
    """The TCP connection to one address and port: made, refused or timed out."""

    status: Status
    reason: TcpReason | None = None
    attempts: int = 0
    detail: str | None = None
    duration_ms: float = 0.0
    cut: BudgetCut | None = None  # the budget ran out before CloudFront's limit did


@dataclass(eq=False, repr=False)
class CertificateInfo(Record):
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
    # Why the extensions could not be read (a malformed extension); None when they could.
    # Names, CA flag and AIA are then unknown, and the validators' verdicts decide.
    extensions_error: str | None = None
    # The keyUsage bits it asserts, by their RFC 5280 names ("digitalSignature", ...); None
    # when it has no keyUsage extension (any use is allowed then).
    key_usage: list[str] | None = None


@dataclass(eq=False, repr=False)
class ValidatorVerdict(Record):
    """What one maintained certificate validator said about the presented chain."""

    validator: str  # "openssl" (X509_verify_cert) or "webpki" (cryptography's Web PKI profile)
    # True: accepted; False: rejected; None: it could not run here (``detail`` says why).
    accepted: bool | None
    code: str | None = None  # e.g. "X509_V_ERR_INVALID_CA"; None for webpki and on success
    rule: str | None = None  # the validator's own words for the failed rule
    certificate: str | None = None  # subject of the certificate the rule failed on
    depth: int | None = None  # position in the validator's path (0 = server certificate)
    detail: str | None = None
    name: str | None = None  # the name it judged the chain for (webpki); OpenSSL checks none


@dataclass(eq=False, repr=False)
class ChainAnalysis(Record):
    """What the presented chain proves about trust, order and completeness."""

    # Index in the presented chain of the issuer of each presented certificate; None when the
    # issuer was not among the presented certificates.
    issuer_index: list[int | None] = field(default_factory=list)
    in_order: bool = True
    trusted: bool = False
    # "mozilla" or "ca_file": where the anchor was found; None when untrusted.
    anchor_source: str | None = None
    anchor_subject: str | None = None
    # Why the path did not reach a trusted root, when it did not.
    break_reason: ChainBreak | None = None
    # The certificate whose issuer could not be found (index into the presented chain).
    dangling_index: int | None = None
    missing_issuer: str | None = None
    # A presented certificate named like the missing issuer that did not sign the dangling one
    # (a re-keyed intermediate, a bundle from another order), and why it is not the issuer:
    # "key_identifier" (its subject key identifier is not the one the dangling certificate
    # names) or "signature" (its key does not verify the signature); None when none was sent.
    wrong_issuer_index: int | None = None
    wrong_issuer_why: str | None = None
    # The dangling certificate's authority key identifier and the wrong issuer's subject key
    # identifier, as colon-separated hex; None when the certificate carries none.
    expected_key_id: str | None = None
    wrong_issuer_key_id: str | None = None
    # Result of fetching the AIA caIssuers URL of the dangling certificate.
    aia_url: str | None = None
    aia_status: str | None = None  # "fetched", "failed", "absent", "skipped", "blocked"
    aia_detail: str | None = None
    aia_certificate: CertificateInfo | None = None
    aia_completes_chain: bool | None = None
    # Presented certificates that are not needed for the path (harmless, but noisy).
    unused_indexes: list[int] = field(default_factory=list)
    root_included: bool = False
    # The path judged, as indexes into the presented chain (server certificate first; an anchor
    # taken from the trust store is not listed). Paths were built from names and key
    # identifiers; every path the presented certificates and the store allow was tried.
    path: list[int] = field(default_factory=list)
    paths_tried: int = 0
    # Index of the server certificate in the presented chain (0 unless a CA came first).
    leaf_index: int = 0
    # Presented certificates whose signature on the path could not be checked here, with why
    # (e.g. an MD5 signature no library here verifies); these links were taken on trust.
    unchecked_signatures: dict[int, str] = field(default_factory=dict)
    # Limits met on an origin that makes the work expensive: how many certificates were
    # presented and how many considered; whether the signature-check budget ran out.
    presented_count: int = 0
    considered_count: int = 0
    signature_checks: int = 0
    signature_budget_exhausted: bool = False
    validators: list[ValidatorVerdict] = field(default_factory=list)


@dataclass(eq=False, repr=False)
class OcspStaple(Record):
    """What the origin stapled to the handshake when asked for its certificate status
    (status_request), read as a client that checks revocation reads it. Times are ISO 8601
    UTC; whether they make the response stale is judged with the report's clock."""

    # The server certificate carries the TLS feature status_request (OCSP Must-Staple).
    must_staple: bool = False
    stapled: bool = False  # a response came with the handshake
    # Why the response could not be read (not DER, not OCSP); None when it could.
    problem: str | None = None
    # "successful", or the responder's refusal ("try_later", "unauthorized", ...).
    response_status: str | None = None
    cert_status: str | None = None  # "good", "revoked" or "unknown", for the certificate below
    serial: str | None = None  # hex serial the response speaks about
    # Serial and issuer (name and key hashes) match the server certificate's; None: the issuer
    # was not at hand, so only the serial and the issuer's name were compared.
    for_this_certificate: bool | None = None
    this_update: str | None = None
    next_update: str | None = None  # None: the responder gave none
    revoked_at: str | None = None
    revocation_reason: str | None = None  # "keyCompromise", ...; None when not given
    # "verified" (by the issuer, or a responder it authorised), "invalid" or "unchecked".
    signature: str | None = None
    signed_by: str | None = None  # the signer's subject, when known
    signature_detail: str | None = None  # why the signature is invalid or unchecked


@dataclass(eq=False, repr=False)
class TlsAttempt(Record):
    """One handshake: what was offered and what came back."""

    purpose: str  # "cloudfront" for the faithful first handshake, else what it tested
    protocols: list[str]
    ciphers: str
    ok: bool
    negotiated_protocol: str | None = None
    negotiated_cipher: str | None = None
    error: str | None = None
    duration_ms: float = 0.0
    # A watch's side check reused from an earlier cycle (workers/probes/side_checks.py): when
    # this attempt was made (UTC, ISO 8601); None when it was made for this report.
    reused_from: str | None = None


@dataclass(eq=False, repr=False)
class CipherOffer(Record):
    """What the origin answered a ClientHello offering exactly CloudFront's cipher list, built
    byte by byte (it includes suites this machine's OpenSSL cannot build)."""

    client_version: str  # the highest protocol the ClientHello offered, e.g. "TLSv1.2"
    offered: list[str]  # OpenSSL names of the suites offered, in order
    # "chose" (a ServerHello), "alert", "closed" (EOF or reset), "timeout", "not_tls",
    # "malformed" (an answer that could not be read) or "error" (could not connect).
    outcome: str
    version: str | None = None  # the protocol of the ServerHello
    cipher: str | None = None  # the suite the ServerHello chose (OpenSSL name when it has one)
    alert: str | None = None  # the alert's description, e.g. "handshake_failure"
    certificate_requested: bool = False
    detail: str | None = None


@dataclass(eq=False, repr=False)
class OtherCertificate(Record):
    """The certificate an origin with two (nginx's ``ssl_certificate`` for RSA and for ECDSA)
    presents to a client that offers only the other key type's suites of CloudFront's list.
    CloudFront's order of preference between them is not documented, so it may get either."""

    suites: str  # "RSA" or "ECDSA": which of CloudFront's suites were offered
    protocol: str | None = None
    cipher: str | None = None
    chain: list[CertificateInfo] = field(default_factory=list)
    analysis: ChainAnalysis | None = None
    # Why the certificates could not be judged (one that does not parse); None when they were.
    problem: str | None = None


@dataclass(eq=False, repr=False)
class Tls13Check(Record):
    """The TLS 1.3 handshake CloudFront is believed to make since November 2025: TLS 1.3 only,
    the suites in ``offered`` (which suites CloudFront offers is UNCONFIRMED, cloudfront-facts
    §2.1, §8.1), CloudFront's curves, its signature schemes plus RSA-PSS (which TLS 1.3 needs
    for RSA certificates)."""

    offered: list[str]  # the TLS 1.3 suites offered; empty when the offer could not be limited
    ok: bool
    cipher: str | None = None  # the suite the origin chose, when it completed
    error: str | None = None  # how it failed, when it did
    alert: str | None = None  # the alert the origin sent, when it sent one
    # When it failed: the suite the origin chose in a TLS 1.3 handshake offering every suite,
    # curve and signature scheme this machine can (None when that failed too), and how that
    # handshake failed.
    any_suite_cipher: str | None = None
    any_suite_error: str | None = None
    any_suite_alert: str | None = None
    attempts: list[TlsAttempt] = field(default_factory=list)


@dataclass(eq=False, repr=False)
class StalledHandshake(Record):
    """How far the origin's answer to the ClientHello got before the wait ran out."""

    received: int = 0  # bytes received (TLS records, as they came)
    server_hello: bool = False  # a whole ServerHello was among them
    certificate: bool = False  # a whole Certificate message was among them


@dataclass(eq=False, repr=False)
class TlsResult(Record):
    """The TLS handshakes with one address as CloudFront would make them, and what they showed."""

    status: Status
    reason: TlsReason | None = None
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
    # The answer to CloudFront's exact cipher list, offered byte by byte; None when not needed
    # (the OpenSSL handshake succeeded, or failed for a reason ciphers cannot explain).
    cipher_offer: CipherOffer | None = None
    # How the protocol and cipher were learned: "openssl" (a full handshake) or "cipher_offer"
    # (only the ServerHello to the byte-built ClientHello: the handshake could not be completed
    # here, so the HTTP layer did not run).
    negotiated_by: str | None = None
    chain: list[CertificateInfo] = field(default_factory=list)
    analysis: ChainAnalysis | None = None
    # Which handshake presented ``chain``: "cloudfront" (the faithful one), "cipher_offer" (the
    # server's first flight to a byte-built ClientHello) or "follow_up" (a handshake that found
    # out what the origin accepts, e.g. TLS 1.3 when only TLS 1.3 works: the certificate is
    # judged all the same, since CloudFront refuses a bad one whatever the protocol); and that
    # handshake's protocol. None when no handshake presented a certificate.
    chain_source: str | None = None
    chain_protocol: str | None = None
    # Why the presented certificates could not be judged (one that does not parse); None when
    # they were, or when none was presented.
    chain_problem: str | None = None
    # The protocol of the follow-up handshake the HTTP request was sent over, when the faithful
    # handshake failed but the origin completes another one CloudFront may make (TLS 1.3 on an
    # origin that accepts nothing older); None otherwise.
    http_over: str | None = None
    # The TLS 1.3 handshake CloudFront is believed to make (see ``Tls13Check``): tried when the
    # faithful handshake failed and the origin accepts TLS 1.3, or when it succeeded and the
    # origin's ServerHello said it also speaks TLS 1.3 (RFC 8446 §4.1.3); None when not tried.
    tls13: Tls13Check | None = None
    # The faithful handshake's ServerHello said the origin also speaks TLS 1.3 (RFC 8446
    # §4.1.3 downgrade marker), so ``tls13`` was checked beside the HTTP request.
    tls13_signalled: bool = False
    # The certificate status stapled to the handshake whose chain was judged; None when that
    # handshake did not ask for one (a ClientHello built byte by byte does not).
    ocsp: OcspStaple | None = None
    # With reason SNI_REFUSED: the server name the same handshake completed with ("" when it
    # completed without SNI); None otherwise.
    sni_accepted: str | None = None
    # With reason CERT_KEY_UNSUPPORTED: the server certificate's key ("ECDSA secp521r1",
    # "Ed25519"), from the handshake that completed with any curve; None otherwise.
    certificate_key: str | None = None
    # The origin's other certificate, when a handshake offering only the other key type's
    # suites got a different one; None when it has one certificate (or it was not asked).
    other_certificate: OtherCertificate | None = None
    attempts: list[TlsAttempt] = field(default_factory=list)
    duration_ms: float = 0.0
    cut: BudgetCut | None = None  # the budget ran out before CloudFront's limit did
    # When CloudFront's handshake got no complete answer in time: how far it got.
    stalled: StalledHandshake | None = None


@dataclass(eq=False, repr=False)
class HttpResult(Record):
    """The request CloudFront would send over the connection, and the origin's answer."""

    status: Status
    reason: HttpReason | None = None
    request_host: str | None = None
    path: str | None = None
    status_code: int | None = None
    reason_phrase: str | None = None
    server: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    first_bytes: str | None = None  # what came back when it was not HTTP
    # The start of the body of a 4xx/5xx answer: what the origin said (nginx's "No required SSL
    # certificate was sent"), or CloudFront's error page behind its marks (up to 8 KiB, for
    # the viewer-side reading); None for other statuses or when no body came.
    body_excerpt: str | None = None
    detail: str | None = None
    ttfb_ms: float | None = None
    duration_ms: float = 0.0
    # The final response's head as received, status line to blank line inclusive (None when
    # no response came; when ``head_cut``, the probe stopped reading at that many bytes).
    head_bytes: int | None = None
    head_cut: bool = False
    # The same head counted narrowly: header names and values only, no separators.
    header_field_bytes: int | None = None
    # Bytes of the largest header names' lines (all lines of a repeated name summed), at most
    # three, largest first: which headers make a big head big.
    largest_headers: dict[str, int] = field(default_factory=dict)
    # "100 Continue" interim responses received before the final response.
    continue_responses: int = 0
    # On a plain-HTTP port that failed or refused the request: whether a TLS handshake on a
    # new connection to the same port succeeds (None: not tried), and what it negotiated or
    # how it failed.
    port_speaks_tls: bool | None = None
    port_tls_detail: str | None = None
    cut: BudgetCut | None = None  # the budget ran out before CloudFront's limit did
    # When the status line was HTTP but a later part was not to h11's strict reading: which
    # part, h11's words ("illegal header line") and the line it rejected, when it named one.
    malformed: ResponsePart | None = None
    parser_said: str | None = None
    rejected_line: str | None = None
    # The body of the GET: bytes received, the Content-Length the head declared, whether it
    # ended as the head said (False: the origin closed or reset first, ``body_cut_by`` says
    # which; None: not read, or origin502 stopped reading before its end).
    body_bytes: int | None = None
    body_declared: int | None = None
    body_complete: bool | None = None
    body_cut_by: HttpReason | None = None
    body_stopped: BodyStop | None = None  # why origin502 stopped reading first, when it did
    # Valid HTTP/1.1 that origin502's parser cannot read (its own limit, not the origin's
    # fault): what it was, in a sentence; nothing is judged from the part it could not read.
    parser_limit: str | None = None


@dataclass(eq=False, repr=False)
class ConnectionProbe(Record):
    """One way CloudFront connects to one address: a scheme on a port."""

    scheme: str  # "https" or "http"
    port: int
    tcp: TcpResult
    tls: TlsResult | None  # None for http
    http: HttpResult
    timings_ms: dict[str, float] = field(default_factory=dict)  # connect / tls / first_byte
    transcript: list[str] = field(default_factory=list)


@dataclass(eq=False, repr=False)
class AddressReport(Record):
    """One address of the origin and the probes of each connection to it."""

    address: str
    family: str  # "ipv4" or "ipv6"
    private_reason: str | None = None  # why the address is not public, when it is not
    probes: list[ConnectionProbe] = field(default_factory=list)
