"""The HTTP server's reused worker threads (bot/server.py `_Workers`): each connection starts
clean, a crowd waits for the bound, and closing lets the threads end. (The server's caps and
deadlines over real sockets: tests/e2e/test_e2e_hostile_http.py.)"""

from __future__ import annotations

import threading

from bot.server import _Workers
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
