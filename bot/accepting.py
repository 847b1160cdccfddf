"""The ladder every listener that starts something climbs: read the text, answer help, a
problem or a refusal instead of starting anything, else hand back the request to start; once
started, point a request that joined a run already going at that run.

What is said for help and for a problem depends on where the text came from (a command, a
mention, the stored text of a button's run); a refusal reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from slack_sdk import WebClient

from bot.parse import Accepted, Help, Invalid, Refused, interpret
from bot.render import replies
from bot.render.message import Message
from bot.replying import permalink
from bot.runs import Started
from bot.settings import Settings


@dataclass(frozen=True)
class Wording:
    """How one entry point answers help and a problem with the text."""

    help: Callable[[], Message]
    invalid: Callable[[str], Message]


def command_wording(command: str, *, aws: Callable[[], bool]) -> Wording:
    """`/origin502 …` (and `@origin502 …` outside a result thread, with its own help)."""
    return Wording(help=lambda: replies.usage(command, aws=aws()),
                   invalid=lambda problem: replies.bad_input(problem, command))


# The text of a run stored days ago that today's settings no longer accept: the run is as good
# as gone, whatever the reason.
STORED_RUN = Wording(help=replies.expired_run, invalid=lambda _problem: replies.expired_run())


@dataclass(frozen=True)
class Declined:
    """Nothing starts; `message` is the whole answer."""

    kind: Literal["help", "invalid", "refused"]
    message: Message


def accept(text: str, settings: Settings, wording: Wording) -> Accepted | Declined:
    """The request `text` asks for, or the answer to give instead. No I/O: safe before the ack."""
    result = interpret(text, allow_private=settings.allow_private_targets,
                       ca_file=settings.ca_file)
    if isinstance(result, Help):
        return Declined("help", wording.help())
    if isinstance(result, Invalid):
        return Declined("invalid", wording.invalid(result.problem))
    if isinstance(result, Refused):
        return Declined("refused", replies.refused(result.target, result.reason))
    return result


def joined_answer(client: WebClient, started: Started) -> Message | None:
    """For a request that joined another run: where that run is shown. None when it started
    its own run (its status message is the answer)."""
    if not started.joined:
        return None
    run = started.run
    link = permalink(client, run.channel, started.message_ts)
    return replies.joined(run.display, run.user, link, running=run.status in ("queued", "running"))
