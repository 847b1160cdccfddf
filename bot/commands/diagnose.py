"""`/origin502 TARGET [options]`: queue the probe in one Redis round trip (bounded, not retried:
bot/intake.py), then ack; joining a run already going, and trying again when Redis did not
answer in time, are done after the ack."""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError
from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.accepting import Declined, accept, command_wording, joined_answer
from bot.command_words import is_watch_command
from bot.commands.received import received
from bot.deps import Deps
from bot.idempotency import claim_command, command_key
from bot.intake import open_command_run, reopen_command_run
from bot.render import replies
from bot.replying import ephemeral, via_respond
from bot.runs import start_run
from bot.settings import COMMAND
from workers import metrics
from workers.aws.access import aws_configured

log = logging.getLogger(__name__)


def _not_watch(command: dict[str, Any]) -> bool:
    return not is_watch_command(str(command.get("text") or ""))


def register(app: App, deps: Deps) -> None:
    @app.command(COMMAND, matchers=[_not_watch])
    def on_command(
        ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient,
        context: BoltContext,
    ) -> None:
        text = received(command)
        name = str(command.get("command") or COMMAND)
        outcome = accept(text, deps.settings, command_wording(name, aws=aws_configured))
        if isinstance(outcome, Declined):
            if claim_command(deps.ack_redis, context):  # else a replay, answered already
                metrics.COMMANDS_RECEIVED.labels(kind=outcome.kind).inc()
                ack(**ephemeral(outcome.message))
            else:
                ack()
            return
        channel, user = str(command["channel_id"]), str(command["user_id"])
        # The one round trip before the ack: the run recorded and queued, or found held.
        response_url = command.get("response_url")
        intake = open_command_run(deps.ack_redis, outcome, channel=channel, user=user,
                                  response_url=response_url, delivery=command_key(context))
        ack()
        if intake.outcome == "repeated":
            return
        metrics.COMMANDS_RECEIVED.labels(kind="probe").inc()
        if intake.outcome == "queued":
            return
        # Another run holds the target (join it, or take over a failed one), or Redis did not
        # answer in time (the same run opened again here; the person is told when Redis still
        # does not answer).
        reply = via_respond(respond)
        delivery = command_key(context)

        def work() -> None:
            if intake.outcome == "unreachable":
                try:
                    again = reopen_command_run(deps.redis, intake.run,
                                               response_url=response_url, delivery=delivery)
                except RedisError as exc:
                    if not intake.maybe_sent:
                        raise  # nothing reached Redis: "the queue is unavailable"
                    log.warning("queue not answering", extra={"error": str(exc)})
                    reply(replies.queue_not_answering())
                    return
                if again.outcome != "held":
                    return
            started = start_run(deps.redis, outcome.request, text=outcome.text, channel=channel,
                                user=user, reason="command", response_url=response_url)
            answer = joined_answer(client, started)
            if answer is not None:
                reply(answer)

        deps.background.submit(work, reply)
