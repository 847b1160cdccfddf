"""What someone typed after `/origin502` or `@origin502`, read without any I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.safety import refusal
from workers.models import ProbeRequest
from workers.options import request_from_text
from workers.target import TargetError

HELP_WORDS = {"", "help", "-h", "--help", "?", "usage"}
MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Invalid:
    problem: str  # one line for the user


@dataclass(frozen=True)
class Refused:
    target: str
    reason: str


@dataclass(frozen=True)
class Accepted:
    request: ProbeRequest
    text: str  # TARGET [options] as it will be stored for later re-runs


Interpretation = Help | Invalid | Refused | Accepted


def interpret(text: str, *, allow_private: bool, ca_file: str | None = None) -> Interpretation:
    """Read `TARGET [options]`: help, a problem to report, a refusal, or a request to run.

    `ca_file` is the operator's ORIGIN502_CA_FILE. Slack users cannot name files: the text is
    parsed as untrusted, so options naming files are refused after parsing, in whatever
    spelling click accepted them, and no path from the text is ever opened or looked at.
    """
    text = text.strip()
    if text.lower() in HELP_WORDS:
        return Help()
    try:
        request = request_from_text(text, allow_private=allow_private, untrusted=True)
    except TargetError as exc:
        return Invalid(str(exc))
    if ca_file is not None:
        request = replace(request, options=replace(request.options, ca_file=ca_file))
    if not allow_private:
        refused = refusal(request)
        if refused is not None:
            return Refused(*refused)
    return Accepted(request=request, text=text)


def strip_mentions(text: str) -> str:
    return MENTION.sub(" ", text).strip()


def compose_mention(previous_text: str, mention_text: str) -> str:
    """The text to run for a mention in a result thread.

    Options alone change the thread's run (later options win over earlier ones); a new
    target starts over with only what the mention says.
    """
    said = strip_mentions(mention_text)
    if not said:
        return previous_text
    first = said.split()[0]
    if first.startswith(("-", "\u2014", "\u2013")):
        return f"{previous_text} {said}"
    return said
