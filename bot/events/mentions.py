"""`@origin502 --host-header www.example.com` in a result thread re-runs that thread's target
with the changed options; the result lands in the same thread."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.parse import (
    HELP_WORDS,
    Accepted,
    Help,
    Invalid,
    Refused,
    compose_mention,
    interpret,
    strip_mentions,
)
from bot.render import replies
from bot.replying import permalink, via_ephemeral
from bot.runs import start_run
from workers import metrics
from workers.jobs.runs import PREFIX, RunStore
from workers.logging_setup import bind_request_id, new_request_id

log = logging.getLogger(__name__)

# Slack may deliver an event more than once (retries); one answer per event id.
EVENT_SEEN_TTL = 3600


def register(app: App, deps: Deps) -> None:
    @app.event("app_mention")
    def on_mention(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("bot_id") or not event.get("user"):
            return
        metrics.COMMANDS_RECEIVED.labels(kind="mention").inc()
        bind_request_id(new_request_id())
        channel, user = str(event["channel"]), str(event["user"])
        log.info("mention received", extra={"channel": channel, "user": user})
        thread_ts = event.get("thread_ts")
        event_id = str(body.get("event_id") or event.get("ts"))
        reply = via_ephemeral(client, channel, user, thread_ts)

        def work() -> None:
            if not deps.redis.set(f"{PREFIX}:event:{event_id}", "1", nx=True, ex=EVENT_SEEN_TTL):
                return
            store = RunStore(deps.redis)
            previous = None
            if thread_ts is not None:
                previous_id = store.thread_run(channel, thread_ts)
                previous = store.get(previous_id) if previous_id else None
            said = strip_mentions(str(event.get("text") or ""))
            if said.lower() in HELP_WORDS - {""} or (not said and previous is None):
                reply(replies.mention_help(previous is not None))
                return
            text = compose_mention(previous.text, said) if previous is not None else said
            result = interpret(
                text,
                allow_private=deps.settings.allow_private_targets,
                ca_file=deps.settings.ca_file,
            )
            if isinstance(result, Help):
                reply(replies.mention_help(previous is not None))
                return
            if isinstance(result, Invalid):
                reply(replies.bad_input(result.problem, "@origin502"))
                return
            if isinstance(result, Refused):
                reply(replies.refused(result.target, result.reason))
                return
            accepted: Accepted = result
            started = start_run(
                deps.redis,
                accepted.request,
                text=accepted.text,
                channel=channel,
                user=user,
                reason="mention" if previous is not None else "command",
                thread_ts=thread_ts,
                previous_run=previous.run_id if previous is not None else None,
            )
            if started.joined:
                run = started.run
                link = permalink(client, channel, run.message_ts or run.thread_ts)
                reply(replies.joined(run.display, run.user, link, running=run.status != "done"))

        deps.background.submit(work, reply)
