"""What to probe: the origin and the CloudFront origin settings it is reached with.

These values travel through Redis as JSON, so they hold plain types only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from workers.models.record import FrozenRecord

ProtocolPolicy = Literal["https-only", "http-only", "match-viewer"]
IpAddressType = Literal["ipv4", "ipv6", "dualstack"]

# CloudFront's OriginSslProtocols values, oldest first.
ORIGIN_SSL_PROTOCOLS: tuple[str, ...] = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2")


@dataclass(frozen=True, eq=False, repr=False)
class OriginSettings(FrozenRecord):
    """The custom-origin settings of a CloudFront distribution, with CloudFront's defaults."""

    protocol_policy: ProtocolPolicy = "https-only"
    https_port: int = 443
    http_port: int = 80
    origin_ssl_protocols: tuple[str, ...] = ("TLSv1.2",)
    # The viewer Host the distribution forwards; None when Host is not forwarded, in which case
    # CloudFront sends the origin domain as Host and as SNI (workers.target.Target decides).
    host_header: str | None = None
    connect_timeout: float = 10.0
    connection_attempts: int = 3
    read_timeout: float = 30.0
    # How long CloudFront keeps an idle connection to the origin open for reuse (5 s default).
    keepalive_timeout: float = 5.0
    path: str = "/"
    # Which address families CloudFront uses toward the origin (IPv4 only by default).
    ip_address_type: IpAddressType = "ipv4"

    def schemes(self) -> list[tuple[str, int]]:
        """The (scheme, port) pairs CloudFront may use toward the origin under this policy."""
        if self.protocol_policy == "https-only":
            return [("https", self.https_port)]
        if self.protocol_policy == "http-only":
            return [("http", self.http_port)]
        return [("https", self.https_port), ("http", self.http_port)]


@dataclass(frozen=True, eq=False, repr=False)
class ProbeOptions(FrozenRecord):
    """How origin502 itself probes; none of this is a CloudFront setting."""

    # NAME -> IP overrides, like curl's --resolve; the DNS probe is skipped for these names.
    resolve: tuple[tuple[str, str], ...] = ()
    # Extra PEM roots treated as if Mozilla trusted them (private test environments).
    ca_file: str | None = None
    # Refuse loopback, private, link-local... addresses unless this is set (the bot's default).
    allow_private: bool = True
    # "host:port" of the DNS server to ask instead of the system's resolvers.
    nameserver: str | None = None
    # The port authoritative name servers are asked on when resolution fails (53; tests run
    # their own name servers on loopback addresses at another port).
    dns_authority_port: int = 53
    # Whether the AIA caIssuers fetch may be used to tell a missing intermediate from an
    # untrusted root (diagnosis only; CloudFront itself fetches nothing).
    fetch_aia: bool = True


@dataclass(frozen=True, eq=False, repr=False)
class DistributionLookup(FrozenRecord):
    """Look the target up as a CloudFront distribution first (AWS access is configured)."""

    name: str  # an alias, a d….cloudfront.net name or a distribution id
    origin_id: str | None = None  # probe only this origin
    path: str | None = None  # probe only the behaviour CloudFront picks for this path


@dataclass(frozen=True, eq=False, repr=False)
class ProbeRequest(FrozenRecord):
    """One diagnosis to run: the origin name as CloudFront knows it plus settings and options."""

    hostname: str  # ASCII (punycode) name or IP literal, lower case, no trailing dot
    settings: OriginSettings = field(default_factory=OriginSettings)
    options: ProbeOptions = field(default_factory=ProbeOptions)
    # What the user typed, for display (Unicode names stay readable).
    display: str = ""
    # The origin's custom headers (name, value), sent as CloudFront sends them. The values are
    # secrets: kept out of repr, of to_dict (so of Redis and of every report) and of logs.
    origin_headers: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)
    # Set when the target is to be looked up in CloudFront before anything is probed.
    lookup: DistributionLookup | None = None

    def with_settings(self, **changes: Any) -> ProbeRequest:
        return replace(self, settings=replace(self.settings, **changes))

    def to_dict(self) -> dict[str, Any]:
        # What dataclasses.asdict gave, built by hand: asdict deep-copies field by field, and
        # a slash command's ack waits for this (issue 8). Every value below is a str, number,
        # bool or None, or is rebuilt as a new list, so nothing is shared with `self`.
        data = _plain(self)
        data.pop("origin_headers", None)
        data["settings"] = _plain(self.settings)
        data["settings"]["origin_ssl_protocols"] = list(self.settings.origin_ssl_protocols)
        data["options"] = _plain(self.options)
        data["options"]["resolve"] = [list(pair) for pair in self.options.resolve]
        data["lookup"] = _plain(self.lookup) if self.lookup is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProbeRequest:
        settings = dict(data.get("settings") or {})
        if "origin_ssl_protocols" in settings:
            settings["origin_ssl_protocols"] = tuple(settings["origin_ssl_protocols"])
        options = dict(data.get("options") or {})
        if "resolve" in options:
            options["resolve"] = tuple((str(n), str(ip)) for n, ip in options["resolve"])
        lookup = data.get("lookup")
        return cls(
            lookup=DistributionLookup(**lookup) if lookup else None,
            hostname=str(data["hostname"]),
            settings=OriginSettings(**settings),
            options=ProbeOptions(**options),
            display=str(data.get("display") or data["hostname"]),
        )

    def cache_key(self) -> str:
        """A stable key for 'the same target with the same options' (for dedup)."""
        return cache_key_of(self.to_dict())


def _plain(value: object) -> dict[str, Any]:
    """A dataclass's fields, in order, one level deep."""
    return {f.name: getattr(value, f.name) for f in fields(value)}  # type: ignore[arg-type]


def cache_key_of(payload: dict[str, Any]) -> str:
    """ProbeRequest.cache_key() from the request's to_dict(), for a caller that has it already
    (to_dict is the costly part, and a slash command's ack waits for it)."""
    kept = {name: value for name, value in payload.items() if name != "display"}
    blob = json.dumps(kept, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:24]
