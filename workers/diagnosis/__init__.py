"""Turn measured facts into findings: pure rules, no I/O."""

from __future__ import annotations

import datetime as dt

from workers.diagnosis import catalog
from workers.diagnosis.draft import Draft, Note, merge
from workers.diagnosis.edge import rule_target_is_cloudfront, set_aside_against_edge
from workers.diagnosis.render import word
from workers.diagnosis.rules import RULES, rule_some_addresses_failing
from workers.models import Finding, Report, Severity


def _downgrade_unused_families(report: Report, drafts: list[Draft]) -> None:
    """A broken IPv6 address does not cause 502s while CloudFront connects over IPv4 only
    (the default), and the reverse; say so instead of calling it an error."""
    families = {a.address: a.family for a in report.addresses}
    for d in drafts:
        family = families.get(d.address or "")
        if family is None or report.target.uses_family(family) or d.severity != Severity.ERROR:
            continue
        d.severity = Severity.WARNING
        d.notes.append(Note(catalog.UNUSED_FAMILY_NOTE, {
            "family": catalog.FAMILY_LABELS.get(family, family),
            "kind": report.target.ip_address_type}))


def diagnose_findings(report: Report, now: dt.datetime | None = None) -> list[Finding]:
    """Every finding for the report, most severe first, in rule order within a severity."""
    now = now or dt.datetime.now(dt.UTC)
    # The edge finding goes first so that it leads among findings of its severity.
    drafts: list[Draft] = rule_target_is_cloudfront(report, now)
    for rule in RULES:
        drafts.extend(rule(report, now))
    drafts = set_aside_against_edge(drafts)
    _downgrade_unused_families(report, drafts)
    drafts.extend(rule_some_addresses_failing(report, now, drafts))
    findings = [word(d, len(report.addresses)) for d in merge(drafts)]
    return sorted(findings, key=lambda f: f.severity.rank)
