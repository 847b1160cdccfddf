"""`origin502 worker` (workers/jobs/worker_cli.py) reads its settings through the check the
`origin502` group gives it (bot/cli.py), since `workers` never imports the Slack side: a
delivery worker needs the Slack bot token, a probe-only worker nothing from Slack."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from bot.cli import _worker_redis_url, main
from tests.support.ports import closed_port
from workers.jobs import redis_wait
from workers.jobs.worker_cli import ConfigProblem, WorkerSettings, worker


@pytest.fixture
def no_bot_token(monkeypatch):
    """No bot token, and a Redis URL nobody answers on; a worker that got past its settings
    stops at once instead of waiting for that Redis (or working a real one)."""
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    url = f"redis://127.0.0.1:{closed_port()}/3"
    monkeypatch.setenv("REDIS_URL", url)

    def started(*_args, **_kwargs):
        raise AssertionError("the worker started")

    monkeypatch.setattr(redis_wait, "wait_for_redis", started)
    return url


def test_delivery_worker_without_the_bot_token_is_refused(no_bot_token):
    result = CliRunner().invoke(main, ["worker", "--queues", "probe,delivery",
                                       "--metrics-port", "0"])
    assert result.exit_code == 2, result.output
    assert "missing required settings: SLACK_BOT_TOKEN" in result.output


def test_probe_worker_needs_nothing_from_slack(no_bot_token):
    assert _worker_redis_url(["probe"]) == no_bot_token
    with pytest.raises(click.ClickException, match="SLACK_BOT_TOKEN"):
        _worker_redis_url(["delivery"])


def test_the_check_is_given_the_queue_kinds_asked_for():
    seen = []

    def check(kinds):
        seen.append(list(kinds))
        raise ConfigProblem("stopped by the check")

    result = CliRunner().invoke(worker, ["--queues", " delivery , probe"],
                                obj=WorkerSettings(check))
    assert result.exit_code == 2 and "stopped by the check" in result.output
    assert seen == [["delivery", "probe"]]


def test_an_unknown_queue_is_refused_before_any_setting_is_read():
    seen = []
    result = CliRunner().invoke(worker, ["--queues", "bogus"], obj=WorkerSettings(seen.append))
    assert result.exit_code == 2
    assert "unknown queue(s) bogus: choose from probe, delivery" in result.output
    assert seen == []
