"""Turn measured facts into findings: pure rules, no I/O."""

from __future__ import annotations

import datetime as dt

from workers.diagnosis import catalog
from workers.diagnosis.coverage import not_connected_here, not_looked_at
from workers.diagnosis.draft import Draft, Note, merge
from workers.diagnosis.edge import rule_target_is_cloudfront, set_aside_against_edge
from workers.diagnosis.render import word
from workers.diagnosis.rules import RULES, rule_some_addresses_failing
from workers.models import Finding, Report, Severity, verdict_for


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


def conclude(report: Report, now: dt.datetime | None = None) -> None:
    """Fill in the report's findings and verdict: the one place a verdict is decided.

    Without an error finding, a connection CloudFront would make that was not looked at all
    the way up (no certificate judged, no HTTP answer, see ``coverage``) sets ``probe_error``
    when nothing else did, so that the verdict can never be ``ok`` or ``warn`` on a layer that
    did not look: it is ``unknown`` with that reason. An error finding makes it ``fail``
    whatever was not looked at (what was measured is true), and leaves ``probe_error`` alone."""
    if report.probe_error is None:
        report.probe_error = not_connected_here(report)
    report.findings = diagnose_findings(report, now)
    if report.probe_error is None and not any(f.severity == Severity.ERROR
                                              for f in report.findings):
        report.probe_error = not_looked_at(report)
    report.verdict = verdict_for(report.findings, report.probe_error)
