"""What CloudFront offers an origin, from its documentation (see shared cloudfront-facts).

Data only: the TLS probe offers exactly this, and the diagnosis rules compare against it.
"""

from __future__ import annotations

# OpenSSL names of the ciphers CloudFront can use toward a custom origin, in the documented order.
CLOUDFRONT_CIPHERS: tuple[str, ...] = (
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-ECDSA-AES256-SHA",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA",
    "AES256-SHA",
    "AES128-SHA",
    "DES-CBC3-SHA",
    "RC4-MD5",
)
# Listed by CloudFront but absent from OpenSSL 3's default provider: an origin that accepts only
# these cannot be checked from here.
UNBUILDABLE_CIPHERS: frozenset[str] = frozenset({"DES-CBC3-SHA", "RC4-MD5"})

# Elliptic curves for ECDHE, as OpenSSL group names.
CLOUDFRONT_GROUPS: tuple[str, ...] = ("X25519", "P-256", "P-384")

# Signature schemes, as an OpenSSL sigalgs list (no RSA-PSS, no Ed25519 in CloudFront's list).
CLOUDFRONT_SIGALGS: tuple[str, ...] = (
    "RSA+SHA256", "RSA+SHA384", "RSA+SHA512", "RSA+SHA224",
    "ECDSA+SHA256", "ECDSA+SHA384", "ECDSA+SHA512", "ECDSA+SHA224",
    "RSA+SHA1", "ECDSA+SHA1",
)

# Ports CloudFront accepts for an origin's HTTP and HTTPS port settings.
def port_allowed(port: int) -> bool:
    return port in (80, 443) or 1024 <= port <= 65535


RSA_MAX_BITS = 4096
# The smallest RSA key CloudFront documents (cnames-and-https-requirements.html): 1024 bits.
RSA_MIN_BITS = 1024
EXPIRY_WARNING_DAYS = 14
