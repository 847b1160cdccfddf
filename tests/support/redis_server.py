"""Our own throw-away ``redis-server`` on a free loopback port (never the system 6379).

Started without persistence (``--save "" --appendonly no``) in a temporary directory.
``stop()`` and ``start()`` reuse the same port, for Redis-outage tests.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from tests.support.ports import closed_port
from tests.support.tools import find_tool

STARTUP_TIMEOUT = 10.0


def find_redis_server(install: bool = True) -> str | None:
    """Path of ``redis-server`` (``$REDIS_SERVER`` first, then PATH), installing Debian's
    ``redis-server`` package when it is missing, ``install`` is true and we run as root."""
    if not install:
        return os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
    return find_tool("redis-server", "redis-server", env_var="REDIS_SERVER")


def _ping(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """A ``redis-server`` child process bound to 127.0.0.1:``port``."""

    def __init__(self, executable: str = "redis-server", port: int | None = None,
                 *, persistent: bool = False) -> None:
        """`persistent`: an append-only file synced on every write, as an operator runs a
        queue's Redis, so data outlives stop() and start() (a restart, not a wipe)."""
        self.executable = executable
        self.persistent = persistent
        self.port = port or closed_port()
        self._tmp = tempfile.TemporaryDirectory(prefix="origin502-redis-")
        self._proc: subprocess.Popen[bytes] | None = None
        atexit.register(self._kill)

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def log_path(self) -> Path:
        return Path(self._tmp.name) / "redis.log"

    def start(self) -> Self:
        """Start the server (no-op if running) and wait until it answers PING."""
        if self.running:
            return self
        cmd = [
            self.executable,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "yes" if self.persistent else "no",
            "--appendfsync", "always",
            "--dir", self._tmp.name,
            "--daemonize", "no",
            "--protected-mode", "yes",
            "--logfile", str(self.log_path),
            "--loglevel", "warning",
        ]  # fmt: skip
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                break
            if _ping(self.port):
                return self
            time.sleep(0.02)
        self._kill()
        log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        raise RuntimeError(f"redis-server did not come up on port {self.port}:\n{log[-2000:]}")

    def flushall(self) -> None:
        """Empty every database (starting the server first if a test stopped it)."""
        import redis

        self.start()
        client = redis.Redis.from_url(self.url, socket_timeout=5)
        try:
            client.flushall()
        finally:
            client.close()

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s); the port is free afterwards."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGCONT)  # a frozen server cannot act on SIGTERM
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def freeze(self) -> None:
        """SIGSTOP: Redis keeps its connections but answers nothing (a hung host)."""
        if self._proc is not None:
            self._proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self._proc is not None:
            self._proc.send_signal(signal.SIGCONT)

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)

    def close(self) -> None:
        """Stop the server and remove its directory."""
        self.stop()
        with contextlib.suppress(OSError):
            self._tmp.cleanup()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
