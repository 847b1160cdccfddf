"""`serve --processes N`: one parent, N forked serving processes on one listening socket.

One `serve` process is CPU-bound under a burst of commands (the interpreter lock: ~1.8 ms of
CPU per command, so fifty in flight wait ~50 times that), and a second core does nothing for
it. So, as gunicorn does, the parent binds the port once and forks N children that each run
bot/server.py on that socket, with their own Bolt app, Redis connections and threads, all
created after the fork (a socket shared across fork would mix two processes' replies).

Why one shared socket and not SO_REUSEPORT: every child waits on the same accept queue, and
the one that takes a connection is the one whose accepting thread gets to run first, i.e. the
least busy. SO_REUSEPORT hashes each connection to one child's queue whatever that child is
doing, and the connections queued for a child that dies are reset.

The parent serves nothing. It starts the children, says "listening" once every one of them
is ready, replaces a child that dies (with a back-off when they die young), and on SIGTERM or
SIGINT asks each child to stop (SIGTERM), waits STOP_TIMEOUT seconds, then SIGKILLs what is
left. A child stops by leaving its serving loop, answering the requests it has read, letting
the work queued after its acks finish, writing its queued log lines, then exiting.

Metrics: the children count in prometheus_client's multiprocess mode (`multiprocess_metrics`
sets PROMETHEUS_MULTIPROC_DIR before prometheus_client is imported), so whichever child
answers `/metrics` reports the sum over all of them, a dead child's counts included.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import select
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# Seconds the children have to stop after SIGTERM before they are killed: below Kubernetes'
# default terminationGracePeriodSeconds (30 s, the chart's too).
STOP_TIMEOUT = 20.0
# A child that dies younger than this counts as failing at start: the next one waits longer.
YOUNG = 10.0
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 30.0
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_PR_SET_PDEATHSIG = 1

Child = Callable[[Callable[[], None]], int]
"""What a child runs: it builds its server, calls `ready()` once it can answer, serves until
the SystemExit that the first SIGTERM or SIGINT raises, stops gracefully and returns its exit
code. Later stop signals are ignored."""


@contextlib.contextmanager
def multiprocess_metrics() -> Iterator[Path]:
    """PROMETHEUS_MULTIPROC_DIR for the serving processes, set before prometheus_client is
    imported (it picks its storage at import). The operator's directory when set (the Helm
    chart's emptyDir), its old samples dropped; else a temporary one, removed on the way out."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if "prometheus_client" in sys.modules and not given:
        raise RuntimeError("prometheus_client was imported before its multiprocess "
                           "directory was set: the processes' metrics would not add up")
    if given:
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):  # an earlier process tree's, in a reused volume
            stale.unlink(missing_ok=True)
        yield directory
        return
    directory = Path(tempfile.mkdtemp(prefix="origin502-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    try:
        yield directory
    finally:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class _Running:
    started: float
    ready: bool = False


class Supervisor:
    """Forks `processes` children running `child` and keeps that many running until told to
    stop (module docstring). `on_exit(pid)` is called for every child that ended."""

    def __init__(
        self,
        processes: int,
        child: Child,
        *,
        on_exit: Callable[[int], None] = lambda _pid: None,
        stop_timeout: float = STOP_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if processes < 1:
            raise ValueError("processes must be at least 1")
        self._processes = processes
        self._child = child
        self._on_exit = on_exit
        self._stop_timeout = stop_timeout
        self._clock = clock
        self._running: dict[int, _Running] = {}
        self._stop_signal: int | None = None
        self._failed_start: int | None = None  # exit code of a first child that never got ready
        self._backoff = 0.0
        self._next_start = 0.0
        self._announced = False  # every first child was ready: deaths from now on are replaced
        self._pid = os.getpid()

    def run(self, on_ready: Callable[[], None]) -> int:
        """Serve until SIGTERM/SIGINT; the exit code: 143 after SIGTERM and 0 after SIGINT
        (as a single `serve` process), 1 when a child had to be killed on the way out, or the
        code of a first child that could not start (2 for a configuration problem)."""
        wake_r, wake_w = os.pipe()
        ready_r, ready_w = os.pipe()
        for fd in (wake_r, wake_w, ready_r):
            os.set_blocking(fd, False)
        self._pipes = (wake_r, wake_w, ready_r, ready_w)
        previous = {number: signal.getsignal(number) for number in (*_STOP_SIGNALS,
                                                                     signal.SIGCHLD)}
        old_wakeup = signal.set_wakeup_fd(wake_w)
        for number in _STOP_SIGNALS:
            signal.signal(number, self._on_stop_signal)
        signal.signal(signal.SIGCHLD, lambda _n, _f: None)  # only to write to the wakeup fd
        try:
            try:
                self._supervise(on_ready, wake_r, ready_r)
            finally:
                # On every way out (a fork that failed too): no child outlives the parent.
                killed = self._stop_children(wake_r)
        finally:
            signal.set_wakeup_fd(old_wakeup)
            for number, handler in previous.items():
                signal.signal(number, handler)
            for fd in self._pipes:
                os.close(fd)
        if self._failed_start is not None:
            return self._failed_start
        if killed:
            return 1
        return 0 if self._stop_signal in (None, signal.SIGINT) else 128 + int(self._stop_signal)

    def _on_stop_signal(self, signum: int, _frame: object) -> None:
        if self._stop_signal is None:
            self._stop_signal = signum

    def _supervise(self, on_ready: Callable[[], None], wake_r: int, ready_r: int) -> None:
        while self._stop_signal is None and self._failed_start is None:
            self._reap()
            now = self._clock()
            while len(self._running) < self._processes and now >= self._next_start:
                self._spawn()
            if not self._announced and len(self._running) == self._processes and all(
                    child.ready for child in self._running.values()):
                self._announced = True
                on_ready()
            timeout = max(0.0, self._next_start - now) if len(self._running) < self._processes \
                else None
            with contextlib.suppress(InterruptedError):
                select.select([wake_r, ready_r], [], [], timeout)
            _drain(wake_r)
            for line in _drain(ready_r).split():
                child = self._running.get(int(line))
                if child is not None:
                    child.ready = True

    def _spawn(self) -> None:
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {*_STOP_SIGNALS, signal.SIGCHLD})
        # Nothing of the parent's may run in the child before it has its own handlers: the
        # signals wait (blocked) until the child has set them.
        pid = os.fork()
        if pid == 0:
            self._become_child(blocked)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        self._running[pid] = _Running(self._clock())
        log.info("serve process started", extra={"pid": pid})

    def _become_child(self, blocked: set[int | signal.Signals]) -> None:
        """The child's whole life; never returns (os._exit: nothing of the parent's, such as
        its clean-up on the way out, runs here)."""
        code = 1
        try:
            wake_r, wake_w, ready_r, ready_w = self._pipes
            signal.set_wakeup_fd(-1)
            for fd in (wake_r, wake_w, ready_r):
                os.close(fd)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for number in _STOP_SIGNALS:
                signal.signal(number, _exit_on_first_signal)
            _die_with_parent(self._pid)
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

            def ready() -> None:
                os.write(ready_w, f"{os.getpid()}\n".encode())

            code = self._child(ready)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except KeyboardInterrupt:
            code = 0
        except BaseException:  # noqa: BLE001 - whatever it is, the child ends with code 1
            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            os._exit(code)

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = self._running.pop(pid, None)
            if child is None:
                continue
            self._on_exit(pid)
            code = os.waitstatus_to_exitcode(status)
            if self._stop_signal is not None:
                continue
            if not child.ready and not self._announced:
                # The first processes cannot start (configuration, Slack refusing the token):
                # restarting would fail the same way.
                self._failed_start = code or 1
                log.error("a serve process could not start", extra={"pid": pid,
                                                                     "exit_code": code})
                continue
            now = self._clock()
            if now - child.started < YOUNG:
                self._backoff = min(MAX_BACKOFF, self._backoff * 2 or FIRST_BACKOFF)
            else:
                self._backoff = 0.0
            self._next_start = now + self._backoff
            log.warning("serve process ended; starting another",
                        extra={"pid": pid, "exit_code": code, "delay_s": self._backoff})

    def _stop_children(self, wake_r: int) -> bool:
        """SIGTERM every child, wait up to stop_timeout, SIGKILL the rest; True if any had to
        be killed."""
        for pid in self._running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = self._clock() + self._stop_timeout
        while self._running and self._clock() < deadline:
            self._reap()
            if self._running:
                with contextlib.suppress(InterruptedError):
                    select.select([wake_r], [], [], min(0.5, max(0.0, deadline - self._clock())))
                _drain(wake_r)
        killed = bool(self._running)
        for pid in list(self._running):
            log.error("serve process did not stop in time; killed", extra={"pid": pid})
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            self._running.pop(pid, None)
            self._on_exit(pid)
        return killed


def _drain(fd: int) -> bytes:
    data = b""
    with contextlib.suppress(BlockingIOError, InterruptedError):
        while chunk := os.read(fd, 4096):
            data += chunk
    return data


_stopping: list[int] = []


def _exit_on_first_signal(signum: int, _frame: object) -> None:
    """In a child: the first SIGTERM or SIGINT ends its serving loop (SystemExit); later
    ones (Ctrl-C reaches the whole process group, then the parent's SIGTERM comes) are
    ignored, so that they cannot cut the graceful stop short."""
    if not _stopping:
        _stopping.append(signum)
        raise SystemExit(128 + signum)


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGTERM this child when the parent dies (even by SIGKILL), so no child
    keeps serving orphaned; then check the parent did not die before we asked."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        raise SystemExit(0)
