"""The first word of a `/origin502` text: a watch sub-command or a target.

A leaf module (nothing from `bot.commands`): the replay middleware (bot/idempotency.py) and
both command listeners need this test, and importing it from `bot.commands.watch` made
`bot.idempotency` → `bot.commands` → `bot.commands.diagnose` → `bot.idempotency` a cycle
that broke whichever was imported first.
"""

from __future__ import annotations

WORDS = ("watch", "unwatch", "watches", "digest")


def split_first_word(text: str) -> tuple[str, str]:
    """(the first word, lower-cased; the rest)."""
    words = text.split(None, 1)
    if not words:
        return "", ""
    return words[0].lower(), words[1].strip() if len(words) > 1 else ""


def is_watch_command(text: str) -> bool:
    """The text starts with one of the watch sub-commands (`WORDS`)."""
    return split_first_word(text)[0] in WORDS
