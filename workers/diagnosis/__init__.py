"""Turn measured facts into findings: pure rules, no I/O."""

from __future__ import annotations

import datetime as dt

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


def diagnose_findings(report: Report, now: dt.datetime | None = None) -> list[Finding]:
    """Every finding for the report, most severe first, in rule order within a severity."""
    now = now or dt.datetime.now(dt.UTC)
    findings: list[Finding] = []
    for rule in RULES:
        findings.extend(rule(report, now))
    findings.extend(rule_some_addresses_failing(report, now, findings))
    findings = _merge(findings, len(report.addresses))
    return sorted(findings, key=lambda f: SEVERITY_RANK_BY_NAME.get(f.severity, 9))
