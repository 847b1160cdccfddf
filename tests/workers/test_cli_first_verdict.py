"""`origin502 diagnose` on a port that drops SYNs: at a terminal, a live line says what is being
waited for and a provisional verdict appears after the first attempt, then the final report
replaces it; in a pipe and with --json only the final report is printed, as before.

Whole processes (the installed entry point), short configured timeouts; the checks are on
what was drawn and in which order, never on elapsed time.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.support.ports import DroppingPort
from tests.support.pty_run import origin502_command, run_in_pty
from tests.support.scenario import NAME

NOTE = "first attempt timed out; 2 more attempts running…"


@pytest.fixture
def dropping():
    with DroppingPort() as port:
        yield port


def args(port: int, *extra: str) -> list[str]:
    return [*origin502_command(), "diagnose", NAME, "--resolve", f"{NAME}:127.0.0.1",
            "--https-port", str(port), "--timeout", "0.5", "--connection-attempts", "3", *extra]


def env() -> dict[str, str]:
    return {**os.environ, "TERM": "xterm-256color", "LANG": "C.UTF-8", "COLUMNS": "200"}


def test_terminal_shows_the_wait_then_a_provisional_verdict_then_the_final_report(dropping):
    run = run_in_pty(args(dropping.port), env=env())
    text = run.text
    assert run.returncode == 1, text
    waiting = text.index("TCP: no answer for")
    second = text.index("(attempt 2 of 3)")
    provisional = text.index("Provisional verdict: FAIL")
    note = text.index(NOTE)
    final = text.index(f"FAIL  {NAME}")
    # The wait is shown from the first attempt; the provisional verdict once it timed out,
    # while the second attempt runs; the final report after all of them.
    assert waiting < provisional < note < final
    assert second < final
    assert "1 attempt of 0.5 s" in text[provisional:final]
    final_report = text[final:]
    assert "3 attempts of 0.5 s" in final_report
    assert "Provisional" not in final_report and "no answer for" not in final_report


def test_a_pipe_gets_only_the_final_report(dropping):
    result = subprocess.run(args(dropping.port), capture_output=True, text=True, env=env(),
                            timeout=60, check=False)
    assert result.returncode == 1
    assert result.stdout.startswith(f"FAIL  {NAME}")
    assert "3 attempts of 0.5 s" in result.stdout
    for extra in ("Provisional", "no answer for", NOTE):
        assert extra not in result.stdout and extra not in result.stderr


@pytest.mark.parametrize("where", ["pipe", "terminal"])
def test_json_is_one_final_document_even_at_a_terminal(dropping, where):
    if where == "pipe":
        result = subprocess.run(args(dropping.port, "--json"), capture_output=True, text=True,
                                env=env(), timeout=60, check=False)
        code, output = result.returncode, result.stdout
        assert result.stderr == ""
    else:
        run = run_in_pty(args(dropping.port, "--json"), env=env())
        code, output = run.returncode, run.raw.replace("\r\n", "\n")
    assert code == 1
    data = json.loads(output)  # the whole output is one JSON document
    assert list(data)[:5] == ["schema", "target", "verdict", "findings", "addresses"]
    (timeout,) = [f for f in data["findings"] if f["code"] == "PORT_TIMEOUT"]
    assert "3 attempts of 0.5 s" in timeout["summary"]
    assert data["addresses"][0]["probes"][0]["tcp"]["attempts"] == 3
    assert "provisional" not in output.lower()
