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

from workers.diagnosis.catalog import (
    LINK_502_DNS,
    LINK_502_FUNCTION,
    LINK_502_LAMBDA,
    LINK_503,
    LINK_504,
    P502,
)
from workers.diagnosis.rules import finding
from workers.models import EdgeAnswer, EdgeReading, Finding, Report, Severity, Status
from workers.models.edge import EdgeErrorFamily, cloudfront_marks

CODE = "TARGET_IS_CLOUDFRONT"
CLOUDFRONT_SUFFIX = ".cloudfront.net"
# Findings about an address that still hold when that address is the edge: why it was not
# probed at all.
KEPT_AGAINST_EDGE = frozenset({"ADDRESS_NOT_ALLOWED"})
# The edge's HTTP answer itself, which the viewer-side reading replaces: never "the origin's".
REPLACED_BY_READING = frozenset({"ORIGIN_RETURNED_ERROR", "ORIGIN_RETURNED_CLIENT_ERROR"})

F = EdgeErrorFamily

_FAMILY_WORDS: dict[str, str] = {
    F.CANNOT_CONNECT: "CloudFront could not connect to the origin",
    F.ORIGIN_TIMEOUT: "the origin did not answer CloudFront in time (or a firewall dropped it)",
    F.DNS_ERROR: "CloudFront could not resolve the origin's domain name (NonS3OriginDnsError)",
    F.LAMBDA_VALIDATION: "a Lambda@Edge function returned a response CloudFront rejects",
    F.FUNCTION_VALIDATION: "a CloudFront Function changed a header it may not change",
    F.LAMBDA_EXECUTION: "a Lambda@Edge function failed, was throttled or is not allowed to run",
    F.FUNCTION_EXECUTION: "a CloudFront Function failed or could not run",
    F.CAPACITY: "CloudFront answered 503 itself (usually an origin without capacity)",
    F.RELAYED: "the page is not CloudFront's own: most likely the origin's error, passed on",
    F.UNRECOGNISED: "CloudFront's own error page, naming a cause origin502 does not know",
}

_FAMILY_STEP: dict[str, str] = {
    F.CANNOT_CONNECT: (
        "CloudFront could not connect to the origin or complete TLS with it: a DNS, port, "
        "firewall, TLS protocol or cipher, or certificate (name, expiry, chain) problem. "
        "Probe the origin itself, as in the next step, to find which."),
    F.ORIGIN_TIMEOUT: (
        "CloudFront gave up waiting for the origin (its response timeout, 30 s by default), or "
        "a firewall or security group keeps CloudFront out. Probe the origin, as in the next "
        "step, and see how long it takes to answer."),
    F.DNS_ERROR: (
        "CloudFront could not resolve the origin's domain name in public DNS. Probe the origin "
        "domain, as in the next step, and check its records at the zone's authoritative name "
        "servers from a machine on the internet."),
    F.LAMBDA_VALIDATION: (
        "A Lambda@Edge function on this path returned something CloudFront rejects (malformed "
        "output, a read-only or disallowed header, an invalid origin setting). Read the "
        "function's CloudWatch logs in the Region nearest the edge location{pop_hint}; probing "
        "the origin will not show this."),
    F.FUNCTION_VALIDATION: (
        "A CloudFront Function on this path adds, removes or changes a read-only header. This "
        "passes the console's test and fails only once deployed: review the function's last "
        "change; probing the origin will not show this."),
    F.LAMBDA_EXECUTION: (
        "A Lambda@Edge function failed, timed out, was throttled or lacks permission (CloudFront "
        "answers 503 for these). Read its CloudWatch logs and check its Lambda quotas."),
    F.FUNCTION_EXECUTION: (
        "A CloudFront Function failed or went over its limits (CloudFront answers 503). Check "
        "its code and its CloudWatch metrics."),
    F.CAPACITY: (
        "CloudFront answered 503 itself: usually the origin cannot take the request rate; "
        "rarely the edge location is short of capacity (seen in load tests). Probe the origin, "
        "as in the next step."),
    F.RELAYED: (
        "The {status} page is not CloudFront's own: most likely the origin answered {status} and "
        "CloudFront passed it on, or the distribution shows its own custom error page. Probe "
        "the origin, as in the next step, and read its logs."),
    F.UNRECOGNISED: (
        "CloudFront's page names a cause origin502 does not recognise. Probe the origin, as in "
        "the next step; the request id{request_hint} lets AWS Support find this request."),
}

_FAMILY_LINK: dict[str, str] = {
    F.CANNOT_CONNECT: P502, F.ORIGIN_TIMEOUT: LINK_504, F.DNS_ERROR: LINK_502_DNS,
    F.LAMBDA_VALIDATION: LINK_502_LAMBDA, F.FUNCTION_VALIDATION: LINK_502_FUNCTION,
    F.LAMBDA_EXECUTION: LINK_503, F.FUNCTION_EXECUTION: LINK_503, F.CAPACITY: LINK_503,
    F.RELAYED: P502, F.UNRECOGNISED: P502,
}


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
        parts.append(f"{reading.cloudfront_name} is a CloudFront distribution name")
    elif "cname" in reading.detected_by:
        parts.append(f"its CNAME chain ends at {reading.cloudfront_name}")
    if "headers" in reading.detected_by:
        marks = sorted({m for a in reading.answers for m in a.marks})
        parts.append("the answer carries CloudFront's headers (" + ", ".join(marks) + ")")
    return " and ".join(parts)


