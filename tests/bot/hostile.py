"""Values an origin (or a user) writes to take over a Slack message, and the check that none
of their markup took effect in what the app sent."""

from __future__ import annotations

from tests.bot.mrkdwn import Rendered, emoji, unshown_delimiters

# Each word comes wrapped in the markup it tests; a word shown without it was formatted.
# `:emoji502:` is a name a workspace could give its own emoji (54 characters in all: the
# whole string still fits a certificate's Common Name, at most 64).
FORMATTING = "*bold502* _italic502_ ~strike502~ `code502` :emoji502:"
QUOTE = "\n> quote502"
MARKS = (("bold502", "*"), ("italic502", "_"), ("strike502", "~"), ("code502", "`"),
         ("emoji502", ":"), ("quote502", ">"))
# Standard emoji an origin could use to make a failing report look fine. Our own wording uses
# both, but never side by side, so this pair shown as pictures came from the origin.
EMOJI = ":white_check_mark: :warning:"
EMOJI_TAKEN = f"{emoji('white_check_mark')} {emoji('warning')}"


def formatting_taken(renderings: list[Rendered], *, words: tuple[str, ...] = ()) -> list[str]:
    """Where a hostile word was shown with its markup applied (bold, code, a quote…)."""
    taken = []
    for rendered in renderings:
        for word, mark in MARKS:
            if not words or word in words:
                taken += [f"{word}: …{where}… in {rendered.source[:200]!r}"
                          for where in unshown_delimiters(rendered, word, mark)]
    return taken


def shown(renderings: list[Rendered]) -> set[str]:
    """The hostile words some rendering shows: the check above is not vacuous for these."""
    return {word for word, _ in MARKS for r in renderings if word in r.visible}


def emoji_taken(renderings: list[Rendered]) -> list[str]:
    """Where the origin's `EMOJI` was shown as pictures."""
    return [r.source[:200] for r in renderings if EMOJI_TAKEN in r.visible]


def emoji_shown(renderings: list[Rendered]) -> bool:
    """Whether some rendering shows the origin's `EMOJI` as typed (the check above is then
    not vacuous)."""
    return any(EMOJI in r.visible for r in renderings)
