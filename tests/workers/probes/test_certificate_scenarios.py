"""Issue 13 (certificates) and issue 11 (bounded certificate work) against real TLS servers:
`openssl s_server` sends each chain in the order the test gives (even an intermediate first),
and nginx serves a `ssl_certificate` full-chain file as an operator writes it. Certificates are
minted here — MD5 and SHA-1 signatures re-signed by the `openssl` command line, as the outside
world's old CAs made them. Every verdict comes from the real engine (`workers.engine.diagnose`),
except where a test names the function of `workers.probes.certificates` it checks.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support.certs import Minted, write_pem
from tests.support.nginx import Nginx, NginxServer, TlsFiles
from tests.support.scenario import NAME, codes, make_pki, only, probe
from tests.support.tls_origin import HttpFileServer
from tests.support.tls_servers import openssl_s_server
from tests.support.tools import require_tool
from workers.models import Report
from workers.probes.chain_paths import MAX_CONSIDERED_CERTIFICATES, MAX_SIGNATURE_CHECKS


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    # Named so the chain-order summaries below read as an operator would see them.
    return make_pki(tmp_path_factory.mktemp("roots"), root_cn="origin502 Scenario Root",
                    inter_cn="origin502 Scenario Intermediate")


def analysis_of(report: Report):
    tls = report.addresses[0].probes[0].tls
    assert tls is not None
    return tls


def resign(cert: Minted, issuer: Minted, digest: str) -> Minted:
    """``cert`` signed again by ``issuer`` with ``digest`` (md5, sha1) by `openssl x509`."""
    openssl = require_tool("openssl", "openssl")
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        (base / "in.pem").write_bytes(cert.pem)
        (base / "in.key").write_bytes(cert.key_pem)
        (base / "ca.pem").write_bytes(issuer.pem)
        (base / "ca.key").write_bytes(issuer.key_pem)
        # Certificate -> request (keeping its extensions) -> certificate signed with `digest`.
        subprocess.run([openssl, "x509", "-x509toreq", "-in", str(base / "in.pem"),
                        "-signkey", str(base / "in.key"), "-copy_extensions", "copy",
                        "-out", str(base / "req.pem")], check=True, capture_output=True)
        subprocess.run([openssl, "x509", "-req", "-in", str(base / "req.pem"),
                        "-copy_extensions", "copy", "-CA", str(base / "ca.pem"),
                        "-CAkey", str(base / "ca.key"), "-set_serial", "4242", f"-{digest}",
                        "-days", "30", "-out", str(base / "out.pem")],
                       check=True, capture_output=True)
        signed = x509.load_pem_x509_certificate((base / "out.pem").read_bytes())
    return Minted.of(signed, cert.key)


def small_rsa_key(bits: int):
    """An RSA key below what cryptography generates, made by `openssl genpkey`."""
    openssl = require_tool("openssl", "openssl")
    pem = subprocess.run([openssl, "genpkey", "-algorithm", "RSA", "-pkeyopt",
                          f"rsa_keygen_bits:{bits}"], check=True, capture_output=True).stdout
    return serialization.load_pem_private_key(pem, None)


def issue(issuer: Minted | None, cn: str, *, ca: bool | None, names=(), path_length=None,
          eku=(ExtendedKeyUsageOID.SERVER_AUTH,), permitted=None, excluded=None, key=None,
          not_after=None, subject_key=None, aki: str = "normal",
          unknown_critical: bool = False) -> Minted:
    """A certificate with exactly the extensions a validator case needs (EC keys: cheap)."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = dt.datetime.now(dt.UTC)
    signer = issuer.key if issuer else (subject_key or key)
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(issuer.cert.subject if issuer else subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=1))
               .not_valid_after(not_after or now + dt.timedelta(days=90))
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                              critical=False))
    if issuer is not None and aki != "absent":
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=aki == "critical")
    if unknown_critical:
        builder = builder.add_extension(x509.UnrecognizedExtension(
            x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x05\x00"), critical=True)
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=path_length),
                                        critical=True)
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    if permitted or excluded:
        builder = builder.add_extension(x509.NameConstraints(
            permitted_subtrees=[x509.DNSName(p) for p in permitted] if permitted else None,
            excluded_subtrees=[x509.DNSName(e) for e in excluded] if excluded else None),
            critical=True)
    return Minted.of(builder.sign(signer, hashes.SHA256()), key)


