"""The first step of every `/origin502` listener: a request id for its log lines, one log line."""

from __future__ import annotations

import logging
from typing import Any

from workers.logging_setup import bind_request_id, new_request_id

log = logging.getLogger(__name__)


def received(command: dict[str, Any]) -> str:
    """Bind a new request id and log the command; returns its text."""
    text = str(command.get("text") or "")
    bind_request_id(new_request_id())
    log.info("command received", extra={
        "channel": command.get("channel_id"), "user": command.get("user_id"),
        "text": text[:200]})
    return text
