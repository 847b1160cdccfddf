"""Certification paths built the way real clients build them: by issuer name and key
identifiers, trying every path the presented certificates and the trust store allow, with the
work an origin can make expensive capped.

Signatures are checked with whatever can check them. ``cryptography``'s
``verify_directly_issued_by`` refuses MD5 (and, in some versions, SHA-1) signatures; those are
verified with the issuer's public key directly, and a signature nothing here can verify is
recorded as *unchecked* rather than read as "not issued by" — the algorithm of a signature
says nothing about who made it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa

from workers.models.record import FrozenRecord, Record

# Real chains are 2-4 certificates; an origin sending hundreds makes path building quadratic
# (issue 11: 345 same-name certificates cost 20 s of CPU). Beyond these limits the rest is
# cut and the cut is reported.
MAX_CONSIDERED_CERTIFICATES = 16
MAX_SIGNATURE_CHECKS = 64
MAX_PATH_DEPTH = 8
MAX_PATHS = 32

VALID, INVALID, UNCHECKED = "valid", "invalid", "unchecked"


@dataclass(frozen=True, eq=False, repr=False)
class Anchor(FrozenRecord):
    """A trusted root and where it came from ("mozilla" or "ca_file")."""

    cert: x509.Certificate
    source: str


@dataclass(eq=False, repr=False)
class Path(Record):
    """One candidate path: presented indexes from the server certificate up, then how it ends.

    ``end`` is "anchor" (reaches a trusted root), "self_signed" (an untrusted root),
    "incomplete" (no issuer found) or "loop"/"too_deep".
    """

    indexes: list[int]
    end: str
    anchor: Anchor | None = None
    anchor_presented: bool = False  # the anchor is itself one of the presented certificates
    unchecked: dict[int, str] = field(default_factory=dict)


class SignatureBudget:
    """Counts signature checks for one address and caches each (certificate, issuer) result."""

    def __init__(self, limit: int = MAX_SIGNATURE_CHECKS) -> None:
        self.limit = limit
        self.used = 0
        self.exhausted = False
        self._cache: dict[tuple[bytes, bytes], tuple[str, str | None]] = {}

    def check(self, cert: x509.Certificate, issuer: x509.Certificate) -> tuple[str, str | None]:
        key = (cert.fingerprint(hashes.SHA256()), issuer.fingerprint(hashes.SHA256()))
        if key in self._cache:
            return self._cache[key]
        if self.used >= self.limit:
            self.exhausted = True
            return UNCHECKED, f"not checked: the limit of {self.limit} signature checks was met"
        self.used += 1
        result = check_signature(cert, issuer)
        self._cache[key] = result
        return result


def _algorithm_name(cert: x509.Certificate) -> str:
    oid = cert.signature_algorithm_oid
    return getattr(oid, "_name", None) or oid.dotted_string


def check_signature(cert: x509.Certificate, issuer: x509.Certificate) -> tuple[str, str | None]:
    """(VALID | INVALID | UNCHECKED, why) for ``issuer``'s signature on ``cert``."""
    try:
        cert.verify_directly_issued_by(issuer)
    except InvalidSignature:
        return INVALID, "the signature does not verify with the issuer's key"
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # "Unsupported signature algorithm" (MD5, SHA-1 in some versions) or a name mismatch;
        # the caller only pairs certificates whose names match, so verify by hand.
        return _check_by_hand(cert, issuer)
    return VALID, None


def _check_by_hand(cert: x509.Certificate, issuer: x509.Certificate) -> tuple[str, str | None]:
    algorithm = _algorithm_name(cert)
    try:
        digest = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return UNCHECKED, f"its signature algorithm {algorithm} cannot be checked here"
    key = issuer.public_key()
    pss = "pss" in algorithm.lower()
    try:
        if isinstance(key, rsa.RSAPublicKey) and digest is not None and not pss:
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), digest)
        elif isinstance(key, ec.EllipticCurvePublicKey) and digest is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(digest))
        elif isinstance(key, dsa.DSAPublicKey) and digest is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, digest)
        else:
            return UNCHECKED, f"its signature algorithm {algorithm} cannot be checked here"
    except InvalidSignature:
        return INVALID, "the signature does not verify with the issuer's key"
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        return UNCHECKED, f"its {algorithm} signature cannot be checked here ({exc})"
    return VALID, None


