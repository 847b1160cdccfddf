"""Mint X.509 certificates for tests with ``cryptography``.

Typical use::

    f = CertFactory()
    root = f.root()
    inter = f.intermediate(root)
    leaf = f.leaf(inter, ["origin.example.test"])
    TlsOrigin([leaf, inter], leaf)

RSA keys are expensive to generate, so they are generated lazily and cached per size at
module level and reused across certificates; the first RSA-8192 key is read from
``tests/support/keys/`` instead (a test-only key made once with ``openssl genpkey``:
generating one costs 10-40 s, more than the rest of the engine scenarios together).
Reuse is constrained so that it can never make two issuers indistinguishable: a
certificate that can sign (a CA, or a self-signed leaf) never gets a key that an earlier
issuer with the *same subject name* already has, and a CA-issued leaf never gets any
issuer's key.  Without that rule a second "origin502 Test Root" would carry the first
root's key and a chain signed by the "untrusted" root would validate against the trusted
one.  In practice all CA-issued leaves of one size share one key, and CAs with different
names share keys.  EC and
Ed25519 keys are cheap and are always fresh.  ``key=`` also accepts a private key object.

SHA-1: cryptography refuses SHA-1 in ``CertificateBuilder.sign`` ("Hash algorithm 'sha1'
not supported for signatures"), so ``hash="sha1"`` signs with SHA-256 first and then
re-signs the TBS with SHA-1 through the low-level ``key.sign`` (RSA PKCS#1 v1.5 or ECDSA),
re-assembling the DER by hand.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import ipaddress
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

KEY_SPECS = ("rsa1024", "rsa2048", "rsa4096", "rsa8192", "ec256", "ec384", "ec521", "ed25519")
HASHES = ("sha256", "sha384", "sha1")

_CURVES: dict[str, ec.EllipticCurve] = {
    "ec256": ec.SECP256R1(),
    "ec384": ec.SECP384R1(),
    "ec521": ec.SECP521R1(),
}

_LOCK = threading.Lock()
# RSA keys generated so far, per modulus size, in generation order.
_RSA_POOL: dict[int, list[rsa.RSAPrivateKey]] = {}
# Test-only keys shipped with the tests, seeding the pool for sizes too slow to generate.
_SHIPPED_RSA = {8192: Path(__file__).with_name("keys") / "rsa8192.pem"}
# (subject name DER, public key fingerprint) of every certificate able to sign that was minted.
_ISSUER_IDENTITIES: set[tuple[bytes, bytes]] = set()


@dataclass
class Minted:
    """A certificate together with its private key, in the forms tests need."""

    cert: x509.Certificate
    key: PrivateKey
    pem: bytes
    key_pem: bytes
    der: bytes
    sha256: str

    @classmethod
    def of(cls, cert: x509.Certificate, key: PrivateKey) -> Minted:
        """Wrap an existing certificate and key."""
        der = cert.public_bytes(serialization.Encoding.DER)
        return cls(
            cert=cert,
            key=key,
            pem=cert.public_bytes(serialization.Encoding.PEM),
            key_pem=key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            der=der,
            sha256=hashlib.sha256(der).hexdigest(),
        )

    @property
    def subject_cn(self) -> str:
        """The subject's first common name ('' if none)."""
        attrs = self.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(attrs[0].value) if attrs else ""


def write_pem(path: str | Path, *certs: Minted) -> Path:
    """Write the certificates' PEM blocks to ``path``, concatenated in the order given."""
    p = Path(path)
    p.write_bytes(b"".join(c.pem for c in certs))
    return p


def _key_fingerprint(key: PrivateKey) -> bytes:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).digest()


def _new_key(spec: str) -> PrivateKey:
    if spec in _CURVES:
        return ec.generate_private_key(_CURVES[spec])
    if spec == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"unknown key spec {spec!r}; expected one of {KEY_SPECS}")


def _pick_key(spec: str | PrivateKey, avoid: set[bytes]) -> PrivateKey:
    """Return a key for ``spec`` whose fingerprint is not in ``avoid``.

    RSA keys come from the module-level pool (generating a new one only when every pooled
    key is excluded); other key types are generated fresh.  A key object is used as is.
    """
    if not isinstance(spec, str):
        return spec
    if not spec.startswith("rsa"):
        return _new_key(spec)
    try:
        bits = int(spec[3:])
    except ValueError:
        raise ValueError(f"unknown key spec {spec!r}; expected one of {KEY_SPECS}") from None
    if spec not in KEY_SPECS:
        raise ValueError(f"unknown key spec {spec!r}; expected one of {KEY_SPECS}")
    with _LOCK:
        pool = _RSA_POOL.setdefault(bits, [])
        if not pool and bits in _SHIPPED_RSA:
            pool.append(_shipped_key(_SHIPPED_RSA[bits]))
        for key in pool:
            if _key_fingerprint(key) not in avoid:
                return key
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        pool.append(key)
        return key


