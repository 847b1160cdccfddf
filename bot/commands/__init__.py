"""Slash commands."""

from __future__ import annotations

from slack_bolt import App

from bot.commands import diagnose
from bot.deps import Deps


def register(app: App, deps: Deps) -> None:
    diagnose.register(app, deps)
