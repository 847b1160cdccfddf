"""A message as Slack takes it: blocks plus the plain-text fallback, and the helpers that keep
blocks within Slack's limits (3,000 characters a section, 50 blocks a message)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

SECTION_LIMIT = 3000
HEADER_LIMIT = 150
FALLBACK_LIMIT = 3000
# Slack allows 50; a little headroom keeps a continuation note possible.
MAX_BLOCKS = 48


@dataclass
class Message:
    """One Slack message: `text` is what notifications and screen readers show.

    `text` is plain: it is written from raw values (target names, certificate names, finding
    summaries an origin can shape) and escaped once, here, because Slack reads `<!channel>`,
    `<@U…>`, `<url|text>` and `*bold*` in the fallback too, and notifies from it.
    """

    text: str
    blocks: list[Block] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        """The JSON-ready `text` and `blocks` arguments of chat.postMessage / chat.update."""
        return {
            "text": escape(clip(self.text, FALLBACK_LIMIT)),
            "blocks": [block.to_dict() for block in self.blocks],
        }


# Slack's formatting characters have no escape in mrkdwn (only &, < and > have entities), so
# text from users or origins shows look-alikes in their place: `*x*` shows as ∗x∗, not bold.
LOOKALIKES = {"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"}
# A delimiter between two letters or digits can neither open nor close a span in Slack
# (`snake_case` stays as typed), so it is left alone; any other one is replaced.
_LIVE_DELIMITER = re.compile(r"`|(?<![A-Za-z0-9])[*_~]|[*_~](?![A-Za-z0-9])")
# `>` (or `&gt;`) at the start of a line quotes it; a soft hyphen before it is invisible and
# breaks the quote.
_QUOTE_START = re.compile(r"^(\s*)(?=&gt;)", re.MULTILINE)
SOFT_HYPHEN = "\u00ad"
# Slack shows `:name:` as an emoji (a workspace's custom ones too, named by its members), and
# mrkdwn has no escape for it. A zero-width space right after a colon that opens such a run
# splits the name, so no emoji can form there; being invisible it keeps times (12:30:45),
# IPv6 addresses and "CN=a:b:c" reading exactly as typed, where a look-alike colon would show
# as a different glyph (a copied value does carry the invisible character: the price of there
# being no escape). Only colons that open a run get one, so "Host: x", "https://" and "a:b"
# are untouched. Names are taken liberally (letters of any case or script, digits, `_`, `+`,
# `-`, `'`): Slack does not document which it matches, and a missed one is a live emoji.
ZERO_WIDTH_SPACE = "\u200b"
_EMOJI_OPENER = re.compile(r":(?=[\w+'-]+:)")
# Longest value shown as inline code: far below a section's 3,000 characters, so a split or a
# clip can always fall before a span rather than inside it (see _span_safe_cut).
CODE_LIMIT = 500


def entities(text: object) -> str:
    """Slack's three control characters as entities: no mention, channel ping or link."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# An IPv6 address (bracketed or with a zone, as the reports print them) is left whole: people
# copy addresses out of a thread into a terminal, and a hidden character would break the paste.
# Its runs are hex groups of at most four characters, which can only form a workspace's custom
# emoji named like one; that is the one risk kept.
_NAME_OR_COLON = re.compile(r"[\w+'\-:]")
_IPV6_TOKEN = re.compile(r"\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[\w.-]+)?\]?")


def _is_ipv6(token: str) -> bool:
    try:
        ipaddress.IPv6Address(token.strip("[]"))
    except ValueError:
        return False
    return True


