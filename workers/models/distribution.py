"""A CloudFront distribution as origin502 reads it, and the report over all its origins.

Plain, JSON-ready values: the AWS module fills them from boto3's answers, the CLI and the bot
render them. Custom header *values* are never held here, only their names (the values are
secrets an origin uses to recognise CloudFront; see workers/aws/lookup.py for where they live).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workers.models.edge import EdgeReading
from workers.models.record import Record
from workers.models.report import Report
from workers.models.serialize import from_dict, to_dict

DISTRIBUTION_SCHEMA = 1


@dataclass(eq=False, repr=False)
class DistOrigin(Record):
    """One origin of the distribution with the settings that decide how CloudFront reaches it."""

    id: str
    domain_name: str
    kind: str  # "custom" | "s3" | "vpc" | "unknown"
    origin_path: str = ""
    custom_headers: list[str] = field(default_factory=list)  # names only, never values
    protocol_policy: str | None = None  # custom origins only
    http_port: int | None = None
    https_port: int | None = None
    origin_ssl_protocols: list[str] = field(default_factory=list)
    read_timeout: float | None = None
    keepalive_timeout: float | None = None
    connection_attempts: int = 3
    connection_timeout: float = 10.0
    # None when the API answer did not carry it (an older botocore drops unknown fields).
    ip_address_type: str | None = None
    # Why origin502 does not probe this origin (S3, VPC...); None for a custom origin.
    not_probed: str | None = None
    # The same in a few words, for one-line lists ("unfilled placeholder"); "" when not set.
    not_probed_short: str = ""
    # Notes that change how to read this origin's verdict (origin access control, Lambda@Edge).
    notes: list[str] = field(default_factory=list)


@dataclass(eq=False, repr=False)
class OriginGroupInfo(Record):
    id: str
    members: list[str]  # origin ids, primary first
    failover_status_codes: list[int] = field(default_factory=list)


@dataclass(eq=False, repr=False)
class CustomErrorResponse(Record):
    """One of the distribution's CustomErrorResponses: the owner's page (and status) CloudFront
    may send instead of an error of ``error_code`` (cloudfront-facts §7.3, DERIVED)."""

    error_code: int
    page_path: str = ""  # "" when the entry only sets how long the error is cached
    response_code: str = ""  # "" when the page keeps the error's own status


@dataclass(eq=False, repr=False)
class EdgeFunction(Record):
    """A Lambda@Edge or CloudFront Functions association on a behaviour."""

    kind: str  # "lambda@edge" | "cloudfront-function"
    event_type: str
    arn: str


# Viewer protocol policies under which no HTTP viewer request reaches an origin: CloudFront
# answers it at the edge (a redirect, or a refusal). DERIVED: the facts hold the policies' names
# and AWS's advice to pair match-viewer with them, not this behaviour in so many words.
HTTPS_VIEWERS_ONLY = frozenset({"redirect-to-https", "https-only"})


@dataclass(eq=False, repr=False)
class Behaviour(Record):
    path_pattern: str  # "*" for the default behaviour (and maybe for others)
    target_id: str  # an origin id or an origin-group id
    origin_ids: list[str]  # the origins it reaches (a group's members, primary first)
    is_group: bool = False
    viewer_protocol_policy: str = ""
    # Earlier patterns that take every path this one matches (CloudFront gives a path to the
    # first behaviour whose pattern matches): no request reaches it. Empty unless certain.
    shadowed_by: list[str] = field(default_factory=list)
    # When origin502 could not tell which paths reach it (its search stopped): why.
    reach_note: str = ""
    # Whether the viewer's Host reaches the origin (and so becomes the SNI); None when the
    # policies could not be read, with `host_reason` saying why.
    host_forwarded: bool | None = False
    host_reason: str = ""
    edge_functions: list[EdgeFunction] = field(default_factory=list)
    # AllowedMethods as the API answered them; empty when the answer did not carry them.
    allowed_methods: list[str] = field(default_factory=list)
    # The DefaultCacheBehavior. Not read from the pattern: an ordinary behaviour may have the
    # pattern * too, and calling it "default (*)" made two behaviours share one name.
    is_default: bool = False

    @property
    def label(self) -> str:
        if self.is_default:
            return "default (*)"
        return "* (not the default)" if self.path_pattern == "*" else self.path_pattern

    @property
    def https_viewers_only(self) -> bool:
        """Whether only HTTPS viewer requests reach its origin (see HTTPS_VIEWERS_ONLY)."""
        return self.viewer_protocol_policy in HTTPS_VIEWERS_ONLY


@dataclass(eq=False, repr=False)
class Distribution(Record):
    id: str
    domain_name: str
    aliases: list[str] = field(default_factory=list)
    arn: str = ""
    status: str = ""
    enabled: bool = True
    # Said before the origins when the distribution (or the tenant it was found through) is
    # disabled: viewers do not get these origins' answers through it now. None when enabled.
    disabled_note: str | None = None
    # How the typed name was matched: "id", "domain", "alias", "wildcard alias *.x", "tenant".
    matched_by: str = ""
    # The viewer host origin502 uses where the Host is forwarded.
    viewer_host: str = ""
    tenant: str | None = None  # tenant id (name) when found through a distribution tenant
    origins: list[DistOrigin] = field(default_factory=list)
    origin_groups: list[OriginGroupInfo] = field(default_factory=list)
    behaviours: list[Behaviour] = field(default_factory=list)
    custom_error_responses: list[CustomErrorResponse] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # What chose the behaviours probed when it was not --path / --origin (a typed URL's path),
    # so that an origin left out is not blamed on options nobody gave. "" otherwise.
    selection: str = ""

    def origin(self, origin_id: str) -> DistOrigin | None:
        return next((o for o in self.origins if o.id == origin_id), None)

    def why_not_probed(self, origin_id: str) -> str:
        """Why an origin has no probe: its kind, no behaviour routing to it, only behaviours
        no request reaches, else the selection (--path / --origin) left it out."""
        origin = self.origin(origin_id)
        if origin is not None and origin.not_probed:
            return origin.not_probed
        serving = [b for b in self.behaviours if origin_id in b.origin_ids]
        if not serving:
            return "no cache behaviour routes to it"
        if all(b.shadowed_by for b in serving):
            return (f"no request reaches it: {', '.join(b.label for b in serving)} "
                    f"{'is' if len(serving) == 1 else 'are'} shadowed by earlier behaviours")
        return f"not selected ({self.selection or '--path / --origin'})"


@dataclass(eq=False, repr=False)
class OriginProbe(Record):
    """One origin probed as a set of behaviours reaches it (same Host, same settings)."""

    origin_id: str
    domain_name: str
    behaviours: list[str]  # path patterns served
    host_header: str | None  # the forwarded viewer Host, None when CloudFront sends the domain
    path: str  # the path requested, origin path included
    headers_sent: list[str] = field(default_factory=list)  # "X-Origin-Verify: ***"
    role: str = ""  # "primary of group g" / "failover of group g" / ""
    notes: list[str] = field(default_factory=list)  # e.g. Host forwarding could not be read
    # Whether the viewer's Host reaches this origin could not be read, so the origin is probed
    # with each name CloudFront might send (the origin's domain, the viewer's Host).
    host_unknown: bool = False
    # What the viewers of its behaviours get: the report's verdict, except where an origin
    # group changes it (a failover origin is used only when its primary fails; a primary's
    # GET/HEAD/OPTIONS requests may be served by the failover): workers/origin_groups.py.
    verdict: str = "ok"
    report: Report | None = None


# How a behaviour served by an origin group fares (GroupOutcome.mode).
PRIMARY_SERVES = "primary serves"  # the primary answers; the failover is not used
FAILS_OVER = "fails over"  # some methods go to the failover, the others get the primary's error
NO_FAILOVER = "no failover"  # the primary's answer is not one the group fails over on
PRIMARY_UNKNOWN = "primary unknown"  # the primary could not be checked


@dataclass(eq=False, repr=False)
class GroupOutcome(Record):
    """What the viewers of one behaviour served by an origin group get, its primary's and its
    failover's probes taken together (cloudfront-facts §7.3, §4.4)."""

    behaviour: str  # the behaviour's label
    group: str
    primary: str  # origin ids
    failover: str
    mode: str  # PRIMARY_SERVES | FAILS_OVER | NO_FAILOVER | PRIMARY_UNKNOWN
    verdict: str  # for this behaviour's viewers
    failover_codes: list[int] = field(default_factory=list)  # the group's FailoverCriteria
    # FAILS_OVER: the methods CloudFront retries on the failover, those that get the primary's
    # error, and whether the methods come from the behaviour's AllowedMethods.
    failover_methods: list[str] = field(default_factory=list)
    error_methods: list[str] = field(default_factory=list)
    methods_known: bool = False
    primary_gets: list[str] = field(default_factory=list)  # "502", "500 Internal Server Error"
    primary_doubtful: bool = False  # the primary's error is likely, not confirmed
    failover_verdict: str = "unknown"  # "unknown" too when the failover was not probed
    # Whether CloudFront fails over at all rests on something AWS does not document.
    uncertain: bool = False


