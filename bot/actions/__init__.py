"""Buttons on result messages."""

from __future__ import annotations

from slack_bolt import App

from bot.actions import buttons
from bot.deps import Deps


def register(app: App, deps: Deps) -> None:
    buttons.register(app, deps)
