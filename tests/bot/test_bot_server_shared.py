"""The HTTP server on a socket shared by several processes (bot/server.py, `sock=`): two
servers in this process stand for two `serve --processes` children on one listening socket,
over real loopback connections. Each takes at most `accept_ahead` connections ahead of its
answers, gives each permit back once, lets a silent client slow it down but not stop it, and
`drain` waits for the requests being answered. (The real process tree:
tests/e2e/test_e2e_prefork.py.)"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from slack_bolt import BoltResponse

from bot import server as http
from tests.bot.fakeslack import SIGNING_SECRET, command_body, post, sign


class Held:
    """Stands where Bolt's App is: answers 200, or waits for `release` while `hold` is set."""

    def __init__(self) -> None:
        self.hold = threading.Event()
        self.release = threading.Event()
        self.entered = threading.Event()

    def dispatch(self, _request: object) -> BoltResponse:
        if self.hold.is_set():
            self.entered.set()
            assert self.release.wait(timeout=30)
        return BoltResponse(status=200, body="ok")


@pytest.fixture
def shared(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[http.SlackHTTPServer], str,
                                                               Held]]:
    monkeypatch.setattr(http, "ACCEPT_AHEAD", 1)
    sock = http.listening_socket("127.0.0.1", 0)
    app = Held()
    servers = [
        http.make_server(app, "127.0.0.1", 0, lambda: (True, "ok"),  # type: ignore[arg-type]
                         signing_secret=SIGNING_SECRET, sock=sock)
        for _ in range(2)
    ]
    threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05},
                                daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/slack/events"
    try:
        yield servers, url, app
    finally:
        app.release.set()
        for server in servers:
            server.shutdown()
            server.server_close()


def send(url: str) -> int:
    body = command_body("origin.example.com")
    return post(url, body, "application/x-www-form-urlencoded", sign(body)).status


def room(server: http.SlackHTTPServer) -> int:
    """Permits free right now (the semaphore's count, read without taking one)."""
    assert server._ahead is not None
    return int(server._ahead._value)


def test_every_permit_comes_back_once_the_answers_are_out(shared):
    servers, url, _app = shared
    assert [room(s) for s in servers] == [1, 1]
    assert [send(url) for _ in range(12)] == [200] * 12
    # Answered requests: every permit is back (given back just after the answer is sent, so
    # waited for), and none counted twice (the count would exceed 1).
    waited = threading.Event()
    for _ in range(600):
        if [room(s) for s in servers] == [1, 1]:
            break
        waited.wait(0.05)
    assert [room(s) for s in servers] == [1, 1]


def test_silent_clients_holding_every_permit_slow_accepting_but_do_not_stop_it(shared):
    _servers, url, _app = shared
    silent = [socket.create_connection(("127.0.0.1", int(url.split(":")[2].split("/")[0])))
              for _ in range(4)]
    try:
        # More silent connections than permits: requests are still answered.
        assert [send(url) for _ in range(3)] == [200] * 3
    finally:
        for connection in silent:
            connection.close()


def test_drain_waits_for_the_request_being_answered(shared):
    servers, url, app = shared
    app.hold.set()
    answered: list[int] = []
    client = threading.Thread(target=lambda: answered.append(send(url)), daemon=True)
    client.start()
    assert app.entered.wait(timeout=30)
    busy = [s for s in servers if s._answering]
    assert len(busy) == 1
    assert busy[0].drain(timeout=0.01) is False  # still answering
    app.release.set()
    assert busy[0].drain(timeout=30) is True
    client.join(timeout=30)
    assert answered == [200]
