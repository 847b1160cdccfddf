"""Block Kit for every message origin502 sends, built by pure functions.

Rendering never calls Slack: each function takes plain values (a Report, a Run) and returns
`Message`s whose blocks were built with `slack_sdk.models.blocks`, which enforce Slack's
limits when serialised, and whose `text` is the plain-text fallback.
"""

from bot.render.message import Message

__all__ = ["Message"]
