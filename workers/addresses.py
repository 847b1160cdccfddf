"""Which addresses are not on the public internet, and so must not be probed by default.

CloudFront reaches custom origins over the internet; an origin name that resolves to one of these
addresses cannot work, and a bot that dials them would be a way into its own network.
"""

from __future__ import annotations

import ipaddress

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def private_reason(ip: str) -> str | None:
    """Why ``ip`` is not a public internet address, or None when it is public."""
    addr = ipaddress.ip_address(ip)
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            inner = private_reason(str(addr.ipv4_mapped))
            return f"IPv4-mapped {inner}" if inner else None
        if addr in _NAT64:
            inner = private_reason(str(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)))
            return f"NAT64-embedded {inner}" if inner else None
        if addr.sixtofour is not None:
            inner = private_reason(str(addr.sixtofour))
            if inner:
                return f"6to4-embedded {inner}"
    if addr.is_loopback:
        return "a loopback address"
    if addr.is_link_local:
        detail = " (the cloud metadata service)" if str(addr) == "169.254.169.254" else ""
        return f"a link-local address{detail}"
    if isinstance(addr, ipaddress.IPv4Address) and addr in _CGNAT:
        return "a carrier-grade NAT (100.64.0.0/10) address"
    if addr.is_multicast:
        return "a multicast address"
    if addr.is_unspecified:
        return "the unspecified address"
    if isinstance(addr, ipaddress.IPv6Address) and addr in ipaddress.ip_network("fc00::/7"):
        return "an IPv6 unique-local address"
    if addr.is_reserved:
        return "a reserved address"
    if addr.is_private:
        return "a private-network address"
    if not addr.is_global:
        return "an address that is not routed on the internet"
    return None
