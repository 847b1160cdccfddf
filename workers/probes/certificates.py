"""Certificate facts: each presented certificate described, and the chain judged as CloudFront
judges it (order as sent, no missing intermediates fetched, Mozilla's roots only).

The AIA fetch here is for diagnosis only: it tells a missing intermediate from an untrusted root
the way SSL Labs does. CloudFront itself fetches nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from workers.addresses import private_reason
from workers.models import CertificateInfo, ChainAnalysis, ChainBreak
from workers.probes.chain_paths import (
    INVALID,
    MAX_CONSIDERED_CERTIFICATES,
    Anchor,
    PathBuilder,
    SignatureBudget,
    best_path,
    check_signature,
    key_id,
    server_certificate_index,
)
from workers.probes.chain_validators import mozilla_roots, validate
from workers.probes.context import DeadlineExceeded
from workers.probes.deadline_io import ResponseTooLarge, http_get

AIA_TIMEOUT = 3.0  # each wait for the next packet
AIA_BUDGET = 5.0  # the whole fetch, however the server trickles
AIA_MAX_BYTES = 64 * 1024


@dataclass(frozen=True, eq=False)  # identity: cached per CA file, and keys caches
class TrustStore:
    """Subject (DER) -> anchors, with where each came from ("mozilla" or "ca_file")."""

    anchors: dict[bytes, list[tuple[x509.Certificate, str]]]

    def issuers_of(self, cert: x509.Certificate) -> list[tuple[x509.Certificate, str]]:
        return self.anchors.get(cert.issuer.public_bytes(), [])

    def contains(self, cert: x509.Certificate) -> str | None:
        fingerprint = cert.fingerprint(hashes.SHA256())
        for anchor, source in self.anchors.get(cert.subject.public_bytes(), []):
            if anchor.fingerprint(hashes.SHA256()) == fingerprint:
                return source
        return None


@cache
def trust_store(ca_file: str | None) -> TrustStore:
    anchors: dict[bytes, list[tuple[x509.Certificate, str]]] = {}
    for cert in mozilla_roots():
        anchors.setdefault(cert.subject.public_bytes(), []).append((cert, "mozilla"))
    if ca_file:
        with open(ca_file, "rb") as handle:
            for cert in x509.load_pem_x509_certificates(handle.read()):
                anchors.setdefault(cert.subject.public_bytes(), []).append((cert, "ca_file"))
    return TrustStore(anchors)


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Names match and the signature verifies, or cannot be checked here (MD5...): the
    algorithm of a signature says nothing about who made it."""
    if cert.issuer != issuer.subject:
        return False
    return check_signature(cert, issuer)[0] != "invalid"


def _cn(name: x509.Name) -> str | None:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else None


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def describe(cert: x509.Certificate) -> CertificateInfo:
    """Plain facts about one certificate."""
    dns_names: list[str] = []
    ips: list[str] = []
    is_ca = False
    aia_urls: list[str] = []
    key_usage: list[str] | None = None
    extensions_error = None
    try:
        extensions = cert.extensions
    except ValueError as exc:
        # cryptography parses every extension at once; one malformed extension (an empty EKU,
        # say) must not crash the probe. The validators judge such a certificate.
        extensions, extensions_error = None, str(exc)
    if extensions is not None:
        try:
            san = extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            dns_names = [str(n) for n in san.get_values_for_type(x509.DNSName)]
            ips = [str(n) for n in san.get_values_for_type(x509.IPAddress)]
        except x509.ExtensionNotFound:
            pass
        with contextlib.suppress(x509.ExtensionNotFound):
            is_ca = extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        with contextlib.suppress(x509.ExtensionNotFound):
            key_usage = _key_usage(extensions.get_extension_for_class(x509.KeyUsage).value)
        try:
            aia = extensions.get_extension_for_class(x509.AuthorityInformationAccess)
            aia_urls = [str(d.access_location.value) for d in aia.value
                        if d.access_method == AuthorityInformationAccessOID.CA_ISSUERS
                        and isinstance(d.access_location, x509.UniformResourceIdentifier)]
        except x509.ExtensionNotFound:
            pass
    key = cert.public_key()
    key_type, key_size, curve = "unknown", None, None
    if isinstance(key, rsa.RSAPublicKey):
        key_type, key_size = "RSA", key.key_size
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key_type, key_size, curve = "EC", key.curve.key_size, key.curve.name
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key_type = "Ed25519"
    elif isinstance(key, ed448.Ed448PublicKey):
        key_type = "Ed448"
    elif isinstance(key, dsa.DSAPublicKey):
        key_type, key_size = "DSA", key.key_size
    try:
        sig_hash = cert.signature_hash_algorithm
        signature_hash = sig_hash.name if sig_hash else None
    except UnsupportedAlgorithm:
        signature_hash = "unsupported"
    self_issued = cert.subject == cert.issuer
    return CertificateInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        common_name=_cn(cert.subject),
        dns_names=dns_names,
        ip_addresses=ips,
        not_before=_iso(cert.not_valid_before_utc),
        not_after=_iso(cert.not_valid_after_utc),
        serial=format(cert.serial_number, "x"),
        sha256=cert.fingerprint(hashes.SHA256()).hex(),
        key_type=key_type,
        key_size=key_size,
        curve=curve,
        signature_hash=signature_hash,
        is_ca=is_ca,
        self_issued=self_issued,
        self_signed=self_issued and _issued_by(cert, cert),
        aia_ca_issuers=aia_urls,
        extensions_error=extensions_error,
        key_usage=key_usage,
        pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
    )


