"""App Home: the user's watched origins across channels, with their last status."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.render import watches as render
from bot.render.message import Message
from workers.watches.clock import clock_from_env
from workers.watches.store import WatchStore

log = logging.getLogger(__name__)


def publish_home(client: WebClient, deps: Deps, user: str) -> None:
    store = WatchStore(deps.redis)
    specs = store.user_watches(user)
    states = store.states([s.watch_id for s in specs])
    view = render.home_view([(s, states.get(s.watch_id)) for s in specs],
                            clock_from_env().now())
    client.views_publish(user_id=user, view=view)


def register(app: App, deps: Deps) -> None:
    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        user = str(event["user"])

        def nobody_to_tell(message: Message) -> None:
            # The Home tab has no one to answer ephemerally; the failure is in the log.
            log.warning("app home not published", extra={"user": user, "why": message.text})

        deps.background.submit(lambda: publish_home(client, deps, user), nobody_to_tell)
