"""The Bolt app: a thin `create_app(settings)` that wires listeners grouped by Slack feature,
each folder registering its own (`commands/`, `actions/`, `events/`)."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from redis import Redis
from slack_bolt import App, BoltContext, BoltResponse

from bot import actions, commands, events, idempotency
from bot.background import Background
from bot.deps import Deps
from bot.intake import connect_for_ack
from bot.render import replies
from bot.settings import Settings
from bot.slack import web_client
from workers.jobs.queues import connect
from workers.logging_setup import new_request_id

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    *,
    redis: Redis | None = None,
    socket_mode: bool = False,
    token_verification: bool = True,
    server_checks_signature: bool = False,
    background: Background | None = None,
) -> App:
    """The Bolt app for these settings. Talks to Slack only to check the token (auth.test).

    `server_checks_signature`: the app runs behind bot/server.py with the signing secret,
    which checks Slack's signature on the raw bytes of every request before Bolt sees it;
    Bolt then does not check it a second time (an HMAC and a middleware step per request,
    issue 8). make_server refuses to serve an app that checks nothing without a secret.

    `background`: the pool for the work after each ack, given by a caller that waits for it
    before the process ends (`serve --processes`, bot/prefork.py); else a new one.
    """
    deps = Deps(
        settings=settings,
        redis=redis if redis is not None else connect(settings.redis_url),
        background=background if background is not None else Background(),
        ack_redis=connect_for_ack(settings.redis_url),
    )
    app = App(
        signing_secret=settings.signing_secret,
        client=web_client(settings.bot_token, settings.api_url),
        # Socket Mode traffic is authenticated by the app token, not signed; over HTTP the
        # server checks the signature (above), or else Bolt does.
        request_verification_enabled=not (socket_mode or server_checks_signature),
        token_verification_enabled=token_verification,
        # Listeners only parse, ack and hand the rest to `deps.background`, so they can run
        # on the request's own thread: the ack goes out as soon as the listener returns,
        # without Bolt's polling for it from another thread.
        process_before_response=True,
        listener_executor=ThreadPoolExecutor(max_workers=8, thread_name_prefix="listener"),
    )
    # Before any listener: a replay starts nothing. Its check comes before the ack.
    idempotency.register(app, deps.ack_redis)
    commands.register(app, deps)
    actions.register(app, deps)
    events.register(app, deps)
    app.error(_handle_error)
    return app


def _handle_error(
    error: Exception,
    body: dict[str, Any],
    context: BoltContext,
    response: BoltResponse | None,
) -> BoltResponse | None:
    """Whatever a listener raised: log it with a reference, tell the user without details."""
    reference = new_request_id()
    log.error(
        "listener failed",
        exc_info=(type(error), error, error.__traceback__),
        extra={"reference": reference, "payload_type": body.get("type") or body.get("command")},
    )
    message = replies.internal_error(reference)
    if response is not None:
        # Not acknowledged yet: answer in the acknowledgement itself (a 200, not Slack's
        # "failed with the error" banner).
        payload = {"response_type": "ephemeral", **message.payload()}
        return BoltResponse(
            status=200,
            body=json.dumps(payload),
            headers={"content-type": "application/json;charset=utf-8"},
        )
    if context.respond is not None:
        context.respond(response_type="ephemeral", replace_original=False, **message.payload())
    elif context.channel_id and context.user_id and context.client is not None:
        context.client.chat_postEphemeral(
            channel=context.channel_id, user=context.user_id, **message.payload()
        )
    return None
