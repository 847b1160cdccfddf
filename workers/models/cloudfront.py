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
# IANA TLS cipher suite registry values of the suites above: a ClientHello built byte by byte
# offers exactly these, whatever the local OpenSSL can build.
# https://www.iana.org/assignments/tls-parameters/tls-parameters.xhtml#tls-parameters-4
CLOUDFRONT_CIPHER_IDS: dict[str, int] = {
    "ECDHE-ECDSA-AES256-GCM-SHA384": 0xC02C,
    "ECDHE-ECDSA-AES256-SHA384": 0xC024,
    "ECDHE-ECDSA-AES256-SHA": 0xC00A,
    "ECDHE-ECDSA-AES128-GCM-SHA256": 0xC02B,
    "ECDHE-ECDSA-AES128-SHA256": 0xC023,
    "ECDHE-ECDSA-AES128-SHA": 0xC009,
    "ECDHE-RSA-AES256-GCM-SHA384": 0xC030,
    "ECDHE-RSA-AES256-SHA384": 0xC028,
    "ECDHE-RSA-AES256-SHA": 0xC014,
    "ECDHE-RSA-AES128-GCM-SHA256": 0xC02F,
    "ECDHE-RSA-AES128-SHA256": 0xC027,
    "ECDHE-RSA-AES128-SHA": 0xC013,
    "AES256-SHA": 0x0035,
    "AES128-SHA": 0x002F,
    "DES-CBC3-SHA": 0x000A,
    "RC4-MD5": 0x0004,
}
# Suites defined only for TLS 1.2 (GCM, SHA-256/384 MACs): not offered in an older ClientHello.
TLS12_ONLY_CIPHERS: frozenset[str] = frozenset(
    name for name in CLOUDFRONT_CIPHERS if "GCM" in name or name.endswith(("SHA256", "SHA384"))
)
# Suites of the list whose key exchange is RSA encryption (no ECDHE): the server certificate's
# key decrypts rather than signs, so it needs keyEncipherment, not digitalSignature.
RSA_KEY_EXCHANGE_CIPHERS: frozenset[str] = frozenset(
    {"AES256-SHA", "AES128-SHA", "DES-CBC3-SHA", "RC4-MD5"})
# Suites broken by known attacks (RC4: RFC 7465; 64-bit-block 3DES: Sweet32, CVE-2016-2183)
# that CloudFront still lists: an origin that gets one of them works, but deserves a warning.
WEAK_CLOUDFRONT_CIPHERS: frozenset[str] = frozenset({"DES-CBC3-SHA", "RC4-MD5"})
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

# TLS 1.3 toward origins (reported from November 2025; AWS's text and the suites are UNCONFIRMED,
# cloudfront-facts §2.1, §8.1). The suites probed are the AES-GCM ones: TLS_AES_128_GCM_SHA256
# is mandatory for every TLS 1.3 client (RFC 8446 §9.1), and CloudFront's documented origin list
# has AES-GCM suites but no ChaCha20 one, so whether it offers TLS_CHACHA20_POLY1305_SHA256 to
# origins is not known. An origin that takes neither AES-GCM suite depends on that unknown.
CLOUDFRONT_TLS13_SUITES: tuple[str, ...] = ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384")
# Every TLS 1.3 suite OpenSSL 3 has, to name what an origin does accept.
ALL_TLS13_SUITES: tuple[str, ...] = (
    "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256",
)
# TLS 1.3 signs with RSA-PSS for RSA certificates (RFC 8446 §4.2.3), which CloudFront's TLS 1.2
# list lacks: a TLS 1.3 ClientHello offers it besides that list (UNCONFIRMED, facts §2.4).
CLOUDFRONT_TLS13_SIGALGS: tuple[str, ...] = (
    "rsa_pss_rsae_sha256", "rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512",
    "rsa_pss_pss_sha256", "rsa_pss_pss_sha384", "rsa_pss_pss_sha512", *CLOUDFRONT_SIGALGS,
)

# Ports CloudFront accepts for an origin's HTTP and HTTPS port settings.
def port_allowed(port: int) -> bool:
    return port in (80, 443) or 1024 <= port <= 65535


RSA_MAX_BITS = 4096
# The smallest RSA key CloudFront documents (cnames-and-https-requirements.html): 1024 bits.
RSA_MIN_BITS = 1024
EXPIRY_WARNING_DAYS = 14
# "Maximum length of a request or an origin response, including headers and query strings,
# but not including the body content" (cloudfront-limits.html); an origin response over it is
# logged as OriginHeaderTooBigError.
RESPONSE_HEAD_LIMIT = 20_480
