"""How long the probe reads the GET's body, and what it makes of a body it cannot read.

Re-audit D: the body was read for up to 5 s to catch a truncated body, so a healthy origin that
streams "/" slowly, or a chunked body that never ends, held every diagnosis up by 5 s for
nothing (CloudFront's response timeout is per packet, facts 4.6: that origin is fine). The read
now stops at the first pause, after a short overall time, and past a byte cap; none of these is
a finding. The tests assert on the reason the read recorded, or on an injected clock, never on
elapsed time.

Re-audit C: valid HTTP/1.1 that h11 does not implement ("Transfer-Encoding: gzip, chunked",
whitespace before a chunk extension) is origin502's limit, not the origin's fault: the status
and the other headers are judged, the body is said as not read, and nothing tells the operator
to fix what is valid. What h11 refuses and RFC 9112 forbids too stays a finding.
"""

from __future__ import annotations

import itertools
import socket
import time

import h11
import pytest

from tests.faults.servers import MisbehavingServer
from tests.support.scenario import codes, errors, only, probe
from tests.support.tls_origin import TlsOrigin
from workers.models import HttpResult, Report
from workers.probes import http_body
from workers.probes.http_body import BodyLimits, read_body

OK_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"


def over_http(pki, port: int) -> Report:
    return probe(pki["ca"], 443, protocol_policy="http-only", http_port=port)


def http_of(report: Report) -> HttpResult:
    return report.addresses[0].probes[0].http


def raw_answer(pki, response: bytes) -> Report:
    """The diagnosis of an http-only origin that answers ``response`` as is, then closes."""
    with TlsOrigin(None, tls=False, http="raw", response=response) as origin:
        return over_http(pki, origin.port)


# --- re-audit D: the body read never holds a diagnosis up --------------------------------------


def test_a_slowly_streamed_body_stops_at_the_first_pause_and_is_no_finding(pki, monkeypatch):
    # 12 bytes, one a second, as the re-audit's origin. Only the pause rule can end this read:
    # the overall cap is set far beyond the stream (and the byte cap is never reached).
    monkeypatch.setattr(http_body, "LIMITS", BodyLimits(idle=0.25, total=600))
    head = OK_HEAD + b"Content-Length: 12\r\n\r\n"
    with MisbehavingServer("trickle", head=head, payload=b"hello world!", interval=1) as server:
        report = over_http(pki, server.port)
    http = http_of(report)
    assert http.body_stopped == "idle"
    assert http.body_complete is None  # its end not known: not a truncation
    assert http.status_code == 200
    assert "HTTP_RESPONSE_TRUNCATED" not in codes(report)
    assert errors(report) == []


def test_an_endless_chunked_body_stops_at_the_overall_cap(pki):
    # A chunk every 10 ms without end. The pause rule is set out of reach, and the overall cap
    # runs on an injected clock that moves 0.3 s per look: the cap ends the read at its fourth
    # look, however fast or slow this machine is.
    head = OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
    ticks = itertools.count()
    looks: list[float] = []

    def clock() -> float:
        looks.append(next(ticks) * 0.3)
        return looks[-1]

    with MisbehavingServer("trickle", head=head, payload=b"1\r\nx\r\n" * 5000,
                           interval=0.01) as server, \
            socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        conn = h11.Connection(our_role=h11.CLIENT)
        sock.sendall(conn.send(h11.Request(method="GET", target="/",
                                           headers=[("Host", "origin.test")])) or b"")
        while not isinstance(event := conn.next_event(), h11.Response):
            assert event is h11.NEED_DATA
            conn.receive_data(sock.recv(4096))
        body = read_body(conn, sock, deadline=time.monotonic() + 60, gap=60, keep=0,
                         limits=BodyLimits(idle=60, total=1.0), clock=clock)
    assert body.stopped == "time"
    assert body.complete is None and body.cut_by is None
    assert len(looks) == 5  # the start, three reads (0.3, 0.6, 0.9), then 1.2: past the cap


def test_a_short_body_cut_at_once_is_still_caught(pki):
    report = raw_answer(pki, OK_HEAD + b"Content-Length: 100\r\n\r\nok")
    assert http_of(report).body_stopped is None
    assert only(report, "HTTP_RESPONSE_TRUNCATED").evidence["received"] == 2


# --- re-audit C: valid HTTP/1.1 that origin502's parser cannot read -------------------------


GZIPPED_CHUNKED = b"5\r\n\x1f\x8b\x08\x00\x00\r\n0\r\n\r\n"


