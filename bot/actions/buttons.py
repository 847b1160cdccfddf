"""Re-run and Show evidence: anyone in the channel can press them."""

from __future__ import annotations

import logging
import shlex
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.parse import Accepted, Help, Invalid, Refused, interpret
from bot.render import replies
from bot.render.distribution import RERUN_ORIGIN_ACTION, parse_rerun_origin_value
from bot.render.status import EVIDENCE_ACTION, RERUN_ACTION
from bot.replying import permalink, via_respond
from bot.runs import start_run
from workers import metrics
from workers.jobs import queues
from workers.jobs.runs import RunStore
from workers.logging_setup import bind_request_id, new_request_id

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    @app.action(RERUN_ACTION)
    def on_rerun(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        metrics.COMMANDS_RECEIVED.labels(kind="rerun").inc()
        bind_request_id(new_request_id())
        log.info("re-run pressed", extra={"run_id": action.get("value")})
        run_id = str(action.get("value") or "")
        _rerun(deps, body, respond, client, run_id, origin_id=None)

    @app.action(RERUN_ORIGIN_ACTION)
    def on_rerun_origin(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        metrics.COMMANDS_RECEIVED.labels(kind="rerun").inc()
        bind_request_id(new_request_id())
        run_id, origin_id = parse_rerun_origin_value(str(action.get("value") or ""))
        log.info("origin re-run pressed", extra={"run_id": run_id, "origin": origin_id})
        _rerun(deps, body, respond, client, run_id, origin_id=origin_id)

    @app.action(EVIDENCE_ACTION)
    def on_evidence(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        metrics.COMMANDS_RECEIVED.labels(kind="evidence").inc()
        bind_request_id(new_request_id())
        log.info("evidence pressed", extra={"run_id": action.get("value")})
        run_id = str(action.get("value") or "")
        user = str(body["user"]["id"])
        reply = via_respond(respond)

        def work() -> None:
            store = RunStore(deps.redis)
            if store.get(run_id) is None or store.report(run_id) is None:
                reply(replies.expired_run())
                return
            queues.enqueue_evidence(
                deps.redis, run_id, user, store.next_seq(run_id), body.get("response_url")
            )

        deps.background.submit(work, reply)


def _rerun(deps: Deps, body: dict[str, Any], respond: Respond, client: WebClient, run_id: str,
           *, origin_id: str | None) -> None:
    """Start the run again in its thread; with ``origin_id``, only that origin of the
    distribution (its previous result is what the new one is compared with)."""
    user = str(body["user"]["id"])
    reply = via_respond(respond)

    def work() -> None:
        store = RunStore(deps.redis)
        previous = store.get(run_id)
        if previous is None:
            reply(replies.expired_run())
            return
        text = previous.text
        if origin_id:
            # shlex-quoted so an origin id is one token; the last --origin wins.
            text = f"{text} --origin {shlex.quote(origin_id)}"
        # Read the stored text again so today's settings (private targets...) apply.
        result = interpret(
            text,
            allow_private=deps.settings.allow_private_targets,
            ca_file=deps.settings.ca_file,
        )
        if isinstance(result, Refused):
            reply(replies.refused(result.target, result.reason))
            return
        if isinstance(result, Invalid | Help):
            reply(replies.expired_run())
            return
        accepted: Accepted = result
        started = start_run(
            deps.redis,
            accepted.request,
            text=text,
            channel=previous.channel,
            user=user,
            reason="rerun",
            response_url=body.get("response_url"),
            thread_ts=previous.thread_ts,
            previous_run=previous.run_id,
        )
        if started.joined:
            run = started.run
            link = permalink(client, run.channel, run.message_ts or run.thread_ts)
            reply(replies.joined(run.display, run.user, link, running=True))

    deps.background.submit(work, reply)