# cryptography's KeyUsage attributes and the RFC 5280 names a certificate dump shows.
_KEY_USAGE_NAMES = (
    ("digital_signature", "digitalSignature"), ("content_commitment", "nonRepudiation"),
    ("key_encipherment", "keyEncipherment"), ("data_encipherment", "dataEncipherment"),
    ("key_agreement", "keyAgreement"), ("key_cert_sign", "keyCertSign"),
    ("crl_sign", "cRLSign"))


def _key_usage(usage: x509.KeyUsage) -> list[str]:
    names = [name for attribute, name in _KEY_USAGE_NAMES if getattr(usage, attribute)]
    if usage.key_agreement:  # cryptography refuses to read these two without keyAgreement
        names += [name for attribute, name in (("encipher_only", "encipherOnly"),
                                               ("decipher_only", "decipherOnly"))
                  if getattr(usage, attribute)]
    return names


def load_chain(chain_der: list[bytes]) -> list[x509.Certificate]:
    return [x509.load_der_x509_certificate(der) for der in chain_der]


def _fetch_aia(url: str, allow_private: bool) -> tuple[str, str | None, list[x509.Certificate]]:
    """(status, detail, certificates) from an AIA caIssuers URL; HTTP only, small, quick."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return "failed", f"only http:// caIssuers URLs are fetched, not {url}", []
    host, port = parts.hostname, parts.port or 80
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return "failed", f"{host} does not resolve: {exc.strerror or exc}", []
    address = str(infos[0][4][0])
    reason = private_reason(address)
    if reason and not allow_private:
        return "blocked", f"{host} resolves to {address}, {reason}; not fetched", []
    # Only an AIA fetch needs these (start-up time of the CLI; pkcs7 pulls in email.*).
    import h11
    from cryptography.hazmat.primitives.serialization import pkcs7

    # One deadline for the whole fetch: a URL that trickles or streams 1xx lines is cut off.
    try:
        status, body = http_get(address, port, parts.path or "/", parts.netloc,
                                gap=AIA_TIMEOUT, budget=AIA_BUDGET, max_bytes=AIA_MAX_BYTES)
    except ResponseTooLarge:
        return "failed", f"{url} is larger than {AIA_MAX_BYTES} bytes", []
    except DeadlineExceeded:
        return "failed", f"{url} did not finish answering within {AIA_BUDGET:g} s", []
    except (OSError, h11.ProtocolError) as exc:
        return "failed", f"{url}: {exc}", []
    if status != 200:
        return "failed", f"HTTP {status} from {url}", []
    for loader in (lambda b: [x509.load_der_x509_certificate(b)],
                   x509.load_pem_x509_certificates,
                   pkcs7.load_der_pkcs7_certificates,
                   pkcs7.load_pem_pkcs7_certificates):
        try:
            certs = loader(body)
        except ValueError:
            continue
        if certs:
            return "fetched", None, list(certs)
    return "failed", f"{url} did not hold a certificate", []


@cache
def _anchors_by_subject(store: TrustStore) -> dict[bytes, list[Anchor]]:
    # Once per trust store (they are cached per CA file), not once per chain.
    return {subject: [Anchor(cert, source) for cert, source in entries]
            for subject, entries in store.anchors.items()}


def analyse_chain(chain: list[x509.Certificate], store: TrustStore, *, fetch_aia: bool,
                  allow_private: bool, name: str | None = None, ca_file: str | None = None,
                  now: dt.datetime | None = None) -> ChainAnalysis:
    """Order, completeness and trust of the chain as presented, over every path it allows.

    With ``name`` the maintained validators (OpenSSL, cryptography's Web PKI profile) also judge
    the chain for that name; ``ca_file`` adds its roots to theirs as to ``store``.
    """
    now = now or dt.datetime.now(dt.UTC)
    analysis = ChainAnalysis(presented_count=len(chain))
    if not chain:
        analysis.break_reason = ChainBreak.EMPTY
        return analysis
    # An origin controls how many certificates it sends: consider a bounded number.
    chain = chain[:MAX_CONSIDERED_CERTIFICATES]
    analysis.considered_count = len(chain)
    budget = SignatureBudget()
    leaf = server_certificate_index(chain)
    analysis.leaf_index = leaf
    builder = PathBuilder(chain, _anchors_by_subject(store), budget)
    paths = builder.build(leaf)
    analysis.paths_tried = len(paths)
    path = best_path(paths, chain, now)
    analysis.path = list(path.indexes)
    analysis.unchecked_signatures = dict(path.unchecked)
    analysis.signature_checks = budget.used
    analysis.signature_budget_exhausted = budget.exhausted
    analysis.issuer_index = [
        (path.indexes[path.indexes.index(i) + 1]
         if i in path.indexes and path.indexes.index(i) + 1 < len(path.indexes) else None)
        for i in range(len(chain))]
    analysis.in_order = path.indexes == list(range(len(path.indexes)))
    analysis.unused_indexes = [i for i in range(len(chain)) if i not in path.indexes]
    if name is not None:
        others = [c for i, c in enumerate(chain) if i != leaf]
        analysis.validators = validate(chain[leaf], others, name=name, ca_file=ca_file, now=now)

    last = chain[path.indexes[-1]]
    if path.end == "anchor" and path.anchor is not None:
        analysis.trusted = True
        analysis.anchor_source = path.anchor.source
        analysis.anchor_subject = path.anchor.cert.subject.rfc4514_string()
        analysis.root_included = path.anchor_presented
        return analysis
    if path.end == "self_signed":
        analysis.break_reason = (ChainBreak.SELF_SIGNED_LEAF if len(path.indexes) == 1
                                 else ChainBreak.UNTRUSTED_ROOT)
        return analysis

    analysis.break_reason = ChainBreak.INCOMPLETE
    analysis.dangling_index = path.indexes[-1]
    analysis.missing_issuer = last.issuer.rfc4514_string()
    _name_only_issuer(chain, analysis)
    info = describe(last)
    if not info.aia_ca_issuers:
        analysis.aia_status = "absent"
        return analysis
    analysis.aia_url = info.aia_ca_issuers[0]
    if not fetch_aia:
        analysis.aia_status = "skipped"
        return analysis
    _complete_with_aia(last, store, analysis, allow_private)
    return analysis


def _hex_id(value: bytes | None) -> str | None:
    return ":".join(f"{b:02X}" for b in value) if value else None


def _name_only_issuer(chain: list[x509.Certificate], analysis: ChainAnalysis) -> None:
    """Note a presented certificate that carries the missing issuer's name but did not sign the
    dangling certificate: the path builder passed it over, so "the issuer was not sent" would
    be wrong; the wrong certificate was sent."""
    dangling_index = analysis.dangling_index
    if dangling_index is None:
        return
    dangling = chain[dangling_index]
    expected = key_id(dangling, x509.AuthorityKeyIdentifier)
    for index, cert in enumerate(chain):
        if index == dangling_index or cert.subject != dangling.issuer:
            continue
        found = key_id(cert, x509.SubjectKeyIdentifier)
        if expected is not None and found is not None and expected != found:
            why = "key_identifier"
        elif check_signature(dangling, cert)[0] == INVALID:
            why = "signature"
        else:
            continue  # unchecked: not proven to be the wrong one
        analysis.wrong_issuer_index, analysis.wrong_issuer_why = index, why
        analysis.expected_key_id, analysis.wrong_issuer_key_id = _hex_id(expected), _hex_id(found)
        return


def _complete_with_aia(dangling: x509.Certificate, store: TrustStore, analysis: ChainAnalysis,
                       allow_private: bool) -> None:
    """Follow caIssuers links (at most three) and see whether they reach a trusted root."""
    current = dangling
    url = analysis.aia_url
    for depth in range(3):
        if url is None:
            break
        status, detail, certs = _fetch_aia(url, allow_private)
        if depth == 0:
            analysis.aia_status, analysis.aia_detail = status, detail
        if status != "fetched":
            if depth > 0:
                analysis.aia_completes_chain = False
            return
        # A caIssuers bundle is as origin-controlled as the chain: bounded the same way.
        issuer = next((c for c in certs[:MAX_CONSIDERED_CERTIFICATES]
                       if _issued_by(current, c)), None)
        if issuer is None:
            if depth == 0:
                analysis.aia_status = "failed"
                analysis.aia_detail = f"{url} holds a certificate that did not sign this one"
            analysis.aia_completes_chain = False
            return
        if depth == 0:
            analysis.aia_certificate = describe(issuer)
        anchored = any(_issued_by(issuer, a) for a, _ in store.issuers_of(issuer))
        if store.contains(issuer) or anchored:
            analysis.aia_completes_chain = True
            return
        if issuer.subject == issuer.issuer:
            analysis.aia_completes_chain = False
            return
        current = issuer
        urls = describe(issuer).aia_ca_issuers
        url = urls[0] if urls else None
    analysis.aia_completes_chain = False
