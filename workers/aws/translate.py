"""The CloudFront API's words, translated once into origin502's probe options.

Pure data and pure functions (no boto3, no I/O), each table row tested in
tests/workers/aws/test_translate.py. Sources: shared cloudfront-facts §4 and §7.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, get_args

from workers.models import ORIGIN_SSL_PROTOCOLS, OriginSettings
from workers.models.distribution import DistOrigin
from workers.models.record import FrozenRecord
from workers.models.request import IpAddressType, ProtocolPolicy

# OriginProtocolPolicy → --protocol-policy (the same words; listed so an unknown one is caught).
PROTOCOL_POLICY: dict[str, ProtocolPolicy] = {p: p for p in get_args(ProtocolPolicy)}

# OriginSslProtocols items → --origin-ssl-protocols.
SSL_PROTOCOL: dict[str, str] = {p: p for p in ORIGIN_SSL_PROTOCOLS}

# IpAddressType → --ip-address-type.
IP_ADDRESS_TYPE: dict[str, IpAddressType] = {t: t for t in get_args(IpAddressType)}

# Managed origin request policies: id → (name, does the viewer Host reach the origin?).
# AWS's managed-policy page; HostHeaderOnly's id is known only from third-party code.
MANAGED_ORIGIN_REQUEST_POLICIES: dict[str, tuple[str, bool]] = {
    "216adef6-5c7f-47e4-b989-5492eafa07d3": ("AllViewer", True),
    "33f36d7e-f396-46d9-90e0-52428a34d9dc": ("AllViewerAndCloudFrontHeaders-2022-06", True),
    "b689b0a8-53d0-40ab-baf2-68738e2966ac": ("AllViewerExceptHostHeader", False),
    "59781a5b-3903-41f3-afcb-af62929ccde1": ("CORS-CustomOrigin", False),
    "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf": ("CORS-S3Origin", False),
    "775133bc-15f2-49f9-abea-afb2e0bf67d2": ("Elemental-MediaTailor-PersonalizedManifests", False),
    "acba4595-bd28-49b8-b9fe-13317c0390fa": ("UserAgentRefererHeaders", False),
    "bf0718e1-ba1e-49d1-88b1-f726733018ae": ("HostHeaderOnly", True),
}
# Ids above that no AWS page we have read confirms: what they forward is never taken as certain.
THIRD_PARTY_IDS = frozenset({"bf0718e1-ba1e-49d1-88b1-f726733018ae"})
# Managed cache policies: id → (name, does it key on (and so forward) Host?).
MANAGED_CACHE_POLICIES: dict[str, tuple[str, bool]] = {
    "2e54312d-136d-493c-8eb9-b001f22f67d2": ("Amplify", True),
    "4135ea2d-6df8-44a3-9df3-4b5a84be39ad": ("CachingDisabled", False),
    "658327ea-f89d-4fab-a63d-7e88639e58f6": ("CachingOptimized", False),
    "b2884449-e4de-46a7-ac36-70bc7f1ddd6d": ("CachingOptimizedForUncompressedObjects", False),
    "08627262-05a9-4f76-9ded-b50ca2e3a84f": ("Elemental-MediaPackage", False),
}

# OriginRequestPolicyConfig.HeadersConfig.HeaderBehavior → does Host go through?
# None: it depends on the listed headers (whitelist names it / allExcept does not).
ORIGIN_REQUEST_HEADER_BEHAVIOUR: dict[str, bool | None] = {
    "none": False,
    "allViewer": True,
    "allViewerAndWhitelistCloudFront": True,
    "whitelist": None,
    "allExcept": None,
}


@dataclass(frozen=True, eq=False, repr=False)
class HostVerdict(FrozenRecord):
    forwarded: bool | None  # None: could not tell
    reason: str


def _names(headers: Mapping[str, Any] | None) -> list[str]:
    items = (headers or {}).get("Items") or []
    return [str(h).lower() for h in items]


def host_from_origin_request_policy(config: Mapping[str, Any]) -> bool:
    """Whether an OriginRequestPolicyConfig sends the viewer's Host to the origin."""
    headers = config.get("HeadersConfig") or {}
    behaviour = str(headers.get("HeaderBehavior") or "none")
    listed = "host" in _names(headers.get("Headers"))
    fixed = ORIGIN_REQUEST_HEADER_BEHAVIOUR.get(behaviour, False)
    if fixed is not None:
        return fixed
    return listed if behaviour == "whitelist" else not listed


