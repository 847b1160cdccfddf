"""HTTP layer: one HTTP/1.1 request with the headers CloudFront sends, on the connection the
lower layers opened (as CloudFront reuses it), and the first response line and headers back."""

from __future__ import annotations

import socket
import ssl
import time

import h11

from workers.models import BodyStop, HttpReason, HttpResult, Layer, ResponsePart, Status
from workers.models.edge import CLOUDFRONT_HEADERS, cloudfront_marks
from workers.probes.attempts import Attempt
from workers.probes.context import DeadlineExceeded, ProbeContext
from workers.probes.deadline_io import recv_within
from workers.probes.http_body import read_body
from workers.probes.http_first_line import StatusLine, can_begin_response, status_line
from workers.probes.http_parser_limits import HeadLimit, body_limit, head_fault, head_limit
from workers.probes.http_rejected import Rejected, rejected
from workers.probes.state import ProbeState
from workers.probes.wire import Stream, span_ms
from workers.target import Target

MAX_HEADER_BYTES = 64 * 1024
# The start of an error response's body: what the origin says is wrong (nginx's "No required
# SSL certificate was sent"), or, behind CloudFront's marks, enough of its error page to read
# CloudFront's sentence (its pages are about 1 KiB).
BODY_EXCERPT_BYTES = 1024
EDGE_PAGE_BYTES = 8 * 1024
# All an origin may send before its final response headers end (interim 1xx responses
# included); past it the probe stops reading and says so, whatever the origin keeps sending.
MAX_RESPONSE_BYTES = 128 * 1024
# How long the check "does this plain-HTTP port speak TLS?" waits for the handshake's answer:
# a TLS server answers a ClientHello at once; a plain HTTP server may wait for a request line
# that never ends, and that wait must not cost the diagnosis a full connection timeout.
TLS_CHECK_WAIT = 3.0
LARGEST_HEADERS_KEPT = 3
# How far into a response head its first line is judged (http_first_line): a status line is
# a few dozen bytes; a longer one is left to h11.
FIRST_LINE_BYTES = 1024


class _TooMuch(Exception):
    """The origin sent more than MAX_RESPONSE_BYTES before its response headers ended."""


class _NotHttp(Exception):
    """The answer's first line cannot be an HTTP/1.x status line."""


_KEPT_HEADERS = ("server", "content-type", "content-length", "transfer-encoding", "x-cache",
                 "via", "location", "connection", "keep-alive", "x-amzn-requestid",
                 "x-amzn-trace-id", *CLOUDFRONT_HEADERS)


def probe_http(target: Target, ctx: ProbeContext, previous: ProbeState) -> HttpResult:
    """One request on the stream the layer below handed up."""
    if previous.stream is None:
        raise ValueError("the HTTP layer needs the stream a lower layer opened")
    result = exchange(previous.stream, target, ctx)
    if target.dialled.scheme == "http" and _may_be_tls_port(result):
        result.port_speaks_tls, result.port_tls_detail = check_tls_on_port(target, ctx)
    if result.ttfb_ms is not None:
        previous.timings_ms["first_byte"] = round(result.ttfb_ms, 2)
    previous.transcript.append(f"GET {target.settings.path} Host: {target.host} -> "
                               f"{result.status_code or result.reason}")
    return result


