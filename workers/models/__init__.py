"""The contract shared by the probes, the diagnosis rules, the CLI and the bot.

Imports nothing else of the project.
"""

from workers.models.edge import FAMILY_LABELS, EdgeAnswer, EdgeErrorFamily, EdgeReading
from workers.models.findings import Finding, FindingCode, Severity
from workers.models.layers import Layer, LayerResult
from workers.models.report import (
    SCHEMA_VERSION,
    Report,
    TargetInfo,
    Verdict,
    verdict_for,
)
from workers.models.request import (
    ORIGIN_SSL_PROTOCOLS,
    DistributionLookup,
    OriginSettings,
    ProbeOptions,
    ProbeRequest,
)
from workers.models.results import (
    AddressReport,
    BudgetCut,
    CertificateInfo,
    ChainAnalysis,
    ChainBreak,
    CipherOffer,
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
    ValidatorVerdict,
)

__all__ = [
    "FAMILY_LABELS",
    "ORIGIN_SSL_PROTOCOLS",
    "SCHEMA_VERSION",
    "AddressReport",
    "BudgetCut",
    "CertificateInfo",
    "ChainAnalysis",
    "ChainBreak",
    "CipherOffer",
    "ConnectionProbe",
    "DistributionLookup",
    "DnsReason",
    "DnsResult",
    "DnsWalk",
    "EdgeAnswer",
    "EdgeErrorFamily",
    "EdgeReading",
    "Finding",
    "FindingCode",
    "HttpReason",
    "HttpResult",
    "Layer",
    "LayerResult",
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
    "ValidatorVerdict",
    "Verdict",
    "verdict_for",
]
