"""OpenSSL judges a chain against a store of only the roots it could reach (those whose subject
matches a name of the chain, then their issuers), not all of Mozilla's: each verdict here is
compared with the one of a store loaded from the whole files, as it was built before.

The chains cover what decides which roots OpenSSL looks at: a trusted path, a missing
intermediate, an unknown root, a self-signed leaf, an issuer name written in another case
and spacing than the root's subject (OpenSSL compares names canonically), and a
root reached only through a cross-certificate in the store itself.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID
from OpenSSL import crypto
from OpenSSL._util import lib as openssl_lib

from tests.support.certs import CertFactory, Minted, write_pem
from workers.probes.chain_validators import (
    _candidate_roots,
    mozilla_bundle,
    mozilla_roots,
    openssl_verdict,
)

NAME = "origin.test"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def whole_store_verdict(chain: list[Minted], ca_file: Path) -> tuple[bool, str | None]:
    """OpenSSL's verdict with every root of both files loaded (the store as it was built)."""
    store = crypto.X509Store()
    store.load_locations(mozilla_bundle())
    store.load_locations(str(ca_file))
    openssl_lib.X509_STORE_set_purpose(store._store, openssl_lib.X509_PURPOSE_SSL_SERVER)
    context = crypto.X509StoreContext(store, crypto.X509.from_cryptography(chain[0].cert),
                                      [crypto.X509.from_cryptography(c.cert) for c in chain[1:]])
    try:
        context.verify_certificate()
    except crypto.X509StoreContextError as exc:
        return False, exc.errors[0]
    return True, None


def narrow_verdict(chain: list[Minted], ca_file: Path) -> tuple[bool, str | None]:
    verdict = openssl_verdict(chain[0].cert, [c.cert for c in chain[1:]],
                              ca_file=str(ca_file), now=NOW)
    assert verdict.accepted is not None, verdict.detail
    return verdict.accepted, verdict.code


def code_name(code: int | None) -> str | None:
    if code is None:
        return None
    return next(name for name in dir(openssl_lib)
                if name.startswith("X509_V_ERR_") and getattr(openssl_lib, name) == code)


def signed(subject: x509.Name, issuer_name: x509.Name, key: Minted, signer: Minted, *,
           ca: bool) -> Minted:
    """A certificate for `key`'s public key named `subject`, issued as `issuer_name` by
    `signer`'s key."""
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
               .public_key(key.key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - dt.timedelta(days=1))
               .not_valid_after(NOW + dt.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]),
                                        critical=False)
    return Minted.of(builder.sign(signer.key, hashes.SHA256()), key.key)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    factory = CertFactory()
    root = factory.root(cn="origin502 Narrow Root")
    other_root = factory.root(cn="origin502 Narrow Other Root")
    inter = factory.intermediate(root, cn="origin502 Narrow Intermediate")
    leaf = factory.leaf(inter, names=[NAME])
    unknown_root = factory.root(cn="origin502 Narrow Unknown Root")
    unknown_inter = factory.intermediate(unknown_root, cn="origin502 Narrow Unknown Inter")
    unknown_leaf = factory.leaf(unknown_inter, names=[NAME])
    self_signed = factory.leaf(None, names=[NAME])
    # The intermediate names its issuer in another case and spacing than the root's subject;
    # OpenSSL's canonical comparison takes them for the same.
    loose_issuer = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ORIGIN502   TESTS"),
        x509.NameAttribute(NameOID.COMMON_NAME, " origin502  narrow ROOT"),
    ])
    loose_inter = signed(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Loose Inter")]),
                         loose_issuer, factory.intermediate(root, cn="loose key"), root, ca=True)
    loose_leaf = signed(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)]),
                        loose_inter.cert.subject, factory.leaf(None, names=[NAME]),
                        loose_inter, ca=False)
    # Reached only through the store: the chain's issuer is "Cross Mid", which the store
    # holds as a certificate issued by the root (not self-signed).
    cross_mid = factory.root(cn="origin502 Narrow Cross Mid")
    cross_cert = signed(cross_mid.cert.subject, root.cert.subject, cross_mid, root, ca=True)
    cross_inter = factory.intermediate(cross_mid, cn="origin502 Narrow Cross Inter")
    cross_leaf = factory.leaf(cross_inter, names=[NAME])
    tmp = tmp_path_factory.mktemp("narrow")
    return {
        "ca": write_pem(tmp / "ca.pem", root, other_root, cross_cert),
        "chains": {
            "trusted": [leaf, inter],
            "missing intermediate": [leaf],
            "unknown root": [unknown_leaf, unknown_inter],
            "unknown root sent": [unknown_leaf, unknown_inter, unknown_root],
            "self-signed leaf": [self_signed],
            "issuer named loosely": [loose_leaf, loose_inter],
            "through a cross-certificate": [cross_leaf, cross_inter],
            "out of order": [leaf, other_root, inter],
        },
    }


@pytest.mark.parametrize("case", ["trusted", "missing intermediate", "unknown root",
                                  "unknown root sent", "self-signed leaf",
                                  "issuer named loosely", "through a cross-certificate",
                                  "out of order"])
def test_a_store_of_the_reachable_roots_gives_the_verdict_of_the_whole_store(certs, case):
    chain = certs["chains"][case]
    accepted, code = whole_store_verdict(chain, certs["ca"])
    assert narrow_verdict(chain, certs["ca"]) == (accepted, code_name(code))


def test_the_cases_are_the_ones_meant(certs):
    """The scenarios do what their names say, so the comparison above is not vacuous."""
    verdicts = {case: narrow_verdict(chain, certs["ca"])
                for case, chain in certs["chains"].items()}
    assert verdicts["trusted"] == (True, None)
    assert verdicts["issuer named loosely"] == (True, None)
    assert verdicts["through a cross-certificate"] == (True, None)
    assert verdicts["missing intermediate"] == (False,
                                                "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY")
    assert verdicts["unknown root"][0] is False
    assert verdicts["self-signed leaf"] == (False, "X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT")


def test_only_the_reachable_roots_are_in_the_store(certs):
    chain = [c.cert for c in certs["chains"]["through a cross-certificate"]]
    roots = _candidate_roots(chain, str(certs["ca"]))
    subjects = [r.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value for r in roots]
    # The cross-certificate (subject "Cross Mid"), then its issuer; no Mozilla root.
    assert subjects == ["origin502 Narrow Root", "origin502 Narrow Cross Mid"]
    assert not set(roots) & set(mozilla_roots())