def host_from_cache_policy(config: Mapping[str, Any]) -> bool:
    """Whether a CachePolicyConfig keys on Host (and so forwards it: cache-key headers always
    reach the origin, and override an origin request policy's block list)."""
    params = config.get("ParametersInCacheKeyAndForwardedToOrigin") or {}
    headers = params.get("HeadersConfig") or {}
    return headers.get("HeaderBehavior") == "whitelist" and "host" in _names(headers.get("Headers"))


def host_from_forwarded_values(forwarded: Mapping[str, Any]) -> bool:
    """Legacy cache settings: Host, or "*" (all headers), in ForwardedValues.Headers."""
    names = _names(forwarded.get("Headers"))
    return "host" in names or "*" in names


def policy_label(policy_id: str, table: Mapping[str, tuple[str, bool]],
                 name: str | None = None) -> str:
    known = table.get(policy_id)
    shown = name or (f"Managed-{known[0]}" if known else None)
    return f"{shown} ({policy_id})" if shown else policy_id


# Characters no DNS name can hold, which an unfilled placeholder brings (`${sub}`, `<sub>`,
# `%sub%`); the tenant placeholder syntax is UNCONFIRMED (cloudfront-facts §7.2).
_NOT_IN_DNS_NAMES = frozenset("${}<>%")


def unfilled_placeholder(domain: str, path: str = "") -> bool:
    """Whether an origin's domain (or path) still holds what looks like a placeholder: a
    domain with characters no DNS name can have, or a path with ``${`` or braces."""
    if any(ch in _NOT_IN_DNS_NAMES or ch.isspace() for ch in domain):
        return True
    return "${" in path or ("{" in path and "}" in path)


def ssl_protocols(items: Sequence[str]) -> tuple[str, ...]:
    """OriginSslProtocols.Items in origin502's order; values it does not know are dropped."""
    known = {SSL_PROTOCOL[i] for i in items if i in SSL_PROTOCOL}
    return tuple(p for p in ORIGIN_SSL_PROTOCOLS if p in known)


def join_origin_path(origin_path: str, path: str) -> str:
    """CloudFront appends the request path to the origin path (`/prod` + `/a` → `/prod/a`)."""
    prefix = (origin_path or "").rstrip("/")
    return f"{prefix}{path}" if prefix else path


def origin_settings(origin: DistOrigin, *, host_header: str | None, path: str) -> OriginSettings:
    """The probe settings for a custom origin, read from the distribution."""
    return OriginSettings(
        protocol_policy=PROTOCOL_POLICY[origin.protocol_policy or "https-only"],
        https_port=origin.https_port or 443,
        http_port=origin.http_port or 80,
        origin_ssl_protocols=ssl_protocols(origin.origin_ssl_protocols) or ("TLSv1.2",),
        host_header=host_header,
        connect_timeout=float(origin.connection_timeout),
        connection_attempts=int(origin.connection_attempts),
        read_timeout=float(origin.read_timeout or 30.0),
        keepalive_timeout=float(origin.keepalive_timeout or 5.0),
        path=join_origin_path(origin.origin_path, path),
        ip_address_type=IP_ADDRESS_TYPE.get(origin.ip_address_type or "ipv4", "ipv4"),
    )


def alias_match(name: str, aliases: Sequence[str]) -> tuple[int, str] | None:
    """How well ``name`` matches a distribution's aliases: (specificity, alias) or None.

    An exact alias beats every wildcard; a longer wildcard beats a shorter one. CloudFront's
    wildcard `*.example.com` covers names with any number of labels before example.com.
    """
    name = name.lower().rstrip(".")
    best: tuple[int, str] | None = None
    for alias in aliases:
        low = alias.lower().rstrip(".")
        if low == name:
            return (10_000, alias)
        if low.startswith("*.") and name.endswith(low[1:]) and len(name) > len(low) - 1:
            score = len(low)
            if best is None or score > best[0]:
                best = (score, alias)
    return best
