"""Revocation against a real nginx configured as an operator staples a response from a file
(`ssl_stapling on; ssl_stapling_file resp.der;`): the responses are made here with
cryptography's OCSPResponseBuilder — good, revoked (keyCompromise), out of date, for another
certificate, signed by a delegated responder, badly signed — and a certificate carrying OCSP
Must-Staple is served without any. One nginx holds every case, one server block each. Every
verdict comes from the real engine; CloudFront's revocation checking is not documented, so
none of these may fail the verdict."""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support.certs import Minted
from tests.support.nginx import Nginx, NginxServer, TlsFiles
from tests.support.scenario import NAME, codes, make_pki, only, probe
from tests.support.tls_servers import openssl_s_server
from workers.models import OcspStaple, Report
from workers.probes.tls import handshake, make_context

NOW = dt.datetime.now(dt.UTC)
DAY = dt.timedelta(days=1)


def issue(issuer: Minted, cn: str, *, names=(), must_staple: bool = False,
          eku=(ExtendedKeyUsageOID.SERVER_AUTH,)) -> Minted:
    """A certificate signed by ``issuer`` (EC keys: cheap), with Must-Staple when asked."""
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
               .issuer_name(issuer.cert.subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(NOW - DAY).not_valid_after(NOW + 90 * DAY)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   issuer.key.public_key()), critical=False))
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    if must_staple:
        builder = builder.add_extension(
            x509.TLSFeature([x509.TLSFeatureType.status_request]), critical=False)
    return Minted.of(builder.sign(issuer.key, hashes.SHA256()), key)


def response(leaf: Minted, issuer: Minted, *, status: str = "good",
             this_update: dt.datetime | None = None, next_update: dt.datetime | None = None,
             signer: Minted | None = None, tamper: bool = False) -> bytes:
    """A DER OCSP response about ``leaf`` signed by ``signer`` (the issuer by default); with
    ``tamper``, the last byte of its signature changed (no certificates follow it then)."""
    signer = signer or issuer
    cert_status = {"good": ocsp.OCSPCertStatus.GOOD, "revoked": ocsp.OCSPCertStatus.REVOKED}
    revoked = status == "revoked"
    builder = ocsp.OCSPResponseBuilder().add_response(
        cert=leaf.cert, issuer=issuer.cert, algorithm=hashes.SHA1(),
        cert_status=cert_status[status], this_update=this_update or NOW - DAY,
        next_update=next_update or NOW + 6 * DAY,
        revocation_time=NOW - 2 * DAY if revoked else None,
        revocation_reason=x509.ReasonFlags.key_compromise if revoked else None,
    ).responder_id(ocsp.OCSPResponderEncoding.HASH, signer.cert)
    if signer is not issuer:
        builder = builder.certificates([signer.cert])
    der = builder.sign(signer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    return der[:-1] + bytes([der[-1] ^ 0x01]) if tamper else der


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("roots"))


@pytest.fixture(scope="module")
def origins(pki, tmp_path_factory):
    """One nginx, one server block per case; yields the case's port by name."""
    folder: Path = tmp_path_factory.mktemp("stapling")
    inter = pki["inter"]
    leaf = pki["leaf"]
    other = issue(inter, "other.origin.test", names=["other.origin.test"])
    responder = issue(inter, "origin502 OCSP Responder",
                      eku=(ExtendedKeyUsageOID.OCSP_SIGNING,))
    must = issue(inter, NAME, names=[NAME], must_staple=True)
    staples = {
        "good": response(leaf, inter),
        "revoked": response(leaf, inter, status="revoked"),
        "expired": response(leaf, inter, this_update=NOW - 9 * DAY, next_update=NOW - 2 * DAY),
        "other": response(other, inter),
        "delegated": response(leaf, inter, signer=responder),
        "bad_signature": response(leaf, inter, tamper=True),
        "must_good": response(must, inter),
    }
    servers, names = [], []
    for name, der in staples.items():
        served = must if name.startswith("must") else leaf
        path = folder / f"{name}.der"
        path.write_bytes(der)
        servers.append(NginxServer(
            tls=TlsFiles.write(folder / name, served, inter),
            extra=f"ssl_stapling on; ssl_stapling_file {path};"))
        names.append(name)
    # An origin that accepts only TLS 1.3: its chain and staple come from the follow-up
    # TLS 1.3 handshake, where the response rides in the Certificate message.
    path = folder / "tls13.der"
    path.write_bytes(staples["revoked"])
    servers.append(NginxServer(tls=TlsFiles.write(folder / "tls13", leaf, inter),
                               ssl_protocols="TLSv1.3",
                               extra=f"ssl_stapling on; ssl_stapling_file {path};"))
    names.append("tls13_revoked")
    # Must-Staple, no stapling configured at all.
    servers.append(NginxServer(tls=TlsFiles.write(folder / "must_none", must, inter)))
    names.append("must_none")
    with Nginx(servers) as nginx:
        yield {"ports": dict(zip(names, nginx.ports, strict=True)), "staples": staples,
               "leaf": leaf, "must": must, "other": other, "responder": responder}


