"""Each fix in catalog.VALIDATOR_FIXES is picked for the real message of the validator it is
meant for: the chains are built here and both real validators (OpenSSL's and cryptography's
Web PKI profile) judge them, so a change in a validator's wording fails a test instead of
silently picking another fix (audit zoo3 case 04: a server certificate with basicConstraints
CA:TRUE was told to be reissued "as a CA certificate", the opposite of the fix).

The last test serves that certificate with openssl s_server, as the audit did.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.x509.oid import ExtendedKeyUsageOID

from tests.support.certs import CertFactory, Minted, write_pem
from tests.support.scenario import NAME, codes, only, probe
from tests.support.tls_servers import openssl_s_server
from tests.workers.probes.test_certificate_scenarios import issue, resign
from workers.diagnosis.catalog import VALIDATOR_FIX_OTHER, VALIDATOR_FIXES
from workers.diagnosis.render import say
from workers.diagnosis.rules import validator_fix
from workers.models import ValidatorVerdict
from workers.probes.chain_validators import validate

# Each entry of VALIDATOR_FIXES by its first key.
LEAF_IS_CA, NOT_A_CA, PATH_LENGTH, PURPOSE, CONSTRAINTS, KEY_IDS, CRITICAL, SAN, WEAK = (
    keys[0] for keys, _ in VALIDATOR_FIXES)
GENERIC = "generic"  # no entry: VALIDATOR_FIX_OTHER, which quotes the rule

Chain = tuple[Minted, list[Minted]]


def _ec_chains(root: Minted) -> dict[str, Chain]:
    inter = issue(root, "Issuing CA", ca=True, path_length=0)
    not_ca = issue(root, "Not A CA", ca=False)
    no_bc = issue(root, "No Basic Constraints", ca=None)
    pathlen0 = issue(root, "PathLen Zero CA", ca=True, path_length=0)
    below = issue(pathlen0, "Sub CA Below PathLen Zero", ca=True)
    permitted = issue(root, "Constrained CA", ca=True, permitted=["allowed.test"])
    excluded = issue(root, "Excluding CA", ca=True, excluded=[NAME])
    return {
        "leaf_is_ca": (issue(inter, NAME, ca=True, names=[NAME]), [inter]),
        "intermediate_ca_false": (issue(not_ca, NAME, ca=False, names=[NAME]), [not_ca]),
        "intermediate_no_basic_constraints": (issue(no_bc, NAME, ca=False, names=[NAME]),
                                              [no_bc]),
        "path_length": (issue(below, NAME, ca=False, names=[NAME]), [below, pathlen0]),
        "client_auth_only": (issue(inter, NAME, ca=False, names=[NAME],
                                   eku=(ExtendedKeyUsageOID.CLIENT_AUTH,)), [inter]),
        "empty_eku": (issue(inter, NAME, ca=False, names=[NAME], eku=()), [inter]),
        "permitted_subtree": (issue(permitted, NAME, ca=False, names=[NAME]), [permitted]),
        "excluded_subtree": (issue(excluded, NAME, ca=False, names=[NAME]), [excluded]),
        "aki_absent": (issue(inter, NAME, ca=False, names=[NAME], aki="absent"), [inter]),
        "aki_critical": (issue(inter, NAME, ca=False, names=[NAME], aki="critical"), [inter]),
        "unknown_critical": (issue(inter, NAME, ca=False, names=[NAME], unknown_critical=True),
                             [inter]),
        "common_name_only": (issue(inter, NAME, ca=False), [inter]),
    }


# case -> {validator: the entry its rejection must pick}; a validator left out accepts.
EXPECTED: dict[str, dict[str, str]] = {
    "leaf_is_ca": {"webpki": LEAF_IS_CA},
    "intermediate_ca_false": {"openssl": NOT_A_CA, "webpki": NOT_A_CA},
    "intermediate_no_basic_constraints": {"openssl": NOT_A_CA, "webpki": NOT_A_CA},
    "path_length": {"openssl": PATH_LENGTH, "webpki": PATH_LENGTH},
    "client_auth_only": {"openssl": PURPOSE, "webpki": PURPOSE},
    # cryptography cannot parse an empty EKU: its rule is quoted in the generic fix.
    "empty_eku": {"openssl": PURPOSE, "webpki": GENERIC},
    "permitted_subtree": {"openssl": CONSTRAINTS, "webpki": CONSTRAINTS},
    "excluded_subtree": {"openssl": CONSTRAINTS, "webpki": CONSTRAINTS},
    "aki_absent": {"webpki": KEY_IDS},
    "aki_critical": {"openssl": CRITICAL, "webpki": KEY_IDS},
    "unknown_critical": {"openssl": CRITICAL, "webpki": CRITICAL},
    "common_name_only": {"webpki": SAN},
    "sha1_signed_leaf": {"webpki": WEAK},
}


@pytest.fixture(scope="module")
def chains(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Chain, str]]:
    """Every case's chain and the file of the root it chains to."""
    folder = tmp_path_factory.mktemp("validator-fixes")
    ec_root = issue(None, "Validator Fix Root", ca=True)
    ec_ca = str(write_pem(folder / "ec-root.pem", ec_root))
    out = {case: (chain, ec_ca) for case, chain in _ec_chains(ec_root).items()}
    # SHA-1 needs an RSA issuer (there is no ECDSA-with-SHA-1 `openssl x509` would sign).
    factory = CertFactory()
    rsa_root = factory.root(cn="Validator Fix RSA Root")
    rsa_inter = factory.intermediate(rsa_root)
    sha1 = resign(factory.leaf(rsa_inter, names=[NAME]), rsa_inter, "sha1")
    out["sha1_signed_leaf"] = ((sha1, [rsa_inter]), str(write_pem(folder / "rsa.pem", rsa_root)))
    return out


