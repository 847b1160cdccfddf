"""`/origin502 TARGET [options]`: queue the probe in one Redis round trip, then ack; joining a
run already going is done after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.accepting import Declined, accept, command_wording, joined_answer
from bot.commands.received import received
from bot.commands.watch import is_watch_command
from bot.deps import Deps
from bot.idempotency import claim_command, command_key
from bot.intake import open_command_run
from bot.replying import ephemeral, via_respond
from bot.runs import start_run
from bot.settings import COMMAND
from workers import metrics
from workers.aws.access import aws_configured


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
            if claim_command(deps.redis, context):  # else a replay, answered already
                metrics.COMMANDS_RECEIVED.labels(kind=outcome.kind).inc()
                ack(**ephemeral(outcome.message))
            else:
                ack()
            return
        channel, user = str(command["channel_id"]), str(command["user_id"])
        # The one round trip before the ack: the run recorded and queued, or found held.
        intake = open_command_run(deps.redis, outcome, channel=channel, user=user,
                                  response_url=command.get("response_url"),
                                  delivery=command_key(context))
        ack()
        if intake.outcome == "repeated":
            return
        metrics.COMMANDS_RECEIVED.labels(kind="probe").inc()
        if intake.outcome == "queued":
            return
        # Another run holds the target (join it, or take over a failed one), or Redis did not
        # answer (tried again here; the person is told when it still does not).
        reply = via_respond(respond)

        def work() -> None:
            started = start_run(deps.redis, outcome.request, text=outcome.text, channel=channel,
                                user=user, reason="command",
                                response_url=command.get("response_url"))
            answer = joined_answer(client, started)
            if answer is not None:
                reply(answer)

        deps.background.submit(work, reply)
