"""`serve` and an unreachable or refusing Slack at start (bot/startup.py), against the
recording Slack on loopback; the clock and the sleep are injected, nothing waits."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from bot.settings import SettingsError
from bot.slack import web_client
from bot.startup import wait_for_slack
from tests.bot.fakeslack import BOT_TOKEN, FakeSlack
from tests.support.ports import closed_port


def test_an_unreachable_slack_is_waited_for_and_said_once():
    lines: list[str] = []
    with FakeSlack() as slack:
        # Without slack_sdk's own connection retries, so the test does not wait on them.
        dead = WebClient(token=BOT_TOKEN, base_url=f"http://127.0.0.1:{closed_port()}/api/",
                         retry_handlers=[])
        live = web_client(BOT_TOKEN, slack.api_url)
        sleeps: list[float] = []

        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            if len(sleeps) == 4:  # Slack comes back after the fourth wait
                dead.base_url = live.base_url

        answer = wait_for_slack(dead, echo=lines.append, sleep=sleep,
                                clock=lambda: 10.0 * len(sleeps))
    assert answer["user_id"]
    assert sleeps == [1.0, 2.0, 4.0, 8.0]  # back-off
    assert len(lines) == 2
    assert lines[0].startswith("origin502: cannot reach Slack at") and "retrying" in lines[0]
    assert lines[1] == "origin502: Slack reachable again after 40 s"


def test_a_refused_token_is_a_configuration_error_at_once():
    with FakeSlack() as slack:
        slack.fail("auth.test", "invalid_auth")
        refused = r"SLACK_BOT_TOKEN was refused by Slack \(invalid_auth\)"
        with pytest.raises(SettingsError, match=refused):
            wait_for_slack(web_client(BOT_TOKEN, slack.api_url), echo=print,
                           sleep=lambda _s: pytest.fail("a refusal is not waited out"))