def key_id(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> bytes | None:
    try:
        value = cert.extensions.get_extension_for_class(kind).value
    except (x509.ExtensionNotFound, ValueError):
        return None
    if isinstance(value, x509.AuthorityKeyIdentifier):
        return value.key_identifier
    if isinstance(value, x509.SubjectKeyIdentifier):
        return value.digest
    return None


def _may_issue(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Names match and, where both carry them, AKI matches SKI (RFC 5280 §4.2.1.1)."""
    if cert.issuer != issuer.subject:
        return False
    aki = key_id(cert, x509.AuthorityKeyIdentifier)
    ski = key_id(issuer, x509.SubjectKeyIdentifier)
    return aki is None or ski is None or aki == ski


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except (x509.ExtensionNotFound, ValueError):
        return False


def server_certificate_index(chain: list[x509.Certificate]) -> int:
    """Where the server certificate is: first, unless a CA certificate came first and an
    end-entity certificate follows (some servers send an intermediate first)."""
    if not chain or not is_ca(chain[0]) or chain[0].subject == chain[0].issuer:
        return 0
    for index, cert in enumerate(chain[1:], start=1):
        if not is_ca(cert):
            return index
    return 0


def _valid_at(cert: x509.Certificate, now: dt.datetime) -> bool:
    return cert.not_valid_before_utc <= now <= cert.not_valid_after_utc


class PathBuilder:
    """Depth-first search over issuers: presented certificates first, then trust anchors."""

    def __init__(self, chain: list[x509.Certificate], anchors_for: dict[bytes, list[Anchor]],
                 budget: SignatureBudget) -> None:
        self.chain = chain
        self.anchors_for = anchors_for
        self.budget = budget
        self.paths: list[Path] = []

    def presented_anchor(self, index: int) -> Anchor | None:
        """The trust anchor that is this presented certificate itself, if any (looked up by
        subject first: hashing every anchor per chain costs more than the whole path search)."""
        cert = self.chain[index]
        candidates = self.anchors_for.get(cert.subject.public_bytes(), [])
        if not candidates:
            return None
        fingerprint = cert.fingerprint(hashes.SHA256())
        return next((a for a in candidates if a.cert.fingerprint(hashes.SHA256()) == fingerprint),
                    None)

    def build(self, leaf: int) -> list[Path]:
        self._extend([leaf], {})
        return self.paths

    def _extend(self, indexes: list[int], unchecked: dict[int, str]) -> None:
        if len(self.paths) >= MAX_PATHS:
            return
        current = indexes[-1]
        anchor = self.presented_anchor(current)
        if anchor is not None:
            self.paths.append(Path(list(indexes), "anchor", anchor, True, dict(unchecked)))
            return
        cert = self.chain[current]
        if len(indexes) > MAX_PATH_DEPTH:
            self.paths.append(Path(list(indexes), "too_deep", unchecked=dict(unchecked)))
            return
        found = False
        # Trust anchors first: a path that ends at a trusted root needs nothing more.
        for candidate in self.anchors_for.get(cert.issuer.public_bytes(), []):
            if not _may_issue(cert, candidate.cert):
                continue
            status, why = self.budget.check(cert, candidate.cert)
            if status == INVALID:
                continue
            found = True
            extra = {current: why} if status == UNCHECKED and why else {}
            self.paths.append(Path(list(indexes), "anchor", candidate, False,
                                   {**unchecked, **extra}))
        for j, candidate_cert in enumerate(self.chain):
            if j == current or not _may_issue(cert, candidate_cert):
                continue
            if j in indexes:
                continue  # a loop: A signs B signs A
            status, why = self.budget.check(cert, candidate_cert)
            if status == INVALID:
                continue
            found = True
            extra = {current: why} if status == UNCHECKED and why else {}
            self._extend([*indexes, j], {**unchecked, **extra})
        if found:
            return
        if cert.subject == cert.issuer:
            status, why = self.budget.check(cert, cert)
            if status != INVALID:
                self.paths.append(Path(list(indexes), "self_signed", unchecked=dict(unchecked)))
                return
        self.paths.append(Path(list(indexes), "incomplete", unchecked=dict(unchecked)))


def best_path(paths: list[Path], chain: list[x509.Certificate], now: dt.datetime) -> Path:
    """The path a client would settle on: trusted first, then valid now, then fully checked,
    then the shortest, then the one that follows the order sent."""

    def score(path: Path) -> tuple[int, int, int, int, list[int]]:
        trusted = path.end == "anchor"
        in_time = all(_valid_at(chain[i], now) for i in path.indexes) and (
            path.anchor is None or _valid_at(path.anchor.cert, now))
        return (0 if trusted else 1, 0 if in_time else 1, len(path.unchecked),
                len(path.indexes), path.indexes)

    return min(paths, key=score)
