"""Finding codes, their severity, remediation wording and documentation links: data, not logic.

Remediation steps are templates filled from the measured evidence by the rules. The wording is
ours; the links go to AWS's own guidance.
"""

from __future__ import annotations

from dataclasses import dataclass

DG = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/"
P502 = DG + "http-502-bad-gateway.html"
LINK_502_NAME = P502 + "#ssl-negotitation-failure"  # AWS spells the anchor this way
LINK_502_CIPHERS = P502 + "#origin-not-responding-with-supported-ciphers-protocols"
LINK_502_CERT = P502 + "#ssl-certificate-expired"
LINK_502_PORTS = P502 + "#origin-not-responding-on-specified-ports"
LINK_502_DNS = P502 + "#http-502-dns-error"
LINK_502_ALB = P502 + "#cloudfront-alb-502-error"
LINK_502_LAMBDA = P502 + "#http-502-lambda-validation-error"
LINK_502_FUNCTION = P502 + "#http-502-cloudfront-function-validation-error"
LINK_503 = DG + "http-503-service-unavailable.html"
LINK_504 = DG + "http-504-gateway-timeout.html"
LINK_ERROR_PAGES = DG + "troubleshooting-response-errors.html"
LINK_CIPHERS = DG + "secure-connections-supported-ciphers-cloudfront-to-origin.html"
LINK_CERT_REQS = DG + "cnames-and-https-requirements.html"
LINK_CERT_ISSUER = LINK_CERT_REQS + "#https-requirements-certificate-issuer"
LINK_CERT_NAMES = LINK_CERT_REQS + "#https-requirements-domain-names-in-cert"
LINK_CERT_INTERMEDIATES = LINK_CERT_REQS + "#https-requirements-intermediate-certificates"
LINK_HTTPS_ORIGIN = DG + "using-https-cloudfront-to-custom-origin.html"
LINK_ORIGIN_SETTINGS = DG + "DownloadDistValuesOrigin.html"
LINK_PORTS_SETTING = LINK_ORIGIN_SETTINGS + "#DownloadDistValuesHTTPPort"
LINK_DOMAIN_SETTING = LINK_ORIGIN_SETTINGS + "#DownloadDistValuesDomainName"
LINK_SSL_PROTOCOLS = LINK_ORIGIN_SETTINGS + "#DownloadDistValuesOriginSSLProtocols"
LINK_RESPONSE_TIMEOUT = LINK_ORIGIN_SETTINGS + "#DownloadDistValuesOriginResponseTimeout"
LINK_PREFIX_LIST = DG + "LocationsOfEdgeServers.html#managed-prefix-list"
LINK_IP_RANGES = "https://docs.aws.amazon.com/vpc/latest/userguide/aws-ip-ranges.html"
LINK_HOST_POLICIES = DG + "using-managed-origin-request-policies.html"
LINK_MTLS = DG + "origin-mtls-authentication.html"
LINK_CLIENT_CERT = DG + "RequestAndResponseBehaviorCustomOrigin.html#RequestCustomClientSideSslAuth"
LINK_VPC_ORIGINS = DG + "private-content-vpc-origins.html"
LINK_IPV6_ORIGIN = DG + "cloudfront-enable-ipv6.html#ipv6-origin-requests"
LINK_ALB_502 = "https://repost.aws/knowledge-center/elb-alb-troubleshoot-502-errors"
# CA/Browser Forum Baseline Requirements, §7.1.2.7 (subscriber certificate profile): the AIA
# extension is required in publicly-trusted server certificates (§7.1.2.7.6) and should carry
# the issuing CA's certificate URL, caIssuers (§7.1.2.7.7).
LINK_CABF_BR = "https://cabforum.org/working-groups/server/baseline-requirements/requirements/"
LINK_RFC5280_PATHS = "https://www.rfc-editor.org/rfc/rfc5280#section-6"


@dataclass(frozen=True)
class Entry:
    severity: str
    title: str
    remediation: tuple[str, ...]
    links: tuple[str, ...]
    uncertain: bool = False