def _stands_alone(text: str, start: int, end: int) -> bool:
    """Whether no `:name:` run can cross the ends of text[start:end]: a bracket closes one, a
    neighbouring colon or name character could carry one in or out."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return ((text[start] == "[" or not _NAME_OR_COLON.match(before))
            and (text[end - 1] == "]" or not _NAME_OR_COLON.match(after)))


def no_emoji(text: str) -> str:
    """`text` with every `:name:` run split after its opening colon: Slack shows no emoji
    from it, IPv6 addresses excepted. Run last: a look-alike put in before (ˋ is a letter)
    could complete a name."""
    kept = [(m.start(), m.end()) for m in _IPV6_TOKEN.finditer(text)
            if _is_ipv6(m.group()) and _stands_alone(text, m.start(), m.end())]
    if not kept:
        return _EMOJI_OPENER.sub(":" + ZERO_WIDTH_SPACE, text)
    out: list[str] = []
    last = 0
    for start, end in kept:
        out.append(_EMOJI_OPENER.sub(":" + ZERO_WIDTH_SPACE, text[last:start]))
        out.append(text[start:end])
        last = end
    out.append(_EMOJI_OPENER.sub(":" + ZERO_WIDTH_SPACE, text[last:]))
    return "".join(out)


def escape(text: object) -> str:
    """Text from users or origins as Slack shows it as typed: no mention, link, ping, bold,
    italic, strike-through, code, quote or emoji that the text itself wrote takes effect."""
    inert = _LIVE_DELIMITER.sub(lambda m: LOOKALIKES[m.group()], entities(text))
    return no_emoji(_QUOTE_START.sub(lambda m: m.group(1) + SOFT_HYPHEN, inert))


def code(value: object) -> str:
    """A value an origin (or a user) chose, as inline code: shown exactly and in monospace,
    since Slack formats nothing inside a code span. What Slack still reads there is kept out:
    `<`, `>` and `&` become entities, a backtick (which would end the span; Slack has no way to
    show one inside) becomes ˋ, and line breaks become spaces (a code span is one line).
    `:name:` runs are split as in `escape`: Slack's documentation does not say whether a code
    span shows emoji, so it is not trusted to keep them out."""
    text = " ".join(str(value).splitlines()).strip()
    if not text:
        return "(empty)"
    return "`" + no_emoji(entities(clip(text, CODE_LIMIT)).replace("`", LOOKALIKES["`"])) + "`"


def with_code(text: str) -> str:
    """Our wording with `code` spans (the catalog's commands), around values filled in from a
    report: the spans stay code, everything is escaped. The diagnosis rules keep filled-in
    values from carrying a backtick, so a value cannot open or close a span here."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: show it all as typed
        return escape(text)
    return "".join(code(part) if odd else escape(part)
                   for odd, part in ((i % 2 == 1, p) for i, p in enumerate(parts)))


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _span_safe_cut(text: str, limit: int) -> int:
    """Where to cut mrkdwn at most `limit` long outside any code span. Every backtick in what
    this package writes opens or closes a span (values carry none), so an odd count before
    the cut means it falls inside one: cut before that span instead, or its value would show
    as mrkdwn after the cut."""
    if text[:limit].count("`") % 2 == 0:
        return limit
    start = text.rfind("`", 0, limit)
    return start if start > 0 else limit


def clip_mrkdwn(text: str, limit: int) -> str:
    """`clip` for mrkdwn: the cut never leaves a code span open."""
    if len(text) <= limit:
        return text
    return text[: _span_safe_cut(text, limit - 1)] + "…"


def section(text: str) -> SectionBlock:
    """One mrkdwn section; text past Slack's limit is cut with an ellipsis."""
    return SectionBlock(text=MarkdownTextObject(text=clip_mrkdwn(text, SECTION_LIMIT)))


def sections(text: str) -> list[SectionBlock]:
    """Long mrkdwn split into as many sections as needed, at line boundaries when possible."""
    chunks: list[str] = []
    current = ""
    for raw_line in text.split("\n"):
        line = raw_line
        while len(line) > SECTION_LIMIT:
            if current:
                chunks.append(current)
                current = ""
            cut = _span_safe_cut(line, SECTION_LIMIT)
            chunks.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > SECTION_LIMIT:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return [section(chunk) for chunk in chunks if chunk.strip()]


def context(*texts: str) -> ContextBlock:
    return ContextBlock(
        elements=[MarkdownTextObject(text=clip_mrkdwn(t, SECTION_LIMIT)) for t in texts[:10]
                  if t]
    )


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=clip(text, HEADER_LIMIT), emoji=True))


def divider() -> DividerBlock:
    return DividerBlock()


def paginate(blocks: list[Block], fallback: str, *, continued: str) -> list[Message]:
    """Split `blocks` into messages of at most MAX_BLOCKS blocks.

    Every message gets a fallback text; the later ones say they continue the first.
    """
    if not blocks:
        return [Message(text=fallback, blocks=[section(escape(fallback))])]
    pages: list[list[Block]] = []
    for start in range(0, len(blocks), MAX_BLOCKS):
        pages.append(blocks[start : start + MAX_BLOCKS])
    messages = []
    for number, page in enumerate(pages, start=1):
        if number == 1:
            messages.append(Message(text=fallback, blocks=page))
        else:
            note = f"{continued} ({number}/{len(pages)})"
            messages.append(Message(text=note, blocks=[context(escape(note)), *page]))
    return messages
