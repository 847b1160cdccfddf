"""The outcome of one diagnosis: findings first, then everything that was measured."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from workers.models.edge import EdgeReading
from workers.models.findings import Finding, Severity
from workers.models.record import Record
from workers.models.results import AddressReport, DnsResult
from workers.models.serialize import from_dict, to_dict

SCHEMA_VERSION = 1


class Verdict(StrEnum):
    """What a report concludes, in the order a reader should fear them."""

    # At least one error finding: viewers get an error (CloudFront's 502 or 504, or the
    # origin's own 5xx passed on).
    FAIL = "fail"
    UNKNOWN = "unknown"  # something that matters could not be measured from here
    WARN = "warn"
    OK = "ok"


@dataclass(eq=False, repr=False)
class TargetInfo(Record):
    """The origin probed and the CloudFront settings it was probed with."""

    hostname: str
    display: str
    is_ip_literal: bool
    sni: str
    host_header: str
    protocol_policy: str
    https_port: int
    http_port: int
    origin_ssl_protocols: list[str]
    path: str
    connect_timeout: float
    connection_attempts: int
    read_timeout: float
    ip_address_type: str = "ipv4"
    keepalive_timeout: float = 5.0  # CloudFront's origin keep-alive timeout

    def uses_family(self, family: str) -> bool:
        """Whether CloudFront would connect over ``family`` ("ipv4" or "ipv6")."""
        return self.ip_address_type in ("dualstack", family)


@dataclass(eq=False, repr=False)
class Report(Record):
    """A whole diagnosis: the target, the verdict, the findings and what each probe saw."""

    target: TargetInfo
    verdict: Verdict
    findings: list[Finding]
    dns: DnsResult
    addresses: list[AddressReport]
    started_at: str
    duration_ms: float
    schema: int = SCHEMA_VERSION
    # Why something that matters could not be measured from here (the local resolver is down
    # or does not see public DNS, no route from this machine, deadline hit...). Without an
    # error finding this makes the verdict ``unknown`` (exit status 3).
    probe_error: str | None = None
    trust_note: str | None = None  # set when --ca-file roots were used
    timings_ms: dict[str, float] = field(default_factory=dict)
    tool_version: str = ""
    # Addresses DNS gave but the probe left out (a name with more than the engine probes).
    addresses_not_probed: list[str] = field(default_factory=list)
    # Set when the target is CloudFront's edge rather than an origin (see models.edge); left
    # out of the JSON when None, so an origin's report keeps its schema-1 shape.
    edge: EdgeReading | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.ERROR]

    @property
    def primary(self) -> Finding | None:
        """The finding to lead with: the first error, else the first warning."""
        return self.findings[0] if self.findings else None

    def to_dict(self) -> dict[str, Any]:
        data = to_dict(self)
        # Keep the documented key order: schema, target, verdict, findings, addresses, ...
        ordered = {k: data.pop(k) for k in ("schema", "target", "verdict", "findings", "addresses")}
        if data.get("edge") is None:
            data.pop("edge", None)
        if not data.get("addresses_not_probed"):
            data.pop("addresses_not_probed", None)
        ordered.update(data)
        return ordered

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        return from_dict(cls, data)


def verdict_for(findings: list[Finding], probe_error: str | None = None) -> Verdict:
    """``fail`` on any error finding (it was measured, so it is true whatever else could not
    be); otherwise ``unknown`` when something could not be checked: never ``ok`` or ``warn``
    on a report that measured nothing."""
    severities = {f.severity for f in findings}
    if Severity.ERROR in severities:
        return Verdict.FAIL
    if probe_error:
        return Verdict.UNKNOWN
    if Severity.WARNING in severities:
        return Verdict.WARN
    return Verdict.OK