CATALOG: dict[str, Entry] = {
    "DNS_RESOLUTION_FAILED": Entry(
        "error", "The origin name does not resolve",
        ("Check that {name} exists in public DNS: ask the zone's authoritative name servers "
         "directly (`dig NS {apex}`, then `dig {name} @<server>`), from a machine on the "
         "public internet.",
         "If the record lives only in a private (split-horizon) zone, publish it publicly or "
         "use a VPC origin: CloudFront resolves origins with public DNS.",
         "For a delegated subdomain, check its NS and SOA records at the parent zone."),
        (LINK_502_DNS, LINK_DOMAIN_SETTING)),
    "DNS_DANGLING_CNAME": Entry(
        "error", "A CNAME points at a name that no longer exists",
        ("Point the CNAME at the origin's current name (for a deleted load balancer, the DNS "
         "name of its replacement), or replace it with records that resolve.",
         "If {target} was a cloud resource's name (a bucket, an app or a load balancer "
         "name), someone else may be able to claim it and receive this traffic: fix the "
         "record rather than recreate the resource under a new name."),
        (LINK_502_DNS, LINK_DOMAIN_SETTING)),
    "DNS_DNSSEC_FAILED": Entry(
        "error", "DNSSEC validation fails for the origin name",
        ("Re-sign the zone {zone} (expired RRSIG signatures are the usual cause), or, after a "
         "key change or a move to another DNS provider, make the DS record at the parent "
         "(your registrar) match the zone's current DNSKEY. To turn DNSSEC off, remove the DS "
         "record first and wait for its TTL.",
         "Check the result with `delv {name}` or `dig {name} +dnssec`. Whether CloudFront's "
         "own resolvers validate DNSSEC is not documented; validating public resolvers reject "
         "the name today."),
        (LINK_502_DNS,), uncertain=True),
    "DNS_NAMESERVER_FAILING": Entry(
        "error", "An authoritative name server of the zone fails or does not answer",
        ("Bring {servers} back (is the DNS server running, does its firewall admit UDP and "
         "TCP port 53 from the internet?), or remove it from the NS records of {zone} and from "
         "the delegation at the parent zone (your registrar).",
         "Check every server the way AWS suggests: `dig NS {zone}`, then "
         "`dig {name} @<server>` for each."),
        (LINK_502_DNS,)),
    "DNS_LAME_DELEGATION": Entry(
        "error", "A name server listed for the zone does not serve it (lame delegation)",
        ("Load the zone {zone} on {servers}, or take {servers} out of the zone's NS records "
         "and of the delegation at the parent zone (your registrar).",
         "After a move to another DNS provider, the registrar must list only the new "
         "provider's name servers."),
        (LINK_502_DNS,)),
    "DNS_SERVERS_DISAGREE": Entry(
        "error", "The zone's name servers give different answers",
        ("Make every name server of {zone} serve the same zone data. A secondary that stopped "
         "transferring the zone (compare `dig SOA {zone} @<server>` serials) or a server left "
         "from a previous DNS provider is the usual cause; {servers} is the one to look at.",),
        (LINK_502_DNS,)),
    "ADDRESS_FAMILY_NOT_USED": Entry(
        "error", "The origin's only address is of a family CloudFront does not use",
        ("Set the origin IP address type to {kind_fix}, or give the origin a domain name with "
         "an address of the family CloudFront uses.",),
        (LINK_IPV6_ORIGIN, LINK_DOMAIN_SETTING)),
    "PORT_CLOSED": Entry(
        "error", "The origin refuses connections on the port",
        ("Start the web server or load balancer listener on port {port}, or change the "
         "distribution's {setting} to the port the origin really listens on.",
         "If a firewall sends the refusal, allow CloudFront's origin-facing ranges (the "
         "managed prefix list com.amazonaws.global.cloudfront.origin-facing) on port {port}."),
        (LINK_502_PORTS, LINK_PREFIX_LIST, LINK_IP_RANGES)),
    "PORT_TIMEOUT": Entry(
        "error", "Connections to the port are silently dropped",
        ("A firewall or security group is probably dropping the connection: allow inbound "
         "port {port} from CloudFront's origin-facing prefix list "
         "(com.amazonaws.global.cloudfront.origin-facing) or the CLOUDFRONT_ORIGIN_FACING "
         "ranges of ip-ranges.json.",
         "Make sure the origin is reachable from the internet at all; a private address needs "
         "a VPC origin instead.",
         "This probe does not come from CloudFront's addresses: an allowlist that admits only "
         "CloudFront would also drop it, so confirm with the rules themselves."),
        (LINK_502_PORTS, LINK_504, LINK_PREFIX_LIST, LINK_IP_RANGES)),
    "PORT_UNREACHABLE": Entry(
        "error", "There is no route to the origin address",
        ("Check that {address} is a public, routed address; an address with no route cannot "
         "be reached by CloudFront either.",
         "For IPv6, only give the origin an AAAA record if it really serves over IPv6, and "
         "check the distribution's origin IP address type."),
        (LINK_502_PORTS, LINK_IPV6_ORIGIN)),
    "PORT_NOT_ALLOWED": Entry(
        "error", "CloudFront cannot use this port for an origin",
        ("CloudFront accepts only ports 80, 443 and 1024-65535 for an origin. Move the origin's "
         "listener from port {port} to one of those and update the distribution's {setting}.",),
        (LINK_PORTS_SETTING,)),
    "TLS_NOT_SPOKEN": Entry(
        "error", "The HTTPS port does not speak TLS",
        ("Port {port} answered with something that is not TLS{plain}. Point the distribution's "
         "HTTPS port at the TLS listener, or enable TLS on this one.",
         "If the origin only serves plain HTTP, set the origin protocol policy to HTTP only "
         "(and accept that CloudFront-to-origin traffic is then unencrypted)."),
        (LINK_502_PORTS, LINK_HTTPS_ORIGIN)),
    "TLS_PROTOCOL_UNSUPPORTED": Entry(
        "error", "No TLS protocol version in common with CloudFront's settings",
        ("{fix}",
         "Check the result with `openssl s_client -connect {address}:{port} -servername {sni}"
         " -tls1_2`."),
        (LINK_502_CIPHERS, LINK_SSL_PROTOCOLS, LINK_CIPHERS)),
    "TLS13_ONLY": Entry(
        "warning", "The origin accepts only TLS 1.3",
        ("The origin accepts only TLS 1.3. AWS's origin settings list TLS 1.2 as the newest "
         "protocol, but CloudFront was reported in November 2025 to negotiate TLS 1.3 with "
         "origins automatically; that is not confirmed in AWS's documentation here.",
         "To be safe, also enable TLS 1.2 on the origin with one of CloudFront's ciphers, "
         "e.g. ECDHE-RSA-AES128-GCM-SHA256 or ECDHE-ECDSA-AES128-GCM-SHA256."),
        (LINK_CIPHERS, LINK_502_CIPHERS), uncertain=True),
    "TLS_CIPHER_UNSUPPORTED": Entry(
        "error", "No cipher in common with CloudFront",
        ("Enable at least one of CloudFront's origin ciphers on the origin, for example "
         "ECDHE-RSA-AES128-GCM-SHA256 (RSA certificate) or ECDHE-ECDSA-AES128-GCM-SHA256 "
         "(ECDSA certificate).",
         "CloudFront does not offer CHACHA20, DHE or plain-RSA GCM suites toward origins, even "
         "though viewers may use some of them."),
        (LINK_CIPHERS, LINK_502_CIPHERS)),
    "TLS_CURVE_UNSUPPORTED": Entry(
        "error", "No elliptic curve or signature scheme in common with CloudFront",
        ("{detail}.",
         "Allow X25519, prime256v1 (P-256) or secp384r1 (P-384) for ECDHE on the origin, and "
         "RSA-PKCS1 or ECDSA signatures with SHA-256/384/512."),
        (LINK_CIPHERS, LINK_502_CIPHERS)),
    "TLS_CLIENT_CERT_REQUIRED": Entry(
        "error", "The origin requires a client certificate",
        ("Either configure origin mutual TLS on the distribution (a client certificate "
         "imported into ACM in us-east-1, issued by a CA the origin trusts), or stop requiring "
         "client certificates on the listener CloudFront uses (for nginx: "
         "`ssl_verify_client optional` or `off`, and check the certificate in the application "
         "if needed).",
         "CloudFront sends no client certificate unless origin mutual TLS is configured, so "
         "the origin gives it no response and CloudFront answers 502."),
        (LINK_MTLS, LINK_CLIENT_CERT)),
    "TLS_CLIENT_CERT_REQUESTED": Entry(
        "warning", "The origin asks for an optional client certificate",
        ("The handshake completed without a client certificate, but the origin asked for one. "
         "Older CloudFront documentation says it drops requests to origins that ask; whether "
         "that still applies to an optional request is not confirmed.",
         "Turn the client-certificate request off for CloudFront's path, or configure origin "
         "mutual TLS."),
        (LINK_CLIENT_CERT, LINK_MTLS), uncertain=True),
    "TLS_WEAK_CIPHER": Entry(
        "warning", "CloudFront can connect only with a broken cipher",
        ("The origin accepts none of CloudFront's other ciphers and picks {cipher} over "
         "{protocol}. CloudFront still lists it, so requests work, but RC4 is prohibited in "
         "TLS (RFC 7465) and 3DES's 64-bit blocks are open to the Sweet32 attack "
         "(CVE-2016-2183); AWS may drop it from the list at any time.",
         "Enable ECDHE-RSA-AES128-GCM-SHA256 (RSA certificate) or "
         "ECDHE-ECDSA-AES128-GCM-SHA256 (ECDSA certificate) with TLS 1.2 on the origin, then "
         "remove {cipher}."),
        (LINK_CIPHERS, "https://www.rfc-editor.org/rfc/rfc7465",
         "https://nvd.nist.gov/vuln/detail/CVE-2016-2183")),
    "TLS_HANDSHAKE_FAILED": Entry(
        "error", "The TLS handshake failed",
        ("{detail}",
         "Test the origin's TLS with `openssl s_client -connect {address}:{port} "
         "-servername {sni}` and compare its protocols and ciphers with CloudFront's list."),
        (LINK_502_CIPHERS, LINK_CIPHERS)),
    "TLS_UNVERIFIABLE_HERE": Entry(
        "warning", "This handshake cannot be reproduced from here",
        ("{detail}",),
        (LINK_CIPHERS,), uncertain=True),
    "CERT_HOSTNAME_MISMATCH": Entry(
        "error", "The certificate does not name the origin",
        ("Issue a certificate that covers {name} (for example with ACM for a load balancer) and "
         "install it on the origin.",
         "{alternative}"),
        (LINK_502_NAME, LINK_CERT_NAMES, LINK_HOST_POLICIES)),
    "CERT_EXPIRED": Entry(
        "error", "A certificate has expired",
        ("Renew the {which} certificate and install it together with its current intermediate "
         "certificates.",
         "Then check automatic renewal (ACM, certbot...) so it does not lapse again."),
        (LINK_502_CERT, LINK_HTTPS_ORIGIN)),
    "CERT_NOT_YET_VALID": Entry(
        "error", "A certificate is not valid yet",
        ("The {which} certificate only becomes valid on {not_before}: install a certificate "
         "that is valid now, or check the origin's clock if it generated the certificate.",),
        (LINK_502_CERT,)),
    "CERT_EXPIRES_SOON": Entry(
        "warning", "The certificate expires soon",
        ("Renew the certificate before {not_after}; CloudFront will answer 502 from then on.",),
        (LINK_502_CERT,)),
    "CERT_SELF_SIGNED": Entry(
        "error", "The certificate is self-signed",
        ("CloudFront does not accept self-signed origin certificates. Install a certificate "
         "from a public CA on Mozilla's list (ACM for load balancers, or e.g. Let's Encrypt).",
         "Or set the origin protocol policy to HTTP only if encryption to the origin is not "
         "required."),
        (LINK_502_CERT, LINK_CERT_ISSUER, LINK_HTTPS_ORIGIN)),
    "CERT_UNTRUSTED_ROOT": Entry(
        "error", "The certificate chains to a CA CloudFront does not trust",
        ("{evidence_line}",
         "CloudFront trusts only the CAs on Mozilla's list; private CAs (including AWS Private "
         "CA) and TLS-interception roots are not accepted. Install a certificate from a public "
         "CA.",
         "Public CAs put their certificate's download URL (AIA caIssuers) in every server "
         "certificate, as the CA/Browser Forum Baseline Requirements' subscriber profile asks; "
         "if yours really comes from a public CA, add the intermediate it names after the "
         "server certificate instead."),
        (LINK_502_CERT, LINK_CERT_ISSUER, LINK_CABF_BR)),
    "CERT_CHAIN_INCOMPLETE": Entry(
        "error", "The origin does not send its intermediate certificate",
        ("Add the intermediate certificate \"{missing}\" after the server certificate in the "
         "origin's certificate file{where}.",
         "CloudFront does not fetch missing intermediates, even though browsers often do, so "
         "the origin may look fine in a browser."),
        (LINK_502_CERT, LINK_CERT_INTERMEDIATES)),
    "CERT_CHAIN_ORDER": Entry(
        "error", "The certificate chain is in the wrong order",
        ("Reorder the origin's certificate file: the server certificate first, then the "
         "intermediate that signed it, then any next intermediate, up to (not including) the "
         "root. Received now: {order}. Needed: {needed}.",),
        (LINK_502_CERT, LINK_CERT_INTERMEDIATES)),
    "CERT_EXTRA_CERTIFICATES": Entry(
        "info", "The chain holds certificates that are not needed",
        ("{detail} Removing them keeps the handshake small; they are not a cause of 502.",),
        (LINK_CERT_INTERMEDIATES,)),
    "CERT_RSA_KEY_TOO_LARGE": Entry(
        "warning", "The RSA key is larger than CloudFront documents",
        ("CloudFront documents RSA keys up to 4096 bits; this key has {bits}. Whether the limit "
         "applies to origin certificates is not confirmed. Prefer a 2048- or 3072-bit key.",),
        (LINK_CERT_REQS,), uncertain=True),
    "CERT_WEAK_KEY": Entry(
        "warning", "The certificate key is weak",
        ("{detail} Reissue the certificate with an RSA 2048-bit or ECDSA P-256 key.",),
        (LINK_CERT_REQS,)),
    "CERT_KEY_TYPE_UNCERTAIN": Entry(
        "warning", "The key type may not be accepted",
        ("{detail} CloudFront documents RSA keys and ECDSA P-256 keys; for anything else it is "
         "not confirmed that CloudFront accepts it. An RSA 2048 or ECDSA P-256 certificate is "
         "the safe choice.",),
        (LINK_CERT_REQS, LINK_CIPHERS), uncertain=True),
    "CERT_SHA1_SIGNATURE": Entry(
        "warning", "A certificate is signed with SHA-1",
        ("{detail} SHA-1 is still in CloudFront's list of handshake signature schemes, but "
         "whether CloudFront accepts SHA-1 signatures on origin certificates is not "
         "documented, and no public CA issues them any more: reissue with SHA-256.",),
        (LINK_CIPHERS, LINK_CERT_REQS), uncertain=True),
    "CERT_MD5_SIGNATURE": Entry(
        "error", "A certificate is signed with MD5",
        ("{detail} MD5 is not among CloudFront's signature schemes and MD5 signatures can be "
         "forged; maintained TLS clients refuse them. Reissue the certificate signed with "
         "SHA-256.",),
        (LINK_CIPHERS, LINK_502_CERT)),
    "CERT_RSA_KEY_TOO_SMALL": Entry(
        "error", "The RSA key is smaller than CloudFront accepts",
        ("{detail} CloudFront documents RSA keys of 1024 to 4096 bits; this {which} certificate "
         "has {bits}. Reissue it with an RSA 2048-bit or ECDSA P-256 key.",),
        (LINK_CERT_REQS, LINK_502_CERT)),
    "CERT_MESSAGE_TOO_LARGE": Entry(
        "error", "The origin's certificate chain is too large to accept",
        ("The certificate message the origin sends is larger than this machine's TLS library "
         "accepts (OpenSSL's client stops near 100 KB), so the chain could not be read here. "
         "CloudFront's own limit is not documented, but a chain this size is a mistake: send "
         "only the server certificate and its intermediates.",
         "Check the origin's certificate file for duplicated or unrelated certificates "
         "(`openssl crl2pkcs7 -nocrl -certfile chain.pem | openssl pkcs7 -print_certs -noout`)."),
        (LINK_502_CERT, LINK_CERT_INTERMEDIATES), uncertain=True),
    "CERT_CHAIN_CUT": Entry(
        "warning", "The certificate chain was too large to judge in full",
        ("{detail}. Real chains hold two to four certificates; origin502 limits the work an "
         "origin can make it do, so a verdict on this chain covers only what was considered.",
         "Send only the server certificate and its intermediates, in order."),
        (LINK_CERT_INTERMEDIATES, LINK_502_CERT), uncertain=True),
    "CERT_REJECTED_BY_VALIDATOR": Entry(
        "error", "A certificate validator rejects the chain",
        ("{fix}",
         "Check the result with `openssl verify -purpose sslserver -untrusted chain.pem "
         "server.pem` against Mozilla's roots."),
        (LINK_502_CERT, LINK_CERT_REQS, LINK_RFC5280_PATHS)),
    "TRUSTED_VIA_CA_FILE": Entry(
        "info", "Trusted only through --ca-file",
        ("The chain ends at \"{anchor}\", a root you supplied with --ca-file (or "
         "ORIGIN502_CA_FILE). It was trusted here because you asked for it; CloudFront trusts "
         "only Mozilla's list and would not accept it, so use a public CA for a real origin.",),
        (LINK_CERT_ISSUER,)),
    "ORIGIN_CLOSED_CONNECTION": Entry(
        "error", "The origin closed the connection without answering",
        ("The connection{after_tls} was accepted, then closed before any response to "
         "GET {path} (Host: {host}). Check the origin's logs for that request.",
         "Check that the virtual host for {host} exists and that the origin keeps connections "
         "open longer than CloudFront's keep-alive timeout (5 s by default)."),
        (P502, LINK_ORIGIN_SETTINGS)),
    "ORIGIN_RESPONSE_TIMEOUT": Entry(
        "error", "The origin does not answer within the response timeout (504, not 502)",
        ("CloudFront answers 504 Gateway Timeout in this case, not 502.",
         "Find why GET {path} takes more than {timeout:g} s (application, database, upstream), "
         "or raise the distribution's response timeout if the slowness is expected."),
        (LINK_504, LINK_RESPONSE_TIMEOUT)),
    "ORIGIN_RESPONSE_STALLED": Entry(
        "error", "The origin never completes its response headers (a trickle, or endless 1xx)",
        ("origin502 stopped waiting at the diagnosis's deadline: {detail}. CloudFront's "
         "response timeout ({timeout:g} s) counts the wait between packets, so a trickling "
         "origin keeps viewers waiting; with a response completion timeout set, CloudFront "
         "then answers 504. How CloudFront treats an endless stream of 1xx responses is not "
         "documented (UNCONFIRMED).",
         "Find what on the origin (or a proxy in front of it) sends GET {path} so slowly, and "
         "make it send complete response headers promptly."),
        (LINK_RESPONSE_TIMEOUT, LINK_504)),
    "HTTP_INVALID_RESPONSE": Entry(
        "error", "The origin answers with something that is not HTTP",
        ("The origin sent {first_bytes!r} instead of an HTTP/1.1 response. Check what really "
         "listens on port {port}: CloudFront talks HTTP/1.1 to origins.",),
        (P502,)),
    "ORIGIN_RETURNED_ERROR": Entry(
        "error", "The origin itself answers with an error",
        ("The {status} comes from the origin{server}, not from CloudFront: CloudFront passes "
         "it on to viewers.",
         "{fix}"),
        (LINK_502_ALB, LINK_ALB_502)),
    "ORIGIN_RETURNED_CLIENT_ERROR": Entry(
        "info", "The origin answers with a client error",
        ("GET {path} with Host {host} got {status}. If the origin expects a secret custom "
         "header from CloudFront, this probe does not send it; otherwise check the path and "
         "the virtual host.",),
        (DG + "add-origin-custom-headers.html",)),
    "ORIGIN_IS_IP_ADDRESS": Entry(
        "warning", "The origin is an IP address",
        ("CloudFront needs a domain name as the origin domain: create a DNS record for "
         "{address} and use that name.",
         "Certificates are checked against that name, and no SNI is sent for an IP address."),
        (LINK_DOMAIN_SETTING,)),
    "ORIGIN_PRIVATE_ADDRESS": Entry(
        "warning", "The origin resolves to a non-public address",
        ("CloudFront connects to custom origins over the internet and cannot reach such an "
         "address: publish a public address, or use a VPC origin for private load balancers "
         "and instances.",),
        (LINK_504, LINK_VPC_ORIGINS)),
    "ADDRESS_NOT_ALLOWED": Entry(
        "error", "Refused to probe a non-public address",
        ("CloudFront could not reach it either: publish a public address or use a VPC origin. "
         "origin502 probes such addresses only with ORIGIN502_ALLOW_PRIVATE_TARGETS=1.",),
        (LINK_504, LINK_VPC_ORIGINS)),
    # Severity is set by the rule: error when the edge answers 5xx, info when it answers
    # normally, warning when it could not be reached from here.
    "TARGET_IS_CLOUDFRONT": Entry(
        "error", "The name is CloudFront's edge, not an origin",
        ("{family_step}",
         "To check the origin behind it, run origin502 on the origin domain shown in the "
         "distribution's Origins tab: `origin502 diagnose ORIGIN_DOMAIN --host-header {host}` "
         "when the distribution forwards the viewer's Host header, without --host-header "
         "when it does not.",
         "Or let origin502 look the origins up itself: give it read-only AWS access with "
         "cloudfront:ListDistributions, cloudfront:GetDistribution, "
         "cloudfront:GetOriginRequestPolicy and cloudfront:GetCachePolicy (for multi-tenant "
         "distributions also cloudfront:GetDistributionTenantByDomain, "
         "cloudfront:ListDistributionTenants and cloudfront:GetConnectionGroupByRoutingEndpoint),"
         " or attach the AWS managed policy CloudFrontReadOnlyAccess. The README's AWS access "
         "section (README.md#aws-access) has the policy and how to pass credentials."),
        (LINK_ERROR_PAGES, P502, LINK_504)),
    "SOME_ADDRESSES_FAILING": Entry(
        "error", "Some of the origin's addresses fail: intermittent 502s",
        ("Fix the hosts behind the failing addresses (their own findings say how), or take "
         "those addresses out of DNS until they work.",),
        (P502,)),
    "ADDRESSES_NOT_ALL_PROBED": Entry(
        "warning", "Not every address of the origin was checked",
        ("{name} resolves to {total} addresses; origin502 checked the first {probed} and left "
         "out {left} ({skipped}). CloudFront may connect to any of them, so a failure on one "
         "that was not checked would not show here.",
         "Check the others one at a time with `--resolve {name}:ADDRESS`, or trim the record "
         "set to the addresses that serve the origin."),
        (LINK_502_DNS, LINK_DOMAIN_SETTING), uncertain=True),
}