def exchange(sock: Stream, target: Target, ctx: ProbeContext) -> HttpResult:
    """Send CloudFront's request on ``sock``; the response's first line and headers.

    The first-byte time runs from the request's departure to the kernel's arrival time of the
    answer when ``sock`` keeps them (workers/probes/wire.py), so that it measures the origin,
    not this process's turn to run."""
    settings = target.settings
    host = target.host
    result = HttpResult(status=Status.OK, request_host=host, path=settings.path)
    conn = h11.Connection(our_role=h11.CLIENT, max_incomplete_event_size=MAX_HEADER_BYTES)
    # CloudFront's own User-Agent and keep-alive, unless the viewer's are forwarded.
    sent = [
        ("Host", host), ("User-Agent", "Amazon CloudFront"), ("Connection", "keep-alive"),
        ("Accept", "*/*"), ("Via", "1.1 origin502 (CloudFront-style probe)"),
    ]
    if target.origin_headers:
        # An origin custom header replaces a header of the same name (CloudFront overwrites).
        custom = {name.lower() for name, _ in target.origin_headers}
        sent = [(k, v) for k, v in sent if k.lower() not in custom]
        sent += list(target.origin_headers)
    outgoing = conn.send(h11.Request(method="GET", target=settings.path, headers=sent))
    started = time.perf_counter()
    received = bytearray()
    # Every byte until the final head is parsed (at most MAX_RESPONSE_BYTES): a head h11
    # refuses for a limit of its own is read again without the part it cannot take.
    answer = bytearray()
    total = 0
    interim = 0
    head_start = 0  # where the final response's head begins: after the interim responses
    # The current head's status line once its first line ended; judged until then.
    seen: StatusLine | None = None
    judging = True
    closed = False  # the origin closed the connection (the last read returned nothing)
    # issue 8 hook: the wait for the response, announced for progress ("HTTP: no response for
    # 12 of 30 s"); it ends with the first byte, or with the layer when none came.
    waiting = Attempt(Layer.HTTP, target.dialled.address, target.dialled.port, 1, 1,
                      settings.read_timeout)
    ctx.events.attempt_started(waiting)
    last_packet = started  # when the last bytes came: CloudFront's response timeout is a gap
    try:
        sock.settimeout(ctx.timeout(settings.read_timeout))
        sock.sendall(outgoing or b"")
        while True:
            if judging and total - head_start <= FIRST_LINE_BYTES:
                # h11 keeps the head unparsed until its blank line: judge its first line now.
                start = conn.trailing_data[0]
                if not can_begin_response(start):
                    raise _NotHttp
                seen = status_line(start)
                judging = seen is None
            event = conn.next_event()
            if event is h11.NEED_DATA:
                if total >= MAX_RESPONSE_BYTES:
                    raise _TooMuch
                # Each wait: at most the response timeout (as CloudFront, between packets),
                # and never past the diagnosis's deadline, however slowly the origin trickles.
                chunk = recv_within(sock, ctx.deadline, settings.read_timeout,
                                    min(16384, MAX_RESPONSE_BYTES - total))
                total += len(chunk)
                closed = not chunk
                last_packet = time.perf_counter()
                if result.ttfb_ms is None and chunk:
                    result.ttfb_ms = span_ms(getattr(sock, "sent_ns", None),
                                             getattr(sock, "arrived_ns", None))
                    if result.ttfb_ms is None:
                        result.ttfb_ms = (time.perf_counter() - started) * 1000
                    ctx.events.attempt_ended(waiting, "ok")
                received.extend(chunk[:256] if len(received) < 256 else b"")
                answer.extend(chunk)
                conn.receive_data(chunk)
                continue
            if isinstance(event, h11.InformationalResponse):
                interim += 1  # bounded by MAX_RESPONSE_BYTES, and by the deadline
                if event.status_code == 100:
                    result.continue_responses += 1
                head_start = total - len(conn.trailing_data[0])
                seen, judging = None, True
                continue
            if isinstance(event, h11.Response):
                headers = _take_response(
                    result, event, total - len(conn.trailing_data[0]) - head_start)
                keep = 0
                if event.status_code >= 400:
                    keep = EDGE_PAGE_BYTES if cloudfront_marks(headers) else BODY_EXCERPT_BYTES
                _read_body(result, conn, sock, ctx, gap=settings.read_timeout, keep=keep)
                break
            if isinstance(event, h11.ConnectionClosed):
                result.status, result.reason = Status.FAILED, HttpReason.CLOSED
                result.detail = "the origin closed the connection without sending a response"
                break
    except _TooMuch:
        result.status, result.reason = Status.FAILED, HttpReason.INVALID
        result.detail = (f"the origin sent more than {MAX_RESPONSE_BYTES // 1024} KiB "
                         f"({interim} interim 1xx responses) without finishing its response "
                         "headers; origin502 stopped reading there")
        result.first_bytes = bytes(received[:120]).decode("latin-1", "replace")
    except _NotHttp:
        result.status, result.reason = Status.FAILED, HttpReason.INVALID
        result.detail = "the first line of the answer is not an HTTP/1.x status line"
        result.first_bytes = bytes(received[:120]).decode("latin-1", "replace")
    except h11.RemoteProtocolError as exc:
        if not received:
            # h11 calls a close before any byte a protocol error; for us it is a plain close.
            result.status, result.reason = Status.FAILED, HttpReason.CLOSED
            result.detail = "the origin closed the connection without sending a response"
            result.duration_ms = (time.perf_counter() - started) * 1000
            ctx.events.attempt_ended(waiting, "failed")
            return result
        limit = (head_limit(str(exc), bytes(answer[head_start:]))
                 if seen is not None and not closed else None)
        if limit is not None:
            _parser_limit(result, limit)
        else:
            _head_rejected(result, exc, bytes(received[:120]), closed=closed, seen=seen,
                           fault=head_fault(str(exc), bytes(answer[head_start:])))
    except DeadlineExceeded:
        _out_of_time(result, ctx, settings.read_timeout, started=started,
                     last_packet=last_packet, total=total)
    except TimeoutError:
        result.status, result.reason = Status.FAILED, HttpReason.TIMEOUT
        result.detail = (f"no response within the {settings.read_timeout:g} s response timeout"
                         if result.ttfb_ms is None else
                         "the response headers did not complete within the response timeout")
    except ssl.SSLError as exc:
        result.status, result.reason = Status.FAILED, HttpReason.RESET
        result.detail = f"TLS error after the handshake: {getattr(exc, 'reason', None) or exc}"
    except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
        result.status, result.reason = Status.FAILED, HttpReason.RESET
        result.detail = "the origin reset the connection instead of answering"
    except OSError as exc:
        result.status, result.reason = Status.FAILED, HttpReason.RESET
        result.detail = exc.strerror or str(exc)
    if result.reason == HttpReason.TIMEOUT and received:
        # Bytes came, but never a whole response: what they were says more than "no answer".
        result.first_bytes = bytes(received[:120]).decode("latin-1", "replace")
    if result.ttfb_ms is None:
        ctx.events.attempt_ended(waiting, "out_of_time" if result.cut is not None else
                                 "timeout" if result.reason == HttpReason.TIMEOUT else "failed")
    result.duration_ms = (time.perf_counter() - started) * 1000
    return result


