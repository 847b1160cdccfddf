"""Real processes: `origin502 serve` (HTTP mode) and `origin502 worker`, against the session's
redis-server, a recording Slack on loopback and origins on 127.0.0.1."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.bot.fakeslack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, SlackSender, post
from tests.support.certs import CertFactory, write_pem
from tests.support.dns_server import FakeDns
from tests.support.tls_origin import TlsOrigin

ROOT = Path(__file__).resolve().parents[2]
# What serve logs when it refuses an unsigned request (bot/server.py).
_REFUSED = "unsigned request refused"


def origin502_command() -> list[str]:
    """The installed `origin502` entry point next to this interpreter, else the module."""
    script = Path(sys.executable).with_name("origin502")
    if script.exists():
        return [str(script)]
    found = shutil.which("origin502")
    return [found] if found else [sys.executable, "-m", "bot.cli"]


class Process:
    """A child process in its own session, its output in files, killable as a group."""

    def __init__(self, args: list[str], env: dict[str, str], log_dir: Path, name: str, *,
                 cpus: set[int] | None = None) -> None:
        """`cpus`: the CPUs it may run on (its affinity), when not all of this process's."""
        self.name = name
        self.stdout_path = log_dir / f"{name}.out"
        self.stderr_path = log_dir / f"{name}.err"
        self._stdout = self.stdout_path.open("wb")
        self._stderr = self.stderr_path.open("wb")
        before = os.sched_getaffinity(0)
        if cpus is not None:
            os.sched_setaffinity(0, cpus)  # this thread's, which the child inherits
        try:
            self.popen = subprocess.Popen(
                args,
                env=env,
                cwd=ROOT,
                stdout=self._stdout,
                stderr=self._stderr,
                start_new_session=True,
            )
        finally:
            if cpus is not None:
                os.sched_setaffinity(0, before)

    def output(self) -> str:
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(
            errors="replace"
        )

    def wait_for_output(self, pattern: str, timeout: float = 20.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.output())
            if match:
                return match
            if self.popen.poll() is not None:
                raise AssertionError(
                    f"{self.name} exited {self.popen.returncode}:\n{self.output()[-3000:]}"
                )
            time.sleep(0.05)
        raise AssertionError(f"{self.name} did not print {pattern!r}:\n{self.output()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the whole process group: what the OOM killer or a node loss does."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._stdout.close()
        self._stderr.close()


@dataclass
class Stack:
    env: dict[str, str]
    slack: FakeSlack
    url: str
    send: SlackSender
    start_worker: Callable[..., Process]
    base: str
    processes: list[Process]
    serve: Process

    def output(self) -> str:
        """Everything the stack's processes printed so far (their logs), serve's caught up
        with what it did (see `serve_output`)."""
        self.serve_output()
        return "".join(process.output() for process in self.processes)

    def serve_output(self, timeout: float = 20.0) -> str:
        """What serve logged for everything it did so far, every line of it written.

        serve writes its log lines on a thread of its own (workers/logging_setup.py), in the
        order they were logged: a line can lag the request that caused it, and reading the
        file at once could miss it (or make a "never logged" check pass for nothing). So one
        unsigned request is sent, and serve's refusal of it, logged after everything before
        it, is waited for."""
        serve = self.serve
        if serve.popen.poll() is not None:
            return serve.output()  # exited: its writer flushed at exit
        before = serve.output().count(_REFUSED)
        assert post(self.url, "log=flush", "application/x-www-form-urlencoded", {}).status == 401
        deadline = time.monotonic() + timeout
        while (text := serve.output()).count(_REFUSED) <= before:
            if time.monotonic() > deadline:
                raise AssertionError(f"serve never logged its refusal:\n{text[-3000:]}")
            time.sleep(0.02)
        return text


@pytest.fixture(scope="session")
def e2e_chain(cert_factory: CertFactory) -> list[Any]:
    root = cert_factory.root()
    inter = cert_factory.intermediate(root)
    return [cert_factory.leaf(inter, ["origin.test", "www.origin.test"]), inter, root]


@pytest.fixture
def e2e_env(
    redis_url: str, fake_dns: FakeDns, tmp_path: Path, e2e_chain: list[Any]
) -> Iterator[dict[str, Any]]:
    fake_dns.set("origin.test", [("A", "127.0.0.1")])
    ca_file = write_pem(tmp_path / "root.pem", e2e_chain[2])
    with FakeSlack() as slack:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path),
            "LANG": "C.UTF-8",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "REDIS_URL": redis_url,
            "ORIGIN502_ALLOW_PRIVATE_TARGETS": "1",
            "ORIGIN502_NAMESERVER": fake_dns.nameserver,
            "ORIGIN502_CA_FILE": str(ca_file),
            "PYTHONUNBUFFERED": "1",
            # These tests look at one serving process (its pid, threads, log lines); the
            # default, `auto`, forks one per CPU: its trees are test_e2e_prefork.py's.
            "ORIGIN502_SERVE_PROCESSES": "1",
        }
        yield {"env": env, "slack": slack, "dns": fake_dns}


@pytest.fixture
def stack_factory(e2e_env: dict[str, Any], tmp_path: Path) -> Iterator[Callable[..., Stack]]:
    processes: list[Process] = []
    slack: FakeSlack = e2e_env["slack"]

    def start(
        *, workers: bool = True, serve_args: tuple[str, ...] = (), **overrides: str
    ) -> Stack:
        env = {**e2e_env["env"], **overrides}
        command = origin502_command()

        def start_worker(
            *args: str, name: str | None = None, ready: str | None = r"Listening on"
        ) -> Process:
            label = name or f"worker{len(processes)}"
            worker = Process(
                [
                    *command,
                    "worker",
                    "--metrics-port",
                    "0",
                    "--heartbeat",
                    "1",
                    "--maintenance-interval",
                    "1",
                    *args,
                ],
                env,
                tmp_path,
                label,
            )
            processes.append(worker)
            if ready:
                worker.wait_for_output(ready)
            return worker

        serve = Process(
            [*command, "serve", "--host", "127.0.0.1", "--port", "0", *serve_args],
            env,
            tmp_path,
            "serve",
        )
        processes.append(serve)
        base = serve.wait_for_output(r"listening on (http://127\.0\.0\.1:\d+)").group(1)
        url = f"{base}/slack/events"
        if workers:
            start_worker()
        return Stack(env, slack, url, SlackSender(url, slack), start_worker, base, processes,
                     serve)

    yield start
    for process in reversed(processes):
        process.stop()


@pytest.fixture
def hanging_origin(e2e_chain: list[Any]) -> Iterator[TlsOrigin]:
    """Completes TLS, reads the request, never answers (a stuck application server)."""
    with TlsOrigin(e2e_chain[:2], http="hang") as server:
        yield server


@pytest.fixture
def good_origin(e2e_chain: list[Any]) -> Iterator[TlsOrigin]:
    with TlsOrigin(e2e_chain[:2]) as server:
        yield server
