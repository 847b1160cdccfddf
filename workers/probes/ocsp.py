"""The certificate status an origin staples to its handshake (OCSP stapling), read as a client
that checks revocation reads it: is the response about this server certificate, who signed it,
what it says, and when it was made. Nothing is fetched: the probe's job is what CloudFront is
handed, and whether CloudFront itself checks revocation is not documented (cloudfront-facts
§3.2), so the response is judged and the rules say it with that doubt.

The response comes from OpenSSL's message callback (the handshake messages as received):
Python's ssl module does not expose the stapled response itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, SignatureAlgorithmOID

from workers.models import OcspStaple
from workers.probes.certificates import trust_store
from workers.probes.chain_paths import VALID, check_signature

_STATUS_REQUEST = 5  # the TLS extension (RFC 6066 §8), in a TLS 1.3 CertificateEntry
_OCSP = 1  # CertificateStatusType ocsp


def _u(data: bytes, at: int, size: int) -> int | None:
    """The big-endian integer of ``size`` bytes at ``at``; None past the end."""
    if at + size > len(data):
        return None
    return int.from_bytes(data[at:at + size], "big")


def _status_body(body: bytes) -> bytes | None:
    """The OCSPResponse in a CertificateStatus body (status_type, 24-bit length, response)."""
    length = _u(body, 1, 3)
    if not body or body[0] != _OCSP or length is None or 4 + length > len(body):
        return None
    return body[4:4 + length] or None


def _from_tls13_certificate(message: bytes) -> bytes | None:
    """The status_request extension of the first CertificateEntry of a TLS 1.3 Certificate
    message (RFC 8446 §4.4.2): the server certificate's stapled response."""
    context_length = _u(message, 4, 1)
    if context_length is None:
        return None
    at = 5 + context_length + 3  # past the request context and the list's length
    cert_length = _u(message, at, 3)
    if cert_length is None:
        return None
    at += 3 + cert_length
    extensions_length = _u(message, at, 2)
    if extensions_length is None:
        return None
    at += 2
    end = min(at + extensions_length, len(message))
    while at + 4 <= end:
        kind, length = _u(message, at, 2), _u(message, at + 2, 2)
        if kind is None or length is None:
            return None
        if kind == _STATUS_REQUEST:
            return _status_body(message[at + 4:at + 4 + length])
        at += 4 + length
    return None


def stapled_response(protocol: str | None, certificate: bytes | None,
                     certificate_status: bytes | None) -> bytes | None:
    """The DER OCSP response the server stapled, from its handshake messages as received
    (4-byte header included): TLS 1.3 carries it in the Certificate message, older versions
    in a CertificateStatus message of their own. None when there was none."""
    if protocol == "TLSv1.3":
        return _from_tls13_certificate(certificate) if certificate else None
    return _status_body(certificate_status[4:]) if certificate_status else None


def _must_staple(leaf: x509.Certificate) -> bool:
    try:
        feature = leaf.extensions.get_extension_for_class(x509.TLSFeature).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    return x509.TLSFeatureType.status_request in list(feature)


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def _issuer_of(leaf: x509.Certificate, others: list[x509.Certificate],
               ca_file: str | None) -> x509.Certificate | None:
    """The certificate whose key signed ``leaf``: among those sent, else among the roots."""
    candidates = [c for c in others if c.subject == leaf.issuer]
    candidates += [anchor for anchor, _ in trust_store(ca_file).issuers_of(leaf)]
    return next((c for c in candidates if check_signature(leaf, c)[0] == VALID), None)


def _key_hash(cert: x509.Certificate) -> bytes:
    """SHA-1 of the certificate's public key bits: how a responder names itself by key."""
    return x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest


def _verify(key: Any, response: Any) -> tuple[str, str | None]:
    """(verified | invalid | unchecked, why) for ``key``'s signature on the response."""
    data, signature = response.tbs_response_bytes, response.signature
    try:
        digest = response.signature_hash_algorithm
        if isinstance(key, rsa.RSAPublicKey) and digest is not None and (
                response.signature_algorithm_oid != SignatureAlgorithmOID.RSASSA_PSS):
            key.verify(signature, data, padding.PKCS1v15(), digest)
        elif isinstance(key, ec.EllipticCurvePublicKey) and digest is not None:
            key.verify(signature, data, ec.ECDSA(digest))
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, data)
        else:
            return "unchecked", (f"its signature algorithm "
                                 f"{response.signature_algorithm_oid.dotted_string} cannot be "
                                 "checked here")
    except InvalidSignature:
        return "invalid", "the signature does not verify"
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        return "unchecked", f"its signature cannot be checked here ({exc})"
    return "verified", None


