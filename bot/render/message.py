"""A message as Slack takes it: blocks plus the plain-text fallback, and the helpers that keep
blocks within Slack's limits (3,000 characters a section, 50 blocks a message)."""

from __future__ import annotations

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
    `<@U…>` and `<url|text>` in the fallback too, and notifies from it.
    """

    text: str
    blocks: list[Block] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        """The JSON-ready `text` and `blocks` arguments of chat.postMessage / chat.update."""
        return {
            "text": escape(clip(self.text, FALLBACK_LIMIT)),
            "blocks": [block.to_dict() for block in self.blocks],
        }


def escape(text: object) -> str:
    """Escape text from users or origins so Slack shows it as typed, not as markup."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(text: str) -> SectionBlock:
    """One mrkdwn section; text past Slack's limit is cut with an ellipsis."""
    return SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_LIMIT)))


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
            chunks.append(line[:SECTION_LIMIT])
            line = line[SECTION_LIMIT:]
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
        elements=[MarkdownTextObject(text=clip(t, SECTION_LIMIT)) for t in texts[:10] if t]
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
