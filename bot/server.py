"""HTTP mode: Bolt at `/slack/events`, plus `/healthz`, `/readyz` and `/metrics`, on a threading
server (liveness and readiness are told apart in workers/health.py).

Bolt's own development server handles one request at a time; during an incident several
people fire the command at once, so each request gets its own thread here.

The port faces the internet, so the server protects itself before any signature is checked:
strict Content-Length framing with a size cap, a socket timeout on every connection, a deadline
for each request to arrive, a bound on connections, and Slack's signature checked on the raw
bytes before Bolt parses (or logs) the body. Malformed requests get 400/401/413 and never
reach a listener. With the signing secret given, this check is the only one: `serve` builds its
Bolt app with `server_checks_signature` (bot/app.py), and make_server refuses an app that
checks nothing when it has no secret. (A maintained server such as waitress would bound
connections too, but not the per-request deadline nor the signature-before-parse step; this
file stays on http.server.)

Bolt itself (the middleware, the listeners, the one Redis round trip a slash command makes
before its ack) runs on a few threads fed in arrival order, not on the connection's thread.
Under a burst, fifty connection threads each blocking on Redis in the middle of their work
took the interpreter lock back in no particular order: the slowest acks waited 2-3 times as
long as the median. In arrival order they finish in about the order they came
(benchmarks/ack_latency.py). Listeners must not block: they ack and hand the rest to
bot/background.py, as a slow one holds one of the APP_THREADS.
"""

from __future__ import annotations

import contextlib
import contextvars
import gc
import json
import logging
import os
import queue
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from email.message import Message
from functools import cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App, BoltRequest
from slack_bolt.middleware import RequestVerification
from slack_sdk.signature import SignatureVerifier

from workers.health import BoundedCheck, HealthCheck
from workers.metrics import render_metrics

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY = 1 << 20  # Slack payloads are a few kilobytes
# Seconds a connection may sit silent (between requests, or mid-request between bytes).
IDLE_TIMEOUT = float(os.environ.get("ORIGIN502_HTTP_IDLE_TIMEOUT") or 10)
# Seconds for one whole request (line, headers, body) to arrive, however it trickles in.
REQUEST_DEADLINE = float(os.environ.get("ORIGIN502_HTTP_REQUEST_DEADLINE") or 20)
# Connections served at once; one more is answered 503 and closed, without a thread.
MAX_CONNECTIONS = int(os.environ.get("ORIGIN502_HTTP_MAX_CONNECTIONS") or 128)
# With a socket shared by several processes (`serve --processes`): connections one process
# takes in before it has answered them, and seconds it waits for one of them to be answered
# before it takes the next connection anyway (SlackHTTPServer.accept_ahead).
ACCEPT_AHEAD = int(os.environ.get("ORIGIN502_HTTP_ACCEPT_AHEAD") or 8)
ACCEPT_WAIT = 0.05
# Threads that run Bolt for the requests read, in arrival order (module docstring).
APP_THREADS = int(os.environ.get("ORIGIN502_HTTP_APP_THREADS") or 4)
# Slack signs with a whole number of seconds; anything else is not Slack.
_DIGITS = re.compile(r"[0-9]{1,15}")
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 5\r\nConnection: close\r\n"
    b"Retry-After: 1\r\n\r\nbusy\n"
)


def _signed(verifier: SignatureVerifier, headers: Message, body: str) -> bool:
    """Slack's v0 signature over these exact bytes, with a timestamp in the 5-minute window."""
    timestamp = headers.get("X-Slack-Request-Timestamp") or ""
    signature = headers.get("X-Slack-Signature") or ""
    if not _DIGITS.fullmatch(timestamp) or not signature.startswith("v0="):
        return False
    return verifier.is_valid(body, timestamp, signature)