@dataclass(eq=False, repr=False)
class UncheckedOrigin(Record):
    """An origin the viewers of some behaviours reach first (a behaviour's origin, or its
    group's primary) that was not checked in this run, and why (workers/diagnosis/
    distribution_coverage.py)."""

    origin_id: str
    behaviours: list[str]  # the labels of the behaviours whose viewers it serves
    why: str  # a few words: "unfilled placeholder", "S3 origin"
    kind: str = "custom"  # the origin's kind as read: "custom" | "s3" | "vpc" | "unknown"
    group: str = ""  # the origin group it is the primary of, for those behaviours


@dataclass(eq=False, repr=False)
class LookupCost(Record):
    api_calls: int = 0
    duration_ms: float = 0.0


@dataclass(eq=False, repr=False)
class DistributionReport(Record):
    """The answer for a distribution: a verdict per probed origin, and the worst one overall."""

    input: str
    verdict: str  # "ok" | "warn" | "unknown" | "fail", the worst of the probed origins
    distribution: Distribution
    probes: list[OriginProbe] = field(default_factory=list)
    groups: list[GroupOutcome] = field(default_factory=list)  # per behaviour with a group
    lookup: LookupCost = field(default_factory=LookupCost)
    # The site as a viewer reaches it (the distribution's viewer host): CloudFront's answer
    # when it came from the edge; ``viewer_note`` says why there is none.
    viewer: EdgeReading | None = None
    viewer_note: str | None = None
    # Why the distribution is unknown although no probed origin says so (nothing probed, or
    # viewers get CloudFront's 502/504 while every origin answers from here); None otherwise.
    verdict_reason: str | None = None
    # Origins viewers reach that were not checked: ``unchecked`` keep the verdict from ok or
    # warn (an unfilled placeholder, an origin type not named, a probe that could not run);
    # ``not_covered`` are S3 and VPC origins, which origin502 does not probe by design (README)
    # and only names. Behaviours outside --path / --origin are in neither.
    unchecked: list[UncheckedOrigin] = field(default_factory=list)
    not_covered: list[UncheckedOrigin] = field(default_factory=list)
    started_at: str = ""
    duration_ms: float = 0.0
    schema: int = DISTRIBUTION_SCHEMA
    kind: str = "distribution"

    @property
    def probe_error(self) -> str | None:
        for probe in self.probes:
            if probe.report is not None and probe.report.probe_error:
                return f"{probe.origin_id}: {probe.report.probe_error}"
        return None

    @property
    def has_errors(self) -> bool:
        # Only errors viewers meet: a failover origin's errors while its primary answers are
        # not, nor an error seen with one of two names CloudFront might send (Host forwarding
        # unknown): in both cases the probe's verdict is no longer "fail".
        return any(p.report is not None and p.report.errors and p.verdict == "fail"
                   for p in self.probes)

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON: the distribution object holds the origins, behaviours and each
        origin's schema-1 report under ``origins[].probes[].report``."""
        data = to_dict(self)
        dist = data["distribution"]
        by_origin: dict[str, list[dict[str, Any]]] = {}
        for probe in data.pop("probes"):
            by_origin.setdefault(probe["origin_id"], []).append(probe)
        for origin in dist["origins"]:
            origin["probes"] = by_origin.get(origin["id"], [])
        ordered = {k: data.pop(k) for k in ("schema", "kind", "input", "verdict")}
        ordered["distribution"] = data.pop("distribution")
        ordered.update(data)
        return ordered

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DistributionReport:
        data = dict(data)
        dist = dict(data["distribution"])
        probes: list[dict[str, Any]] = []
        origins = []
        for raw in dist.get("origins") or []:
            origin = dict(raw)
            probes.extend(origin.pop("probes", []) or [])
            origins.append(origin)
        dist["origins"] = origins
        dist["behaviours"] = _mark_default([dict(b) for b in dist.get("behaviours") or []])
        data["distribution"] = dist
        data["probes"] = probes
        return from_dict(cls, data)


def _mark_default(behaviours: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reports stored before ``is_default`` existed lack it: CloudFront (and the lookup) list
    the default behaviour last, so the last one is it, and its label reads as it did then."""
    if behaviours and not any("is_default" in b for b in behaviours):
        behaviours[-1]["is_default"] = behaviours[-1].get("path_pattern") == "*"
    return behaviours


def worst_verdict(verdicts: list[str]) -> str:
    # An origin that could not be checked outranks a warning: never say "ok" or "warn" for a
    # distribution one of whose origins was not looked at.
    for verdict in ("fail", "unknown", "warn"):
        if verdict in verdicts:
            return verdict
    return "ok"

