"""The HTTP server's threads (bot/server.py): reused connection threads (`_Workers`) and the
threads Bolt runs on in arrival order; each request starts clean, a crowd waits for the bound,
and closing lets the threads end. (The server's caps and deadlines over real sockets:
tests/e2e/test_e2e_hostile_http.py.)"""

from __future__ import annotations

import threading

import pytest
from slack_bolt import BoltResponse

from bot import server as http
from bot.server import _Workers
from tests.bot.fakeslack import SIGNING_SECRET, command_body, post, sign
from workers.logging_setup import bind_request_id, current_request_id, new_request_id


class Recorder:
    """Serves a 'connection' the way a listener does: notes the request id it starts with,
    then binds its own."""

    def __init__(self, expected: int) -> None:
        self.seen: list[tuple[str | None, threading.Thread]] = []
        self.lock = threading.Lock()
        self.done = threading.Semaphore(0)
        self.expected = expected

    def __call__(self, request: object, _address: object) -> None:
        with self.lock:
            self.seen.append((current_request_id(), threading.current_thread()))
        bind_request_id(new_request_id())
        self.done.release()

    def wait(self) -> None:
        for _ in range(self.expected):
            assert self.done.acquire(timeout=30)


def test_a_reused_thread_never_starts_with_the_previous_requests_id():
    recorder = Recorder(expected=5)
    workers = _Workers(recorder, limit=1)  # one thread: every connection reuses it
    for number in range(5):
        workers.submit(f"connection {number}", ("127.0.0.1", number))
    recorder.wait()
    workers.close()
    assert [rid for rid, _ in recorder.seen] == [None] * 5
    assert len({thread for _, thread in recorder.seen}) == 1


def test_connections_past_the_bound_wait_for_a_thread_and_closing_ends_them():
    started, release = threading.Semaphore(0), threading.Event()
    recorder = Recorder(expected=6)

    def serve(request: object, address: object) -> None:
        started.release()
        release.wait(timeout=30)
        recorder(request, address)

    workers = _Workers(serve, limit=3)
    for number in range(6):
        workers.submit(f"connection {number}", ("127.0.0.1", number))
    for _ in range(3):  # three threads hold a connection each; three more wait for them
        assert started.acquire(timeout=30)
    release.set()
    recorder.wait()
    threads = {thread for _, thread in recorder.seen}
    assert len(threads) == 3
    workers.close()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive()


class RecordingApp:
    """Stands where Bolt's App is, and does what the command listener does to the context."""

    def __init__(self) -> None:
        self.seen: list[tuple[str | None, str]] = []

    def dispatch(self, _request: object) -> BoltResponse:
        self.seen.append((current_request_id(), threading.current_thread().name))
        bind_request_id(new_request_id())
        return BoltResponse(status=200, body="")


def test_bolt_runs_on_its_own_threads_each_request_in_a_fresh_context(monkeypatch):
    monkeypatch.setattr(http, "APP_THREADS", 1)  # one lane: every request reuses its thread
    app = RecordingApp()
    server = http.make_server(app, "127.0.0.1", 0, lambda: (True, "ok"),  # type: ignore[arg-type]
                              signing_secret=SIGNING_SECRET)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    try:
        for _ in range(4):
            body = command_body("origin.example.com")
            assert post(url, body, "application/x-www-form-urlencoded", sign(body)).status == 200
    finally:
        server.shutdown()
        server.server_close()
    assert [rid for rid, _ in app.seen] == [None] * 4
    assert len({name for _, name in app.seen}) == 1
    assert app.seen[0][1].startswith("bolt")
    with pytest.raises(RuntimeError):  # closed: no request reaches Bolt any more
        server.lanes.submit(print)


def test_an_app_that_leaves_the_signature_to_the_server_is_never_served_without_a_secret(
    slack_env,
):
    """`serve` turns Bolt's own signature check off because the server checks every request
    (bot/app.py); a server without the secret would then let unsigned requests through."""
    from bot.app import create_app
    from bot.settings import Settings

    settings = Settings.from_env()
    unchecked = create_app(settings, server_checks_signature=True)
    with pytest.raises(ValueError, match="signature"):
        http.make_server(unchecked, "127.0.0.1", 0, lambda: (True, "ok"), signing_secret=None)
    checked = create_app(settings)  # Bolt checks: the server may go without the secret
    server = http.make_server(checked, "127.0.0.1", 0, lambda: (True, "ok"), signing_secret=None)
    server.server_close()


def test_an_unsigned_command_is_refused_when_only_the_server_checks(running_app):
    body = command_body("origin.example.com")
    forged = {**sign(body), "X-Slack-Signature": "v0=" + "0" * 64}
    reply = post(running_app.url, body, "application/x-www-form-urlencoded", forged)
    assert reply.status == 401
    assert running_app.redis.llen("rq:queue:origin502-probe") == 0
