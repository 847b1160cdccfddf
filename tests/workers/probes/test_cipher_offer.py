"""The byte-built ClientHello and the reader of the server's answer."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st
from tlslite.constants import CipherSuite
from tlslite.messages import ClientHello, ServerHello
from tlslite.utils.codec import Parser

from workers.models.cloudfront import CLOUDFRONT_CIPHER_IDS, CLOUDFRONT_CIPHERS
from workers.probes.cipher_offer import build_client_hello, parse_server_flight, suite_name
from workers.probes.tls import cloudfront_suites

# CloudFront's table gives both names (cloudfront-facts §2.3); the ids must be the IANA ones.
RFC_NAMES = {
    "ECDHE-ECDSA-AES256-GCM-SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-ECDSA-AES256-SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
    "ECDHE-ECDSA-AES256-SHA": "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "ECDHE-ECDSA-AES128-GCM-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-ECDSA-AES128-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "ECDHE-ECDSA-AES128-SHA": "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "ECDHE-RSA-AES256-GCM-SHA384": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-RSA-AES256-SHA384": "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
    "ECDHE-RSA-AES256-SHA": "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "ECDHE-RSA-AES128-GCM-SHA256": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-RSA-AES128-SHA256": "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "ECDHE-RSA-AES128-SHA": "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "AES256-SHA": "TLS_RSA_WITH_AES_256_CBC_SHA",
    "AES128-SHA": "TLS_RSA_WITH_AES_128_CBC_SHA",
    "DES-CBC3-SHA": "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    "RC4-MD5": "TLS_RSA_WITH_RC4_128_MD5",
}


def record(content: int, payload: bytes, version: tuple[int, int] = (3, 3)) -> bytes:
    return struct.pack("!BBBH", content, *version, len(payload)) + payload


def handshake(msg_type: int, body: bytes) -> bytes:
    return bytes([msg_type]) + len(body).to_bytes(3, "big") + body


def server_hello(suite: int, version: tuple[int, int] = (3, 3)) -> bytes:
    """A whole ServerHello handshake message, header included, written by tlslite-ng."""
    hello = ServerHello().create(version, bytearray(32), bytearray(), suite, extensions=[])
    return bytes(hello.write())


def test_cloudfront_ids_are_the_iana_values_of_its_rfc_names():
    assert list(CLOUDFRONT_CIPHER_IDS) == list(CLOUDFRONT_CIPHERS)
    for name, suite in CLOUDFRONT_CIPHER_IDS.items():
        assert CipherSuite.ietfNames[suite] == RFC_NAMES[name]
        assert suite_name(suite) == name


def test_client_hello_offers_exactly_the_given_suites_with_sni():
    ids = [CLOUDFRONT_CIPHER_IDS[n] for n in CLOUDFRONT_CIPHERS]
    data = build_client_hello("TLSv1.2", ids, "origin.test")
    assert data[0] == 22
    parser = Parser(bytearray(data[5:]))
    assert parser.get(1) == 1  # client_hello
    hello = ClientHello().parse(parser)
    assert hello.cipher_suites == ids
    assert tuple(hello.client_version) == (3, 3)
    assert bytes(hello.server_name) == b"origin.test"


def test_older_protocols_offer_only_suites_they_define():
    assert len(cloudfront_suites("TLSv1.2")) == 16
    assert cloudfront_suites("TLSv1") == [
        "ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES256-SHA",
        "ECDHE-RSA-AES128-SHA", "AES256-SHA", "AES128-SHA", "DES-CBC3-SHA", "RC4-MD5"]
    assert cloudfront_suites("SSLv3") == ["AES256-SHA", "AES128-SHA", "DES-CBC3-SHA", "RC4-MD5"]


def test_server_hello_certificate_request_and_done_are_read():
    cert_body = (3 + 3).to_bytes(3, "big") + (3).to_bytes(3, "big") + b"DER"
    flight = b"".join([
        server_hello(0x000A), handshake(11, cert_body),
        handshake(13, b"\x01\x01\x00\x00\x00\x00"), handshake(14, b"")])
    # Split across records, and the records across reads, as servers do.
    data = record(22, flight[:30]) + record(22, flight[30:])
    partial = parse_server_flight(data[:20])
    assert not partial.complete
    parsed = parse_server_flight(data)
    assert parsed.complete
    assert (parsed.kind, parsed.version, parsed.suite) == ("server_hello", "TLSv1.2", 0x000A)
    assert parsed.chain_der == [b"DER"]
    assert parsed.certificate_requested


def test_alert_and_not_tls():
    alert = parse_server_flight(record(21, b"\x02\x28"))
    assert (alert.complete, alert.kind, alert.alert, alert.alert_fatal) == (
        True, "alert", "handshake_failure", True)
    http = parse_server_flight(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    assert (http.complete, http.kind) == (True, "not_tls")


def test_a_hello_that_does_not_parse_is_malformed():
    flight = parse_server_flight(record(22, handshake(2, b"\x03\x03garbage")))
    assert (flight.complete, flight.kind) == (True, "malformed")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4096))
def test_parser_never_raises_on_arbitrary_bytes(data):
    flight = parse_server_flight(data)
    assert flight.kind in (None, "server_hello", "alert", "not_tls", "malformed")


messages = st.tuples(st.sampled_from([2, 11, 12, 13, 14, 99]), st.binary(max_size=300)).map(
    lambda m: handshake(*m))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(
    messages.map(lambda m: record(22, m)),
    st.binary(max_size=3).map(lambda b: record(21, b)),
    st.builds(record, st.integers(0, 255), st.binary(max_size=64),
              st.tuples(st.integers(0, 4), st.integers(0, 4))),
    st.binary(max_size=40),
), max_size=6))
def test_parser_never_raises_on_record_shaped_bytes(chunks):
    flight = parse_server_flight(b"".join(chunks))
    if flight.kind == "server_hello":
        assert flight.suite is not None and flight.version is not None