def _malformed(content_type: str, text: str) -> str | None:
    """What is wrong with a signed body Bolt would choke on, or None when it is readable."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json":
        try:
            parsed = json.loads(text)
        except ValueError:
            return "the body is not JSON"
        return None if isinstance(parsed, dict) else "the body is not a JSON object"
    if media == "application/x-www-form-urlencoded":
        try:
            form = parse_qs(text, strict_parsing=bool(text), max_num_fields=200)
        except ValueError:
            return "the body is not a form"
        for payload in form.get("payload", []):
            try:
                if not isinstance(json.loads(payload), dict):
                    return "the payload is not a JSON object"
            except ValueError:
                return "the payload is not JSON"
        return None
    return "unsupported content type"


class Deadlines:
    """One thread that shuts the connections whose current request took too long to arrive.

    (A timer per connection would double the threads a crowd of slow clients costs.)
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._due: dict[socket.socket, float] = {}
        self._wake = threading.Condition()
        self._until = 0.0  # when the thread's current wait ends by itself
        threading.Thread(target=self._run, name="http-deadlines", daemon=True).start()

    def start(self, connection: socket.socket, seconds: float) -> None:
        due = self._clock() + seconds
        with self._wake:
            self._due[connection] = due
            # Wake the thread only for a deadline sooner than the one it waits for: with one
            # REQUEST_DEADLINE for every request, nearly never (not once per request).
            if due < self._until:
                self._wake.notify()

    def cancel(self, connection: socket.socket) -> None:
        with self._wake:
            self._due.pop(connection, None)

    def _run(self) -> None:
        while True:
            with self._wake:
                now = self._clock()
                expired = [c for c, due in self._due.items() if due <= now]
                for connection in expired:
                    del self._due[connection]
                if not expired:
                    soonest = min(self._due.values(), default=now + 60)
                    timeout = max(0.05, soonest - now)
                    self._until = now + timeout
                    self._wake.wait(timeout=timeout)
                    continue
            for connection in expired:
                log.info("request took too long to arrive; connection closed")
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)