def _fix_of(entry: str, verdict: ValidatorVerdict) -> str:
    template = VALIDATOR_FIX_OTHER if entry == GENERIC else next(
        fix for keys, fix in VALIDATOR_FIXES if keys[0] == entry)
    return say(template, certificate=verdict.certificate or "the certificate", name=NAME,
               rule=verdict.rule or "")


@pytest.mark.parametrize("case", list(EXPECTED))
def test_each_real_rejection_picks_the_fix_meant_for_it(chains, case):
    (leaf, rest), ca_file = chains[case]
    verdicts = validate(leaf.cert, [c.cert for c in rest], name=NAME, ca_file=ca_file,
                        now=dt.datetime.now(dt.UTC))
    rejected = {v.validator: v for v in verdicts if v.accepted is False}
    assert sorted(rejected) == sorted(EXPECTED[case]), [(v.validator, v.rule) for v in verdicts]
    for validator, entry in EXPECTED[case].items():
        verdict = rejected[validator]
        assert validator_fix(verdict, NAME) == _fix_of(entry, verdict), (
            validator, verdict.code, verdict.rule)


def test_every_fix_is_meant_for_some_real_rejection():
    meant = {entry for by_validator in EXPECTED.values() for entry in by_validator.values()}
    assert {keys[0] for keys, _ in VALIDATOR_FIXES} <= meant


def test_a_server_certificate_marked_as_a_ca_is_told_to_drop_the_flag(tmp_path):
    # Audit case 04 as served: an end-entity certificate (SAN, serverAuth, AKI/SKI) with
    # basicConstraints CA:TRUE, sent with its intermediate by openssl s_server.
    root = issue(None, "Zoo Root", ca=True)
    inter = issue(root, "Zoo Issuing CA", ca=True, path_length=0)
    leaf = issue(inter, NAME, ca=True, names=[NAME])
    ca_file = write_pem(Path(tmp_path) / "roots.pem", root)
    with openssl_s_server(leaf, [inter]) as origin:
        report = probe(str(ca_file), origin.port)
    finding = only(report, "CERT_REJECTED_BY_VALIDATOR")
    assert finding.uncertain and finding.severity == "warning", codes(report)
    assert "must not be asserted in an EE certificate" in finding.summary
    fix = finding.remediation[0]
    assert "cA=false" in fix and f'"CN={NAME}"' in fix
    assert "as a CA certificate" not in fix and "cA=true" not in fix
