"""Which addresses are not on the public internet, and so must not be probed by default.

CloudFront reaches custom origins over the internet; an origin name that resolves to one of these
addresses cannot work, and a bot that dials them would be a way into its own network (or its
cloud's metadata and host services).

The `ipaddress` module's properties are not enough on their own: what they cover follows the
Python release (3.11.7 calls 192.0.0.192, 3fff::1 and fec0::1 global), and they know nothing of
cloud metadata addresses. So the ranges are listed here, from IANA's registries, and the module's
properties only catch what the table does not name:

- IPv4 Special-Purpose Address Registry,
  https://www.iana.org/assignments/iana-ipv4-special-registry/
- IPv6 Special-Purpose Address Registry,
  https://www.iana.org/assignments/iana-ipv6-special-registry/
- plus multicast (RFC 5771, RFC 4291) and the deprecated IPv6 site-local fec0::/10 (RFC 3879),
  which are in neither registry but are no place for an origin.

Every range in both registries is refused, globally reachable or not (PCP/TURN anycast, AS112,
AMT, ORCHIDv2, DETs): no CloudFront origin lives there. The two translation prefixes that carry
a public IPv4 address (NAT64 64:ff9b::/96 and 6to4 2002::/16) are judged by the address they
carry, as the packet would reach it.
"""

from __future__ import annotations

import ipaddress
from typing import Final

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata and host-service addresses (instance credentials live behind these).
METADATA: Final[dict[str, str]] = {
    "169.254.169.254": "the cloud metadata service (AWS, Azure, GCP, OCI, OpenStack)",
    "169.254.170.2": "the Amazon ECS task metadata and credentials endpoint",
    "169.254.169.253": "the Amazon VPC DNS resolver",
    "169.254.169.123": "the Amazon Time Sync Service",
    "169.254.0.23": "the Tencent Cloud metadata service",
    "fd00:ec2::254": "the AWS instance metadata service (IPv6)",
    "fd00:ec2::253": "the Amazon VPC DNS resolver (IPv6)",
    "fd00:ec2::123": "the Amazon Time Sync Service (IPv6)",
    # Public-looking, but answered by the cloud host, never by an origin.
    "168.63.129.16": "the Azure host (WireServer) address",
    "100.100.100.200": "the Alibaba Cloud metadata service",
    "192.0.0.192": "the Oracle Cloud metadata service",
}

