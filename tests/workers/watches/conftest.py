"""Fixtures for the watches: the bot's fakes (recording Slack, signed requests, the app over
HTTP), a clock file every process reads, and real scheduler and worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.bot.conftest import (  # noqa: F401 - fixtures shared with the bot's tests
    app_factory,
    fake_slack,
    origin_chain,
    running_app,
    slack_env,
)
from workers.watches.clock import FAKE_CLOCK_ENV, FileClock

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FileClock:
    """The time of every origin502 process in the test (real time when the test starts)."""
    fake = FileClock(tmp_path / "clock")
    fake.set(time.time())
    monkeypatch.setenv(FAKE_CLOCK_ENV, str(fake.path))
    return fake


class Processes:
    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        with open(self.logs / f"{name}.log", "ab") as log:  # the child keeps its own copy
            proc = subprocess.Popen([sys.executable, "-m", "bot.cli", *args], cwd=ROOT,
                                    env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log,
                                    stderr=subprocess.STDOUT)
        self.procs[name] = proc
        return proc

    def scheduler(self, name: str = "scheduler") -> subprocess.Popen[bytes]:
        return self.start(name, "scheduler", "--metrics-port", "0", "--tick", "0.1")

    def worker(self, name: str = "worker") -> subprocess.Popen[bytes]:
        return self.start(name, "worker", "--queues", "probe,delivery", "--metrics-port", "0",
                          "--heartbeat", "1", "--name", f"{name}-{os.getpid()}-{time.time_ns()}")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(sig)
        proc.wait(10)

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-4000:]

    def stop_all(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.procs.clear()


@pytest.fixture
def processes(request: pytest.FixtureRequest, clock: FileClock,
              tmp_path: Path) -> Iterator[Processes]:
    request.getfixturevalue("slack_env")  # processes inherit the environment it sets
    procs = Processes(tmp_path)
    yield procs
    procs.stop_all()


def wait_until(predicate: Callable[[], object], timeout: float = 20.0, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.05)
