"""The first line of an answer is judged as it arrives, and never more strictly than h11
judges a whole head: h11 is the oracle the property tests compare with. What h11 says it
rejected is split into its words and the line it quoted."""

from __future__ import annotations

import h11
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.probes.http_first_line import StatusLine, can_begin_response, status_line
from workers.probes.http_rejected import MAX_LINE_CHARS, Rejected, rejected


@pytest.mark.parametrize(("start", "can", "line"), [
    (b"", True, None),
    (b"H", True, None),
    (b"HTTP/1.", True, None),
    (b"HTTP/1.1 20", True, None),
    (b"HTTP/1.1 200 OK\r", True, None),  # the LF is on its way
    (b"HTTP/1.1 200 OK\r\n", True, StatusLine(200, "OK")),
    (b"HTTP/1.1 200\r\nContent-Length : 2\r\n", True, StatusLine(200, "")),  # no reason
    (b"HTTP/1.0 503 Service Unavailable\nServer: x\n", True,
     StatusLine(503, "Service Unavailable")),  # bare LF, as h11 reads it
    (b"220 mail.origin.test ESMTP Postfix\r\n", False, None),  # a mail server's banner
    (b"2", False, None),  # judged before the line ends
    (b"SSH-2.0-OpenSSH_9.6\r\n", False, None),
    (b"\x15\x03\x03\x00\x02\x02\x0a", False, None),  # a TLS alert
    (b"\x00\x00\x00\x04\x00\x00\x00\x00\x00", False, None),  # an HTTP/2 SETTINGS frame
    (b"<html>hello</html>\n", False, None),  # HTTP/0.9
    (b"http/1.1 200 OK\r\n", False, None),  # HTTP-version is case-sensitive
    (b"HTTP/2 200\r\n", False, None),
    (b"HTTP/1.1 2000 OK\r\n", False, None),
    (b"HTTP/1.1 099", False, None),  # no status code is below 100
    (b"HTTP/1.1 999 Whatever\r\n", True, StatusLine(999, "Whatever")),  # HTTP_STATUS_INVALID's
    (b"HTTP/1.1 200 O\x00K", False, None),  # a control character in the reason
    (b"\r\nHTTP/1.1 200 OK\r\n", False, None),  # h11 rejects a blank line first
])
def test_the_first_line_is_judged_as_it_arrives(start, can, line):
    assert can_begin_response(start) is can
    assert status_line(start) == line


def _h11_first_line(line: bytes) -> bool:
    """Whether h11 takes ``line`` as the status line of a head."""
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "origin.test")]))
    conn.receive_data(line + b"\r\n\r\n")
    try:
        event = conn.next_event()
    except h11.RemoteProtocolError:
        return False
    return isinstance(event, h11.Response | h11.InformationalResponse)


# Lines near the shape of a status line, where the two readings could differ.
PIECES = st.sampled_from([b"HTTP/", b"1.1", b"1.0", b"0", b"2", b" ", b"200", b"100", b"99", b"OK",
                          b"\t", b"\x80", b"\x7f", b"\x01", b"http/", b":", b"-"])
LINES = st.one_of(st.binary(max_size=30),
                  st.lists(PIECES, max_size=8).map(b"".join))


@settings(max_examples=400, deadline=None)
@given(LINES)
def test_a_line_h11_accepts_is_never_judged_not_http_on_the_way(line):
    line = line.replace(b"\r", b"").replace(b"\n", b"")
    accepted = _h11_first_line(line)
    assert (status_line(line + b"\r\n") is not None) is accepted
    if accepted:
        # No prefix of it, as it trickles in, is rejected early.
        assert all(can_begin_response(line[:n]) for n in range(len(line) + 1))
    else:
        assert not can_begin_response(line + b"\r\n")


@pytest.mark.parametrize(("message", "said"), [
    ("illegal header line: bytearray(b'Content-Length : 2')",
     Rejected("illegal header line", "Content-Length : 2")),
    ("illegal chunk header: bytearray(b'zz\\r\\n')", Rejected("illegal chunk header", "zz")),
    ("conflicting Content-Length headers", Rejected("conflicting Content-Length headers")),
    ("Only Transfer-Encoding: chunked is supported",
     Rejected("Only Transfer-Encoding: chunked is supported")),
    ("illegal header line: b'X: \"q\\'d'", Rejected("illegal header line", "X: \"q'd")),
    ("illegal header line: bytearray(b'unclosed", Rejected(
        "illegal header line: bytearray(b'unclosed")),  # not a repr: kept whole
])
def test_what_h11_rejected_is_split_into_its_words_and_the_line(message, said):
    assert rejected(h11.RemoteProtocolError(message)) == said


def test_a_long_rejected_line_is_cut():
    line = "X-Big : " + "a" * 5000
    got = rejected(h11.RemoteProtocolError(f"illegal header line: {bytearray(line.encode())!r}"))
    assert got.line == line[:MAX_LINE_CHARS]