def _take_response(result: HttpResult, response: h11.Response,
                   head_bytes: int) -> dict[str, str]:
    """The final response's status and the headers reports keep; all its headers back."""
    _measure_head(result, response, head_bytes)
    result.status_code = response.status_code
    result.reason_phrase = response.reason.decode("latin-1", "replace")
    headers = {k.decode("latin-1").lower(): v.decode("latin-1", "replace")
               for k, v in response.headers}
    result.headers = {k: headers[k] for k in _KEPT_HEADERS if k in headers}
    result.server = headers.get("server")
    return headers


def _parser_limit(result: HttpResult, limit: HeadLimit) -> None:
    """A head h11 refused for its own limit: the response as h11 reads it without its framing
    fields (kept as sent), and its body not read, since where it ends is not known here."""
    _take_response(result, limit.response, limit.head_bytes)
    result.headers.update({k: v for k, v in limit.framing.items() if k in _KEPT_HEADERS})
    result.parser_limit, result.body_stopped = limit.said, BodyStop.PARSER


def _head_rejected(result: HttpResult, error: h11.RemoteProtocolError, first: bytes, *,
                   closed: bool, seen: StatusLine | None, fault: str | None = None) -> None:
    """What h11's rejection of a response head means, from what came before it: ``first``
    bytes of the answer, whether the origin then closed, and the status line when the head
    began with one; ``fault`` says the fault in our words when h11's would mislead."""
    result.first_bytes = first.decode("latin-1", "replace")
    if getattr(error, "error_status_hint", None) == 431:  # h11: receive buffer too long
        result.status, result.reason = Status.FAILED, HttpReason.INVALID
        result.detail = (f"the response headers are larger than {MAX_HEADER_BYTES // 1024} "
                         "KiB; origin502 stopped reading there")
        result.head_bytes, result.head_cut = MAX_HEADER_BYTES, True
    elif closed:
        # Every byte so far could begin a response (its first line is judged as it comes),
        # then the connection closed: a response cut short, not bytes that are not HTTP.
        result.status, result.reason = Status.FAILED, HttpReason.TRUNCATED
        result.detail = "the origin closed the connection before its response headers ended"
    elif seen is not None:
        # The status line is HTTP; h11 rejects a later part of the head. What CloudFront does
        # with such a head is not documented, so the status stays what the origin answered.
        said = Rejected(fault) if fault is not None else rejected(error)
        result.status_code, result.reason_phrase = seen.code, seen.reason
        result.malformed = ResponsePart.HEADERS
        result.parser_said, result.rejected_line = said.said, said.line
        result.detail = ("a strict HTTP/1.1 parser rejects its headers: "
                         + (f"{said.line!r} ({said.said})" if said.line else said.said))
    else:
        result.status, result.reason = Status.FAILED, HttpReason.INVALID
        result.detail = f"not a valid HTTP/1.x response: {error}"


def _read_body(result: HttpResult, conn: h11.Connection, sock: Stream, ctx: ProbeContext, *,
               gap: float, keep: int) -> None:
    """The body of the response: whether it ended as its head said, and for an error status
    its start (what the origin says is wrong, or CloudFront's error page). Best effort: the
    response itself is in hand, so a slow or cut body never turns the layer into a failure."""
    body = read_body(conn, sock, deadline=ctx.deadline, gap=gap, keep=keep)
    result.body_bytes, result.body_complete, result.body_cut_by, result.body_stopped = (
        body.received, body.complete, body.cut_by, body.stopped)
    declared = result.headers.get("content-length")
    result.body_declared = (int(declared) if declared and declared.isascii() and declared.isdigit()
                            else None)
    limit = body_limit(body.broken) if body.broken is not None else None
    if limit is not None:
        result.parser_limit, result.body_stopped = limit, BodyStop.PARSER
    elif body.broken is not None:
        result.malformed = ResponsePart.BODY
        result.parser_said, result.rejected_line = body.broken.said, body.broken.line
    if keep:
        text = body.excerpt.decode("utf-8", "replace").strip()
        result.body_excerpt = text or None