def _shipped_key(path: Path) -> rsa.RSAPrivateKey:
    # Checking an 8192-bit key's primes costs ~4 s; this key is ours, made by openssl.
    key = serialization.load_pem_private_key(
        path.read_bytes(), password=None, unsafe_skip_rsa_key_validation=True
    )
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def _hash(name: str, key: PrivateKey) -> hashes.SHA256 | hashes.SHA384 | None:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return None  # Ed25519 signs without a separate digest.
    algorithms: dict[str, hashes.SHA256 | hashes.SHA384] = {
        "sha256": hashes.SHA256(),
        "sha384": hashes.SHA384(),
        # cryptography refuses SHA-1 in CertificateBuilder.sign(); _sign() signs with
        # SHA-256 and then re-signs the TBS with SHA-1 itself.
        "sha1": hashes.SHA256(),
    }
    try:
        return algorithms[name]
    except KeyError:
        raise ValueError(f"unknown hash {name!r}; expected one of {HASHES}") from None


# -- SHA-1 signing -----------------------------------------------------------------------
# cryptography (>= 42 or so) raises UnsupportedAlgorithm for SHA-1 in
# CertificateBuilder.sign(), but the low-level key.sign() still accepts SHA-1.  So a SHA-1
# certificate is built signed with SHA-256, then its DER is re-assembled: both
# AlgorithmIdentifiers are replaced by the SHA-1 one and the TBS is signed again.

_SHA1_ALGID_RSA = bytes.fromhex("300d06092a864886f70d0101050500")  # sha1WithRSAEncryption, NULL
_SHA1_ALGID_EC = bytes.fromhex("300906072a8648ce3d0401")  # ecdsa-with-SHA1


def _der_header_end(buf: bytes, pos: int) -> tuple[int, int]:
    """For the TLV at ``pos`` return (content start, content end)."""
    first = buf[pos + 1]
    if first < 0x80:
        return pos + 2, pos + 2 + first
    n = first & 0x7F
    length = int.from_bytes(buf[pos + 2 : pos + 2 + n], "big")
    return pos + 2 + n, pos + 2 + n + length


def _der_children(buf: bytes) -> list[bytes]:
    """The encoded children of the constructed TLV ``buf``."""
    start, end = _der_header_end(buf, 0)
    out = []
    pos = start
    while pos < end:
        _, child_end = _der_header_end(buf, pos)
        out.append(buf[pos:child_end])
        pos = child_end
    return out


def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _resign_sha1(cert: x509.Certificate, signer: PrivateKey) -> x509.Certificate:
    if isinstance(signer, rsa.RSAPrivateKey):
        algid = _SHA1_ALGID_RSA
    elif isinstance(signer, ec.EllipticCurvePrivateKey):
        algid = _SHA1_ALGID_EC
    else:
        raise ValueError("SHA-1 signatures need an RSA or EC issuer key")
    _, old_algid, _ = _der_children(cert.public_bytes(serialization.Encoding.DER))
    tbs_parts = _der_children(cert.tbs_certificate_bytes)
    index = 2 if tbs_parts[0][0] == 0xA0 else 1  # skip the explicit [0] version
    assert tbs_parts[index] == old_algid
    tbs_parts[index] = algid
    tbs = _der(0x30, b"".join(tbs_parts))
    if isinstance(signer, rsa.RSAPrivateKey):
        signature = signer.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    else:
        signature = signer.sign(tbs, ec.ECDSA(hashes.SHA1()))
    der = _der(0x30, tbs + algid + _der(0x03, b"\x00" + signature))
    return x509.load_der_x509_certificate(der)


def _sign(builder: x509.CertificateBuilder, signer: PrivateKey, hash_name: str) -> x509.Certificate:
    cert = builder.sign(signer, _hash(hash_name, signer))
    if hash_name == "sha1" and not isinstance(signer, ed25519.Ed25519PrivateKey):
        cert = _resign_sha1(cert, signer)
    return cert


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "origin502 tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0)


def _aia(url: str) -> x509.AuthorityInformationAccess:
    return x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(url)
            )
        ]
    )


def _aki(issuer: Minted) -> x509.AuthorityKeyIdentifier:
    try:
        ski = issuer.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key())
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


