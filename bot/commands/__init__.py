"""Slash commands: `/origin502 TARGET`, and its watch sub-commands (by their first word)."""

from __future__ import annotations

from slack_bolt import App

from bot.commands import diagnose, watch
from bot.deps import Deps


def register(app: App, deps: Deps) -> None:
    watch.register(app, deps)
    diagnose.register(app, deps)