def staple_of(report: Report) -> OcspStaple:
    tls = report.addresses[0].probes[0].tls
    assert tls is not None and tls.ocsp is not None
    return tls.ocsp


def run(pki, origins, case: str) -> Report:
    return probe(pki["ca"], origins["ports"][case])


def test_a_good_staple_is_read_and_says_nothing(pki, origins):
    report = run(pki, origins, "good")
    staple = staple_of(report)
    assert (staple.stapled, staple.cert_status, staple.for_this_certificate,
            staple.signature) == (True, "good", True, "verified")
    assert staple.signed_by == pki["inter"].cert.subject.rfc4514_string()
    assert staple.serial == format(pki["leaf"].cert.serial_number, "x")
    assert not [c for c in codes(report) if "STAPLE" in c or "REVOKED" in c]


def test_a_revoked_staple_is_said_plainly_uncertain_and_does_not_fail_the_verdict(pki, origins):
    report = run(pki, origins, "revoked")
    staple = staple_of(report)
    assert (staple.cert_status, staple.revocation_reason, staple.signature) == (
        "revoked", "keyCompromise", "verified")
    finding = only(report, "CERT_REVOKED")
    assert (finding.severity, finding.uncertain) == ("warning", True)
    assert "(reason: keyCompromise)" in finding.summary
    assert "Clients that check revocation refuse this certificate" in finding.summary
    assert report.verdict == "warn"


def test_a_staple_out_of_date_is_info(pki, origins):
    report = run(pki, origins, "expired")
    finding = only(report, "CERT_OCSP_STAPLE_UNUSABLE")
    assert (finding.severity, finding.evidence["problem"]) == ("info", "expired")
    assert "2 days ago" in finding.summary


def test_a_staple_for_another_certificate_is_a_warning_naming_both_serials(pki, origins):
    report = run(pki, origins, "other")
    assert staple_of(report).for_this_certificate is False
    finding = only(report, "CERT_OCSP_STAPLE_UNUSABLE")
    assert (finding.severity, finding.evidence["problem"]) == ("warning", "other_certificate")
    assert format(origins["other"].cert.serial_number, "x") in finding.summary
    assert format(pki["leaf"].cert.serial_number, "x") in finding.summary


def test_a_delegated_responder_the_issuer_signed_is_accepted(pki, origins):
    report = run(pki, origins, "delegated")
    staple = staple_of(report)
    assert staple.signature == "verified", staple.signature_detail
    assert staple.signed_by == origins["responder"].cert.subject.rfc4514_string()
    assert "CERT_OCSP_STAPLE_UNUSABLE" not in codes(report)


def test_a_response_whose_signature_does_not_verify_is_not_trusted(pki, origins):
    report = run(pki, origins, "bad_signature")
    assert staple_of(report).signature == "invalid"
    finding = only(report, "CERT_OCSP_STAPLE_UNUSABLE")
    assert finding.evidence["problem"] == "bad_signature"


def test_must_staple_without_a_staple_is_an_uncertain_warning(pki, origins):
    report = run(pki, origins, "must_none")
    staple = staple_of(report)
    assert (staple.must_staple, staple.stapled) == (True, False)
    finding = only(report, "CERT_MUST_STAPLE_MISSING")
    assert (finding.severity, finding.uncertain) == ("warning", True)
    assert report.verdict == "warn"


def test_must_staple_with_a_good_staple_says_nothing(pki, origins):
    report = run(pki, origins, "must_good")
    assert staple_of(report).must_staple and staple_of(report).cert_status == "good"
    assert not [c for c in codes(report) if "STAPLE" in c]


def test_a_tls13_only_origin_is_judged_from_its_tls13_handshake(pki, origins):
    report = run(pki, origins, "tls13_revoked")
    tls = report.addresses[0].probes[0].tls
    assert tls is not None and tls.chain_source == "follow_up"
    assert staple_of(report).cert_status == "revoked"
    finding = only(report, "CERT_REVOKED")
    assert "Certificate read in a TLSv1.3 handshake" in finding.summary


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_the_staple_is_read_from_the_handshake_of_either_version(origins, version):
    # TLS 1.3 carries it inside the Certificate message, TLS 1.2 in a message of its own.
    context, _ = make_context([version], "ALL:@SECLEVEL=0", cloudfront_curves=False)
    sock = socket.create_connection(("127.0.0.1", origins["ports"]["revoked"]), timeout=3)
    hs = handshake(sock, context, NAME, 3)
    assert hs.ok and hs.sock is not None
    hs.sock.close()
    assert hs.protocol == version and hs.status_requested
    assert hs.staple == origins["staples"]["revoked"]


def test_openssl_s_server_staple_file_reads_the_same(pki, origins, tmp_path):
    # Another server that staples a file: `openssl s_server -status_file`.
    path = tmp_path / "resp.der"
    path.write_bytes(origins["staples"]["revoked"])
    with openssl_s_server(pki["leaf"], [pki["inter"]],
                          options=["-status_file", str(path)]) as origin:
        report = probe(pki["ca"], origin.port)
    assert staple_of(report).cert_status == "revoked"
    assert only(report, "CERT_REVOKED").uncertain