# (range, what it is); the most specific range that holds an address names it.
_V4: Final[tuple[tuple[str, str], ...]] = (
    ("0.0.0.0/8", "a “this network” (0.0.0.0/8) address"),
    ("0.0.0.0/32", "the unspecified address"),
    ("10.0.0.0/8", "a private-network (RFC 1918) address"),
    ("100.64.0.0/10", "a carrier-grade NAT (100.64.0.0/10) address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address"),
    ("172.16.0.0/12", "a private-network (RFC 1918) address"),
    ("192.0.0.0/24", "an IETF protocol assignment (192.0.0.0/24) address"),
    ("192.0.0.0/29", "an IPv4 service continuity (DS-Lite) address"),
    ("192.0.0.8/32", "the IPv4 dummy address"),
    ("192.0.0.9/32", "the Port Control Protocol anycast address"),
    ("192.0.0.10/32", "the TURN anycast address"),
    ("192.0.0.170/31", "a NAT64/DNS64 discovery address"),
    ("192.0.2.0/24", "a documentation (TEST-NET-1) address"),
    ("192.31.196.0/24", "an AS112 DNS service address"),
    ("192.52.193.0/24", "an AMT relay anycast address"),
    ("192.88.99.0/24", "a deprecated 6to4 relay anycast address"),
    ("192.168.0.0/16", "a private-network (RFC 1918) address"),
    ("192.175.48.0/24", "an AS112 direct-delegation DNS address"),
    ("198.18.0.0/15", "a benchmarking (198.18.0.0/15) address"),
    ("198.51.100.0/24", "a documentation (TEST-NET-2) address"),
    ("203.0.113.0/24", "a documentation (TEST-NET-3) address"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved (240.0.0.0/4) address"),
    ("255.255.255.255/32", "the limited broadcast address"),
)
_V6: Final[tuple[tuple[str, str], ...]] = (
    ("::/128", "the unspecified address"),
    ("::1/128", "a loopback address"),
    ("64:ff9b:1::/48", "a local-use IPv4/IPv6 translation (64:ff9b:1::/48) address"),
    ("100::/64", "a discard-only (100::/64) address"),
    ("100:0:0:1::/64", "a dummy IPv6 prefix (100:0:0:1::/64) address"),
    ("2001::/23", "an IETF protocol assignment (2001::/23) address"),
    ("2001::/32", "a Teredo tunnel address"),
    ("2001:1::1/128", "the Port Control Protocol anycast address"),
    ("2001:1::2/128", "the TURN anycast address"),
    ("2001:1::3/128", "the DNS-SD service registration anycast address"),
    ("2001:2::/48", "a benchmarking (2001:2::/48) address"),
    ("2001:3::/32", "an AMT relay address"),
    ("2001:4:112::/48", "an AS112 DNS service address"),
    ("2001:10::/28", "a deprecated ORCHID address"),
    ("2001:20::/28", "an ORCHIDv2 address"),
    ("2001:30::/28", "a drone remote ID (DET) address"),
    ("2001:db8::/32", "a documentation (2001:db8::/32) address"),
    ("2620:4f:8000::/48", "an AS112 direct-delegation DNS address"),
    ("3fff::/20", "a documentation (3fff::/20) address"),
    ("5f00::/16", "a segment routing (SRv6 SID) address"),
    ("fc00::/7", "an IPv6 unique-local address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a deprecated IPv6 site-local address"),
    ("ff00::/8", "a multicast address"),
)


def _table(rows: tuple[tuple[str, str], ...]) -> tuple[tuple[Network, str], ...]:
    parsed = [(ipaddress.ip_network(net), why) for net, why in rows]
    return tuple(sorted(parsed, key=lambda row: -row[0].prefixlen))  # most specific first


SPECIAL_PURPOSE: Final[tuple[tuple[Network, str], ...]] = _table(_V4 + _V6)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def private_reason(ip: str) -> str | None:
    """Why ``ip`` is not a public internet address, or None when it is public."""
    addr = ipaddress.ip_address(ip)
    if isinstance(addr, ipaddress.IPv6Address):
        addr = _without_scope(addr)
        if addr.ipv4_mapped is not None:
            inner = private_reason(str(addr.ipv4_mapped))
            return f"IPv4-mapped {inner}" if inner else None
        if addr in _NAT64:
            inner = private_reason(str(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)))
            return f"NAT64-embedded {inner}" if inner else None
        if addr.sixtofour is not None:
            inner = private_reason(str(addr.sixtofour))
            return f"6to4-embedded {inner}" if inner else None
    metadata = METADATA.get(str(addr))
    if metadata is not None:
        return metadata
    for network, why in SPECIAL_PURPOSE:
        if addr.version == network.version and addr in network:
            return why
    # What the table does not name but Python knows is not global (e.g. unallocated IPv6).
    if addr.is_reserved:
        return "a reserved address"
    if addr.is_private or not addr.is_global:
        return "an address that is not routed on the internet"
    return None


# "This network": a source address only (RFC 791, RFC 1122 §3.2.1.3); Python calls only
# 0.0.0.0 itself unspecified, and none of it reserved.
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")


def unconnectable_reason(ip: str) -> str | None:
    """Why no TCP server can have ``ip`` (anyone's connection to it fails), or None when one
    can: the unspecified address, "this network", multicast, and IPv4's reserved 240.0.0.0/4
    (which holds the limited broadcast address), also IPv4-mapped.

    Such an address must not be dialled at all: Linux takes a connection to 0.0.0.0 (or ::)
    to the machine itself, so the probe would judge whatever listens here. IPv6's
    ``is_reserved`` is left out: it covers unallocated unicast space (and ::1), where a server
    could one day answer."""
    addr = ipaddress.ip_address(ip)
    if isinstance(addr, ipaddress.IPv6Address):
        addr = _without_scope(addr)
        if addr.ipv4_mapped is not None:
            inner = unconnectable_reason(str(addr.ipv4_mapped))
            return f"IPv4-mapped {inner}" if inner else None
        if addr.is_unspecified or addr.is_multicast:
            return private_reason(str(addr))
        return None
    if addr in _THIS_NETWORK or addr.is_multicast or addr.is_reserved:
        return private_reason(str(addr))
    return None


def _without_scope(addr: ipaddress.IPv6Address) -> ipaddress.IPv6Address:
    """fe80::1%eth0 is fe80::1 for this purpose."""
    return ipaddress.IPv6Address(int(addr)) if addr.scope_id else addr