@pytest.mark.parametrize("framing", [
    b"Transfer-Encoding: gzip, chunked\r\n",
    b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",  # the same list, two lines
    b"transfer-encoding: GZIP ,chunked\r\n",
], ids=["one-line", "two-lines", "spelling"])
def test_a_transfer_coding_before_chunked_is_no_finding(pki, framing):
    report = raw_answer(pki, OK_HEAD + b"Server: edge-app\r\n" + framing + b"\r\n"
                        + GZIPPED_CHUNKED)
    assert "HTTP_RESPONSE_MALFORMED" not in codes(report)
    assert not any("RFC 9112" in step for f in report.findings for step in f.remediation)
    http = http_of(report)
    assert (http.status_code, http.server, http.malformed) == (200, "edge-app", None)
    assert http.headers["content-type"] == "text/plain"  # the rest of the head is read
    assert http.headers["transfer-encoding"].lower().replace(" ", "") == "gzip,chunked"
    assert http.body_stopped == "parser"
    assert "origin502's HTTP parser reads only \"chunked\"" in (http.parser_limit or "")
    assert errors(report) == []


def test_the_status_behind_a_transfer_coding_is_still_judged(pki):
    report = raw_answer(pki, b"HTTP/1.1 503 Service Unavailable\r\n"
                        b"Transfer-Encoding: gzip, chunked\r\n\r\n" + GZIPPED_CHUNKED)
    assert codes(report).count("ORIGIN_RETURNED_ERROR") == 1
    assert "HTTP_RESPONSE_MALFORMED" not in codes(report)


@pytest.mark.parametrize("framing", [
    b"Transfer-Encoding: chunked, chunked\r\n",
    b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
], ids=["one-line", "two-lines"])
def test_chunked_applied_twice_stays_a_finding_in_our_words(pki, framing):
    # RFC 9112 section 6.1 forbids it: the origin's fault, not the parser's limit, and not
    # said in h11's words ("Only Transfer-Encoding: chunked is supported").
    report = raw_answer(pki, OK_HEAD + framing + b"\r\n" + GZIPPED_CHUNKED)
    assert http_of(report).parser_limit is None
    finding = only(report, "HTTP_RESPONSE_MALFORMED")
    assert ("rejects its headers: Transfer-Encoding: chunked, chunked applies chunked more than "
            "once, which HTTP/1.1 forbids.") in finding.summary
    assert "Only Transfer-Encoding" not in finding.summary
    assert (finding.severity, finding.uncertain) == ("warning", True)


def test_a_content_length_beside_a_transfer_coding_is_judged_as_beside_chunked(pki):
    # h11 lets Transfer-Encoding: chunked win over a Content-Length beside it (no finding);
    # with gzip before chunked the same head is not a finding either.
    for framing in (b"Transfer-Encoding: chunked\r\n", b"Transfer-Encoding: gzip, chunked\r\n"):
        report = raw_answer(pki, OK_HEAD + framing + b"Content-Length: 10\r\n\r\n"
                            + GZIPPED_CHUNKED)
        assert "HTTP_RESPONSE_MALFORMED" not in codes(report)


def test_a_content_length_of_more_than_20_digits_is_no_finding(pki):
    report = raw_answer(pki, OK_HEAD + b"Content-Length: " + b"0" * 20 + b"2\r\n\r\nok")
    assert "HTTP_RESPONSE_MALFORMED" not in codes(report)
    http = http_of(report)
    assert (http.status_code, http.body_stopped) == (200, "parser")
    assert "more than 20 digits" in (http.parser_limit or "")


def test_whitespace_before_a_chunk_extension_is_no_finding(pki):
    report = raw_answer(pki, OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
                        b"2 ;name=value\r\nok\r\n0\r\n\r\n")
    assert "HTTP_RESPONSE_MALFORMED" not in codes(report)
    http = http_of(report)
    assert http.body_stopped == "parser"
    assert "'2 ;name=value' is valid HTTP/1.1" in (http.parser_limit or "")


def test_a_chunk_header_that_is_not_one_stays_a_finding(pki):
    report = raw_answer(pki, OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n")
    finding = only(report, "HTTP_RESPONSE_MALFORMED")
    assert "the line 'zz' (illegal chunk header)" in finding.summary
    assert http_of(report).parser_limit is None


def test_a_tab_before_a_colon_is_named_a_tab(pki):
    report = raw_answer(pki, OK_HEAD + b"X-Trace\t: abc\r\nContent-Length: 2\r\n\r\nok")
    finding = only(report, "HTTP_RESPONSE_MALFORMED")
    assert finding.remediation[0].startswith(
        "Remove the tab before the colon in the header 'X-Trace': send 'X-Trace: abc'.")
