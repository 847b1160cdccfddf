"""`/origin502 watch|unwatch|watches|digest …`: watched origins and channel digests.

One listener per sub-command, picked by the first word of the `/origin502` text (`WORDS`).
Like every listener: parse without I/O, ack (with the answer when the input is bad), then do
the Redis work (bot/watching.py) after the acknowledgement.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from slack_bolt import Ack, App, Respond

from bot import watching
from bot.accepting import Declined, Wording, accept
from bot.command_words import split_first_word
from bot.commands.received import received
from bot.deps import Deps
from bot.render import watches as render
from bot.render.message import Message
from bot.replying import ephemeral, via_respond
from bot.settings import COMMAND
from workers import metrics
from workers.options import request_from_text
from workers.target import TargetError
from workers.watches.schedule import (
    DEFAULT_INTERVAL,
    DigestNow,
    DigestOff,
    ScheduleError,
    parse_digest,
    parse_interval,
)

EVERY = ("--every",)
WATCH_WORDING = Wording(help=render.watch_usage, invalid=render.bad_watch_input)


def _says(word: str) -> Callable[[dict[str, Any]], bool]:
    """A Bolt matcher: the `/origin502` text starts with `word`."""
    def matches(command: dict[str, Any]) -> bool:
        return split_first_word(str(command.get("text") or ""))[0] == word

    return matches


@dataclass(frozen=True)
class WatchArgs:
    target_text: str  # TARGET [options] without --every
    interval: int


def split_every(text: str) -> WatchArgs:
    """Take `--every X` out of `TARGET [options] [--every X]`; ScheduleError when X is bad."""
    try:
        tokens = shlex.split(text)
    except ValueError:
        tokens = text.split()
    kept: list[str] = []
    interval = parse_interval(DEFAULT_INTERVAL)
    index = 0
    while index < len(tokens):
        token = tokens[index].replace("\u2014", "--").replace("\u2013", "--")
        name, eq, value = token.partition("=")
        if name in EVERY:
            if not eq:
                if index + 1 >= len(tokens):
                    raise ScheduleError("--every needs a value: 5m, 15m or 1h")
                value = tokens[index + 1]
                index += 1
            interval = parse_interval(value)
        else:
            kept.append(tokens[index])
        index += 1
    return WatchArgs(" ".join(shlex.quote(t) for t in kept), interval)


def _in_channel(respond: Respond) -> Callable[[Message], None]:
    def say(message: Message) -> None:
        respond(response_type="in_channel", replace_original=False, **message.payload())

    return say


def _arrived(command: dict[str, Any]) -> tuple[str, str, str, str]:
    """(word, rest, channel, user) of a sub-command, counted and logged."""
    word, rest = split_first_word(received(command))
    metrics.COMMANDS_RECEIVED.labels(kind=word).inc()
    return word, rest, str(command["channel_id"]), str(command["user_id"])


def register(app: App, deps: Deps) -> None:
    @app.command(COMMAND, matchers=[_says("watch")])
    def on_watch(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        _, rest, channel, user = _arrived(command)
        try:
            args = split_every(rest)
        except ScheduleError as exc:
            ack(**ephemeral(render.bad_watch_input(str(exc))))
            return
        if not args.target_text:
            ack(**ephemeral(render.watch_usage("say which origin to watch")))
            return
        outcome = accept(args.target_text, deps.settings, WATCH_WORDING)
        if isinstance(outcome, Declined):
            ack(**ephemeral(outcome.message))
            return
        ack()

        def work() -> None:
            watched = watching.start_watch(deps.redis, outcome.request, text=outcome.text,
                                           interval=args.interval, channel=channel, user=user)
            _in_channel(respond)(render.watching(watched.spec, user, new=watched.new,
                                                 next_at=watched.next_at))

        deps.background.submit(work, via_respond(respond))

    @app.command(COMMAND, matchers=[_says("unwatch")])
    def on_unwatch(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        _, rest, channel, user = _arrived(command)
        if not rest:
            ack(**ephemeral(render.watch_usage("say which origin to stop watching")))
            return
        try:
            # Built as `watch` builds it, so the same words name the same watch.
            request = request_from_text(split_every(rest).target_text,
                                        allow_private=deps.settings.allow_private_targets)
        except (ScheduleError, TargetError) as exc:
            ack(**ephemeral(render.bad_watch_input(str(exc))))
            return
        if deps.settings.ca_file is not None:
            request = replace(request, options=replace(request.options,
                                                       ca_file=deps.settings.ca_file))
        ack()
        reply = via_respond(respond)

        def work() -> None:
            outcome = watching.stop_watch(deps.redis, request, channel=channel)
            if outcome.removed:
                _in_channel(respond)(render.unwatched([s.name for s in outcome.removed], user))
            elif outcome.ambiguous:
                reply(render.ambiguous(rest, outcome.ambiguous))
            else:
                reply(render.not_watched(rest, outcome.candidates))

        deps.background.submit(work, reply)

    @app.command(COMMAND, matchers=[_says("watches")])
    def on_watches(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        _, _, channel, _ = _arrived(command)
        ack()
        reply = via_respond(respond)

        def work() -> None:
            listing = watching.channel_watches(deps.redis, channel)
            reply(render.watches_list(listing.watches, listing.now))

        deps.background.submit(work, reply)

    @app.command(COMMAND, matchers=[_says("digest")])
    def on_digest(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        _, rest, channel, _ = _arrived(command)
        try:
            parsed = parse_digest(rest.split())
        except ScheduleError as exc:
            ack(**ephemeral(render.bad_watch_input(str(exc))))
            return
        ack()
        reply = via_respond(respond)

        def work() -> None:
            if isinstance(parsed, DigestNow):
                watching.digest_now(deps.redis, channel)
                reply(render.digest_coming())
            elif isinstance(parsed, DigestOff):
                watching.stop_digest(deps.redis, channel)
                _in_channel(respond)(render.digest_stopped())
            else:
                next_at = watching.schedule_digest(deps.redis, channel, parsed)
                _in_channel(respond)(render.digest_scheduled(parsed, next_at))

        deps.background.submit(work, reply)
