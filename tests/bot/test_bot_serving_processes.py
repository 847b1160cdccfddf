"""How many processes `serve` answers from (bot/serving_processes.py, bot/cli.py): `auto` by
default, one per whole CPU allowed, 1 to 8; a number given wins, from the command line or
ORIGIN502_SERVE_PROCESSES; Socket Mode stays one process. The CPUs are fixed allowances
here (the cgroup files: tests/workers/test_cpu_allowance.py), never this machine's; serving
itself is replaced by a recorder (the real process trees: tests/e2e/test_e2e_prefork.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from bot import cli, prefork, serving_processes
from bot.serving_processes import MOST_AUTO, ServingProcesses, automatic, parse
from tests.bot.fakeslack import BOT_TOKEN, SIGNING_SECRET
from workers import cpu_allowance
from workers.cpu_allowance import CpuAllowance

ENV = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
       "SLACK_APP_TOKEN": "xapp-1-A1-1-abc", "ORIGIN502_SERVE_PROCESSES": ""}


@pytest.mark.parametrize(("allowance", "expected"), [
    (CpuAllowance(64, 2.0, "cpu.max"), "2 processes: 2 CPUs allowed by cgroup cpu.max"),
    (CpuAllowance(64, 0.5, "cpu.max"), "1 process: 0.5 CPU allowed by cgroup cpu.max"),
    (CpuAllowance(64, 1.5, "cpu.cfs_quota_us"),
     "1 process: 1.5 CPUs allowed by cgroup cpu.cfs_quota_us"),
    (CpuAllowance(2), "2 processes: 2 CPUs this process may run on"),
    (CpuAllowance(1), "1 process: 1 CPU this process may run on"),
    (CpuAllowance(8), "8 processes: 8 CPUs this process may run on"),
    (CpuAllowance(64), "8 processes: 64 CPUs this process may run on, at most 8 by default "
                       "(--processes N for more)"),
    (CpuAllowance(64, 12.0, "cpu.max"), "8 processes: 12 CPUs allowed by cgroup cpu.max, "
                                        "at most 8 by default (--processes N for more)"),
])
def test_auto_is_one_process_per_whole_cpu_allowed_at_most_8(allowance, expected):
    assert MOST_AUTO == 8
    assert str(automatic(allowance)) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("auto", "auto"), (" AUTO ", "auto"), ("1", 1), ("2", 2), ("64", 64)])
def test_processes_given(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(("text", "said"), [
    ("0", "0 is not a number of processes from 1 to 64, nor auto"),
    ("65", "65 is not a number of processes from 1 to 64, nor auto"),
    ("two", "'two' is neither a number of processes nor auto"),
    ("", "'' is neither a number of processes nor auto"),
])
def test_anything_else_is_refused_in_one_sentence(text, said):
    with pytest.raises(ValueError, match=f"^{said}$"):
        parse(text)


@pytest.fixture
def served(monkeypatch) -> list[tuple[str, ServingProcesses]]:
    """What `serve` would have run: ("one", …) from this process, ("tree", …) forked."""
    calls: list[tuple[str, ServingProcesses]] = []

    def one(_settings: Any, _host: str, _port: int, _socket: bool, chosen: Any) -> None:
        calls.append(("one", chosen))

    def tree(_settings: Any, _host: str, _port: int, chosen: Any) -> int:
        calls.append(("tree", chosen))
        return 0

    # Whatever this test process imported before (prometheus_client), no metrics directory:
    # entering it is recorded instead.
    @contextlib.contextmanager
    def metrics() -> Iterator[None]:
        calls.append(("metrics", ServingProcesses(0, "")))
        yield

    monkeypatch.setattr(prefork, "multiprocess_metrics", metrics)
    monkeypatch.setattr(cli, "_serve_one", one)
    monkeypatch.setattr(cli, "_serve_processes", tree)
    monkeypatch.setattr(cpu_allowance, "this_process", lambda: CpuAllowance(64, 2.0, "cpu.max"))
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    return calls


def serve(*args: str, **env: str) -> Any:
    return CliRunner().invoke(cli.main, ["serve", *args], env={**ENV, **env})


def test_serve_defaults_to_auto(served):
    result = serve()
    assert result.exit_code == 0, result.output
    assert served[-1] == ("tree", ServingProcesses(2, "2 CPUs allowed by cgroup cpu.max"))


@pytest.mark.parametrize(("args", "env", "expected"), [
    (("--processes", "3"), {}, ("tree", ServingProcesses(3, "--processes 3"))),
    (("--processes", "1"), {}, ("one", ServingProcesses(1, "--processes 1"))),
    ((), {serving_processes.ENV: "3"},
     ("tree", ServingProcesses(3, "ORIGIN502_SERVE_PROCESSES=3"))),
    ((), {serving_processes.ENV: "auto"},
     ("tree", ServingProcesses(2, "2 CPUs allowed by cgroup cpu.max"))),
    # The command line wins over the environment.
    (("--processes", "1"), {serving_processes.ENV: "4"},
     ("one", ServingProcesses(1, "--processes 1"))),
])
def test_a_number_given_wins(served, args, env, expected):
    result = serve(*args, **env)
    assert result.exit_code == 0, result.output
    assert served[-1] == expected
    # Several processes add up their metrics in one directory; one process needs none.
    assert [kind for kind, _ in served[:-1]] == (["metrics"] if expected[0] == "tree" else [])


def test_one_process_drops_stale_samples_from_a_metrics_directory_given(served, tmp_path):
    """The Helm chart sets PROMETHEUS_MULTIPROC_DIR whenever auto may fork; when auto then
    makes one process, it still clears what an earlier container left there."""
    result = serve("--processes", "1", PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    assert result.exit_code == 0, result.output
    assert [kind for kind, _ in served] == ["metrics", "one"]


@pytest.mark.parametrize(("args", "env"), [
    (("--processes", "two"), {}), ((), {serving_processes.ENV: "0"})])
def test_a_bad_count_stops_serve_with_exit_2(served, args, env):
    result = serve(*args, **env)
    assert result.exit_code == 2
    assert "Invalid value for '--processes'" in result.output
    assert "nor auto" in result.output
    assert "Traceback" not in result.output
    assert served == []


@pytest.mark.parametrize("env", [{}, {serving_processes.ENV: "auto"}])
def test_socket_mode_is_one_process_whatever_the_cpus(served, env):
    result = serve("--socket-mode", **env)
    assert result.exit_code == 0, result.output
    assert served == [("one", ServingProcesses(1, "Socket Mode runs in one"))]
    assert result.output == ""  # auto is not a count to complain about


def test_socket_mode_with_a_count_from_the_environment_says_it_serves_with_one(served):
    result = serve("--socket-mode", **{serving_processes.ENV: "2"})
    assert result.exit_code == 0, result.output
    assert "applies to HTTP mode only; serving with one process" in result.output
    assert served == [("one", ServingProcesses(1, "Socket Mode runs in one"))]


def test_socket_mode_refuses_a_count_on_the_command_line(served):
    result = serve("--socket-mode", "--processes", "2")
    assert result.exit_code == 2
    assert "drop --processes 2" in result.output
    assert served == []


def test_help_says_auto_is_the_default():
    result = CliRunner().invoke(cli.main, ["serve", "--help"])
    assert "--processes N|auto" in result.output
    assert "[default: auto]" in result.output
