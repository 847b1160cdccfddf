"""When the target is CloudFront's edge rather than an origin: recognise it, read what the edge
answered as a viewer sees it, and keep origin-only findings from being raised against it.
Pure functions over a measured report; no I/O.

People type what they see in an incident — the site, or a ``*.cloudfront.net`` name — and the
probe then reaches the edge, not the origin. The edge's 502 is CloudFront's verdict about the
origin, so it is never reported as "the origin answers 502", and the TCP/TLS/HTTP checks that
judge an origin are set aside (listed in the evidence) rather than blamed on AWS's edge.
"""

from __future__ import annotations

import datetime as dt

from workers.diagnosis import catalog
from workers.diagnosis.catalog import Shape
from workers.diagnosis.draft import Draft, Facts, Note, draft
from workers.diagnosis.render import say
from workers.models import (
    EdgeAnswer,
    EdgeReading,
    FindingCode,
    Report,
    Severity,
    Status,
)
from workers.models.edge import EdgeErrorFamily, cloudfront_marks

CODE = FindingCode.TARGET_IS_CLOUDFRONT
CLOUDFRONT_SUFFIX = ".cloudfront.net"
# Findings about an address that still hold when that address is the edge: why it was not
# probed at all.
KEPT_AGAINST_EDGE = frozenset({FindingCode.ADDRESS_NOT_ALLOWED})
# The edge's HTTP answer itself, which the viewer-side reading replaces: never "the origin's".
REPLACED_BY_READING = frozenset({FindingCode.ORIGIN_RETURNED_ERROR,
                                 FindingCode.HTTP_STATUS_INVALID,
                                 FindingCode.ORIGIN_RETURNED_CLIENT_ERROR})


def cloudfront_name(hostname: str, cname_chain: list[str]) -> str | None:
    """The first ``*.cloudfront.net`` name among the target and its CNAME chain."""
    for name in (hostname, *cname_chain):
        if name.lower().rstrip(".").endswith(CLOUDFRONT_SUFFIX):
            return name.lower().rstrip(".")
    return None


def edge_reading(report: Report) -> EdgeReading | None:
    """What shows the target is CloudFront's edge, and each address's answer; None when
    nothing does (an origin)."""
    target = report.target
    named = None if target.is_ip_literal else cloudfront_name(target.hostname,
                                                               report.dns.cname_chain)
    reading = EdgeReading(cloudfront_name=named)
    if named is not None:
        reading.detected_by.append("name" if named == target.hostname.lower() else "cname")
    marked = False
    for address in report.addresses:
        for probe in address.probes:
            http = probe.http
            if http.status_code is None:
                continue
            marks = cloudfront_marks(http.headers)
            marked = marked or bool(marks)
            if marks or named is not None:
                # Only an answer from CloudFront is read as a page (start-up time of the CLI).
                from workers.diagnosis.edge_page import read_answer

                reading.answers.append(read_answer(address.address, http.status_code,
                                                   http.headers, http.body_excerpt))
    if marked:
        reading.detected_by.append("headers")
    return reading if reading.detected_by else None


def _how(reading: EdgeReading) -> str:
    parts = []
    if "name" in reading.detected_by:
        parts.append(say(catalog.EDGE_BY_NAME, cloudfront_name=reading.cloudfront_name))
    elif "cname" in reading.detected_by:
        parts.append(say(catalog.EDGE_BY_CNAME, cloudfront_name=reading.cloudfront_name))
    if "headers" in reading.detected_by:
        marks = sorted({m for a in reading.answers for m in a.marks})
        parts.append(say(catalog.EDGE_BY_HEADERS, marks=", ".join(marks)))
    return " and ".join(parts)


def _observed(answer: EdgeAnswer) -> str:
    bits = [say(catalog.EDGE_X_CACHE, x_cache=answer.x_cache) if answer.x_cache
            else catalog.EDGE_NO_X_CACHE]
    if answer.pop:
        bits.append(say(catalog.EDGE_POP, pop=answer.pop))
    if answer.request_id:
        bits.append(say(catalog.EDGE_REQUEST_ID, request_id=answer.request_id))
    return ", ".join(bits)


def _connection_failure(report: Report) -> str | None:
    for address in report.addresses:
        for probe in address.probes:
            for layer in (probe.tcp, probe.tls, probe.http):
                if layer is not None and layer.status in (Status.FAILED, Status.ERROR):
                    return say(catalog.EDGE_CONNECTION_FAILURE, address=address.address,
                               port=probe.port,
                               detail=layer.detail or layer.reason or str(layer.status))
    return None


