"""`origin502 serve --processes 2` as a real process tree (bot/prefork.py): a parent that only
supervises, two forked serving processes on one port, the session's redis-server, signed
commands from a recording Slack.

Which child takes a connection is up to the kernel and the scheduler, so the tests decide it:
a child stopped with SIGSTOP cannot accept, and every connection made meanwhile goes to the
other one. Nothing here waits on a clock: each step waits for a condition.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import ROOT, Process, Stack, origin502_command

TWO = ("--processes", "2")


def wait_for(condition: Callable[[], Any], timeout: float = 20.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or condition}")


def log_lines(process: Process) -> list[dict[str, Any]]:
    lines = []
    for line in process.output().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def child_pids(process: Process) -> list[int]:
    """The serving processes the parent started, in order (its log lines say so)."""
    return [e["pid"] for e in log_lines(process) if e["message"] == "serve process started"]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"


@contextmanager
def stopped(pid: int) -> Iterator[None]:
    """The child cannot accept while stopped: connections go to the others."""
    os.kill(pid, signal.SIGSTOP)
    wait_for(lambda: Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T",
             what=f"{pid} stopped")
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def commands_counted(stack: Stack) -> float:
    with urllib.request.urlopen(f"{stack.base}/metrics", timeout=10) as response:
        text = response.read().decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "origin502_commands_received"
        for sample in family.samples
        if sample.name == "origin502_commands_received_total"
    )


def send(stack: Stack, first: int, count: int) -> None:
    for i in range(first, first + count):
        reply, _ = stack.send.command(f"origin{i}.test")
        assert reply.status == 200, reply


def counter_files(directory: Path, pid: int) -> list[Path]:
    return list(directory.glob(f"counter_{pid}.db"))


@pytest.fixture
def metrics_dir(tmp_path: Path) -> Path:
    return tmp_path / "multiproc"


def test_commands_served_by_each_process_add_up_in_metrics(stack_factory, metrics_dir):
    stack = stack_factory(workers=False, serve_args=TWO,
                          PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    serve = stack.processes[0]
    first, second = wait_for(lambda: child_pids(serve) if len(child_pids(serve)) == 2 else None)
    with stopped(first):
        send(stack, 0, 3)  # all to the second
    with stopped(second):
        send(stack, 3, 2)  # all to the first
    # Each process counted its own, in its own file; any of them reports the sum.
    assert counter_files(metrics_dir, first) and counter_files(metrics_dir, second)
    assert wait_for(lambda: commands_counted(stack) >= 5, what="5 commands counted")
    assert commands_counted(stack) == 5
    with stopped(first):
        assert commands_counted(stack) == 5  # the second's answer
    with stopped(second):
        assert commands_counted(stack) == 5  # the first's
    # /healthz and /readyz: each process answers for itself.
    for pid in (first, second):
        with stopped(pid):
            for path, expected in (("/healthz", {"status": "alive"}),
                                   ("/readyz", {"status": "ready", "detail": "ok"})):
                with urllib.request.urlopen(f"{stack.base}{path}", timeout=10) as response:
                    assert json.loads(response.read()) == expected


def test_a_killed_process_is_replaced_and_its_counts_stay(stack_factory, metrics_dir):
    stack = stack_factory(workers=False, serve_args=TWO,
                          PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    serve = stack.processes[0]
    first, second = wait_for(lambda: child_pids(serve) if len(child_pids(serve)) == 2 else None)
    with stopped(second):
        send(stack, 0, 2)  # counted by the first
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: not alive(first), what="the killed process gone")
    send(stack, 2, 1)  # the port keeps answering meanwhile (the second)
    third = wait_for(lambda: child_pids(serve)[2:], what="a replacement")[0]
    assert not alive(first) and alive(third)
    with stopped(second):
        send(stack, 3, 1)  # the replacement serves
    assert counter_files(metrics_dir, third)
    # The killed process's counts are still in the sum.
    assert wait_for(lambda: commands_counted(stack) >= 4, what="4 commands counted")
    assert commands_counted(stack) == 4
    ended = [e for e in log_lines(serve) if e["message"] == "serve process ended; starting another"]
    assert [e["pid"] for e in ended] == [first]
    assert ended[0]["exit_code"] == -signal.SIGKILL


def test_sigterm_stops_every_process_gracefully(stack_factory, tmp_path):
    temp = tmp_path / "temp"
    temp.mkdir()
    stack = stack_factory(workers=False, serve_args=TWO, TMPDIR=str(temp))
    serve = stack.processes[0]
    children = wait_for(lambda: child_pids(serve) if len(child_pids(serve)) == 2 else None)
    # The parent supervises and serves nothing: one thread, no server's.
    assert len(list(Path(f"/proc/{serve.popen.pid}/task").iterdir())) == 1
    # Without PROMETHEUS_MULTIPROC_DIR, the samples go to a temporary directory.
    assert [p.name.startswith("origin502-metrics-") for p in temp.iterdir()] == [True]
    with stopped(children[0]):
        send(stack, 0, 2)
    with stopped(children[1]):
        send(stack, 2, 1)
    assert wait_for(lambda: commands_counted(stack) >= 3, what="3 commands counted")
    assert commands_counted(stack) == 3
    os.kill(serve.popen.pid, signal.SIGTERM)  # the parent only, as Kubernetes does
    assert serve.popen.wait(timeout=30) == 128 + signal.SIGTERM
    assert not any(alive(pid) for pid in children)
    # Each child wrote its last log lines (queued for its writer thread) before exiting.
    stopped_lines = [e for e in log_lines(serve) if e["message"] == "serve process stopped"]
    assert sorted(e["pid"] for e in stopped_lines) == sorted(children)
    assert list(temp.iterdir()) == []


def test_ctrl_c_on_the_process_group_exits_0(stack_factory):
    stack = stack_factory(workers=False, serve_args=TWO)
    serve = stack.processes[0]
    children = wait_for(lambda: child_pids(serve) if len(child_pids(serve)) == 2 else None)
    send(stack, 0, 1)
    os.killpg(serve.popen.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    assert serve.popen.wait(timeout=30) == 0
    assert not any(alive(pid) for pid in children)
    stopped_lines = [e for e in log_lines(serve) if e["message"] == "serve process stopped"]
    assert sorted(e["pid"] for e in stopped_lines) == sorted(children)


def test_socket_mode_stays_one_process(e2e_env, tmp_path):
    env = {**e2e_env["env"], "SLACK_APP_TOKEN": "xapp-1-A1-1-abc"}
    refused = subprocess.run(
        [*origin502_command(), "serve", "--socket-mode", "--processes", "2"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=30, check=False,
    )
    assert refused.returncode == 2
    assert refused.stderr == (
        "Error: Socket Mode runs in one process: --processes/ORIGIN502_SERVE_PROCESSES applies "
        "to HTTP mode only; drop --processes 2\n"
    )
    # From the environment (a chart setting it for every role): said once, then one process.
    serve = Process([*origin502_command(), "serve", "--socket-mode", "--port", "0",
                     "--host", "127.0.0.1"],
                    {**env, "ORIGIN502_SERVE_PROCESSES": "2"}, tmp_path, "socket")
    try:
        serve.wait_for_output(re.escape("applies to HTTP mode only; serving with one process"))
    finally:
        serve.stop()