class CertFactory:
    """Mints roots, intermediates and leaves.  Stateless apart from the shared key pool."""

    def root(
        self,
        cn: str = "origin502 Test Root",
        key: str | PrivateKey = "rsa2048",
        not_before: _dt.datetime | None = None,
        not_after: _dt.datetime | None = None,
        hash: str = "sha256",
    ) -> Minted:
        """A self-signed CA (basicConstraints CA=true, keyCertSign|cRLSign, SKI)."""
        subject = _name(cn)
        k = self._issuer_key(key, subject, avoid=set())
        now = _now()
        builder = (
            self._base(
                subject,
                subject,
                k,
                not_before or now - _dt.timedelta(days=1),
                not_after or now + _dt.timedelta(days=3650),
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(self._ca_key_usage(), critical=True)
        )
        return Minted.of(_sign(builder, k, hash), k)

    def intermediate(  # noqa: PLR0917 - signature fixed by the harness brief
        self,
        issuer: Minted,
        cn: str = "origin502 Test Intermediate",
        key: str | PrivateKey = "rsa2048",
        aia_url: str | None = None,
        not_before: _dt.datetime | None = None,
        not_after: _dt.datetime | None = None,
        hash: str = "sha256",
    ) -> Minted:
        """A CA (pathlen 0) signed by ``issuer``, with AKI/SKI and optional AIA caIssuers."""
        subject = _name(cn)
        k = self._issuer_key(key, subject, avoid={_key_fingerprint(issuer.key)})
        now = _now()
        builder = (
            self._base(
                subject,
                issuer.cert.subject,
                k,
                not_before or now - _dt.timedelta(days=1),
                not_after or now + _dt.timedelta(days=1825),
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(self._ca_key_usage(), critical=True)
            .add_extension(_aki(issuer), critical=False)
        )
        if aia_url:
            builder = builder.add_extension(_aia(aia_url), critical=False)
        return Minted.of(_sign(builder, issuer.key, hash), k)

    def leaf(  # noqa: PLR0917 - signature fixed by the harness brief
        self,
        issuer: Minted | None,
        names: Sequence[str] = ("localhost",),
        cn: str | None = None,
        key: str | PrivateKey = "rsa2048",
        not_before: _dt.datetime | None = None,
        not_after: _dt.datetime | None = None,
        aia_url: str | None = None,
        hash: str = "sha256",
        ip_addresses: Sequence[str] = (),
        include_san: bool = True,
        key_usage: x509.KeyUsage | None = None,
    ) -> Minted:
        """An end-entity certificate (CA=false, serverAuth+clientAuth).

        ``issuer=None`` makes it self-signed.  ``names`` go into SAN dNSName entries
        (wildcards allowed) and ``ip_addresses`` into SAN iPAddress entries;
        ``include_san=False`` leaves the SAN extension out so the name is only in the CN.
        ``cn`` defaults to the first name (or first IP address).  ``key_usage`` replaces the
        usual keyUsage (digitalSignature, plus keyEncipherment for RSA), still critical.
        """
        names = list(names)
        ips = list(ip_addresses)
        common = cn if cn is not None else (names[0] if names else (ips[0] if ips else "leaf"))
        subject = _name(common)
        if issuer is None:
            k = self._issuer_key(key, subject, avoid=set())
        else:
            with _LOCK:
                issuer_keys = {fp for (_, fp) in _ISSUER_IDENTITIES}
            k = _pick_key(key, avoid=issuer_keys | {_key_fingerprint(issuer.key)})
        now = _now()
        builder = self._base(
            subject,
            subject if issuer is None else issuer.cert.subject,
            k,
            not_before or now - _dt.timedelta(days=1),
            not_after or now + _dt.timedelta(days=90),
        ).add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        builder = builder.add_extension(
            key_usage or x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=isinstance(k, rsa.RSAPrivateKey),
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        ).add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        if include_san and (names or ips):
            general: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
            general += [x509.IPAddress(ipaddress.ip_address(a)) for a in ips]
            builder = builder.add_extension(x509.SubjectAlternativeName(general), critical=False)
        if issuer is not None:
            builder = builder.add_extension(_aki(issuer), critical=False)
        if aia_url:
            builder = builder.add_extension(_aia(aia_url), critical=False)
        signer = k if issuer is None else issuer.key
        return Minted.of(_sign(builder, signer, hash), k)

    # -- helpers -------------------------------------------------------------------------

    @staticmethod
    def _issuer_key(spec: str | PrivateKey, subject: x509.Name, avoid: set[bytes]) -> PrivateKey:
        """A key for a certificate that can sign, unique for its subject name."""
        subject_der = subject.public_bytes()
        with _LOCK:
            taken = {fp for (name, fp) in _ISSUER_IDENTITIES if name == subject_der}
        k = _pick_key(spec, avoid | taken)
        with _LOCK:
            _ISSUER_IDENTITIES.add((subject_der, _key_fingerprint(k)))
        return k

    @staticmethod
    def _ca_key_usage() -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=True,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=True,
            crl_sign=True,
            encipher_only=False,
            decipher_only=False,
        )

    @staticmethod
    def _base(
        subject: x509.Name,
        issuer: x509.Name,
        key: PrivateKey,
        not_before: _dt.datetime,
        not_after: _dt.datetime,
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
        )
