"""Values an origin (or a user) writes to take over a Slack message, and the check that none
of their markup took effect in what the app sent."""

from __future__ import annotations

from tests.bot.mrkdwn import Rendered, unshown_delimiters

# Each word comes wrapped in the markup it tests; a word shown without it was formatted.
FORMATTING = "*bold502* _italic502_ ~strike502~ `code502`"
QUOTE = "\n> quote502"
MARKS = (("bold502", "*"), ("italic502", "_"), ("strike502", "~"), ("code502", "`"),
         ("quote502", ">"))


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
