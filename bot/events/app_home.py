"""App Home: the user's watched origins across channels, with their last status."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot import watching
from bot.deps import Deps
from bot.render import watches as render
from bot.render.message import Message

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        user = str(event["user"])

        def work() -> None:
            listing = watching.user_watches(deps.redis, user)
            client.views_publish(user_id=user, view=render.home_view(listing.watches, listing.now))

        def nobody_to_tell(message: Message) -> None:
            # The Home tab has no one to answer ephemerally; the failure is in the log.
            log.warning("app home not published", extra={"user": user, "why": message.text})

        deps.background.submit(work, nobody_to_tell)
