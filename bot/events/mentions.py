"""`@origin502 --host-header www.example.com` in a result thread re-runs that thread's target
with the changed options; the result lands in the same thread. Outside a result thread,
`@origin502 TARGET` starts a run like the command does.

Slack's retries of the same event are dropped before this listener (bot/idempotency.py keys
events by their event_id)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot import runs
from bot.accepting import Declined, Wording, accept, joined_answer
from bot.deps import Deps
from bot.parse import HELP_WORDS, compose_mention, strip_mentions
from bot.render import replies
from bot.replying import via_ephemeral
from workers import metrics
from workers.logging_setup import bind_request_id, new_request_id

log = logging.getLogger(__name__)
NAME = "@origin502"


def _wording(in_result_thread: bool) -> Wording:
    return Wording(help=lambda: replies.mention_help(in_result_thread),
                   invalid=lambda problem: replies.bad_input(problem, NAME))


def register(app: App, deps: Deps) -> None:
    @app.event("app_mention")
    def on_mention(event: dict[str, Any], client: WebClient) -> None:
        if event.get("bot_id") or not event.get("user"):
            return
        metrics.COMMANDS_RECEIVED.labels(kind="mention").inc()
        bind_request_id(new_request_id())
        channel, user = str(event["channel"]), str(event["user"])
        log.info("mention received", extra={"channel": channel, "user": user})
        thread_ts = event.get("thread_ts")
        said = strip_mentions(str(event.get("text") or ""))
        reply = via_ephemeral(client, channel, user, thread_ts)

        def work() -> None:
            previous = runs.thread_run(deps.redis, channel, thread_ts) if thread_ts else None
            wording = _wording(previous is not None)
            if said.lower() in HELP_WORDS - {""} or (not said and previous is None):
                reply(wording.help())
                return
            text = compose_mention(previous.text, said) if previous is not None else said
            outcome = accept(text, deps.settings, wording)
            if isinstance(outcome, Declined):
                reply(outcome.message)
                return
            started = runs.start_run(
                deps.redis, outcome.request, text=outcome.text, channel=channel, user=user,
                reason="mention" if previous is not None else "command", thread_ts=thread_ts,
                previous_run=previous.run_id if previous is not None else None)
            answer = joined_answer(client, started)
            if answer is not None:
                reply(answer)

        deps.background.submit(work, reply)
