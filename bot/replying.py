"""Ways to answer the person who asked: through response_url, or ephemerally in a channel."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.render.message import Message

log = logging.getLogger(__name__)


def via_respond(respond: Respond) -> Callable[[Message], None]:
    def reply(message: Message) -> None:
        respond(response_type="ephemeral", replace_original=False, **message.payload())

    return reply


def via_ephemeral(
    client: WebClient, channel: str, user: str, thread_ts: str | None
) -> Callable[[Message], None]:
    def reply(message: Message) -> None:
        client.chat_postEphemeral(
            channel=channel, user=user, thread_ts=thread_ts, **message.payload()
        )

    return reply


def permalink(client: WebClient, channel: str, ts: str | None) -> str | None:
    """A link to a message, or None when Slack will not give one (the pointer then says so)."""
    if ts is None:
        return None
    try:
        response = client.chat_getPermalink(channel=channel, message_ts=ts)
    except SlackApiError as exc:
        log.info("no permalink", extra={"error": exc.response.get("error")})
        return None
    link = response.get("permalink")
    return str(link) if link else None


def ephemeral(message: Message) -> dict[str, Any]:
    """The arguments of an `ack` that answers only the person who asked."""
    return {"response_type": "ephemeral", **message.payload()}
