from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from bot.cli import main


def test_cli_has_serve_worker_and_diagnose():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "worker", "diagnose"):
        assert command in result.output


def test_unknown_queue_is_named():
    result = CliRunner().invoke(main, ["worker", "--queues", "probe,bogus"])
    assert result.exit_code == 2  # bad configuration, as every such error
    assert "unknown queue(s) bogus: choose from probe, delivery" in result.output


def test_cli_import_stays_light():
    heavy = "{'slack_bolt', 'slack_sdk', 'rq', 'redis'}"
    code = (
        f"import sys, bot.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
