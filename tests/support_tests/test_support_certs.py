"""The certificate factory mints what it says."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID, NameOID

from tests.support.certs import CertFactory, Minted, write_pem


def ext(m: Minted, oid: x509.ObjectIdentifier) -> x509.ExtensionType:
    return m.cert.extensions.get_extension_for_oid(oid).value


def test_root_intermediate_leaf_shape(cert_factory: CertFactory) -> None:
    root = cert_factory.root()
    inter = cert_factory.intermediate(root, aia_url="http://127.0.0.1:1/root.crt")
    leaf = cert_factory.leaf(inter, ["origin.example.test", "*.example.test"])

    assert root.cert.issuer == root.cert.subject
    assert ext(root, ExtensionOID.BASIC_CONSTRAINTS).ca is True
    key_usage = ext(root, ExtensionOID.KEY_USAGE)
    assert key_usage.key_cert_sign and key_usage.crl_sign
    root_ski = ext(root, ExtensionOID.SUBJECT_KEY_IDENTIFIER).digest

    bc = ext(inter, ExtensionOID.BASIC_CONSTRAINTS)
    assert (bc.ca, bc.path_length) == (True, 0)
    assert ext(inter, ExtensionOID.AUTHORITY_KEY_IDENTIFIER).key_identifier == root_ski
    aia = ext(inter, ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
    assert aia[0].access_method == AuthorityInformationAccessOID.CA_ISSUERS
    assert aia[0].access_location.value == "http://127.0.0.1:1/root.crt"
    inter.cert.verify_directly_issued_by(root.cert)

    assert ext(leaf, ExtensionOID.BASIC_CONSTRAINTS).ca is False
    san = ext(leaf, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    assert san.get_values_for_type(x509.DNSName) == ["origin.example.test", "*.example.test"]
    assert leaf.subject_cn == "origin.example.test"
    leaf.cert.verify_directly_issued_by(inter.cert)
    now = dt.datetime.now(dt.UTC)
    assert leaf.cert.not_valid_before_utc < now - dt.timedelta(hours=23)
    assert leaf.cert.not_valid_after_utc > now + dt.timedelta(days=89)

    assert leaf.pem.startswith(b"-----BEGIN CERTIFICATE-----")
    assert leaf.key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert x509.load_der_x509_certificate(leaf.der) == leaf.cert
    assert len(leaf.sha256) == 64


def test_leaf_options(cert_factory: CertFactory) -> None:
    self_signed = cert_factory.leaf(None, ["a.example.test"], ip_addresses=["127.0.0.1", "::1"])
    assert self_signed.cert.issuer == self_signed.cert.subject
    san = ext(self_signed, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1"]

    cn_only = cert_factory.leaf(None, ["cn-only.example.test"], include_san=False)
    with pytest.raises(x509.ExtensionNotFound):
        cn_only.cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert cn_only.subject_cn == "cn-only.example.test"

    custom = cert_factory.leaf(None, ["x.example.test"], cn="Other CN")
    assert custom.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Other CN"

    past = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    expired = cert_factory.leaf(None, not_before=past, not_after=past + dt.timedelta(days=1))
    assert expired.cert.not_valid_after_utc == past + dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("spec", "kind", "size"),
    [
        ("rsa1024", rsa.RSAPrivateKey, 1024),
        ("rsa2048", rsa.RSAPrivateKey, 2048),
        ("ec256", ec.EllipticCurvePrivateKey, 256),
        ("ec384", ec.EllipticCurvePrivateKey, 384),
        ("ec521", ec.EllipticCurvePrivateKey, 521),
        ("ed25519", ed25519.Ed25519PrivateKey, None),
    ],
)
def test_key_specs(cert_factory: CertFactory, spec: str, kind: type, size: int | None) -> None:
    root = cert_factory.root(cn=f"root for {spec}", key=spec)
    leaf = cert_factory.leaf(root, key=spec)
    assert isinstance(leaf.key, kind)
    if size is not None:
        assert leaf.key.key_size == size
    leaf.cert.verify_directly_issued_by(root.cert)


def test_rsa_keys_are_cached_but_issuers_stay_distinct(cert_factory: CertFactory) -> None:
    def n(m: Minted) -> int:
        return m.key.public_key().public_numbers().n

    root_a = cert_factory.root()
    root_b = cert_factory.root()  # same name: must not share root_a's key
    assert n(root_a) != n(root_b)
    inter = cert_factory.intermediate(root_a)
    leaf1 = cert_factory.leaf(inter, ["one.example.test"])
    leaf2 = cert_factory.leaf(inter, ["two.example.test"])
    assert n(leaf1) == n(leaf2)  # leaves reuse the cached key
    assert n(leaf1) not in {n(root_a), n(root_b), n(inter)}


@pytest.mark.parametrize("key", ["rsa2048", "ec256"])
def test_sha1_signatures(cert_factory: CertFactory, key: str) -> None:
    root = cert_factory.root(cn=f"sha1 root {key}", key=key)
    inter = cert_factory.intermediate(root, key=key, hash="sha1")
    leaf = cert_factory.leaf(inter, hash="sha1")
    for child, parent in ((inter, root), (leaf, inter)):
        assert child.cert.signature_hash_algorithm is not None
        assert child.cert.signature_hash_algorithm.name == "sha1"
        public = parent.key.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(
                child.cert.signature,
                child.cert.tbs_certificate_bytes,
                padding.PKCS1v15(),
                child.cert.signature_hash_algorithm,
            )
        else:
            assert isinstance(public, ec.EllipticCurvePublicKey)
            public.verify(
                child.cert.signature,
                child.cert.tbs_certificate_bytes,
                ec.ECDSA(child.cert.signature_hash_algorithm),
            )
    sha384 = cert_factory.leaf(inter, hash="sha384")
    assert sha384.cert.signature_hash_algorithm.name == "sha384"


def test_write_pem_keeps_order(cert_factory: CertFactory, tmp_path) -> None:
    root = cert_factory.root()
    leaf = cert_factory.leaf(root)
    path = write_pem(tmp_path / "chain.pem", leaf, root)
    loaded = x509.load_pem_x509_certificates(path.read_bytes())
    assert loaded == [leaf.cert, root.cert]


def test_bad_specs(cert_factory: CertFactory) -> None:
    with pytest.raises(ValueError, match="key spec"):
        cert_factory.root(key="rsa3000")
    with pytest.raises(ValueError, match="hash"):
        cert_factory.root(hash="md5")
