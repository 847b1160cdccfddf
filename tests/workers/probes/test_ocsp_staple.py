"""Reading a stapled response out of handshake messages, and judging it, on bytes made here:
what a real server sends is covered by test_revocation_scenarios.py; these are the shapes a
server rarely sends (truncated messages, other extensions, a refusal, bytes that are not OCSP)
and must never crash the probe."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from tests.support.certs import CertFactory
from workers.probes.ocsp import read_staple, stapled_response

RESPONSE = b"\x30\x03\x0a\x01\x03"  # an OCSPResponse: tryLater


def status_body(der: bytes) -> bytes:
    return b"\x01" + len(der).to_bytes(3, "big") + der


def handshake_message(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + len(body).to_bytes(3, "big") + body


def tls13_certificate(extensions: bytes, cert: bytes = b"\x30\x00") -> bytes:
    entry = len(cert).to_bytes(3, "big") + cert + len(extensions).to_bytes(2, "big") + extensions
    body = b"\x00" + len(entry).to_bytes(3, "big") + entry
    return handshake_message(11, body)


def extension(kind: int, data: bytes) -> bytes:
    return kind.to_bytes(2, "big") + len(data).to_bytes(2, "big") + data


def test_tls12_certificate_status_message():
    message = handshake_message(22, status_body(RESPONSE))
    assert stapled_response("TLSv1.2", b"", message) == RESPONSE


def test_tls13_status_request_extension_after_another():
    exts = extension(18, b"\x00\x02ab") + extension(5, status_body(RESPONSE))
    assert stapled_response("TLSv1.3", tls13_certificate(exts), None) == RESPONSE


@pytest.mark.parametrize("message", [
    tls13_certificate(b""),  # no extensions
    tls13_certificate(extension(18, b"\x00\x02ab")),  # only another extension
    tls13_certificate(extension(5, status_body(RESPONSE)))[:-3],  # cut short
    tls13_certificate(extension(5, b"\x02" + status_body(RESPONSE)[1:])),  # not OCSP type
    b"\x0b\x00",  # a header only
])
def test_tls13_without_a_readable_staple_gives_none(message):
    assert stapled_response("TLSv1.3", message, None) is None


@pytest.mark.parametrize("message", [
    None, b"", handshake_message(22, b"\x01\x00\x00\x09abc"),  # length past the end
    handshake_message(22, b"\x01\x00\x00\x00"),  # empty response
])
def test_tls12_without_a_readable_staple_gives_none(message):
    assert stapled_response("TLSv1.2", None, message) is None


@pytest.fixture(scope="module")
def chain():
    factory = CertFactory()
    inter = factory.intermediate(factory.root())
    return factory.leaf(inter, names=["origin.test"]), inter


def test_a_refusal_is_read_as_such(chain):
    leaf, inter = chain
    refusal = ocsp.OCSPResponseBuilder.build_unsuccessful(
        ocsp.OCSPResponseStatus.TRY_LATER).public_bytes(serialization.Encoding.DER)
    staple = read_staple(refusal, [leaf.der, inter.der], ca_file=None)
    assert staple is not None
    assert (staple.stapled, staple.response_status, staple.cert_status) == (
        True, "try_later", None)


def test_bytes_that_are_not_ocsp_are_a_problem_not_a_crash(chain):
    leaf, inter = chain
    staple = read_staple(b"\x30\x03\x02\x01\x05", [leaf.der, inter.der], ca_file=None)
    assert staple is not None and staple.problem
    assert staple.problem.startswith("it is not an OCSP response that can be read (")
    assert "ParseError {" not in staple.problem


def test_without_the_issuer_the_serial_and_name_still_match(chain):
    leaf, inter = chain
    now = dt.datetime.now(dt.UTC)
    der = ocsp.OCSPResponseBuilder().add_response(
        cert=leaf.cert, issuer=inter.cert, algorithm=hashes.SHA256(),
        cert_status=ocsp.OCSPCertStatus.GOOD, this_update=now, next_update=None,
        revocation_time=None, revocation_reason=None,
    ).responder_id(ocsp.OCSPResponderEncoding.NAME, inter.cert).sign(
        inter.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    alone = read_staple(der, [leaf.der], ca_file=None)  # the intermediate was not sent
    assert alone is not None
    assert (alone.for_this_certificate, alone.signature) == (None, "unchecked")
    assert alone.next_update is None
    full = read_staple(der, [leaf.der, inter.der], ca_file=None)
    assert full is not None
    assert (full.for_this_certificate, full.signature) == (True, "verified")


def test_no_chain_or_an_unreadable_certificate_gives_nothing():
    assert read_staple(RESPONSE, [], ca_file=None) is None
    assert read_staple(RESPONSE, [b"not a certificate"], ca_file=None) is None


def test_a_certificate_without_must_staple_and_no_staple(chain):
    leaf, inter = chain
    plain = read_staple(None, [leaf.der, inter.der], ca_file=None)
    assert plain is not None and not plain.must_staple and not plain.stapled
