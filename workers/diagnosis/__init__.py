"""Turn measured facts into findings: pure rules, no I/O."""

from __future__ import annotations

import datetime as dt

from workers.diagnosis.edge import rule_target_is_cloudfront, set_aside_against_edge
from workers.diagnosis.rules import RULES, rule_some_addresses_failing
from workers.models import SEVERITY_RANK_BY_NAME, Finding, Report


def _merge(findings: list[Finding], total_addresses: int) -> list[Finding]:
    """One finding per cause: the same code and evidence on several addresses become one."""
    merged: dict[tuple[str, str], Finding] = {}
    order: list[tuple[str, str]] = []
    for f in findings:
        # The address appears in most summaries; compare them without it.
        key = (f.code, f.summary.replace(f.address, "<addr>") if f.address else f.summary)
        if key in merged:
            first = merged[key]
            addresses = first.evidence.setdefault("addresses", [first.address])
            if f.address not in addresses:
                addresses.append(f.address)
            continue
        merged[key] = f
        order.append(key)
    out = []
    for key in order:
        f = merged[key]
        addresses = f.evidence.get("addresses")
        if addresses and len(addresses) > 1:
            scope = "all" if len(addresses) == total_addresses else f"{len(addresses)} of"
            f.summary = (f.summary.replace(f.address or "", "<addr>").replace(
                "<addr>", "each address") + f" ({scope} {total_addresses} addresses: "
                f"{', '.join(addresses)})")
            f.address = None
        out.append(f)
    return out


def _downgrade_unused_families(report: Report, findings: list[Finding]) -> None:
    """A broken IPv6 address does not cause 502s while CloudFront connects over IPv4 only
    (the default), and the reverse; say so instead of calling it an error."""
    families = {a.address: a.family for a in report.addresses}
    for f in findings:
        family = families.get(f.address or "")
        if family is None or report.target.uses_family(family) or f.severity != "error":
            continue
        f.severity = "warning"
        label = "IPv6" if family == "ipv6" else "IPv4"
        f.summary += (f" CloudFront does not use {label} addresses with the origin IP address "
                      f"type {report.target.ip_address_type}, so this causes no 502 today; it "
                      "will once that setting includes them.")


def diagnose_findings(report: Report, now: dt.datetime | None = None) -> list[Finding]:
    """Every finding for the report, most severe first, in rule order within a severity."""
    now = now or dt.datetime.now(dt.UTC)
    # The edge finding goes first so that it leads among findings of its severity.
    findings: list[Finding] = rule_target_is_cloudfront(report, now)
    for rule in RULES:
        findings.extend(rule(report, now))
    findings = set_aside_against_edge(findings)
    _downgrade_unused_families(report, findings)
    findings.extend(rule_some_addresses_failing(report, now, findings))
    findings = _merge(findings, len(report.addresses))
    return sorted(findings, key=lambda f: SEVERITY_RANK_BY_NAME.get(f.severity, 9))
