"""The ladder every starting listener climbs (bot/accepting.py), from a table: help, a problem,
an operator-only option, a refused target, a request to start; then starting it, and a second
request that joins the first instead of starting another probe."""

from __future__ import annotations

import json

import pytest

from bot.accepting import STORED_RUN, Declined, Wording, accept, command_wording, joined_answer
from bot.commands.watch import WATCH_WORDING
from bot.events.mentions import _wording as mention_wording
from bot.parse import Accepted
from bot.runs import start_run
from bot.settings import Settings
from bot.slack import web_client
from workers.jobs.queues import PROBE_QUEUE, connect


def settings(*, allow_private: bool = False, ca_file: str | None = None) -> Settings:
    return Settings(bot_token="xoxb-test", signing_secret="s", app_token=None,
                    api_url="http://127.0.0.1:9/", redis_url="redis://127.0.0.1:9/0",
                    ca_file=ca_file, allow_private_targets=allow_private)


COMMAND = command_wording("/origin502", aws=lambda: False)


def said(outcome: Accepted | Declined) -> str:
    assert isinstance(outcome, Declined), outcome
    return json.dumps(outcome.message.payload(), ensure_ascii=False)


@pytest.mark.parametrize(("text", "kind", "fragment"), [
    ("", "help", "/origin502 TARGET"),
    ("help", "help", "/origin502 TARGET"),
    ("  --help ", "help", "/origin502 TARGET"),
    ("origin.test --https-port 70000", "invalid", "70000"),
    ("origin.test --no-such-option", "invalid", "--no-such-option"),
    # Options only the operator may set are refused as a problem with the text, file unread.
    ("origin.test --ca-file /etc/passwd", "invalid", "ORIGIN502_CA_FILE"),
    ("origin.test \u201c--ca-file=/etc/passwd\u201d", "invalid", "ORIGIN502_CA_FILE"),
    ("127.0.0.1", "refused", "won't probe"),
    ("10.0.0.1 --https-port 8443", "refused", "won't probe"),
    ("origin.test --resolve origin.test:192.168.1.5", "refused", "won't probe"),
])
def test_what_is_answered_instead_of_starting(text, kind, fragment):
    outcome = accept(text, settings(), COMMAND)
    assert isinstance(outcome, Declined) and outcome.kind == kind, outcome
    assert fragment in said(outcome)


@pytest.mark.parametrize(("text", "expected"), [
    ("origin.test", "origin.test"),
    ("  origin.test --https-port 8443 ", "origin.test --https-port 8443"),
    ("127.0.0.1 --https-port 8443", "127.0.0.1 --https-port 8443"),  # allowed by the operator
])
def test_a_request_to_start_is_handed_back(text, expected):
    outcome = accept(text, settings(allow_private=True, ca_file="/operator/roots.pem"), COMMAND)
    assert isinstance(outcome, Accepted), outcome
    assert outcome.text == expected
    assert outcome.request.options.ca_file == "/operator/roots.pem"  # the operator's, always


@pytest.mark.parametrize(("wording", "help_fragment", "invalid_fragment"), [
    (COMMAND, "/origin502 TARGET", "/origin502 help"),
    (command_wording("/o502", aws=lambda: False), "/o502 TARGET", "/o502 help"),
    (WATCH_WORDING, "--every", "--https-port"),
    (mention_wording(True), "this thread", "@origin502"),
    (mention_wording(False), "mention me with a target", "@origin502"),
    (STORED_RUN, "too old", "too old"),
])
def test_each_entry_point_words_help_and_problems_its_own_way(
        wording: Wording, help_fragment: str, invalid_fragment: str):
    assert help_fragment in said(accept("help", settings(), wording))
    bad = said(accept("origin.test --https-port 70000", settings(), wording))
    assert invalid_fragment in bad
    # A refusal reads the same from everywhere.
    assert said(accept("127.0.0.1", settings(), wording)) == said(
        accept("127.0.0.1", settings(), COMMAND))


def test_start_then_join(redis_url, fake_slack):
    """The last rungs: the first request starts a probe, the same one from someone else in the
    channel joins it and is pointed at it; no second probe is queued."""
    redis = connect(redis_url)
    client = web_client("xoxb-test", fake_slack.api_url)
    outcomes = [accept("origin.test --https-port 8443", settings(), COMMAND) for _ in range(2)]
    first, second = outcomes
    assert isinstance(first, Accepted) and isinstance(second, Accepted)

    started = start_run(redis, first.request, text=first.text, channel="C1", user="UALICE",
                        reason="command")
    assert not started.joined and joined_answer(client, started) is None
    assert redis.llen(f"rq:queue:{PROBE_QUEUE}") == 1

    again = start_run(redis, second.request, text=second.text, channel="C1", user="UBOB",
                      reason="command")
    assert again.joined and again.run.run_id == started.run.run_id
    answer = joined_answer(client, again)
    assert answer is not None
    text = json.dumps(answer.payload())
    assert "is being checked right now" in text and "<@UALICE>" in text
    assert "no second probe was started" in text
    assert "in the thread of my message above" in text  # nothing posted yet: no link
    assert redis.llen(f"rq:queue:{PROBE_QUEUE}") == 1


def test_a_joined_run_already_shown_is_linked(redis_url, fake_slack):
    from bot.store import SlackStore

    redis = connect(redis_url)
    client = web_client("xoxb-test", fake_slack.api_url)
    request = accept("origin.test", settings(), COMMAND)
    assert isinstance(request, Accepted)
    started = start_run(redis, request.request, text=request.text, channel="C1", user="UALICE",
                        reason="command")
    SlackStore(redis).update(started.run.run_id, message_ts="1700000001.000100",
                             thread_ts="1700000001.000100")
    again = start_run(redis, request.request, text=request.text, channel="C1", user="UBOB",
                      reason="command")
    answer = joined_answer(client, again)
    assert answer is not None
    assert "archives/C1/p1700000001000100" in json.dumps(answer.payload())