def _unseen(report: Report) -> str:
    """Why what viewers get could not be seen, when no answer from the edge was measured."""
    failure = _connection_failure(report)
    if not report.dns.addresses:
        # A CNAME to a *.cloudfront.net name that does not resolve: no edge to ask (the
        # DNS finding says why); never guess what viewers get.
        reason = report.dns.reason
        why = catalog.EDGE_DNS_FAILURES.get(reason) if reason is not None else None
        return say(catalog.EDGE_UNRESOLVED, why=why or catalog.EDGE_DNS_NO_ANSWER)
    if failure:
        return say(catalog.EDGE_SILENT, failure=failure)
    return catalog.EDGE_UNMEASURED


def rule_target_is_cloudfront(report: Report, _now: dt.datetime) -> list[Draft]:
    reading = report.edge if report.edge is not None else edge_reading(report)
    if reading is None:
        return []
    target = report.target
    answer = reading.worst
    words: Facts = {"display": target.display, "how": _how(reading), "path": target.path}
    if answer is None:
        d = draft(CODE, None, Shape.EDGE_UNSEEN, host=target.host_header,
                  family_step=catalog.EDGE_STEP_UNSEEN,
                  cloudfront_name=reading.cloudfront_name or "").worded(**words,
                                                                        seen=_unseen(report))
        d.severity = Severity.WARNING
        return [d]
    code = answer.status_code or 0
    fill: Facts = {
        "host": target.host_header, "status": code, "x_cache": answer.x_cache or "",
        "pop": answer.pop or "", "request_id": answer.request_id or "",
        "cloudfront_name": reading.cloudfront_name or "",
        "detected_by": list(reading.detected_by),
    }
    words["observed"] = _observed(answer)
    if code < 500:
        d = draft(CODE, None, Shape.EDGE_ANSWERS, family_step=catalog.EDGE_STEP_NOTHING,
                  **fill).worded(**words)
        d.severity = Severity.INFO
        return [d]
    family = answer.family or EdgeErrorFamily.UNRECOGNISED
    matched = answer.matched
    others = sorted({a.status_code for a in reading.answers if a.status_code != code}, key=str)
    words.update({
        # A family a newer writer added has no words here: say its name.
        "family_words": catalog.EDGE_FAMILY_WORDS.get(family, family),
        "who": (catalog.EDGE_FROM_CLOUDFRONT if answer.generated_by_cloudfront
                else catalog.EDGE_FROM_EDGE),
        "quoted": (say(catalog.EDGE_PAGE_SAYS, sentence=matched.rstrip("."))
                   if matched and not matched.startswith(("X-Cache", "status", "Server"))
                   else ""),
        "hedge": catalog.EDGE_HEDGE if answer.family_uncertain else "",
        "mixed": (say(catalog.EDGE_MIXED, statuses=", ".join(map(str, others)))
                  if others else ""),
    })
    step = catalog.EDGE_FAMILY_STEPS.get(
        family, catalog.EDGE_FAMILY_STEPS[EdgeErrorFamily.UNRECOGNISED])
    step = say(step, status=code,
               pop_hint=say(catalog.EDGE_POP_HINT, pop=answer.pop) if answer.pop else "",
               request_hint=(say(catalog.EDGE_REQUEST_HINT, request_id=answer.request_id)
                             if answer.request_id else ""))
    d = draft(CODE, None, family_step=step, family=str(family),
              matched=matched or "", **fill).worded(**words)
    d.uncertain = answer.family_uncertain
    d.lead_link = catalog.EDGE_FAMILY_LINKS.get(family)
    return [d]


def set_aside_against_edge(drafts: list[Draft]) -> list[Draft]:
    """Drop the findings that judge an origin's connection when the target is the edge; the
    TARGET_IS_CLOUDFRONT finding lists them in its evidence, so nothing measured is lost."""
    edge = next((d for d in drafts if d.code == CODE), None)
    if edge is None:
        return drafts
    kept: list[Draft] = []
    aside: dict[str, Severity] = {}
    for d in drafts:
        if d.address is None or d.code in KEPT_AGAINST_EDGE:
            kept.append(d)
        elif d.code not in REPLACED_BY_READING:
            item = say(catalog.EDGE_SET_ASIDE_ITEM, code=d.code, address=d.address)
            aside.setdefault(item, d.severity)
    if aside:
        edge.evidence["set_aside"] = sorted(aside)
        serious = sum(1 for severity in aside.values() if severity != Severity.INFO)
        if serious:
            edge.notes.append(Note(catalog.EDGE_SET_ASIDE_NOTE, {"serious": serious}))
    return kept
