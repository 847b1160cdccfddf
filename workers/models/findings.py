"""The vocabulary of a diagnosis: how serious a finding is, which cause it names, and the
finding itself. The wording of each code lives in ``workers.diagnosis.catalog``."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from workers.models.record import Record


class Severity(StrEnum):
    """Declared most severe first: that order is the ranking (see ``rank``)."""

    # Viewers get an error because of it: CloudFront's 502 (or 504), or the origin's own error
    # status, which CloudFront passes on.
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for the most severe; findings are listed by it."""
        return _SEVERITY_ORDER.index(self)


_SEVERITY_ORDER: tuple[Severity, ...] = tuple(Severity)


class FindingCode(StrEnum):
    """Every cause origin502 can name. The value is the stable code in the JSON, the CLI and
    Slack; the catalog holds one entry per member and the README one row."""

    # DNS and the origin's addresses
    DNS_RESOLUTION_FAILED = "DNS_RESOLUTION_FAILED"
    DNS_TIMEOUT = "DNS_TIMEOUT"
    DNS_SLOW = "DNS_SLOW"
    DNS_DANGLING_CNAME = "DNS_DANGLING_CNAME"
    DNS_DNSSEC_FAILED = "DNS_DNSSEC_FAILED"
    DNS_NAMESERVER_FAILING = "DNS_NAMESERVER_FAILING"
    DNS_LAME_DELEGATION = "DNS_LAME_DELEGATION"
    DNS_SERVERS_DISAGREE = "DNS_SERVERS_DISAGREE"
    ADDRESS_FAMILY_NOT_USED = "ADDRESS_FAMILY_NOT_USED"
    ORIGIN_IS_IP_ADDRESS = "ORIGIN_IS_IP_ADDRESS"
    ORIGIN_PRIVATE_ADDRESS = "ORIGIN_PRIVATE_ADDRESS"
    ADDRESS_NOT_ALLOWED = "ADDRESS_NOT_ALLOWED"
    ADDRESS_UNCONNECTABLE = "ADDRESS_UNCONNECTABLE"
    # TCP
    PORT_CLOSED = "PORT_CLOSED"
    PORT_TIMEOUT = "PORT_TIMEOUT"
    PORT_UNREACHABLE = "PORT_UNREACHABLE"
    PORT_NOT_ALLOWED = "PORT_NOT_ALLOWED"
    # TLS handshake
    TLS_NOT_SPOKEN = "TLS_NOT_SPOKEN"
    TLS_PROTOCOL_UNSUPPORTED = "TLS_PROTOCOL_UNSUPPORTED"
    TLS13_ONLY = "TLS13_ONLY"
    TLS13_OFFER_REFUSED = "TLS13_OFFER_REFUSED"
    TLS_CIPHER_UNSUPPORTED = "TLS_CIPHER_UNSUPPORTED"
    TLS_CURVE_UNSUPPORTED = "TLS_CURVE_UNSUPPORTED"
    TLS_CLIENT_CERT_REQUIRED = "TLS_CLIENT_CERT_REQUIRED"
    TLS_CLIENT_CERT_REQUESTED = "TLS_CLIENT_CERT_REQUESTED"
    TLS_WEAK_CIPHER = "TLS_WEAK_CIPHER"
    TLS_HANDSHAKE_FAILED = "TLS_HANDSHAKE_FAILED"
    TLS_HANDSHAKE_TIMEOUT = "TLS_HANDSHAKE_TIMEOUT"
    TLS_HANDSHAKE_SLOW = "TLS_HANDSHAKE_SLOW"
    TLS_SNI_REFUSED = "TLS_SNI_REFUSED"
    TLS_UNVERIFIABLE_HERE = "TLS_UNVERIFIABLE_HERE"
    # Certificates
    CERT_HOSTNAME_MISMATCH = "CERT_HOSTNAME_MISMATCH"
    CERT_NAME_MATCH_UNCERTAIN = "CERT_NAME_MATCH_UNCERTAIN"
    CERT_EXPIRED = "CERT_EXPIRED"
    CERT_NOT_YET_VALID = "CERT_NOT_YET_VALID"
    CERT_EXPIRES_SOON = "CERT_EXPIRES_SOON"
    CERT_REVOKED = "CERT_REVOKED"
    CERT_MUST_STAPLE_MISSING = "CERT_MUST_STAPLE_MISSING"
    CERT_OCSP_STAPLE_UNUSABLE = "CERT_OCSP_STAPLE_UNUSABLE"
    CERT_SELF_SIGNED = "CERT_SELF_SIGNED"
    CERT_UNTRUSTED_ROOT = "CERT_UNTRUSTED_ROOT"
    CERT_CHAIN_INCOMPLETE = "CERT_CHAIN_INCOMPLETE"
    CERT_WRONG_INTERMEDIATE = "CERT_WRONG_INTERMEDIATE"
    CERT_CHAIN_ORDER = "CERT_CHAIN_ORDER"
    CERT_EXTRA_CERTIFICATES = "CERT_EXTRA_CERTIFICATES"
    CERT_RSA_KEY_TOO_LARGE = "CERT_RSA_KEY_TOO_LARGE"
    CERT_WEAK_KEY = "CERT_WEAK_KEY"
    CERT_KEY_TYPE_UNCERTAIN = "CERT_KEY_TYPE_UNCERTAIN"
    CERT_KEY_UNSUPPORTED = "CERT_KEY_UNSUPPORTED"
    CERT_KEY_USAGE_MISMATCH = "CERT_KEY_USAGE_MISMATCH"
    CERT_SHA1_SIGNATURE = "CERT_SHA1_SIGNATURE"
    CERT_MD5_SIGNATURE = "CERT_MD5_SIGNATURE"
    CERT_RSA_KEY_TOO_SMALL = "CERT_RSA_KEY_TOO_SMALL"
    CERT_MESSAGE_TOO_LARGE = "CERT_MESSAGE_TOO_LARGE"
    CERT_CHAIN_CUT = "CERT_CHAIN_CUT"
    CERT_REJECTED_BY_VALIDATOR = "CERT_REJECTED_BY_VALIDATOR"
    TRUSTED_VIA_CA_FILE = "TRUSTED_VIA_CA_FILE"
    # HTTP
    ORIGIN_CLOSED_CONNECTION = "ORIGIN_CLOSED_CONNECTION"
    HTTP_KEEPALIVE_SHORTER = "HTTP_KEEPALIVE_SHORTER"
    ORIGIN_RESPONSE_TIMEOUT = "ORIGIN_RESPONSE_TIMEOUT"
    ORIGIN_RESPONSE_STALLED = "ORIGIN_RESPONSE_STALLED"
    HTTP_INVALID_RESPONSE = "HTTP_INVALID_RESPONSE"
    HTTP_RESPONSE_MALFORMED = "HTTP_RESPONSE_MALFORMED"
    HTTP_RESPONSE_TRUNCATED = "HTTP_RESPONSE_TRUNCATED"
    HTTP_STATUS_INVALID = "HTTP_STATUS_INVALID"
    HTTP_PORT_SPEAKS_TLS = "HTTP_PORT_SPEAKS_TLS"
    HTTP_SECOND_100_CONTINUE = "HTTP_SECOND_100_CONTINUE"
    HTTP_HEADERS_TOO_LARGE = "HTTP_HEADERS_TOO_LARGE"
    ORIGIN_RETURNED_ERROR = "ORIGIN_RETURNED_ERROR"
    ORIGIN_RETURNED_CLIENT_ERROR = "ORIGIN_RETURNED_CLIENT_ERROR"
    HTTP_REDIRECT_LOOP = "HTTP_REDIRECT_LOOP"
    # The target as a whole
    TARGET_IS_CLOUDFRONT = "TARGET_IS_CLOUDFRONT"
    SOME_ADDRESSES_FAILING = "SOME_ADDRESSES_FAILING"
    ADDRESSES_NOT_ALL_PROBED = "ADDRESSES_NOT_ALL_PROBED"


@dataclass(eq=False, repr=False)
class Finding(Record):
    """One named cause, with the measured evidence and what to change."""

    code: FindingCode
    severity: Severity
    summary: str
    address: str | None = None
    title: str = ""  # the catalog's short name of the cause, for one-line displays
    remediation: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    # Set when the rule rests on something AWS does not document clearly; the wording says so.
    uncertain: bool = False
    evidence: dict[str, Any] = field(default_factory=dict)
