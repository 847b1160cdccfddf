"""One request id follows a command: slash command → probe job → the replies posted in Slack."""

from __future__ import annotations

import io
import json
import logging

import pytest

from workers.logging_setup import configure_logging

CHANNEL = "C0INCIDENT"


@pytest.fixture
def json_logs():
    stream = io.StringIO()
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    configure_logging(stream=stream)
    yield stream
    for handler in list(root.handlers):
        if handler not in before:
            root.removeHandler(handler)
    root.setLevel(level)


def test_one_request_id_from_command_to_posted_reply(app_factory, origin, json_logs):
    app = app_factory(ORIGIN502_CA_FILE=origin.ca_file)
    app.send.command(f"origin.test --https-port {origin.port}")
    app.work(until=lambda: any(m.button_values() for m in app.slack.channel_messages(CHANNEL)))
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines() if line.strip()]
    received = [r for r in lines if r["message"] == "command received"]
    assert len(received) == 1
    rid = received[0]["request_id"]
    assert rid
    mine = [r for r in lines if r.get("request_id") == rid]
    messages = [r["message"] for r in mine]
    for step in ("command received", "probe queued", "probe started", "probe finished"):
        assert step in messages, messages
    posted = [r for r in mine if r["message"] == "slack call"]
    assert {r["method"] for r in posted} >= {"chat.postMessage", "chat.update"}


def test_each_command_gets_its_own_request_id(app_factory, json_logs):
    app = app_factory()
    app.send.command("help")
    app.send.command("help")
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines() if line.strip()]
    ids = [r["request_id"] for r in lines if r["message"] == "command received"]
    assert len(ids) == 2 and ids[0] != ids[1]
