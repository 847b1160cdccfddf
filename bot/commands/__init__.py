"""Slash commands: `/origin502 TARGET`, and its watch sub-commands (by their first word)."""

from __future__ import annotations

from slack_bolt import App

from bot.commands import diagnose, watch
from bot.deps import Deps


def register(app: App, deps: Deps) -> None:
    # Bolt tries listeners in the order registered, each match costing it tens of
    # microseconds; the probe command, by far the most frequent, goes first. The order is
    # otherwise free: diagnose matches only text that is not a watch word, and each watch
    # listener only its own word.
    diagnose.register(app, deps)
    watch.register(app, deps)
