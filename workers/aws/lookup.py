"""Find the distribution behind what a person typed and read what decides each origin's probe.

The only module that talks to CloudFront's API. It returns plain dataclasses
(workers.models.distribution); boto3 objects and ClientErrors stay inside, failures leave as
LookupFailed with one line.

Cost of a lookup (see the README): one ListDistributions page per 100 distributions (an id
costs one GetDistribution instead), one GetOriginRequestPolicy and one GetCachePolicy per
distinct policy the behaviours use, and one GetDistributionTenantByDomain only when no
distribution's alias matches.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workers.aws.access import is_cloudfront_domain, is_distribution_id
from workers.aws.errors import LookupFailed, action_for, translate
from workers.aws.path_patterns import reaches
from workers.aws.translate import (
    MANAGED_CACHE_POLICIES,
    MANAGED_ORIGIN_REQUEST_POLICIES,
    THIRD_PARTY_IDS,
    alias_match,
    host_from_cache_policy,
    host_from_forwarded_values,
    host_from_origin_request_policy,
    policy_label,
    unfilled_placeholder,
)
from workers.models.distribution import (
    Behaviour,
    CustomErrorResponse,
    DistOrigin,
    Distribution,
    EdgeFunction,
    LookupCost,
    OriginGroupInfo,
)
from workers.models.record import Record

log = logging.getLogger(__name__)

S3_NOT_PROBED = ("S3 origin: CloudFront reaches the bucket through the S3 API with its own "
                 "identity (origin access control), not as a web server; check the bucket "
                 "policy and the origin access control instead")
VPC_NOT_PROBED = ("VPC origin: CloudFront reaches it from inside the VPC, which origin502 "
                  "cannot do from the internet; check the load balancer's targets and its "
                  "security group")
PLACEHOLDER_NOT_PROBED = ("its domain looks like an unfilled placeholder (it holds characters no "
                          "DNS name can have); the tenant parameter syntax is not confirmed, so "
                          "origin502 does not guess the name CloudFront would use")
UNKNOWN_NOT_PROBED = ("the API's answer names no origin type for it (custom, S3 or VPC); "
                      "origin502 does not guess how CloudFront reaches it")


@dataclass(eq=False, repr=False)
class LookupResult(Record):
    distribution: Distribution
    # Origin id → its custom headers (name, value). Secrets: never rendered, logged or stored.
    headers: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict, repr=False)
    cost: LookupCost = field(default_factory=LookupCost)


class _Api:
    """Calls CloudFront, counting HTTP requests (retries included) and translating failures."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.requests = 0
        client.meta.events.register("before-send.cloudfront", self._count)

    def _count(self, **_kwargs: Any) -> None:
        self.requests += 1

    def call(self, operation: str, what: str = "", **params: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        method = getattr(self.client, _snake(operation))
        try:
            answer: dict[str, Any] = method(**params)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, operation, what=what) from None
        return answer

    def try_call(self, operation: str, **params: Any) -> tuple[dict[str, Any] | None, str]:
        """Like call(), but an error AWS answered comes back as its code instead of raising
        (for calls whose refusal origin502 can work around)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer: dict[str, Any] = getattr(self.client, _snake(operation))(**params)
        except ClientError as exc:
            return None, str((exc.response.get("Error") or {}).get("Code") or "error")
        except BotoCoreError as exc:
            raise translate(exc, operation) from None
        return answer, ""

    def distributions(self) -> list[dict[str, Any]]:
        from botocore.exceptions import BotoCoreError, ClientError

        items: list[dict[str, Any]] = []
        try:
            for page in self.client.get_paginator("list_distributions").paginate():
                items.extend((page.get("DistributionList") or {}).get("Items") or [])
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, "ListDistributions") from None
        return items


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


def look_up(client: Any, typed: str) -> LookupResult:
    """The distribution for an alias, a ``*.cloudfront.net`` name or a distribution id.

    Raises LookupFailed (``not_found`` set when AWS answered and the name is nobody's).
    """
    started = time.perf_counter()
    api = _Api(client)
    text = typed.strip().rstrip(".")
    tenant: dict[str, Any] | None = None
    if is_distribution_id(text):
        dist_id = text
        config, summary = _get_distribution(api, dist_id)
        matched_by, viewer = "id", None
    else:
        name = text.lower()
        found = _find_by_name(api, name)
        if found is not None:
            summary, matched_by = found
            config = summary
            if "Origins" not in summary:  # an API answer without the full configuration
                config, summary = _get_distribution(api, str(summary["Id"]))
            viewer = None if is_cloudfront_domain(name) else name
        else:
            tenant, tenant_note = _find_tenant(api, name)
            if tenant is None:
                raise LookupFailed(
                    f"{name} is not an alias or domain of any distribution in this AWS account"
                    + (f" ({tenant_note})" if tenant_note else ""), not_found=True)
            config, summary = _get_distribution(api, str(tenant["DistributionId"]))
            matched_by, viewer = f"tenant {tenant.get('Name') or tenant.get('Id')}", name
    distribution, headers = _read(api, summary, config, tenant)
    distribution.matched_by = matched_by
    distribution.viewer_host = viewer or next(
        (a for a in distribution.aliases if not a.startswith("*")), distribution.domain_name)
    cost = LookupCost(api_calls=api.requests,
                      duration_ms=round((time.perf_counter() - started) * 1000, 1))
    log.info("distribution looked up", extra={"distribution": distribution.id,
                                              "api_calls": cost.api_calls})
    return LookupResult(distribution, headers, cost)


def _get_distribution(api: _Api, dist_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    answer = api.call("GetDistribution", what=dist_id, Id=dist_id)
    dist = answer["Distribution"]
    config = dict(dist["DistributionConfig"])
    summary = {k: v for k, v in dist.items() if k != "DistributionConfig"}
    return config, summary | {"Aliases": config.get("Aliases") or {}}


def _find_by_name(api: _Api, name: str) -> tuple[dict[str, Any], str] | None:
    """The distribution whose domain is ``name``, else whose alias matches it best."""
    best: tuple[int, str, dict[str, Any]] | None = None
    for summary in api.distributions():
        if str(summary.get("DomainName", "")).lower() == name:
            return summary, "domain"
        aliases = (summary.get("Aliases") or {}).get("Items") or []
        match = alias_match(name, aliases)
        if match and (best is None or match[0] > best[0]):
            best = (match[0], match[1], summary)
    if best is None:
        return None
    how = "alias" if not best[1].startswith("*") else f"wildcard alias {best[1]}"
    return best[2], how


def _find_tenant(api: _Api, name: str) -> tuple[dict[str, Any] | None, str]:
    """A multi-tenant distribution's tenant serving ``name``, or why none could be found."""
    if is_cloudfront_domain(name):
        # Connection groups' routing endpoints are not looked up (yet): say so.
        return None, "connection-group endpoints of multi-tenant distributions are not checked"
    answer, code = api.try_call("GetDistributionTenantByDomain", Domain=name)
    if answer is not None:
        tenant: dict[str, Any] = answer.get("DistributionTenant") or {}
        return (tenant or None), ""
    if code == "EntityNotFound":
        return None, ""
    if code in ("AccessDenied", "AccessDeniedException"):
        return None, ("distribution tenants were not checked: AWS denied "
                      f"{action_for('GetDistributionTenantByDomain')}")
    return None, f"distribution tenants could not be checked ({code})"


# The facts file says nothing of disabled distributions; AWS's API reference describes the
# setting (DistributionSummary.Enabled: "Whether the distribution is enabled to accept user
# requests for content"; DistributionTenant.Enabled: "If disabled, the distribution tenant
# won't serve traffic"). What viewers get instead is not documented, so it is not said.
DISABLED_DISTRIBUTION = (
    "This distribution is disabled (its Enabled setting is false). AWS's API describes that "
    "setting as whether the distribution accepts viewers' requests, so while it stays disabled "
    "viewers do not get these origins' answers through it; what they get instead is not "
    "documented. The origin checks below show what CloudFront would meet once it is enabled.")
DISABLED_TENANT = (
    "This distribution tenant is disabled (its Enabled setting is false). AWS's API says a "
    "disabled tenant does not serve traffic, so while it stays disabled viewers do not get "
    "these origins' answers through it; what they get instead is not documented. The origin "
    "checks below show what CloudFront would meet once it is enabled.")


def _items(container: Mapping[str, Any] | None) -> list[Any]:
    return list((container or {}).get("Items") or [])


def _read(api: _Api, summary: Mapping[str, Any], config: Mapping[str, Any],
          tenant: Mapping[str, Any] | None) -> tuple[Distribution, dict[str, Any]]:
    aliases = [str(a) for a in _items(config.get("Aliases") or summary.get("Aliases"))]
    params: dict[str, str] = {}
    if tenant is not None:
        aliases = [str(d.get("Domain")) for d in tenant.get("Domains") or []]
        params = {str(p["Name"]): str(p["Value"]) for p in tenant.get("Parameters") or []}
    dist = Distribution(
        id=str(summary.get("Id") or config.get("Id") or ""),
        domain_name=str(summary.get("DomainName") or ""),
        aliases=aliases, arn=str(summary.get("ARN") or ""),
        status=str(summary.get("Status") or ""), enabled=bool(config.get("Enabled", True)),
        tenant=str(tenant.get("Id")) if tenant is not None else None,
    )
    if not dist.enabled:
        dist.disabled_note = DISABLED_DISTRIBUTION
    elif tenant is not None and tenant.get("Enabled") is False:
        dist.enabled = False
        dist.disabled_note = DISABLED_TENANT
    headers: dict[str, tuple[tuple[str, str], ...]] = {}
    for raw in _items(config.get("Origins")):
        origin, secret = _origin(raw, params)
        dist.origins.append(origin)
        headers[origin.id] = secret
    for raw in _items(config.get("OriginGroups")):
        members = [str(m["OriginId"]) for m in _items(raw.get("Members"))]
        codes = [int(c) for c in _items((raw.get("FailoverCriteria") or {}).get("StatusCodes"))]
        dist.origin_groups.append(OriginGroupInfo(str(raw["Id"]), members, codes))
    groups = {g.id: g for g in dist.origin_groups}
    for raw in _items(config.get("CustomErrorResponses")):
        if raw.get("ErrorCode") is not None:
            dist.custom_error_responses.append(CustomErrorResponse(
                int(raw["ErrorCode"]), str(raw.get("ResponsePagePath") or ""),
                str(raw.get("ResponseCode") or "")))
    policies = _PolicyReader(api)
    for raw in _items(config.get("CacheBehaviors")):
        dist.behaviours.append(_behaviour(raw, groups, policies))
    default = _behaviour({**(config.get("DefaultCacheBehavior") or {}), "PathPattern": "*"},
                         groups, policies)
    default.is_default = True
    dist.behaviours.append(default)
    _note_shadowed(dist)
    if config.get("ContinuousDeploymentPolicyId"):
        dist.notes.append("continuous deployment is on: some viewers may reach the staging "
                          "distribution's origins instead")
    for behaviour in dist.behaviours:
        for fn in behaviour.edge_functions:
            if fn.event_type == "origin-request":
                dist.notes.append(f"Lambda@Edge on origin-request for {behaviour.label} may "
                                  "change the origin or the request CloudFront sends; the "
                                  "probe follows the configured origin")
    return dist, headers


def _note_shadowed(dist: Distribution) -> None:
    """Mark the behaviours no request reaches (an earlier pattern takes every path theirs
    matches), and warn: the owner most likely meant them to serve those paths."""
    found = reaches([b.path_pattern for b in dist.behaviours])
    last = len(dist.behaviours) - 1
    for index, (behaviour, reach) in enumerate(zip(dist.behaviours, found, strict=True)):
        behaviour.shadowed_by = list(reach.shadowed_by)
        behaviour.reach_note = reach.undecided
        if reach.shadowed_by:
            # Named are the earlier behaviours that take paths: one shadowed itself takes none,
            # and moving or removing it would change nothing.
            unshadowed = {b.path_pattern for b in dist.behaviours[:index] if not b.shadowed_by}
            named = [p for p in reach.shadowed_by if p in unshadowed] or reach.shadowed_by
            takers = ", ".join(named)
            many = len(named) > 1
            # The default behaviour is always listed last and its pattern is always * (facts
            # §7.3): it cannot be moved ahead, so the advice is about the patterns before it.
            advice = (f"the default behaviour cannot be moved or given another pattern (it is "
                      f"always last, with *), so change or remove the "
                      f"behaviour{'s' if many else ''} {takers} if the default should serve "
                      "those paths") if index == last else (
                      f"list it before {takers} if it should serve those paths")
            dist.notes.append(
                f"behaviour {behaviour.label} is shadowed: CloudFront gives a path to the first "
                f"behaviour whose pattern matches, and {takers}, listed before it, "
                f"{'take' if many else 'takes'} every path it matches, "
                f"so no request reaches it (its origin is not probed for it); {advice}")


def _origin(raw: Mapping[str, Any], params: Mapping[str, str]
            ) -> tuple[DistOrigin, tuple[tuple[str, str], ...]]:
    domain = _fill(str(raw.get("DomainName") or ""), params)
    path = _fill(str(raw.get("OriginPath") or ""), params)
    secret = tuple((str(h["HeaderName"]), str(h["HeaderValue"]))
                   for h in _items(raw.get("CustomHeaders")))
    origin = DistOrigin(
        id=str(raw["Id"]), domain_name=domain, kind="unknown", origin_path=path,
        custom_headers=[name for name, _ in secret],
        connection_attempts=int(raw.get("ConnectionAttempts") or 3),
        connection_timeout=float(raw.get("ConnectionTimeout") or 10),
    )
    custom = raw.get("CustomOriginConfig")
    if custom:
        origin.kind = "custom"
        origin.protocol_policy = str(custom.get("OriginProtocolPolicy") or "https-only")
        origin.http_port = int(custom.get("HTTPPort") or 80)
        origin.https_port = int(custom.get("HTTPSPort") or 443)
        origin.origin_ssl_protocols = [str(p) for p in
                                       _items(custom.get("OriginSslProtocols"))]
        origin.read_timeout = float(custom.get("OriginReadTimeout") or 30)
        origin.keepalive_timeout = float(custom.get("OriginKeepaliveTimeout") or 5)
        origin.ip_address_type = custom.get("IpAddressType")
        if raw.get("OriginAccessControlId"):
            origin.notes.append("CloudFront signs requests to this origin (origin access "
                                "control); an unsigned probe may get an authorisation error")
        if "{{" in domain or "{{" in path:
            origin.kind = "unknown"
            origin.not_probed = ("its domain holds a tenant parameter origin502 could not fill "
                                 "in")
            origin.not_probed_short = "tenant parameter not filled in"
        elif unfilled_placeholder(domain, path):
            origin.kind = "unknown"
            origin.not_probed = PLACEHOLDER_NOT_PROBED
            origin.not_probed_short = "unfilled placeholder"
    elif raw.get("S3OriginConfig") or _looks_like_s3(domain):
        origin.kind, origin.not_probed = "s3", S3_NOT_PROBED
        origin.not_probed_short = "S3 origin"
    elif raw.get("VpcOriginConfig"):
        origin.kind, origin.not_probed = "vpc", VPC_NOT_PROBED
        origin.not_probed_short = "VPC origin"
    else:
        origin.not_probed = UNKNOWN_NOT_PROBED
        origin.not_probed_short = "origin type not named by the API"
    return origin, secret


def _looks_like_s3(domain: str) -> bool:
    # moto (and older SDKs) drop S3OriginConfig from the answer; the domain still says S3.
    low = domain.lower()
    return low.endswith(".amazonaws.com") and ".s3." in f".{low}" and "s3-website" not in low


def _fill(text: str, params: Mapping[str, str]) -> str:
    # Tenant parameters in an origin domain or path; the placeholder syntax is not confirmed by
    # AWS text we have read, so only the {{name}} form is filled and anything else stays.
    for key, value in params.items():
        text = text.replace("{{" + key + "}}", value)
    return text


class _PolicyReader:
    """Reads each origin request / cache policy once; falls back on the managed-policy table
    when the call is refused, and says when it could not tell."""

    def __init__(self, api: _Api) -> None:
        self.api = api
        self.cache: dict[tuple[str, str], tuple[bool | None, str]] = {}

    def origin_request(self, policy_id: str) -> tuple[bool | None, str]:
        return self._read("GetOriginRequestPolicy", policy_id)

    def cache_policy(self, policy_id: str) -> tuple[bool | None, str]:
        return self._read("GetCachePolicy", policy_id)

    def _read(self, operation: str, policy_id: str) -> tuple[bool | None, str]:
        key = (operation, policy_id)
        if key not in self.cache:
            self.cache[key] = self._fetch(operation, policy_id)
        return self.cache[key]

    def _fetch(self, operation: str, policy_id: str) -> tuple[bool | None, str]:
        is_orp = operation == "GetOriginRequestPolicy"
        table = MANAGED_ORIGIN_REQUEST_POLICIES if is_orp else MANAGED_CACHE_POLICIES
        kind = "origin request policy" if is_orp else "cache policy"
        answer, code = self.api.try_call(operation, Id=policy_id)
        if answer is not None:
            policy = answer.get("OriginRequestPolicy" if is_orp else "CachePolicy") or {}
            config = policy.get("OriginRequestPolicyConfig" if is_orp else "CachePolicyConfig")
            config = config or {}
            label = policy_label(policy_id, table, config.get("Name"))
            forwarded = (host_from_origin_request_policy(config) if is_orp
                         else host_from_cache_policy(config))
            return forwarded, f"{kind} {label}"
        if policy_id in table:
            name, forwarded = table[policy_id]
            if policy_id in THIRD_PARTY_IDS:
                # Its id is known only from third-party code (cloudfront-facts §7.1), so what
                # it forwards is not taken as certain: both names are probed.
                return None, (f"{kind} {policy_id} could not be read ({operation} answered "
                              f"{code}); its id matches {name} only in third-party sources, "
                              f"so whether it forwards Host is uncertain")
            return forwarded, (f"{kind} Managed-{name} ({policy_id}; {operation} answered "
                               f"{code}, so AWS's documented settings are used)")
        why = (f"AWS denied {action_for(operation)}"
               if code in ("AccessDenied", "AccessDeniedException") else f"{operation}: {code}")
        return None, f"{kind} {policy_id} could not be read ({why})"


def _behaviour(raw: Mapping[str, Any], groups: Mapping[str, OriginGroupInfo],
               policies: _PolicyReader) -> Behaviour:
    target = str(raw.get("TargetOriginId") or "")
    group = groups.get(target)
    behaviour = Behaviour(
        path_pattern=str(raw.get("PathPattern") or "*"), target_id=target,
        origin_ids=list(group.members) if group else [target], is_group=group is not None,
        viewer_protocol_policy=str(raw.get("ViewerProtocolPolicy") or ""),
        allowed_methods=[str(m).upper() for m in _items(raw.get("AllowedMethods"))],
    )
    behaviour.host_forwarded, behaviour.host_reason = _host(raw, policies)
    for item in _items(raw.get("LambdaFunctionAssociations")):
        behaviour.edge_functions.append(EdgeFunction(
            "lambda@edge", str(item.get("EventType")), str(item.get("LambdaFunctionARN"))))
    for item in _items(raw.get("FunctionAssociations")):
        behaviour.edge_functions.append(EdgeFunction(
            "cloudfront-function", str(item.get("EventType")), str(item.get("FunctionARN"))))
    return behaviour


def _host(raw: Mapping[str, Any], policies: _PolicyReader) -> tuple[bool | None, str]:
    """Whether the viewer's Host reaches the origin for this behaviour, and why."""
    cache_id = str(raw.get("CachePolicyId") or "")
    request_id = str(raw.get("OriginRequestPolicyId") or "")
    if not cache_id:
        forwarded = raw.get("ForwardedValues") or {}
        if host_from_forwarded_values(forwarded):
            return True, "legacy cache settings forward Host (ForwardedValues)"
        return False, "legacy cache settings do not forward Host (ForwardedValues)"
    verdicts: list[tuple[bool | None, str]] = []
    if request_id:
        verdicts.append(policies.origin_request(request_id))
    verdicts.append(policies.cache_policy(cache_id))
    for forwarded, label in verdicts:
        if forwarded:
            what = "keys on" if label.startswith("cache") else "forwards"
            return True, f"{label} {what} the viewer's Host"
    unknown = [label for forwarded, label in verdicts if forwarded is None]
    if unknown:
        return None, "; ".join(unknown)
    labels = " and ".join(label for _, label in verdicts)
    return False, f"{labels}: Host not forwarded, CloudFront sends the origin's domain"
