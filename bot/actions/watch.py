"""The **Watch** button under a diagnosis: watch that target, with the same options, in the
run's channel, every 15 minutes. Anyone in the channel can press it."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.deps import Deps
from bot.parse import Accepted, Help, Invalid, Refused, interpret
from bot.render import replies
from bot.render import watches as render
from bot.replying import via_respond
from bot.watching import start_watch
from workers import metrics
from workers.jobs.runs import RunStore
from workers.watches.schedule import DEFAULT_INTERVAL, parse_interval


def register(app: App, deps: Deps) -> None:
    @app.action(render.WATCH_ACTION)
    def on_watch(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        metrics.COMMANDS_RECEIVED.labels(kind="watch_button").inc()
        run_id = str(action.get("value") or "")
        user = str(body["user"]["id"])
        reply = via_respond(respond)

        def work() -> None:
            run = RunStore(deps.redis).get(run_id)
            if run is None:
                reply(replies.expired_run())
                return
            result = interpret(run.text, allow_private=deps.settings.allow_private_targets,
                               ca_file=deps.settings.ca_file)
            if isinstance(result, Refused):
                reply(replies.refused(result.target, result.reason))
                return
            if isinstance(result, Invalid | Help):
                reply(replies.expired_run())
                return
            accepted: Accepted = result
            watched = start_watch(deps.redis, accepted.request, text=accepted.text,
                                  interval=parse_interval(DEFAULT_INTERVAL), channel=run.channel,
                                  user=user)
            message = render.watching(watched.spec, user, new=watched.new,
                                      next_at=watched.next_at)
            respond(response_type="in_channel", replace_original=False, **message.payload())

        deps.background.submit(work, reply)
