"""Certificate name matching as CloudFront documents it: SAN DNS names (the Common Name only
when there are none) and wildcards for one left-most label. Pure functions."""

from __future__ import annotations

from workers.models import CertificateInfo


def name_matches(pattern: str, name: str) -> bool:
    """RFC 6125 matching: exact, or a wildcard standing for exactly one left-most label."""
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern == name:
        return True
    if not pattern.startswith("*."):
        return False
    suffix = pattern[2:]
    head, dot, rest = name.partition(".")
    return bool(dot) and bool(head) and rest == suffix and "." in suffix


def names_for_matching(info: CertificateInfo) -> tuple[list[str], bool]:
    """The names CloudFront would compare, and whether they come from the CN (no DNS SANs)."""
    if info.dns_names:
        return info.dns_names, False
    return ([info.common_name] if info.common_name else []), True


def certificate_matches(info: CertificateInfo, name: str) -> bool:
    if ":" in name or name.replace(".", "").isdigit():
        return name in info.ip_addresses
    names, _ = names_for_matching(info)
    return any(name_matches(pattern, name) for pattern in names)
