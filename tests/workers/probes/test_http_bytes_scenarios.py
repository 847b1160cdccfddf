"""Answers that are not quite HTTP, on the connection CloudFront would make (audit cases 03, 07
and the short body).

A mail server on the HTTP port is aiosmtpd, run as an operator runs one: its banner at once,
an error line per line received. aiosmtpd hangs up after 5 unknown commands, before the
request's last header; with that limit raised, as a server more patient with unknown commands,
it keeps the connection open through the whole request (the audit's case). The byte-level
oddities no server here sends on demand come from Python socket servers: a header with a
space before its colon, conflicting Content-Lengths, a body shorter than its Content-Length, a
chunked body cut before its last chunk, a response that starts and then stops. No assertion
is about time: a check that waited for the response timeout shows in the finding it gives.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.faults.servers import MisbehavingServer
from tests.support.ports import closed_port
from tests.support.scenario import codes, errors, only, probe
from tests.support.tls_origin import OK_BODY, TlsOrigin
from workers.headline import warn_sentence
from workers.models import Report

SPACE_BEFORE_COLON = b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok"
SHORT_BODY = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100\r\n\r\nok"


def over_http(pki, port: int, **opts) -> Report:
    """CloudFront's connection to an http-only origin on ``port``."""
    return probe(pki["ca"], 443, protocol_policy="http-only", http_port=port, **opts)


def raw_origin(pki, response: bytes, *, tls: bool) -> TlsOrigin:
    """An origin that answers every request with ``response`` as is, then closes."""
    if tls:
        return TlsOrigin([pki["leaf"], pki["inter"]], pki["leaf"], http="raw", response=response)
    return TlsOrigin(None, tls=False, http="raw", response=response)


def diagnose(pki, origin: TlsOrigin, *, tls: bool) -> Report:
    return probe(pki["ca"], origin.port) if tls else over_http(pki, origin.port)


# --- a service that is not HTTP and keeps the connection open (case 03) ---------------------


@pytest.fixture(params=[5, 50], ids=["hangs-up", "keeps-open"])
def mail_server(request, monkeypatch) -> Iterator[int]:
    """aiosmtpd on loopback, as a mail server that accepts nothing: its port. It hangs up
    after so many unknown commands (a module setting, aiosmtpd's default 5)."""
    import aiosmtpd.smtp
    from aiosmtpd.controller import Controller

    monkeypatch.setattr(aiosmtpd.smtp, "BOGUS_LIMIT", request.param)

    class Refuse:
        """No handler hooks: every command gets the server's own answer."""

    port = closed_port()
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)  # its "unrecognised: GET" lines
    controller = Controller(Refuse(), hostname="127.0.0.1", port=port,
                            server_hostname="mail.origin.test")
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def test_a_mail_server_on_the_http_port_is_not_http_and_no_timeout(pki, mail_server):
    # Before: h11 waited for a blank line the mail server never sends, so the read ran to the
    # response timeout: ORIGIN_RESPONSE_TIMEOUT, "CloudFront answers 504".
    report = over_http(pki, mail_server, read_timeout=5)
    assert errors(report) == ["HTTP_INVALID_RESPONSE"]
    finding = only(report, "HTTP_INVALID_RESPONSE")
    assert "'220 mail.origin.test" in finding.summary
    assert "ORIGIN_RESPONSE_TIMEOUT" not in codes(report)
    assert report.addresses[0].probes[0].http.ttfb_ms is not None


def test_an_ssh_banner_left_open_is_not_http(pki):
    with MisbehavingServer("trickle", head=b"SSH-2.0-OpenSSH_9.6\r\n", payload=b"x",
                           interval=60) as server:
        report = over_http(pki, server.port, read_timeout=5)
    assert errors(report) == ["HTTP_INVALID_RESPONSE"]
    assert "SSH-2.0-OpenSSH_9.6" in only(report, "HTTP_INVALID_RESPONSE").summary


