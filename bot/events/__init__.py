"""Events API subscriptions."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.events import app_home, mentions


def register(app: App, deps: Deps) -> None:
    mentions.register(app, deps)
    app_home.register(app, deps)