def make_handler(
    app: App, ready: HealthCheck, signing_secret: str | None, lanes: ThreadPoolExecutor
) -> type[BaseHTTPRequestHandler]:
    verifier = SignatureVerifier(signing_secret) if signing_secret else None
    deadlines = Deadlines()
    readiness = BoundedCheck(ready)

    class SlackRequestHandler(BaseHTTPRequestHandler):
        server_version = "origin502"
        protocol_version = "HTTP/1.1"
        # Socket timeout for every read and write: a silent or idle connection is dropped.
        timeout = IDLE_TIMEOUT
        # The response is written to a buffer that http.server flushes once it is complete
        # (handle_one_request): status line, headers and body leave in one send, not one for
        # the headers and one for the body. Under a burst each send also gives up the
        # interpreter lock, to take it back behind the other threads (issue 8).
        wbufsize = 1 << 16

        def do_GET(self) -> None:
            with self.server.answering():  # type: ignore[attr-defined]
                self._get()

        def do_POST(self) -> None:
            # Counted from here to the answer, so that a stopping process lets it finish.
            with self.server.answering():  # type: ignore[attr-defined]
                self._post()

        def _get(self) -> None:
            path = self.path.split("?", 1)[0]
            if path in ("/healthz", "/livez"):
                # Alive: this thread answers. Never waits on Redis (see workers/health.py).
                self._reply(HTTPStatus.OK, b'{"status": "alive"}', "application/json")
            elif path == "/readyz":
                ok, detail = readiness()
                text = json.dumps({"status": "ready" if ok else "not ready", "detail": detail})
                status = HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE
                self._reply(status, text.encode(), "application/json")
            elif path == "/metrics":
                body, content_type = render_metrics()
                self._reply(HTTPStatus.OK, body, content_type)
            else:
                self._reply(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")

        def _post(self) -> None:
            path, _, query = self.path.partition("?")
            body = self._read_body()
            if body is None:
                return  # answered already (400/411/413/408) and the connection closes
            deadlines.cancel(self.connection)  # the request is in: the rest is the app's time
            if path != EVENTS_PATH:
                self._reply(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
                return
            try:
                text = body.decode("utf-8")  # Slack sends UTF-8; the signature is over text
            except UnicodeDecodeError:
                self._reply(HTTPStatus.BAD_REQUEST, b"the body is not UTF-8\n", "text/plain")
                return
            # Before anything reads the body (Bolt parses it, and logs unsigned ones whole):
            # only a request Slack signed goes further.
            if verifier is not None and not _signed(verifier, self.headers, text):
                log.info("unsigned request refused", extra={"bytes": len(body)})
                self._reply(HTTPStatus.UNAUTHORIZED, b"invalid request\n", "text/plain")
                return
            problem = _malformed(self.headers.get("Content-Type") or "", text)
            if problem is not None:
                log.info("malformed request refused", extra={"problem": problem})
                self._reply(HTTPStatus.BAD_REQUEST, f"{problem}\n".encode(), "text/plain")
                return
            headers: dict[str, str | Sequence[str]] = {
                name.lower(): self.headers.get_all(name) or [] for name in self.headers
            }
            request = BoltRequest(body=text, query=query, headers=headers)
            # In arrival order, on one of the APP_THREADS, each request in a fresh context.
            response = lanes.submit(contextvars.Context().run, app.dispatch, request).result()
            payload = response.body if isinstance(response.body, str) else json.dumps(response.body)
            self.send_response(response.status)
            for name, values in response.headers.items():
                if name.lower() == "content-length":
                    continue
                for value in values:
                    self.send_header(name, value)
            encoded = payload.encode("utf-8")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def _read_body(self) -> bytes | None:
            """The body, exactly Content-Length bytes of it, or None once refused."""
            if self.headers.get("Transfer-Encoding") is not None:
                # Slack always sends a length; chunked bodies are how framing tricks start.
                self._refuse(HTTPStatus.BAD_REQUEST, "chunked bodies are not accepted")
                return None
            lengths = self.headers.get_all("Content-Length") or ["0"]  # none: empty body
            if len(set(lengths)) != 1 or not _DIGITS.fullmatch(lengths[0]):
                self._refuse(HTTPStatus.BAD_REQUEST, "bad Content-Length")
                return None
            length = int(lengths[0])
            if length > MAX_BODY:
                # Never read it: the connection closes with the body unread.
                self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
                return None
            try:
                body = self.rfile.read(length)
            except (TimeoutError, OSError):
                body = b""
            if len(body) != length:
                self._refuse(HTTPStatus.BAD_REQUEST, "body shorter than Content-Length")
                return None
            return body

        def _refuse(self, status: HTTPStatus, why: str) -> None:
            log.info("request refused", extra={"status": int(status), "problem": why})
            self.close_connection = True
            with contextlib.suppress(OSError):
                self._reply(status, f"{why}\n".encode(), "text/plain", close=True)

        def handle_one_request(self) -> None:
            # Each request (its line, headers and body) must arrive within REQUEST_DEADLINE,
            # however slowly the bytes trickle in; waiting for the next request on a kept-alive
            # connection is bounded by the socket timeout (IDLE_TIMEOUT).
            deadlines.start(self.connection, REQUEST_DEADLINE)
            try:
                super().handle_one_request()
            finally:
                deadlines.cancel(self.connection)
                # Whatever was answered goes out now, on every path (see wbufsize).
                with contextlib.suppress(OSError, ValueError):
                    self.wfile.flush()
                release_permit()

        def handle_expect_100(self) -> bool:
            # "100 Continue" must reach the client before its body is read (see wbufsize).
            answer = super().handle_expect_100()
            self.wfile.flush()
            return answer

        def _reply(
            self, status: HTTPStatus, body: bytes, content_type: str, *, close: bool = False
        ) -> None:
            self.send_response(status)
            if close:
                self.send_header("Connection", "close")
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            log.debug("http: " + format, *args)

    return SlackRequestHandler


@cache
def _freeze_startup_objects() -> None:
    """What the process built before serving (imports, the app) lives as long as it does: out
    of the cyclic collector's way, so that a full collection during a burst of commands does
    not walk all of it while every request waits (tens of ms). Once per process."""
    gc.freeze()


class _Workers:
    """Daemon threads that serve connections and are reused, at most `limit` of them.

    A thread per connection makes the accepting thread wait, once per connection, for the new
    thread to be scheduled and to take the interpreter lock from the threads already busy;
    under a burst that wait, not the work, bounded how fast connections were taken in
    (benchmarks/ack_latency.py). Handing a connection to a waiting thread costs a queue put.
    Daemon threads, as before: stopping the server never waits for a stalled client.
    """

    def __init__(self, serve: Callable[[Any, Any], None], limit: int) -> None:
        self._serve = serve
        self._limit = limit
        self._started = 0
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[tuple[Any, Any] | None] = queue.SimpleQueue()
        self._idle = threading.Semaphore(0)  # one permit per thread back at the queue

    def submit(self, request: Any, client_address: Any) -> None:
        if not self._idle.acquire(blocking=False):
            with self._lock:
                if self._started < self._limit:
                    self._started += 1
                    threading.Thread(target=self._work, name=f"http-{self._started}",
                                     daemon=True).start()
        self._jobs.put((request, client_address))

    def close(self) -> None:
        """Let the threads end once the connections they serve are done."""
        with self._lock:
            for _ in range(self._started):
                self._jobs.put(None)
            self._started = self._limit  # no new ones

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                # A fresh context per connection: nothing (a request id) leaks to the next.
                contextvars.Context().run(self._serve, *job)
            except BaseException:
                # Every Exception was handled by the server (handle_error); whatever else
                # ends this thread, a later connection starts another in its place.
                with self._lock:
                    self._started -= 1
                raise
            self._idle.release()


_PERMIT: contextvars.ContextVar[threading.Semaphore | None] = contextvars.ContextVar(
    "origin502_accept_permit", default=None)


def release_permit() -> None:
    """The connection served in this context has had its first answer: its process may take
    another one in (SlackHTTPServer.accept_ahead)."""
    permit = _PERMIT.get()
    if permit is not None:
        _PERMIT.set(None)
        permit.release()


class SlackHTTPServer(ThreadingHTTPServer):
    # The standard backlog of 5 resets connections when a burst of commands arrives at once.
    request_queue_size = 256
    daemon_threads = True
    block_on_close = False
    max_connections = MAX_CONNECTIONS
    lanes: ThreadPoolExecutor | None = None  # where Bolt runs (make_server)

    # Connections this process takes in ahead of answering them (None: as many as come).
    # On a socket shared by several processes, a process that takes every connection it can
    # queues them behind its own work, where another process with a free core cannot take
    # them: under a burst of 50, p99 of the acks went from ~110 ms with one process to
    # ~160 ms with two. Taking only ACCEPT_AHEAD ahead leaves the rest in the kernel's queue,
    # one queue for all the processes, for whichever has room first (p99 ~95 ms,
    # benchmarks/ack_latency.py --processes 1,2). Room is waited for ACCEPT_WAIT at most: a
    # few clients that connect and send nothing (slowloris) slow the accepting down, they do
    # not stop it.
    accept_ahead: int | None = None

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        _freeze_startup_objects()
        super().serve_forever(poll_interval)

    def get_request(self) -> tuple[socket.socket, Any]:
        if self._ahead is None:
            return super().get_request()
        # Full: the connection waits (in the kernel's queue) for whichever process has room.
        permit = self._ahead.acquire(timeout=ACCEPT_WAIT)
        try:
            accepted = super().get_request()
        except BaseException:
            if permit:
                self._ahead.release()
            raise
        self._admission.permit = permit  # for process_request, next on this thread
        return accepted

    def server_activate(self) -> None:
        super().server_activate()
        self._slots = threading.BoundedSemaphore(self.max_connections)
        self._workers = _Workers(self.process_request_thread, self.max_connections)
        self._answering = 0
        self._idle = threading.Condition()
        self._ahead = (threading.Semaphore(self.accept_ahead) if self.accept_ahead else None)
        self._admission = threading.local()  # the accepting thread's permit, until handed on

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """Marks a request being answered (from its headers to its answer): `drain` waits."""
        with self._idle:
            self._answering += 1
        try:
            yield
        finally:
            with self._idle:
                self._answering -= 1
                if not self._answering:
                    self._idle.notify_all()

    def drain(self, timeout: float) -> bool:
        """Once serve_forever has returned: wait until the requests being answered are
        answered (True), or `timeout` seconds (False). A connection idle between requests is
        not waited for: it ends with the process."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._answering, timeout=timeout)

    def server_close(self) -> None:
        super().server_close()
        workers = getattr(self, "_workers", None)  # None when binding the port failed
        if workers is not None:
            workers.close()
        if self.lanes is not None:
            self.lanes.shutdown(wait=False, cancel_futures=True)

    def process_request(self, request: Any, client_address: Any) -> None:
        # One thread per connection, but only so many: past the bound a connection is told
        # 503 from the accepting thread and closed, so stalled clients cannot pile up threads.
        permit = bool(getattr(self._admission, "permit", False))
        self._admission.permit = False  # the connection carries it now
        if not self._slots.acquire(blocking=False):
            if permit:
                self._ahead.release()  # type: ignore[union-attr]
            with contextlib.suppress(OSError):
                request.setblocking(False)
                request.send(_BUSY)
            self.shutdown_request(request)
            return
        try:
            self._workers.submit((request, permit), client_address)
        except BaseException:
            self._slots.release()
            if permit:
                self._ahead.release()  # type: ignore[union-attr]
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        request, permit = request
        if permit:
            _PERMIT.set(self._ahead)
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()
            release_permit()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that resets or times out is routine; one line, never a traceback on stderr.
        error = sys.exc_info()[1]
        log.info("connection ended with an error", extra={"error": repr(error)[:200]})


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket listening on host:port as `make_server` would bind it, to be shared by the
    processes of `serve --processes N` (bot/prefork.py)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family,
                                backlog=SlackHTTPServer.request_queue_size)


def make_server(
    app: App,
    host: str,
    port: int,
    ready: HealthCheck,
    *,
    signing_secret: str | None = None,
    sock: socket.socket | None = None,
) -> SlackHTTPServer:
    """The HTTP server; `/readyz` answers with `ready()` (bounded), `/healthz` only says
    alive. With `signing_secret`, requests to /slack/events are checked against Slack's
    signature before Bolt (or its logging) sees the body. Without it, the app must check the
    signature itself (Bolt's RequestVerification): nothing unsigned reaches a listener.

    With `sock` (from `listening_socket`, inherited across fork), the server accepts on it
    instead of binding host:port; other processes accept on the same socket, each taking
    ACCEPT_AHEAD connections ahead at most (SlackHTTPServer.accept_ahead). It is made
    non-blocking: every process waiting on it wakes for a new connection, one takes it, and
    the others' accept fails at once (socketserver ignores that) instead of blocking in
    accept, where a stop request could not reach the serving loop."""
    if not signing_secret and not any(
        isinstance(m, RequestVerification) for m in getattr(app, "_middleware_list", [])
    ):
        raise ValueError("no signing secret, and the app does not check Slack's signature")
    lanes = ThreadPoolExecutor(max_workers=APP_THREADS, thread_name_prefix="bolt")
    handler = make_handler(app, ready, signing_secret, lanes)
    try:
        if sock is None:
            server = SlackHTTPServer((host, port), handler)
        else:
            server = SlackHTTPServer(sock.getsockname()[:2], handler, bind_and_activate=False)
            server.socket.close()  # the one it made; this process serves the shared one
            sock.setblocking(False)
            server.socket = sock
            server.server_name, server.server_port = host, int(sock.getsockname()[1])
            server.accept_ahead = ACCEPT_AHEAD
            server.server_activate()
    except BaseException:
        lanes.shutdown(wait=False)
        raise
    server.lanes = lanes
    server.daemon_threads = True
    return server
