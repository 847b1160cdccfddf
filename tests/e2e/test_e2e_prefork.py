"""`origin502 serve --processes 2` as a real process tree (bot/prefork.py): a parent that only
supervises, two forked serving processes on one port, the session's redis-server, signed
commands from a recording Slack. The default, auto, on one CPU and on two.

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

from bot.serving_processes import automatic
from tests.bot.fakeslack import SlackSender
from tests.e2e.conftest import ROOT, Process, Stack, origin502_command
from workers.cpu_allowance import cpu_allowance, read_text

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


def start_auto(e2e_env: dict[str, Any], tmp_path: Path, cpus: set[int]) -> tuple[Process, str]:
    """`serve` with no process count (the default, auto) allowed to run on `cpus` only; its
    URL and what its listening line says in brackets."""
    env = {k: v for k, v in e2e_env["env"].items() if k != "ORIGIN502_SERVE_PROCESSES"}
    serve = Process([*origin502_command(), "serve", "--host", "127.0.0.1", "--port", "0"],
                    env, tmp_path, "serve-auto", cpus=cpus)
    found = serve.wait_for_output(r"listening on (http://127\.0\.0\.1:\d+)/slack/events \((.*)\)")
    return serve, found.group(1)


def test_auto_on_one_cpu_serves_from_the_process_itself(e2e_env, tmp_path):
    one = min(os.sched_getaffinity(0))
    serve, base = start_auto(e2e_env, tmp_path, {one})
    try:
        said = re.search(r"\((1 process: .*)\)", serve.output())
        assert said, serve.output()
        # One CPU to run on, or a quota of at most one on this machine: either way, one.
        assert re.fullmatch(r"1 process: (1 CPU this process may run on|"
                            r"[\d.]+ CPUs? allowed by cgroup \S+)", said.group(1))
        sender = SlackSender(f"{base}/slack/events", e2e_env["slack"])
        reply, _ = sender.command("origin0.test")
        assert reply.status == 200, reply
        assert child_pids(serve) == []  # nothing forked
        assert [e["processes"] for e in log_lines(serve) if e["message"] == "serving"] == [1]
    finally:
        serve.stop()


def test_auto_on_two_cpus_forks_one_serving_process_each(e2e_env, tmp_path):
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        pytest.skip("this machine lets the tests run on one CPU")
    two = set(allowed[:2])
    # What auto makes of two CPUs under this machine's cgroup quota (2 without one).
    expected = automatic(cpu_allowance(2, read_text))
    serve, base = start_auto(e2e_env, tmp_path, two)
    try:
        assert f"({expected})" in serve.output()
        pids = wait_for(lambda: child_pids(serve) if len(child_pids(serve)) == expected.count
                        else None, what=f"{expected.count} serving processes")
        assert all(os.sched_getaffinity(pid) == two for pid in pids)
        sender = SlackSender(f"{base}/slack/events", e2e_env["slack"])
        reply, _ = sender.command("origin0.test")
        assert reply.status == 200, reply
    finally:
        serve.stop()