def test_a_response_that_starts_then_stops_says_when_and_what_came(pki):
    # HTTP so far, then nothing for the response timeout: a 504 all the same, but not "did
    # not answer".
    with MisbehavingServer("trickle", head=b"HTTP/1.1 200 OK\r\nContent-Len", payload=b"g",
                           interval=60) as server:
        report = over_http(pki, server.port, read_timeout=1)
    finding = only(report, "ORIGIN_RESPONSE_TIMEOUT")
    assert "began to answer GET / after" in finding.summary
    assert "'HTTP/1.1 200 OK\\r\\nContent-Len'" in finding.summary
    assert "nothing came for 1 s" in finding.summary
    assert "did not answer" not in finding.summary
    assert finding.evidence["first_byte"] == round(
        report.addresses[0].probes[0].http.ttfb_ms or -1, 1)


# --- a valid status line, then a part a strict parser rejects (case 07) ---------------------


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_a_space_before_a_header_colon_is_named_with_its_fix(pki, tls):
    with raw_origin(pki, SPACE_BEFORE_COLON, tls=tls) as origin:
        report = diagnose(pki, origin, tls=tls)
    assert errors(report) == []
    finding = only(report, "HTTP_RESPONSE_MALFORMED")
    assert (finding.severity, finding.uncertain) == ("warning", True)
    assert ("answered GET / with 200 OK, but a strict HTTP/1.1 parser rejects its headers: "
            "the line 'Content-Length : 2' (illegal header line).") in finding.summary
    assert finding.remediation[0].startswith(
        "Remove the space before the colon in the header 'Content-Length': send "
        "'Content-Length: 2'.")
    assert "AWS does not document" in finding.remediation[1]
    # Not "bytes that are not HTTP", and no hunt for another service on the port.
    assert "HTTP_INVALID_RESPONSE" not in codes(report)
    assert not any("really listens" in step for f in report.findings for step in f.remediation)
    assert report.verdict == "warn"
    assert "could cause 502" in warn_sentence(report)


def test_conflicting_content_lengths_are_a_likely_502_not_confirmed(pki):
    response = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"
    with raw_origin(pki, response, tls=False) as origin:
        report = over_http(pki, origin.port)
    finding = only(report, "HTTP_RESPONSE_MALFORMED")
    assert (finding.severity, finding.uncertain) == ("error", True)
    assert "conflicting Content-Length headers" in finding.summary
    assert "502 is likely, not confirmed" in finding.remediation[1]
    assert report.verdict == "fail"


# --- a response cut short (the auditor's short body) -----------------------------------------


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_a_body_shorter_than_its_content_length_is_flagged_with_the_numbers(pki, tls):
    with raw_origin(pki, SHORT_BODY, tls=tls) as origin:
        report = diagnose(pki, origin, tls=tls)
        assert len(origin.requests) == 1  # the GET the probe makes anyway, no other
    finding = only(report, "HTTP_RESPONSE_TRUNCATED")
    assert (finding.severity, finding.uncertain) == ("warning", True)
    assert ("answered GET / with 200 OK, but its Content-Length says 100 bytes, and it closed "
            "the connection after 2 bytes of body.") in finding.summary
    assert (finding.evidence["declared"], finding.evidence["received"]) == (100, 2)
    assert "Make Content-Length the body's real length" in finding.remediation[1]
    assert report.verdict == "warn"


def test_a_chunked_body_cut_before_its_last_chunk_is_flagged(pki):
    response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
    with raw_origin(pki, response, tls=False) as origin:
        report = over_http(pki, origin.port)
    finding = only(report, "HTTP_RESPONSE_TRUNCATED")
    assert ("it closed the connection after 5 bytes of its chunked body, before the last chunk"
            in finding.summary)


def test_a_whole_body_is_not_flagged(pki):
    with TlsOrigin([pki["leaf"], pki["inter"]], pki["leaf"]) as origin:
        report = probe(pki["ca"], origin.port)
    http = report.addresses[0].probes[0].http
    assert (http.body_complete, http.body_bytes) == (True, len(OK_BODY))
    assert "HTTP_RESPONSE_TRUNCATED" not in codes(report)
    assert errors(report) == []


def test_headers_cut_short_are_an_error_not_bytes_that_are_not_http(pki):
    with raw_origin(pki, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", tls=False) as origin:
        report = over_http(pki, origin.port)
    finding = only(report, "HTTP_RESPONSE_TRUNCATED")
    assert (finding.severity, finding.uncertain) == ("error", False)
    assert "closed the connection before its response headers ended" in finding.summary
    assert "HTTP_INVALID_RESPONSE" not in codes(report)
