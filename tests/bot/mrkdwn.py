"""How Slack shows a mrkdwn text, as far as the tests need to know what a reader would see.

Slack documents the syntax (`*bold*`, `_italic_`, `~strike~`, `` `code` ``, ```` ``` ````
blocks, `>` quotes at the start of a line, `<…>` control sequences, `&amp;` `&lt;` `&gt;`) but
not its exact parser, so this model leans to the side a safety test needs:

* emphasis is *liberal*: a delimiter opens wherever it is not glued to a letter or digit
  before it and has a non-space after it, and closes symmetrically — if Slack might make it
  bold, this does (a zero-width space counts as a boundary, as it does in Slack);
* code spans are *strict*: a backtick pair is code only when both ends sit on a boundary and
  the content neither starts nor ends with a space — if Slack might not make it code, this
  does not, and the content is then read for emphasis like any other text;
* control sequences (`<!channel>`, `<@U…>`, `<url|text>`) are read everywhere, inside code too,
  and a line that starts with `>` or `&gt;` is a quote (a soft hyphen before it is not);
* emoji are *liberal*: any `:name:` run (letters or digits of any script, `_`, `+`, `-`, `'`)
  is an emoji, since a workspace can name its own; wherever it stands (glued to a word, in
  code, in a link's label, sharing a colon with the next one), because Slack does not document
  where it stops reading them. A zero-width space in the name breaks it, as it does emphasis.

`render` returns the text as shown (delimiters that took effect removed, entities decoded,
links shown by their label, each emoji as `emoji(name)`, zero-width spaces dropped: a reader
does not see them) and the styles applied, each with the text it covers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

CONTROL = re.compile(r"<(?:[!@#]|[a-z][a-z0-9+.-]*:)[^>]*>", re.IGNORECASE)
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))
_ATOM = 0xE000  # private-use code points stand for spans already rendered (code, controls)
_WORD = "A-Za-z0-9"
# A delimiter on a boundary: not after a letter or digit, content starting and ending with a
# non-space, not before a letter or digit. Atoms count as neither letters nor spaces.
_EMPHASIS = {
    style: re.compile(rf"(?<![{_WORD}]){re.escape(mark)}(?=\S)([^\n]*?\S){re.escape(mark)}"
                      rf"(?![{_WORD}])")
    for style, mark in (("bold", "*"), ("italic", "_"), ("strike", "~"))
}
_CODE = re.compile(r"(?<!\w)`([^\s`](?:[^`\n]*?[^\s`])?)`(?!\w)")
_PRE = re.compile(r"```(.+?)```", re.DOTALL)
# Runs may share a colon (`:a:b:` holds `:a:` and `:b:`), so every opening colon is tried.
_EMOJI = re.compile(r"(?=:([\w+'-]+):)")
_EMOJI_SHOWN = re.compile(r":([\w+'-]+):")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def emoji(name: str) -> str:
    """How `render` shows the emoji `:name:`: a picture, not the text a reader could read."""
    return f"\u27ea{name}\u27eb"


@dataclass
class Rendered:
    source: str
    visible: str
    styles: list[tuple[str, str]] = field(default_factory=list)


def _decode(text: str) -> str:
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text


def render(text: str) -> Rendered:
    atoms: list[str] = []
    styles: list[tuple[str, str]] = []

    def atom(shown: str) -> str:
        atoms.append(shown)
        return chr(_ATOM + len(atoms) - 1)

    def expand(part: str) -> str:
        return re.sub("[\ue000-\uf8ff]", lambda m: expand(atoms[ord(m.group()) - _ATOM]), part)

    def control(match: re.Match[str]) -> str:
        body = match.group()[1:-1]
        styles.append(("control", match.group()))
        label = body.split("|", 1)[1] if "|" in body else body
        return atom(_decode(label))

    def pre(match: re.Match[str]) -> str:
        styles.append(("pre", expand(match.group(1))))
        return atom(_decode(match.group(1)))

    def code(match: re.Match[str]) -> str:
        styles.append(("code", _decode(expand(match.group(1)))))
        return atom(_decode(match.group(1)))

    def emphasise(line: str) -> str:
        for style, pattern in _EMPHASIS.items():
            def emphasis(match: re.Match[str], style: str = style) -> str:
                styles.append((style, _decode(expand(match.group(1)))))
                return match.group(1)

            # Again until nothing changes: spans nest (`*_x_*`) and follow each other.
            changed = pattern.sub(emphasis, line)
            while changed != line:
                line, changed = changed, pattern.sub(emphasis, changed)
        return line

    def line_of(raw: str) -> str:
        quote = re.match(r"\s*(?:>|&gt;)\s?", raw)
        if quote:
            raw = raw[quote.end():]
            styles.append(("quote", _decode(expand(raw))))
        return emphasise(_CODE.sub(code, raw))

    work = _PRE.sub(pre, CONTROL.sub(control, text))
    lines = [line_of(raw) for raw in work.split("\n")]
    shown = _decode(expand("\n".join(lines)))
    styles += [("emoji", m.group(1)) for m in _EMOJI.finditer(shown)]
    shown = _EMOJI_SHOWN.sub(lambda m: emoji(m.group(1)), shown)
    return Rendered(text, _ZERO_WIDTH.sub("", shown), styles)


def texts_in(payloads: list[Any]) -> list[str]:
    """Every text Slack reads as mrkdwn in these API arguments (chat.postMessage, chat.update,
    views.publish, response_url bodies): the top-level `text` (notifications read it, and
    messages without blocks show it) and every mrkdwn text object (sections, their fields,
    context elements). plain_text objects are shown verbatim, so they are not read."""
    found: list[str] = []

    def walk(node: Any, *, top: bool = False) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                found.append(node["text"])
            if top and isinstance(node.get("text"), str):
                found.append(node["text"])
            for key, value in node.items():
                if key in ("blocks", "view", "attachments") and isinstance(value, str):
                    walk(json.loads(value))  # form-encoded calls send these as JSON
                elif key != "text" or not isinstance(value, str):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for payload in payloads:
        walk(payload, top=True)
    return found


# Each marker and the characters that show its delimiters (Slack's and the look-alikes
# origin502 puts in their place): if a marker is shown without them, its markup took effect.
DELIMITERS = {"*": "*\u2217", "_": "_\u02cd", "~": "~\u223c", "`": "`\u02cb", ":": ":"}


def unshown_delimiters(rendered: Rendered, word: str, mark: str) -> list[str]:
    """Places where ``word`` is shown without the ``mark`` an origin wrote around it: there,
    Slack applied the markup. ``mark`` ">" checks a quote: the word must follow a visible "> "."""
    found = []
    for match in re.finditer(re.escape(word), rendered.visible):
        start, end = match.start(), match.end()
        before, after = rendered.visible[start - 1 : start], rendered.visible[end : end + 1]
        if mark == ">":
            ok = rendered.visible[max(0, start - 2) : start] == "> "
        else:
            ok = before in DELIMITERS[mark] and before != "" and after in DELIMITERS[mark] \
                and after != ""
        if not ok:
            found.append(rendered.visible[max(0, start - 20) : end + 20])
    return found
