"""A real `origin502 serve` under hostile HTTP (issue 11): raw sockets, no client library to
tidy the bytes. Every refusal happens before a listener runs, with no traceback, and unsigned
bodies are never logged."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import socket
import time
from pathlib import Path

import pytest

from tests.bot.fakeslack import SIGNING_SECRET, command_body, sign

pytestmark = pytest.mark.e2e
MARKER = b"UNSIGNED-BODY-MARKER"


def _address(stack):
    host, port = stack.base.removeprefix("http://").split(":")
    return host, int(port)


def exchange(stack, head: bytes, body: bytes = b"", *, timeout: float = 15) -> bytes:
    """Send raw bytes; return what the server answered before closing (or timeout)."""
    with socket.create_connection(_address(stack), timeout=timeout) as sock:
        sock.sendall(head)
        with contextlib.suppress(OSError):  # the server may refuse before reading it all
            sock.sendall(body)
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks) and _complete(b"".join(chunks)):
                    break
        except (ConnectionResetError, TimeoutError):
            pass
        return b"".join(chunks)


def _complete(data: bytes) -> bool:
    head, _, rest = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(rest) >= int(line.split(b":")[1])
    return True


def post_head(length: str | None, *, content_type="application/x-www-form-urlencoded",
              extra: dict[str, str] | None = None) -> bytes:
    lines = ["POST /slack/events HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {content_type}"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def status_of(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1."), answer[:200]
    return int(answer.split(b" ", 2)[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no Threads")


def signed_headers(body: bytes, timestamp: str | None = None) -> dict[str, str]:
    ts = timestamp or str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + ts.encode() + b":" + body,
                      hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@pytest.fixture
def serve(stack_factory):
    stack = stack_factory(workers=False)
    yield stack
    logged = stack.serve_output()
    assert "Traceback" not in logged
    assert MARKER.decode() not in logged  # unsigned bodies are never logged
    assert not stack.slack.calls_of("chat.postMessage")  # no listener ever ran


def test_negative_content_length_with_a_huge_body_is_refused_unread(serve):
    pid = serve.processes[0].popen.pid
    before = rss_kib(pid)
    body = MARKER * (64 * 1024 * 1024 // len(MARKER))  # 64 MiB
    answer = exchange(serve, post_head("-1"), body)
    assert status_of(answer) == 400
    assert rss_kib(pid) - before < 32 * 1024  # it was never read into memory


@pytest.mark.parametrize(("length", "status"), [
    ("abc", 400), ("1.5", 400), ("+5", 400), (" 5, 6", 400), ("99999999999999", 413),
    (str(2 << 20), 413),
])
def test_bad_or_huge_content_length(serve, length, status):
    answer = exchange(serve, post_head(length), MARKER * 10)
    assert status_of(answer) == status


def test_chunked_and_conflicting_lengths_are_bad_framing(serve):
    chunked = post_head(None, extra={"Transfer-Encoding": "chunked"})
    assert status_of(exchange(serve, chunked, b"5\r\nhello\r\n0\r\n\r\n")) == 400
    twice = post_head("5", extra={"Content-Length": "7"})
    assert status_of(exchange(serve, twice, b"hello")) == 400


def test_unsigned_body_is_refused_and_not_logged(serve):
    body = MARKER * 40_000  # under the cap, well past any log line
    assert status_of(exchange(serve, post_head(str(len(body))), body)) == 401


@pytest.mark.parametrize("timestamp", ["abc", "1732900000.5", "1.7e9", "-1", ""])
def test_non_numeric_or_float_timestamp_is_401(serve, timestamp):
    body = command_body("origin.test").encode()
    headers = signed_headers(body, timestamp=timestamp or "0")
    if not timestamp:
        headers["X-Slack-Request-Timestamp"] = ""
    answer = exchange(serve, post_head(str(len(body)), extra=headers), body)
    assert status_of(answer) == 401


@pytest.mark.parametrize(("content_type", "body"), [
    ("application/x-www-form-urlencoded", b"text=\xff\xfe&command=%2Forigin502"),
    ("application/json", command_body("origin.test").encode()),  # a form body, JSON type
    ("application/json", b"[1, 2]"),
    ("application/x-www-form-urlencoded", b"payload=%7Bnot+json"),
    ("text/plain", b"hello"),
])
def test_signed_but_malformed_is_400_before_any_listener(serve, content_type, body):
    head = post_head(str(len(body)), content_type=content_type, extra=signed_headers(body))
    assert status_of(exchange(serve, head, body)) == 400


def test_a_genuine_request_still_works(serve):
    body = command_body("help")
    head = post_head(str(len(body)), extra=sign(body))
    answer = exchange(serve, head, body.encode())
    assert status_of(answer) == 200
    assert b"origin502" in answer


def test_expect_100_continue_is_answered_before_the_body_is_sent(serve):
    # Responses are buffered until complete (bot/server.py, wbufsize): the interim answer
    # must still go out at once, or a client that waits for it never sends its body.
    body = command_body("help")
    head = post_head(str(len(body)), extra={**sign(body), "Expect": "100-continue"})
    with socket.create_connection(_address(serve), timeout=15) as sock:
        sock.sendall(head)
        interim = b""
        while b"\r\n\r\n" not in interim:
            chunk = sock.recv(65536)
            assert chunk, interim
            interim += chunk
        assert interim.startswith(b"HTTP/1.1 100 Continue\r\n"), interim
        sock.sendall(body.encode())
        answer = interim.partition(b"\r\n\r\n")[2]
        while not (b"\r\n\r\n" in answer and _complete(answer)):
            chunk = sock.recv(65536)
            assert chunk, answer
            answer += chunk
    assert status_of(answer) == 200
    assert b"origin502" in answer


def test_two_requests_on_one_connection_are_each_answered(serve):
    body = command_body("help")
    with socket.create_connection(_address(serve), timeout=15) as sock:
        for _ in range(2):
            sock.sendall(post_head(str(len(body)), extra=sign(body)) + body.encode())
            answer = b""
            while not (b"\r\n\r\n" in answer and _complete(answer)):
                chunk = sock.recv(65536)
                assert chunk, answer
                answer += chunk
            assert status_of(answer) == 200
            assert b"origin502" in answer


def test_connections_are_bounded_and_silent_ones_time_out(stack_factory):
    stack = stack_factory(workers=False, ORIGIN502_HTTP_MAX_CONNECTIONS="32",
                          ORIGIN502_HTTP_IDLE_TIMEOUT="2")
    pid = stack.processes[0].popen.pid
    idle = threads(pid)
    silent = [socket.create_connection(_address(stack), timeout=30) for _ in range(300)]
    try:
        # Past the bound, a connection is told 503 and closed at once.
        busy = [s for s in silent[-20:] if s.recv(200).startswith(b"HTTP/1.1 503")]
        assert len(busy) == 20
        assert threads(pid) <= idle + 32 + 2
        # The ones admitted are closed by the server once they stay silent.
        for sock in silent[:32]:
            assert sock.recv(100) == b""
    finally:
        for sock in silent:
            sock.close()
    body = command_body("help")
    assert status_of(exchange(stack, post_head(str(len(body)), extra=sign(body)),
                              body.encode())) == 200
    assert "Traceback" not in stack.serve_output()


def test_a_request_that_trickles_in_is_cut_off(stack_factory):
    stack = stack_factory(workers=False, ORIGIN502_HTTP_REQUEST_DEADLINE="3",
                          ORIGIN502_HTTP_IDLE_TIMEOUT="2")
    with socket.create_connection(_address(stack), timeout=30) as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\n")
        closed = False
        for _ in range(60):  # one header byte a second, never finishing
            try:
                sock.sendall(b"X")
            except OSError:
                closed = True
                break
            sock.settimeout(1)
            try:
                if sock.recv(100) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
        assert closed
    assert "Traceback" not in stack.serve_output()


def test_json_body_in_form_encoding_is_not_mistaken(serve):
    # The Events API sends JSON; a genuine signed url_verification still answers.
    body = json.dumps({"type": "url_verification", "challenge": "abc", "token": "x"}).encode()
    head = post_head(str(len(body)), content_type="application/json",
                     extra=signed_headers(body))
    answer = exchange(serve, head, body)
    assert status_of(answer) == 200 and b"abc" in answer


def test_slack_cannot_make_serve_open_a_file(stack_factory, tmp_path):
    import errno
    import os

    stack = stack_factory(workers=False)
    fifo = tmp_path / "trap"
    os.mkfifo(fifo)  # an open() by serve would block on it, and be seen below
    for text in (f"x.com \u201c--ca-file={fifo}\u201d", f"x.com \u2014ca-file {fifo}",
                 "x.com --ca-file=/dev/zero", "x.com --ca-file /etc/shadow"):
        reply, _ = stack.send.command(text)
        assert reply.status == 200
        assert "not available from Slack" in reply.body and "ORIGIN502_CA_FILE" in reply.body
    with pytest.raises(OSError) as nobody:
        os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    assert nobody.value.errno == errno.ENXIO  # no reader: serve never opened it
