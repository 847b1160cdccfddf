"""Tokens never print (issue 11): whatever the processes log or say on the way, with Slack
refusing the token, Slack failing a call, or a command failing, no secret appears."""

from __future__ import annotations

import pytest

from bot.settings import Settings
from tests.bot.fakeslack import BOT_TOKEN, SIGNING_SECRET
from tests.e2e.conftest import Process, origin502_command
from tests.e2e.test_e2e_slack import finished_parent

pytestmark = pytest.mark.e2e
SECRETS = (BOT_TOKEN, SIGNING_SECRET, "xapp-1-secret-app-token")


def test_settings_do_not_show_their_secrets():
    settings = Settings.from_env({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET":
                                  SIGNING_SECRET, "SLACK_APP_TOKEN": SECRETS[2]})
    assert not any(secret in repr(settings) or secret in str(settings) for secret in SECRETS)


def test_no_process_prints_a_token(stack_factory, e2e_env, good_origin, tmp_path):
    stack = stack_factory()
    stack.slack.fail("chat.postMessage", "invalid_auth", times=1)
    stack.send.command(f"origin.test --https-port {good_origin.port}")
    finished_parent(stack)
    stack.send.command("origin.test --ca-file=/etc/passwd")
    # serve with a token Slack refuses stops with a message, not the token.
    e2e_env["slack"].fail("auth.test", "invalid_auth", times=5)
    refused = Process([*origin502_command(), "serve", "--host", "127.0.0.1", "--port", "0"],
                      {**stack.env, "SLACK_APP_TOKEN": SECRETS[2]}, tmp_path, "refused")
    stack.processes.append(refused)
    refused.popen.wait(timeout=30)
    assert "token" in refused.output().lower()
    output = stack.output()
    assert output
    for secret in SECRETS:
        assert secret not in output
