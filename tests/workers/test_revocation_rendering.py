"""A revoked certificate, found in the stapled OCSP response, reads the same in the terminal,
the JSON, Slack's thread and the provisional verdicts: said plainly, marked uncertain (whether
CloudFront checks revocation is not documented), and never as "502 expected". The findings
come from the real rules on a hand-built report; no network."""

from __future__ import annotations

import dataclasses
import json

from rich.console import Console

from bot.render.result import result_messages
from bot.render.status import provisional_section
from tests.bot.reports import report
from tests.workers.diagnosis.test_rules import NOW
from workers.diagnosis import diagnose_findings
from workers.models import OcspStaple, Report, verdict_for
from workers.models.provisional import Provisional
from workers.terminal import render_report
from workers.terminal_live import provisional_text

REVOKED = OcspStaple(stapled=True, response_status="successful", cert_status="revoked",
                     serial="a1b", for_this_certificate=True,
                     this_update="2026-11-23T00:00:00Z", next_update="2026-11-30T00:00:00Z",
                     revoked_at="2026-11-20T08:30:00Z", revocation_reason="keyCompromise",
                     signature="verified", signed_by="CN=Example Issuing CA")


def revoked_report() -> Report:
    r = report(fail=False)
    tls = r.addresses[0].probes[0].tls
    assert tls is not None
    # A current certificate, stapled as revoked.
    tls.chain = [dataclasses.replace(c, not_after="2027-06-01T00:00:00Z") for c in tls.chain]
    tls.ocsp = REVOKED
    findings = [f for f in diagnose_findings(r, NOW) if f.code == "CERT_REVOKED"]
    assert findings, [f.code for f in diagnose_findings(r, NOW)]
    return dataclasses.replace(r, findings=findings, verdict=verdict_for(findings))


def test_the_terminal_says_revoked_uncertain_and_warns():
    console = Console(record=True, width=200, highlight=False)
    render_report(revoked_report(), console)
    text = console.export_text()
    assert text.splitlines()[0].startswith("WARN  origin.example.com")
    assert "▲ warning CERT_REVOKED (uncertain) 192.0.2.10" in text
    assert "was revoked on 2026-11-20 08:30 UTC (reason: keyCompromise)" in text
    assert "FAIL" not in text


def test_the_json_carries_the_finding_and_the_staple_and_reads_back():
    data = json.loads(json.dumps(revoked_report().to_dict()))
    (finding,) = data["findings"]
    assert (finding["code"], finding["severity"], finding["uncertain"]) == (
        "CERT_REVOKED", "warning", True)
    assert data["addresses"][0]["probes"][0]["tls"]["ocsp"]["revocation_reason"] == \
        "keyCompromise"
    back = Report.from_dict(data)
    tls = back.addresses[0].probes[0].tls
    assert tls is not None and tls.ocsp == REVOKED


def test_slack_shows_the_finding_with_its_doubt():
    thread = json.dumps([m.payload() for m in result_messages(revoked_report())],
                        ensure_ascii=False)
    assert "*CERT_REVOKED*" in thread and "keyCompromise" in thread
    assert "AWS does not document this clearly" in thread


def test_a_provisional_verdict_leads_with_it_in_slack_and_the_terminal():
    found = Provisional(revoked_report(), "first attempt timed out; 2 more attempts running…")
    line, words = provisional_section(found)
    assert "*Provisional*" in line and "keyCompromise" in line
    # Whether CloudFront checks revocation is not documented: never "works, with warnings".
    assert words.startswith("provisional: probably works, 502 not ruled out: The server "
                            "certificate")
    text = provisional_text(found).plain
    assert text.startswith("Provisional verdict: WARN — CloudFront can probably connect — 1 "
                           "point could cause 502 and can't be confirmed: the certificate is "
                           "revoked")