# --- 1. path building does not depend on the signature algorithm -----------------------------

def test_md5_signed_leaf_is_its_own_finding_and_the_path_still_builds(pki):
    leaf = resign(pki["factory"].leaf(pki["inter"], names=[NAME]), pki["inter"], "md5")
    with openssl_s_server(leaf, [pki["inter"]]) as origin:
        report = probe(pki["ca"], origin.port)
    finding = only(report, "CERT_MD5_SIGNATURE")
    assert finding.severity == "error" and "MD5" in finding.summary
    assert "CERT_SHA1_SIGNATURE" not in codes(report)
    assert not {"CERT_CHAIN_INCOMPLETE", "CERT_UNTRUSTED_ROOT"} & set(codes(report))
    analysis = analysis_of(report).analysis
    assert analysis.trusted and analysis.path == [0, 1]


def test_sha1_signed_intermediate_is_an_uncertain_warning_on_a_trusted_path(pki):
    inter = resign(pki["factory"].intermediate(pki["root"], cn="origin502 SHA-1 Intermediate"),
                   pki["root"], "sha1")
    leaf = pki["factory"].leaf(inter, names=[NAME])
    with openssl_s_server(leaf, [inter]) as origin:
        report = probe(pki["ca"], origin.port)
    finding = only(report, "CERT_SHA1_SIGNATURE")
    assert finding.uncertain and finding.severity == "warning"
    assert "intermediate #1" in finding.summary
    assert [f.code for f in report.findings if f.severity == "error"] == []
    assert analysis_of(report).analysis.trusted


# --- 2. private CA against missing intermediate ----------------------------------------------

def test_leaf_only_chain_from_a_private_ca_without_aia_is_an_untrusted_root(pki):
    private_root = pki["factory"].root(cn="Corp Internal Root")
    leaf = pki["factory"].leaf(private_root, names=[NAME])
    with openssl_s_server(leaf) as origin:
        report = probe(pki["ca"], origin.port)
    finding = only(report, "CERT_UNTRUSTED_ROOT")
    assert "private or interception CA" in finding.summary
    assert "intermediate is missing" in finding.summary  # the lesser possibility, named
    assert "CERT_CHAIN_INCOMPLETE" not in codes(report)


# --- 3. server certificate not first ---------------------------------------------------------

def test_intermediate_sent_first_is_chain_order_not_a_hostname_mismatch(pki):
    # The intermediate's own key drives the handshake, so it completes: what such servers do.
    leaf = pki["factory"].leaf(pki["inter"], names=[NAME])
    with openssl_s_server(pki["inter"], [leaf]) as origin:
        report = probe(pki["ca"], origin.port)
    finding = only(report, "CERT_CHAIN_ORDER")
    assert "Received: [0] origin502 Scenario Intermediate → [1] origin.test" in finding.summary
    assert "Needed: [1] origin.test → [0] origin502 Scenario Intermediate" in finding.summary
    assert "CERT_HOSTNAME_MISMATCH" not in codes(report)


# --- 4. key sizes and a certificate message too large ----------------------------------------

@pytest.mark.parametrize("bits", [512, 768])
def test_rsa_key_below_1024_bits_is_an_error(pki, bits):
    leaf = pki["factory"].leaf(pki["inter"], names=[NAME], key=small_rsa_key(bits))
    with openssl_s_server(leaf, [pki["inter"]]) as origin:
        report = probe(pki["ca"], origin.port)
    finding = only(report, "CERT_RSA_KEY_TOO_SMALL")
    assert finding.severity == "error" and f"{bits}-bit" in finding.summary


