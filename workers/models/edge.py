"""What the target looks like from a viewer's seat when it is CloudFront's edge, not an origin.

Plain, JSON-ready values, filled by a pure reading of the DNS answer and of the HTTP answer
(status, headers, the start of the body). ``None`` fields were not present in the answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from workers.models.record import Record


class EdgeErrorFamily(StrEnum):
    """Which kind of CloudFront error the edge's answer names (the sections of the 502, 503
    and 504 troubleshooting pages)."""

    CANNOT_CONNECT = "cannot_connect"  # could not connect to the origin (TCP, TLS, certificate)
    ORIGIN_TIMEOUT = "origin_timeout"  # 504: the origin did not answer in time, or is firewalled
    DNS_ERROR = "dns_error"  # NonS3OriginDnsError: the origin's name did not resolve
    LAMBDA_VALIDATION = "lambda_validation"  # Lambda@Edge returned a response CloudFront rejects
    FUNCTION_VALIDATION = "function_validation"  # a CloudFront Function broke a header rule
    LAMBDA_EXECUTION = "lambda_execution"  # 503: Lambda@Edge failed, was throttled or invalid
    FUNCTION_EXECUTION = "function_execution"  # 503: a CloudFront Function could not run
    CAPACITY = "capacity"  # 503 from CloudFront itself without a more specific sentence
    RELAYED = "relayed"  # a 5xx whose page is not CloudFront's: the origin's, or a custom page
    UNRECOGNISED = "unrecognised"  # CloudFront's own page, with a sentence we do not know


# How each family is named to people (terminal, Slack).
FAMILY_LABELS: dict[EdgeErrorFamily, str] = {
    EdgeErrorFamily.CANNOT_CONNECT: "cannot connect to the origin",
    EdgeErrorFamily.ORIGIN_TIMEOUT: "origin timeout",
    EdgeErrorFamily.DNS_ERROR: "DNS error (NonS3OriginDnsError)",
    EdgeErrorFamily.LAMBDA_VALIDATION: "Lambda@Edge validation",
    EdgeErrorFamily.FUNCTION_VALIDATION: "CloudFront Functions validation",
    EdgeErrorFamily.LAMBDA_EXECUTION: "Lambda@Edge execution or limits",
    EdgeErrorFamily.FUNCTION_EXECUTION: "CloudFront Functions execution",
    EdgeErrorFamily.CAPACITY: "503 from CloudFront",
    EdgeErrorFamily.RELAYED: "not CloudFront's own page",
    EdgeErrorFamily.UNRECOGNISED: "CloudFront page not recognised",
}


@dataclass(eq=False, repr=False)
class EdgeAnswer(Record):
    """CloudFront's marks on one HTTP answer, and its error page read into a family."""

    address: str
    status_code: int | None = None
    x_cache: str | None = None
    pop: str | None = None  # X-Amz-Cf-Pop, e.g. "MAD51-C1"
    request_id: str | None = None  # X-Amz-Cf-Id, the request id AWS Support asks for
    via: str | None = None
    server: str | None = None
    marks: list[str] = field(default_factory=list)  # which headers said "CloudFront"
    # The edge generated this 5xx itself (X-Cache "... from cloudfront" on an error).
    error_from_cloudfront: bool = False
    generated_by_cloudfront: bool = False  # the page is CloudFront's own error page
    family: EdgeErrorFamily | None = None  # for 5xx answers only
    matched: str | None = None  # the sentence or header value the family was read from
    # The family rests on wording AWS does not publish (third-party captures of the page).
    family_uncertain: bool = False

    def viewer_line(self) -> str:
        """One line: status, X-Cache, POP, request id and family, as a viewer would see them."""
        parts = [str(self.status_code) if self.status_code is not None else "no answer"]
        parts.append(f"X-Cache: {self.x_cache}" if self.x_cache else "no X-Cache")
        if self.pop:
            parts.append(f"edge location {self.pop}")
        if self.request_id:
            parts.append(f"request id {self.request_id}")
        if self.family:
            label = FAMILY_LABELS.get(self.family, self.family)
            parts.append(label + (" (uncertain)" if self.family_uncertain else ""))
        return " · ".join(parts)


@dataclass(eq=False, repr=False)
class EdgeReading(Record):
    """The target is CloudFront's edge: why we think so, and what it answered."""

    # "cname": the name's CNAME chain ends under cloudfront.net; "name": the target itself is
    # a *.cloudfront.net name; "headers": an answer carried CloudFront's marks.
    detected_by: list[str] = field(default_factory=list)
    cloudfront_name: str | None = None  # the *.cloudfront.net name in the chain, when there is one
    answers: list[EdgeAnswer] = field(default_factory=list)

    @property
    def worst(self) -> EdgeAnswer | None:
        """The answer to lead with: a 5xx before anything else, else the first answer."""
        errors = [a for a in self.answers if (a.status_code or 0) >= 500]
        return errors[0] if errors else (self.answers[0] if self.answers else None)


# Response headers whose presence or value marks an answer as CloudFront's (lower-case names).
CLOUDFRONT_HEADERS: tuple[str, ...] = ("x-cache", "x-amz-cf-pop", "x-amz-cf-id", "via", "server")


def cloudfront_marks(headers: dict[str, str]) -> list[str]:
    """The headers (lower-case names) that say this answer came through CloudFront's edge.

    ``X-Cache`` counts only with CloudFront's "... from cloudfront" value: Varnish, Squid and
    other caches send the header too. ``Via`` counts with its "(CloudFront)" suffix.
    """
    marks = []
    if "from cloudfront" in headers.get("x-cache", "").lower():
        marks.append("x-cache")
    marks += [name for name in ("x-amz-cf-pop", "x-amz-cf-id") if headers.get(name)]
    if "(cloudfront)" in headers.get("via", "").lower():
        marks.append("via")
    if headers.get("server", "").strip().lower() == "cloudfront":
        marks.append("server")
    return marks
