"""HTTP mode: Bolt at `/slack/events`, plus `/healthz`, `/readyz` and `/metrics`, on a threading
server (liveness and readiness are told apart in workers/health.py).

Bolt's own development server handles one request at a time; during an incident several
people fire the command at once, so each request gets its own thread here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from slack_bolt import App, BoltRequest

from workers.health import BoundedCheck, HealthCheck
from workers.metrics import render_metrics

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY = 1 << 20  # Slack payloads are a few kilobytes


def make_handler(app: App, ready: HealthCheck) -> type[BaseHTTPRequestHandler]:
    readiness = BoundedCheck(ready)

    class SlackRequestHandler(BaseHTTPRequestHandler):
        server_version = "origin502"
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
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

        def do_POST(self) -> None:
            path, _, query = self.path.partition("?")
            length = int(self.headers.get("Content-Length") or 0)
            if path != EVENTS_PATH:
                self.rfile.read(min(length, MAX_BODY))
                self._reply(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
                return
            if length > MAX_BODY:
                self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, b"too large\n", "text/plain")
                self.close_connection = True
                return
            body = self.rfile.read(length).decode("utf-8")
            headers: dict[str, str | Sequence[str]] = {
                name.lower(): self.headers.get_all(name) or [] for name in self.headers
            }
            response = app.dispatch(BoltRequest(body=body, query=query, headers=headers))
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

        def _reply(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            log.debug("http: " + format, *args)

    return SlackRequestHandler


class SlackHTTPServer(ThreadingHTTPServer):
    # The standard backlog of 5 resets connections when a burst of commands arrives at once.
    request_queue_size = 256
    daemon_threads = True


def make_server(app: App, host: str, port: int, ready: HealthCheck) -> ThreadingHTTPServer:
    """Serve `app`; `/readyz` answers with `ready()` (bounded), `/healthz` only says alive."""
    server = SlackHTTPServer((host, port), make_handler(app, ready))
    server.daemon_threads = True
    return server