def same_name_certificates(count: int) -> tuple[Minted, bytes, int]:
    """A leaf and ``count`` - 1 more small (v3, no extensions) certificates, all named and
    issued "origin.test";
    also the DER size of them all (what the certificate message carries)."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = dt.datetime.now(dt.UTC)
    certs = []
    for serial in range(1, count + 1):
        # Each with its own key: every same-name pair is a candidate issuer whose signature
        # fails, the quadratic work issue 11 measured (20 s of CPU before the caps).
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                   .public_key(key.public_key()).serial_number(serial)
                   .not_valid_before(now - dt.timedelta(days=1))
                   .not_valid_after(now + dt.timedelta(days=30)))
        certs.append(Minted.of(builder.sign(key, hashes.SHA256()), key))
    size = sum(len(c.der) for c in certs)
    return certs[0], b"".join(c.pem for c in certs[1:]), size


def test_certificate_message_larger_than_openssl_accepts_is_its_own_finding(pki):
    first, rest, size = same_name_certificates(420)
    assert size > 100 * 1024
    with openssl_s_server(first, chain_pem=rest) as origin:
        report = probe(pki["ca"], origin.port)
    assert "CERT_MESSAGE_TOO_LARGE" in codes(report)
    assert "TLS_CIPHER_UNSUPPORTED" not in codes(report)
    assert "TLS_HANDSHAKE_FAILED" not in codes(report)


# --- issue 11: bounded work on a chain of ~345 same-name certificates ------------------------

def test_chain_of_345_same_name_certificates_is_cut_and_says_so(pki):
    first, rest, size = same_name_certificates(345)
    assert size < 100 * 1024  # the handshake completes, as in issue 11's table
    with openssl_s_server(first, chain_pem=rest) as origin:
        report = probe(pki["ca"], origin.port)
    tls = analysis_of(report)
    assert len(tls.chain) == 345
    analysis = tls.analysis
    # The work is counted, not timed: certificates considered and signature checks are capped.
    assert analysis.presented_count == 345
    assert analysis.considered_count == MAX_CONSIDERED_CERTIFICATES
    assert analysis.signature_checks <= MAX_SIGNATURE_CHECKS
    finding = only(report, "CERT_CHAIN_CUT")
    assert "sent 345 certificates" in finding.summary
    assert f"first {MAX_CONSIDERED_CERTIFICATES}" in finding.summary


# --- 5. maintained validators decide ---------------------------------------------------------

@pytest.fixture(scope="module")
def ec_pki(tmp_path_factory):
    root = issue(None, "Validator Case Root", ca=True)
    ca = write_pem(tmp_path_factory.mktemp("ec-roots") / "roots.pem", root)
    return {"root": root, "ca": str(ca)}


def _cases(root: Minted) -> dict[str, tuple[Minted, list[Minted]]]:
    cases: dict[str, tuple[Minted, list[Minted]]] = {}
    not_ca = issue(root, "Not A CA", ca=False)
    cases["ca_false"] = (issue(not_ca, NAME, ca=False, names=[NAME]), [not_ca])
    no_bc = issue(root, "No Basic Constraints", ca=None)
    cases["no_basic_constraints"] = (issue(no_bc, NAME, ca=False, names=[NAME]), [no_bc])
    inter = issue(root, "Issuing CA", ca=True, path_length=0)
    cases["client_auth_only"] = (issue(inter, NAME, ca=False, names=[NAME],
                                       eku=(ExtendedKeyUsageOID.CLIENT_AUTH,)), [inter])
    pathlen0 = issue(root, "PathLen Zero CA", ca=True, path_length=0)
    below = issue(pathlen0, "Sub CA Below PathLen Zero", ca=True)
    cases["path_length"] = (issue(below, NAME, ca=False, names=[NAME]), [below, pathlen0])
    constrained = issue(root, "Constrained CA", ca=True, permitted=["allowed.test"])
    cases["name_constraints"] = (issue(constrained, NAME, ca=False, names=[NAME]),
                                 [constrained])
    excluding = issue(root, "Excluding CA", ca=True, excluded=[NAME])
    cases["excluded_subtree"] = (issue(excluding, NAME, ca=False, names=[NAME]), [excluding])
    # A wildcard leaf whose names reach outside the CA's permitted subtree.
    wild_ca = issue(root, "Wildcard Constrained CA", ca=True, permitted=["sub.origin.test"])
    cases["wildcard_under_constraint"] = (
        issue(wild_ca, "*.test", ca=False, names=["*.test", NAME]), [wild_ca])
    cases["unknown_critical_extension"] = (
        issue(inter, NAME, ca=False, names=[NAME], unknown_critical=True), [inter])
    cases["empty_eku"] = (issue(inter, NAME, ca=False, names=[NAME], eku=()), [inter])
    cases["aki_absent"] = (issue(inter, NAME, ca=False, names=[NAME], aki="absent"), [inter])
    cases["aki_critical"] = (issue(inter, NAME, ca=False, names=[NAME], aki="critical"),
                             [inter])
    return cases


@pytest.mark.parametrize(("case", "openssl_code", "fix_words"), [
    ("ca_false", "X509_V_ERR_INVALID_CA", "cA=true"),
    ("no_basic_constraints", "X509_V_ERR_INVALID_CA", "cA=true"),
    ("client_auth_only", "X509_V_ERR_INVALID_PURPOSE", "serverAuth"),
    ("path_length", "X509_V_ERR_PATH_LENGTH_EXCEEDED", "pathLenConstraint"),
    ("name_constraints", "X509_V_ERR_PERMITTED_VIOLATION", "name-constrained"),
    ("excluded_subtree", "X509_V_ERR_EXCLUDED_VIOLATION", "name-constrained"),
    ("wildcard_under_constraint", "X509_V_ERR_PERMITTED_VIOLATION", "name-constrained"),
    ("unknown_critical_extension", "X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION",
     "critical extension"),
    ("empty_eku", "X509_V_ERR_INVALID_PURPOSE", "serverAuth"),
    ("aki_critical", "X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION", "critical"),
])
def test_chain_rejected_by_the_validators_is_named_with_its_rule(ec_pki, case, openssl_code,
                                                                 fix_words):
    leaf, rest = _cases(ec_pki["root"])[case]
    with openssl_s_server(leaf, rest) as origin:
        report = probe(ec_pki["ca"], origin.port)
    finding = only(report, "CERT_REJECTED_BY_VALIDATOR")
    verdicts = {v.validator: v for v in analysis_of(report).analysis.validators}
    assert verdicts["openssl"].accepted is False
    assert verdicts["openssl"].code == openssl_code
    assert openssl_code in finding.summary
    assert fix_words in " ".join(finding.remediation)
    # Both validators reject, so the verdict is certain.
    assert verdicts["webpki"].accepted is False
    assert finding.severity == "error" and not finding.uncertain


def test_missing_aki_only_the_web_pki_profile_rejects_is_uncertain(ec_pki):
    leaf, rest = _cases(ec_pki["root"])["aki_absent"]
    with openssl_s_server(leaf, rest) as origin:
        report = probe(ec_pki["ca"], origin.port)
    finding = only(report, "CERT_REJECTED_BY_VALIDATOR")
    assert finding.uncertain and finding.severity == "warning"
    assert "OpenSSL's verifier accepts it" in finding.summary
    assert "key identifiers" in " ".join(finding.remediation)


def test_common_name_without_san_is_the_stricter_verdict_said_as_uncertain(pki):
    leaf = pki["factory"].leaf(pki["inter"], names=[NAME], include_san=False)
    with openssl_s_server(leaf, [pki["inter"]]) as origin:
        report = probe(pki["ca"], origin.port)
    finding = only(report, "CERT_REJECTED_BY_VALIDATOR")
    assert finding.uncertain and finding.severity == "warning"
    assert "subjectAltName" in finding.summary
    assert "CERT_HOSTNAME_MISMATCH" not in codes(report)


def cross_signed(folder: Path) -> tuple[Minted, Minted, Minted, Path]:
    """leaf, its issuer, New Root cross-signed by Old Root (expired), and both roots' CA file:
    the path through New Root is valid, the one through the cross-signature is not."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    new_root = issue(None, "New Root", ca=True, key=root_key)
    old_root = issue(None, "Old Root", ca=True)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    cross = issue(old_root, "New Root", ca=True, key=root_key, not_after=past)
    inter = issue(new_root, "Issuing CA", ca=True, path_length=0)
    leaf = issue(inter, NAME, ca=False, names=[NAME])
    return leaf, inter, cross, write_pem(folder / "roots.pem", new_root, old_root)


