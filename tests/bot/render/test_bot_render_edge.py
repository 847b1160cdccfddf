"""Slack rendering of a report whose target is CloudFront's edge: the viewer-side reading is in
the summary, the status verdict and the evidence. Pure rendering, no network."""

from __future__ import annotations

import json

from bot.render.evidence import evidence_messages
from bot.render.result import result_messages
from bot.render.status import status_message
from tests.bot.render.test_bot_render import check_limits
from tests.bot.reports import report, run
from tests.support.cloudfront_edge import POP, REQUEST_ID, VIA, error_page
from workers.diagnosis import diagnose_findings
from workers.diagnosis.edge import edge_reading
from workers.models import verdict_for

HEADERS = {"x-cache": "Error from cloudfront", "via": VIA, "x-amz-cf-pop": POP,
           "x-amz-cf-id": REQUEST_ID}


def edge_report():
    r = report(fail=False)
    http = r.addresses[0].probes[0].http
    http.status_code, http.reason_phrase, http.headers = 502, "Bad Gateway", HEADERS
    http.body_excerpt = error_page(502, "CloudFront wasn't able to resolve the origin domain "
                                        "name.")
    r.dns.cname_chain = ["d111111abcdef8.cloudfront.net"]
    r.edge = edge_reading(r)
    r.findings = diagnose_findings(r)
    r.verdict = verdict_for(r.findings)
    return r


def test_summary_and_finding_show_the_viewer_side_reading():
    r = edge_report()
    messages = result_messages(r)
    check_limits(messages)
    text = json.dumps([m.payload() for m in messages], ensure_ascii=False)
    assert ("*Viewer side* (CloudFront's edge): 502 · X-Cache: Error from cloudfront · edge "
            f"location {POP} · request id {REQUEST_ID} · DNS error (NonS3OriginDnsError) "
            "(uncertain)") in text
    assert "TARGET_IS_CLOUDFRONT" in text
    assert "ORIGIN_RETURNED_ERROR" not in text
    assert "cloudfront:GetCachePolicy" in text
    assert "treat it as likely, not certain" in text


def test_status_message_says_the_edge_answers_502_not_that_cloudfront_would():
    r = edge_report()
    message = status_message(run("done"), r)
    text = json.dumps(message.payload(), ensure_ascii=False)
    assert "CloudFront's edge answers 502" in text
    assert "CloudFront would answer 502" not in text


def test_evidence_lists_how_the_edge_was_recognised_and_its_answer():
    messages = evidence_messages(edge_report())
    check_limits(messages)
    text = json.dumps([m.payload() for m in messages], ensure_ascii=False)
    assert ("*CloudFront's edge* (recognised by cname, headers; `d111111abcdef8.cloudfront.net`)"
            in text)
    assert f"Via: `{VIA}`" in text
    assert "read from: CloudFront wasn't able to resolve the origin domain name." in text
