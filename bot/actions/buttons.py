"""The buttons under a result: Re-run (the run, or one origin of a distribution), Show
evidence and Watch. Anyone in the channel can press them; each one acts on the run it
carries, read again from Redis after the ack."""

from __future__ import annotations

import logging
import shlex
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import runs, watching
from bot.accepting import STORED_RUN, Declined, accept, joined_answer
from bot.background import Reply
from bot.deps import Deps
from bot.parse import Accepted
from bot.render import replies
from bot.render import watches as render_watches
from bot.render.distribution import RERUN_ORIGIN_ACTION, parse_rerun_origin_value
from bot.render.status import EVIDENCE_ACTION, RERUN_ACTION
from bot.replying import via_respond
from workers import metrics
from workers.logging_setup import bind_request_id, new_request_id
from workers.watches.schedule import DEFAULT_INTERVAL, parse_interval

log = logging.getLogger(__name__)


def _pressed(kind: str, action: dict[str, Any]) -> str:
    """Count a press and give it a request id; returns the button's value."""
    metrics.COMMANDS_RECEIVED.labels(kind=kind).inc()
    bind_request_id(new_request_id())
    return str(action.get("value") or "")


def _stored(deps: Deps, run_id: str, reply: Reply, *, origin_id: str | None = None
            ) -> tuple[runs.Shown, Accepted] | None:
    """The run behind a button and its request, read again so today's settings (private
    targets...) apply; None when that was answered instead (expired, now refused)."""
    shown = runs.find_run(deps.redis, run_id)
    if shown is None:
        reply(replies.expired_run())
        return None
    text = shown.run.text
    if origin_id:
        # shlex-quoted so an origin id is one token; the last --origin wins.
        text = f"{text} --origin {shlex.quote(origin_id)}"
    outcome = accept(text, deps.settings, STORED_RUN)
    if isinstance(outcome, Declined):
        reply(outcome.message)
        return None
    return shown, outcome


def register(app: App, deps: Deps) -> None:
    @app.action(RERUN_ACTION)
    @app.action(RERUN_ORIGIN_ACTION)
    def on_rerun(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond,
                 client: WebClient) -> None:
        """Start the run again in its thread; for one origin of a distribution, only that
        origin (its previous result is what the new one is compared with)."""
        ack()
        value = _pressed("rerun", action)
        run_id, origin_id = (parse_rerun_origin_value(value)
                             if action.get("action_id") == RERUN_ORIGIN_ACTION else (value, None))
        log.info("re-run pressed", extra={"run_id": run_id, "origin": origin_id})
        user = str(body["user"]["id"])
        reply = via_respond(respond)

        def work() -> None:
            found = _stored(deps, run_id, reply, origin_id=origin_id)
            if found is None:
                return
            previous, accepted = found
            started = runs.start_run(
                deps.redis, accepted.request, text=accepted.text, channel=previous.run.channel,
                user=user, reason="rerun", response_url=body.get("response_url"),
                thread_ts=previous.thread_ts, previous_run=previous.run.run_id)
            answer = joined_answer(client, started)
            if answer is not None:
                reply(answer)

        deps.background.submit(work, reply)

    @app.action(EVIDENCE_ACTION)
    def on_evidence(ack: Ack, body: dict[str, Any], action: dict[str, Any],
                    respond: Respond) -> None:
        ack()
        run_id = _pressed("evidence", action)
        log.info("evidence pressed", extra={"run_id": run_id})
        user = str(body["user"]["id"])
        reply = via_respond(respond)

        def work() -> None:
            if not runs.ask_evidence(deps.redis, run_id, user, body.get("response_url")):
                reply(replies.expired_run())

        deps.background.submit(work, reply)

    @app.action(render_watches.WATCH_ACTION)
    def on_watch(ack: Ack, body: dict[str, Any], action: dict[str, Any],
                 respond: Respond) -> None:
        """Watch the run's target, with the same options, in the run's channel, every 15
        minutes."""
        ack()
        run_id = _pressed("watch_button", action)
        log.info("watch pressed", extra={"run_id": run_id})
        user = str(body["user"]["id"])
        reply = via_respond(respond)

        def work() -> None:
            found = _stored(deps, run_id, reply)
            if found is None:
                return
            shown, accepted = found
            watched = watching.start_watch(
                deps.redis, accepted.request, text=accepted.text,
                interval=parse_interval(DEFAULT_INTERVAL), channel=shown.run.channel, user=user)
            message = render_watches.watching(watched.spec, user, new=watched.new,
                                              next_at=watched.next_at)
            respond(response_type="in_channel", replace_original=False, **message.payload())

        deps.background.submit(work, reply)