def test_valid_cross_signed_path_is_not_called_expired(tmp_path):
    # New Root is trusted; the server also sends New Root cross-signed by Old Root, expired.
    leaf, inter, cross, ca = cross_signed(tmp_path)
    with openssl_s_server(leaf, [inter, cross]) as origin:
        report = probe(str(ca), origin.port)
    assert "CERT_EXPIRED" not in codes(report)
    assert [f.code for f in report.findings if f.severity == "error"] == []
    analysis = analysis_of(report).analysis
    assert analysis.trusted and analysis.path == [0, 1] and analysis.paths_tried >= 2


# --- the same classes behind nginx, configured as an operator would --------------------------

def nginx_site(folder: Path, chain_pem: bytes, key_pem: bytes) -> Nginx:
    """nginx serving ``chain_pem`` (first certificate = the key's) as its ssl_certificate."""
    return Nginx([NginxServer(tls=TlsFiles.write_pem(folder, chain_pem, key_pem),
                              server_names=[NAME], body='return 200 "ok from nginx\\n";')])


def test_nginx_leaf_only_from_a_private_ca_is_an_untrusted_root(pki, tmp_path):
    private_root = pki["factory"].root(cn="Corp Internal Root")
    leaf = pki["factory"].leaf(private_root, names=[NAME])
    with nginx_site(tmp_path, leaf.pem, leaf.key_pem) as site:
        report = probe(pki["ca"], site.port)
    assert "private or interception CA" in only(report, "CERT_UNTRUSTED_ROOT").summary
    assert "CERT_CHAIN_INCOMPLETE" not in codes(report)


