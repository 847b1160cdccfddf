"""`/origin502 TARGET [options]`: queue the probe in one round trip, ack; joining a run goes on
after the ack."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.commands import watch
from bot.deps import Deps
from bot.idempotency import claim_command, command_key
from bot.intake import open_command_run
from bot.parse import Accepted, Help, Invalid, Refused, interpret
from bot.render import replies
from bot.render.message import Message
from bot.replying import permalink, via_respond
from bot.runs import start_run
from bot.settings import COMMAND
from workers import metrics
from workers.aws.access import aws_configured
from workers.logging_setup import bind_request_id, new_request_id

log = logging.getLogger(__name__)


def _ephemeral(message: Message) -> dict[str, Any]:
    return {"response_type": "ephemeral", **message.payload()}


def register(app: App, deps: Deps) -> None:
    @app.command(COMMAND)
    def on_command(
        ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient,
        context: BoltContext,
    ) -> None:
        name = str(command.get("command") or COMMAND)
        bind_request_id(new_request_id())
        log.info("command received", extra={
            "channel": command.get("channel_id"), "user": command.get("user_id"),
            "text": str(command.get("text") or "")[:200]})
        if watch.is_watch_command(str(command.get("text") or "")):
            if claim_command(deps.redis, context):
                watch.handle(ack, command, respond, deps)  # watch, unwatch, watches, digest
            else:
                ack()
            return
        result = interpret(
            str(command.get("text") or ""),
            allow_private=deps.settings.allow_private_targets,
            ca_file=deps.settings.ca_file,
        )
        # A probe claims its delivery in the round trip that queues it (bot/intake.py).
        if not isinstance(result, Accepted) and not claim_command(deps.redis, context):
            ack()
            return
        if isinstance(result, Help):
            metrics.COMMANDS_RECEIVED.labels(kind="help").inc()
            ack(**_ephemeral(replies.usage(name, aws=aws_configured())))
            return
        if isinstance(result, Invalid):
            metrics.COMMANDS_RECEIVED.labels(kind="invalid").inc()
            ack(**_ephemeral(replies.bad_input(result.problem, name)))
            return
        if isinstance(result, Refused):
            metrics.COMMANDS_RECEIVED.labels(kind="refused").inc()
            ack(**_ephemeral(replies.refused(result.target, result.reason)))
            return
        accepted: Accepted = result
        channel, user = str(command["channel_id"]), str(command["user_id"])
        # The one round trip before the ack: the run recorded and queued (or found held).
        intake = open_command_run(deps.redis, accepted, channel=channel, user=user,
                                  response_url=command.get("response_url"),
                                  delivery=command_key(context))
        ack()
        if intake.outcome == "repeated":
            return
        metrics.COMMANDS_RECEIVED.labels(kind="probe").inc()
        if intake.outcome == "queued":
            return

        # Another run holds the target (join it, or take over a failed one), or Redis did
        # not answer (try again; the person is told when it still does not).
        def work() -> None:
            started = start_run(
                deps.redis,
                accepted.request,
                text=accepted.text,
                channel=channel,
                user=user,
                reason="command",
                response_url=command.get("response_url"),
            )
            if started.joined:
                run = started.run
                link = permalink(client, channel, run.message_ts or run.thread_ts)
                message = replies.joined(
                    run.display, run.user, link, running=run.status in ("queued", "running")
                )
                respond(**_ephemeral(message), replace_original=False)

        deps.background.submit(work, via_respond(respond))