def _observed(answer: EdgeAnswer) -> str:
    bits = [f"X-Cache: {answer.x_cache}" if answer.x_cache else "no X-Cache"]
    if answer.pop:
        bits.append(f"edge location {answer.pop}")
    if answer.request_id:
        bits.append(f"request id {answer.request_id}")
    return ", ".join(bits)


def _connection_failure(report: Report) -> str | None:
    for address in report.addresses:
        for probe in address.probes:
            for layer in (probe.tcp, probe.tls, probe.http):
                if layer is not None and layer.status in (Status.FAILED, Status.ERROR):
                    detail = layer.detail or layer.reason or str(layer.status)
                    return f"{address.address} port {probe.port}: {detail}"
    return None


def rule_target_is_cloudfront(report: Report, _now: dt.datetime) -> list[Finding]:
    reading = report.edge if report.edge is not None else edge_reading(report)
    if reading is None:
        return []
    target = report.target
    name = target.display
    how = _how(reading)
    answer = reading.worst
    path = target.path
    host = target.host_header
    if answer is None:
        failure = _connection_failure(report)
        if not report.dns.addresses:
            # A CNAME to a *.cloudfront.net name that does not resolve: no edge to ask (the
            # DNS finding says why); never guess what viewers get.
            why = {"nxdomain": "NXDOMAIN", "servfail": "SERVFAIL", "timeout": "no answer in time",
                   "no_address": "no address"}.get(str(report.dns.reason), "no answer")
            seen = f"the name did not resolve ({why})"
        elif failure:
            seen = f"the edge did not answer from here ({failure})"
        else:
            seen = "no answer from the edge was measured"
        f = finding(CODE, f"{name} is served by CloudFront's edge, not an origin: {how}. But "
                    f"{seen}, so what viewers get could not be seen.", None, host=host,
                    family_step="Check the name from a machine with internet access, or give "
                    "origin502 the origin domain as below.",
                    cloudfront_name=reading.cloudfront_name or "")
        f.severity = Severity.WARNING
        return [f]
    code = answer.status_code or 0
    fill: dict[str, object] = {
        "host": host, "status": code, "x_cache": answer.x_cache or "", "pop": answer.pop or "",
        "request_id": answer.request_id or "", "cloudfront_name": reading.cloudfront_name or "",
        "detected_by": list(reading.detected_by),
    }
    if code < 500:
        f = finding(CODE, f"{name} is served by CloudFront's edge, not an origin: {how}. The "
                    f"edge answers GET {path} with {code} ({_observed(answer)}). origin502 "
                    "probes origins, so the origins behind this distribution were not checked.",
                    None, family_step="Nothing fails at the edge right now.", **fill)
        f.severity = Severity.INFO
        return [f]
    family = answer.family or F.UNRECOGNISED
    words = _FAMILY_WORDS.get(family, family)
    quoted = f" The page says \"{answer.matched.rstrip('.')}\"." if answer.matched and not \
        answer.matched.startswith(("X-Cache", "status", "Server")) else ""
    hedge = (" That reading rests on page wording and header values AWS does not publish: "
             "likely, not certain." if answer.family_uncertain else "")
    origin_said = "CloudFront itself" if answer.generated_by_cloudfront else "CloudFront's edge"
    others = sorted({a.status_code for a in reading.answers if a.status_code != code},
                    key=str)
    mixed = (f" Other edge addresses answered {', '.join(map(str, others))}: only some "
             "requests fail." if others else "")
    summary = (f"{name} is served by CloudFront's edge, not an origin: {how}. Viewers get "
               f"{code} from {origin_said} for GET {path} ({_observed(answer)}): {words}."
               f"{quoted}{hedge}{mixed}")
    step = _FAMILY_STEP.get(family, _FAMILY_STEP[F.UNRECOGNISED]).format(
        status=code, pop_hint=f" ({answer.pop})" if answer.pop else "",
        request_hint=f" {answer.request_id}" if answer.request_id else "")
    f = finding(CODE, summary, None, family_step=step, family=str(family),
                matched=answer.matched or "", **fill)
    f.uncertain = answer.family_uncertain
    link = _FAMILY_LINK.get(family)
    if link:
        f.links = [link, *[x for x in f.links if x != link]]
    return [f]


def set_aside_against_edge(findings: list[Finding]) -> list[Finding]:
    """Drop the findings that judge an origin's connection when the target is the edge; the
    TARGET_IS_CLOUDFRONT finding lists them in its evidence, so nothing measured is lost."""
    edge = next((f for f in findings if f.code == CODE), None)
    if edge is None:
        return findings
    kept: list[Finding] = []
    aside: dict[str, str] = {}
    for f in findings:
        if f.address is None or f.code in KEPT_AGAINST_EDGE:
            kept.append(f)
        elif f.code not in REPLACED_BY_READING:
            aside.setdefault(f"{f.code} ({f.address})", f.severity)
    if aside:
        edge.evidence["set_aside"] = sorted(aside)
        serious = sum(1 for severity in aside.values() if severity != Severity.INFO)
        if serious:
            edge.summary += (f" {serious} check(s) that judge an origin's connection were not "
                             "applied to the edge (listed in the evidence).")
    return kept