def test_nginx_cross_signed_fullchain_is_judged_on_its_valid_path(tmp_path):
    leaf, inter, cross, ca = cross_signed(tmp_path)
    with nginx_site(tmp_path, leaf.pem + inter.pem + cross.pem, leaf.key_pem) as site:
        report = probe(str(ca), site.port)
    assert "CERT_EXPIRED" not in codes(report)
    assert [f.code for f in report.findings if f.severity == "error"] == []


def test_nginx_with_345_same_name_certificates_is_cut_and_bounded(pki, tmp_path):
    first, rest, _ = same_name_certificates(345)
    with nginx_site(tmp_path, first.pem + rest, first.key_pem) as site:
        report = probe(pki["ca"], site.port)
    analysis = analysis_of(report).analysis
    assert (analysis.presented_count, analysis.considered_count) == (
        345, MAX_CONSIDERED_CERTIFICATES)
    assert analysis.signature_checks <= MAX_SIGNATURE_CHECKS
    assert "CERT_CHAIN_CUT" in codes(report)
    assert "ORIGIN_RESPONSE_TIMEOUT" not in codes(report)


def test_nginx_validator_rejection_names_the_rule(ec_pki, tmp_path):
    leaf, rest = _cases(ec_pki["root"])["client_auth_only"]
    with nginx_site(tmp_path, leaf.pem + b"".join(r.pem for r in rest), leaf.key_pem) as site:
        report = probe(ec_pki["ca"], site.port)
    finding = only(report, "CERT_REJECTED_BY_VALIDATOR")
    assert "X509_V_ERR_INVALID_PURPOSE" in finding.summary and not finding.uncertain


def test_aia_fetch_to_private_address_is_blocked_when_private_targets_are_refused(pki):
    from workers.models import ProbeOptions
    from workers.probes.certificates import analyse_chain, trust_store

    with HttpFileServer({"/inter.cer": pki["inter"].der}) as files:
        leaf = pki["factory"].leaf(pki["inter"], names=[NAME], aia_url=files.url_for("/inter.cer"))
        analysis = analyse_chain(
            [leaf.cert],
            trust_store(pki["ca"]),
            fetch_aia=True,
            allow_private=ProbeOptions(allow_private=False).allow_private,
        )
        assert files.hits == []
    assert analysis.aia_status == "blocked"