def _signature(response: Any, issuer: x509.Certificate | None) -> tuple[str, str | None,
                                                                        str | None]:
    """(verdict, signer's subject, why) for the response's signature, as RFC 6960 §4.2.2.2
    allows it: the issuer itself, or a responder certificate the issuer signed for OCSP."""
    name, key_hash = response.responder_name, response.responder_key_hash
    if issuer is None:
        return "unchecked", None, "the certificate's issuer was not sent, so its key is unknown"
    if name == issuer.subject or key_hash == _key_hash(issuer):
        verdict, why = _verify(issuer.public_key(), response)
        return verdict, issuer.subject.rfc4514_string(), why
    for responder in response.certificates:
        if not (name == responder.subject or key_hash == _key_hash(responder)):
            continue
        subject = responder.subject.rfc4514_string()
        if check_signature(responder, issuer)[0] != VALID:
            return "invalid", subject, ("the responder's certificate is not signed by the "
                                        "certificate's issuer")
        try:
            usages = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except (x509.ExtensionNotFound, ValueError):
            usages = x509.ExtendedKeyUsage([])
        if ExtendedKeyUsageOID.OCSP_SIGNING not in list(usages):
            return "invalid", subject, ("the responder's certificate is not authorised for "
                                        "OCSP signing")
        verdict, why = _verify(responder.public_key(), response)
        return verdict, subject, why
    who = name.rfc4514_string() if name is not None else f"key {key_hash.hex()}"
    return "invalid", who, ("signed by a responder that is neither the certificate's issuer "
                            "nor one whose certificate came with the response")


def _hashes_match(single: Any, leaf: x509.Certificate,
                  issuer: x509.Certificate | None) -> bool | None:
    """Whether the response's CertID names ``leaf``'s issuer (name, and key when the issuer is
    at hand); None when only the name could be compared."""
    algorithm = single.hash_algorithm.name
    if single.issuer_name_hash != hashlib.new(algorithm, leaf.issuer.public_bytes()).digest():
        return False
    if issuer is None:
        return None
    from cryptography.x509 import ocsp

    # The builder hashes the issuer's public key bits as a CertID does.
    request = ocsp.OCSPRequestBuilder().add_certificate(
        leaf, issuer, single.hash_algorithm).build()
    return bool(request.issuer_key_hash == single.issuer_key_hash)


def read_staple(staple: bytes | None, chain_der: list[bytes], *,
                ca_file: str | None) -> OcspStaple | None:
    """What ``staple`` (the response stapled with ``chain_der``, or None) says about the
    server certificate, the first sent. None when that certificate cannot be read (the chain
    judgement says why)."""
    try:
        leaf = x509.load_der_x509_certificate(chain_der[0]) if chain_der else None
    except ValueError:
        leaf = None
    if leaf is None:
        return None
    result = OcspStaple(must_staple=_must_staple(leaf), stapled=staple is not None)
    if staple is None:
        return result
    others = []
    for der in chain_der[1:]:
        try:
            others.append(x509.load_der_x509_certificate(der))
        except ValueError:
            continue
    # Only an origin that staples pays for this import (start-up time of the CLI).
    from cryptography.x509 import ocsp

    try:
        response = ocsp.load_der_ocsp_response(staple)
        result.response_status = response.response_status.name.lower()
        if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
            return result
        singles = list(response.responses)
        single = next((s for s in singles if s.serial_number == leaf.serial_number),
                      singles[0] if singles else None)
        if single is None:
            result.problem = "the response holds no certificate status"
            return result
        issuer = _issuer_of(leaf, others, ca_file)
        result.serial = format(single.serial_number, "x")
        result.cert_status = single.certificate_status.name.lower()
        matched = _hashes_match(single, leaf, issuer)
        result.for_this_certificate = (
            False if single.serial_number != leaf.serial_number or matched is False else matched)
        result.this_update = _iso(single.this_update_utc)
        result.next_update = _iso(single.next_update_utc)
        if single.certificate_status == ocsp.OCSPCertStatus.REVOKED:
            result.revoked_at = _iso(single.revocation_time_utc)
            reason = single.revocation_reason
            result.revocation_reason = reason.value if reason is not None else None
        result.signature, result.signed_by, result.signature_detail = _signature(
            response, issuer)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        # cryptography's parse errors end in a debug dump of the parser's state: cut it.
        result.problem = f"it is not an OCSP response that can be read ({str(exc).split(' {')[0]})"
    return result