def _out_of_time(result: HttpResult, ctx: ProbeContext, read_timeout: float, *, started: float,
                 last_packet: float, total: int) -> None:
    """origin502's budget ran out while the origin was being waited for. Only what CloudFront
    itself would not have waited through is a finding: no packet for the whole response
    timeout. Anything else was not checked (status error, ``cut``); a second 100 Continue
    seen before then is a finding of its own (``continue_responses``)."""
    now = time.perf_counter()
    gap = now - last_packet
    if gap >= read_timeout:
        result.status, result.reason = Status.FAILED, HttpReason.TIMEOUT
        result.detail = (f"no response within the {read_timeout:g} s response timeout"
                         if result.ttfb_ms is None else
                         "the response headers did not complete within the response timeout")
    elif result.ttfb_ms is None:
        result.status, result.reason = Status.ERROR, HttpReason.TIMEOUT
        result.cut = ctx.cut(now - started, read_timeout)
    else:
        # Bytes kept coming, each within the response timeout: CloudFront would still be
        # waiting (it has no overall limit unless a response completion timeout is set).
        result.status, result.reason = Status.ERROR, HttpReason.STALLED
        result.cut = ctx.cut(now - started, None, bytes_seen=total)


def _measure_head(result: HttpResult, response: h11.Response, head_bytes: int) -> None:
    """The final response's head: its size as received (what CloudFront's 20,480-byte limit
    on an origin response's headers is about), its names and values alone, and the names
    that weigh most."""
    result.head_bytes = head_bytes
    by_name: dict[str, int] = {}
    fields = 0
    for name, value in response.headers.raw_items():
        fields += len(name) + len(value)
        label = name.decode("latin-1")
        # A repeated name (Set-Cookie) is one entry; its key keeps the first spelling seen.
        key = next((k for k in by_name if k.lower() == label.lower()), label)
        by_name[key] = by_name.get(key, 0) + len(name) + len(value) + 4  # ": " and CRLF
    result.header_field_bytes = fields
    largest = sorted(by_name.items(), key=lambda item: -item[1])[:LARGEST_HEADERS_KEPT]
    result.largest_headers = dict(largest)


def _may_be_tls_port(result: HttpResult) -> bool:
    """Whether a plain-HTTP answer looks like a TLS listener's: a close or reset without a
    response, bytes that are not HTTP (a TLS alert record), or a 400 (nginx's "The plain HTTP
    request was sent to HTTPS port")."""
    if result.status == Status.FAILED:
        return result.reason in (HttpReason.CLOSED, HttpReason.RESET, HttpReason.INVALID) \
            and not result.head_cut
    return result.status_code == 400


def check_tls_on_port(target: Target, ctx: ProbeContext) -> tuple[bool | None, str]:
    """Whether the target's port completes (or answers, with a TLS alert) a TLS handshake,
    on a new connection: True with the version, False with what came back instead, None
    when nothing could be learned (no time left, no connection, no answer)."""
    endpoint = target.dialled
    try:
        wait = ctx.timeout(min(target.settings.connect_timeout, TLS_CHECK_WAIT))
    except DeadlineExceeded:
        return None, "not checked: the diagnosis ran out of time"
    family = socket.AF_INET6 if ":" in endpoint.address else socket.AF_INET
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # Any version a TLS listener may speak: the question is only whether it speaks TLS (the
    # deprecation warning is silenced once, workers.probes.quiet).
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers("ALL:@SECLEVEL=0")
    try:
        with socket.socket(family, socket.SOCK_STREAM) as raw:
            raw.settimeout(wait)
            raw.connect((endpoint.address, endpoint.port))
            with context.wrap_socket(raw, server_hostname=target.server_name,
                                     do_handshake_on_connect=False) as tls:
                tls.do_handshake()
                return True, f"a TLS handshake completes ({tls.version()})"
    except ssl.SSLError as exc:
        reason = getattr(exc, "reason", None) or ""
        if "ALERT" in reason:  # the listener answered in TLS, refusing this offer
            return True, f"it answers a TLS handshake with an alert ({reason})"
        return False, reason or str(exc)
    except TimeoutError:
        return None, "no answer to a TLS handshake"
    except OSError as exc:
        return False, exc.strerror or str(exc)
