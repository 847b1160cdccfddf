"""The contract shared by the probes, the diagnosis rules, the CLI and the bot.

Imports nothing else of the project.
"""

from workers.models.edge import FAMILY_LABELS, EdgeAnswer, EdgeErrorFamily, EdgeReading
from workers.models.report import (
    SCHEMA_VERSION,
    SEVERITY_RANK_BY_NAME,
    Finding,
    Report,
    Severity,
    TargetInfo,
    verdict_for,
)
from workers.models.request import (
    ORIGIN_SSL_PROTOCOLS,
    PROTOCOL_POLICIES,
    DistributionLookup,
    OriginSettings,
    ProbeOptions,
    ProbeRequest,
)
from workers.models.results import (
    AddressReport,
    CertificateInfo,
    ChainAnalysis,
    CipherOffer,
    ConnectionProbe,
    DnsReason,
    DnsResult,
    HttpReason,
    HttpResult,
    Status,
    TcpReason,
    TcpResult,
    TlsAttempt,
    TlsReason,
    TlsResult,
    ValidatorVerdict,
)

__all__ = [
    "FAMILY_LABELS",
    "ORIGIN_SSL_PROTOCOLS",
    "PROTOCOL_POLICIES",
    "SCHEMA_VERSION",
    "SEVERITY_RANK_BY_NAME",
    "AddressReport",
    "CertificateInfo",
    "ChainAnalysis",
    "CipherOffer",
    "ConnectionProbe",
    "DistributionLookup",
    "DnsReason",
    "DnsResult",
    "EdgeAnswer",
    "EdgeErrorFamily",
    "EdgeReading",
    "Finding",
    "HttpReason",
    "HttpResult",
    "OriginSettings",
    "ProbeOptions",
    "ProbeRequest",
    "Report",
    "Severity",
    "Status",
    "TargetInfo",
    "TcpReason",
    "TcpResult",
    "TlsAttempt",
    "TlsReason",
    "TlsResult",
    "ValidatorVerdict",
    "verdict_for",
]
