"""The contract shared by the probes, the diagnosis rules, the CLI and the bot.

Imports nothing else of the project.
"""

from workers.models.report import (
    SCHEMA_VERSION,
    SEVERITY_RANK_BY_NAME,
    Finding,
    Report,
    Severity,
    TargetInfo,
    Verdict,
    verdict_for,
)
from workers.models.request import (
    ORIGIN_SSL_PROTOCOLS,
    PROTOCOL_POLICIES,
    OriginSettings,
    ProbeOptions,
    ProbeRequest,
)
from workers.models.results import (
    AddressReport,
    CertificateInfo,
    ChainAnalysis,
    ConnectionProbe,
    DnsReason,
    DnsResult,
    DnsWalk,
    HttpReason,
    HttpResult,
    NameServerCheck,
    NameServerOutcome,
    Status,
    TcpReason,
    TcpResult,
    TlsAttempt,
    TlsReason,
    TlsResult,
)

__all__ = [
    "ORIGIN_SSL_PROTOCOLS",
    "PROTOCOL_POLICIES",
    "SCHEMA_VERSION",
    "SEVERITY_RANK_BY_NAME",
    "AddressReport",
    "CertificateInfo",
    "ChainAnalysis",
    "ConnectionProbe",
    "DnsReason",
    "DnsResult",
    "DnsWalk",
    "Finding",
    "HttpReason",
    "HttpResult",
    "NameServerCheck",
    "NameServerOutcome",
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
    "Verdict",
    "verdict_for",
]
