"""`/origin502 watch|unwatch|watches|digest …`: watched origins and channel digests.

Routed here from the `/origin502` listener when the first word is one of `WORDS`. Like
every listener: parse without I/O, ack (with the answer when the input is bad), then do the
Redis work after the acknowledgement.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from slack_bolt import Ack, Respond

from bot.deps import Deps
from bot.parse import Accepted, Help, Invalid, Refused, interpret
from bot.render import replies
from bot.render import watches as render
from bot.render.message import Message
from bot.replying import via_respond
from workers import metrics
from workers.options import request_from_text
from workers.target import TargetError
from workers.watches.clock import clock_from_env
from workers.watches.queueing import enqueue_digest
from workers.watches.schedule import (
    DEFAULT_INTERVAL,
    DigestNow,
    DigestOff,
    DigestSchedule,
    ScheduleError,
    next_digest_at,
    parse_digest,
    parse_interval,
)
from workers.watches.store import WatchStore

WORDS = ("watch", "unwatch", "watches", "digest")
EVERY = ("--every",)


def is_watch_command(text: str) -> bool:
    words = text.strip().split(None, 1)
    return bool(words) and words[0].lower() in WORDS


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


def _ephemeral(message: Message) -> dict[str, Any]:
    return {"response_type": "ephemeral", **message.payload()}


def _in_channel(respond: Respond) -> Callable[[Message], None]:
    def say(message: Message) -> None:
        respond(response_type="in_channel", replace_original=False, **message.payload())

    return say


def handle(ack: Ack, command: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Answer one watch/unwatch/watches/digest command (the caller has not acked yet)."""
    text = str(command.get("text") or "").strip()
    word, _, rest = text.partition(" ")
    word, rest = word.lower(), rest.strip()
    channel, user = str(command["channel_id"]), str(command["user_id"])
    reply = via_respond(respond)
    say = _in_channel(respond)
    metrics.COMMANDS_RECEIVED.labels(kind=word).inc()

    if word == "watch":
        try:
            args = split_every(rest)
        except ScheduleError as exc:
            ack(**_ephemeral(render.bad_watch_input(str(exc))))
            return
        if not args.target_text:
            ack(**_ephemeral(render.watch_usage("say which origin to watch")))
            return
        result = interpret(args.target_text, allow_private=deps.settings.allow_private_targets,
                           ca_file=deps.settings.ca_file)
        if isinstance(result, Help):
            ack(**_ephemeral(render.watch_usage()))
            return
        if isinstance(result, Invalid):
            ack(**_ephemeral(render.bad_watch_input(result.problem)))
            return
        if isinstance(result, Refused):
            ack(**_ephemeral(replies.refused(result.target, result.reason)))
            return
        ack()
        accepted: Accepted = result

        def watch() -> None:
            from bot.watching import start_watch

            watched = start_watch(deps.redis, accepted.request, text=accepted.text,
                                  interval=args.interval, channel=channel, user=user)
            say(render.watching(watched.spec, user, new=watched.new, next_at=watched.next_at))

        deps.background.submit(watch, reply)
        return

    if word == "unwatch":
        if not rest:
            ack(**_ephemeral(render.watch_usage("say which origin to stop watching")))
            return
        try:
            args = split_every(rest)
            # Built as `watch` builds it, so the same words name the same watch.
            request = request_from_text(args.target_text,
                                        allow_private=deps.settings.allow_private_targets)
        except (ScheduleError, TargetError) as exc:
            ack(**_ephemeral(render.bad_watch_input(str(exc))))
            return
        if deps.settings.ca_file is not None:
            request = replace(request, options=replace(request.options,
                                                       ca_file=deps.settings.ca_file))
        ack()

        def unwatch() -> None:
            from bot.watching import stop_watch

            outcome = stop_watch(deps.redis, request, channel=channel)
            if outcome.removed:
                say(render.unwatched([s.name for s in outcome.removed], user))
            elif outcome.ambiguous:
                reply(render.ambiguous(rest, outcome.ambiguous))
            else:
                reply(render.not_watched(rest, outcome.candidates))

        deps.background.submit(unwatch, reply)
        return

    if word == "watches":
        ack()

        def listing() -> None:
            store = WatchStore(deps.redis)
            specs = store.channel_watches(channel)
            states = store.states([s.watch_id for s in specs])
            reply(render.watches_list([(s, states.get(s.watch_id)) for s in specs],
                                      clock_from_env().now()))

        deps.background.submit(listing, reply)
        return

    # digest
    try:
        parsed = parse_digest(rest.split())
    except ScheduleError as exc:
        ack(**_ephemeral(render.bad_watch_input(str(exc))))
        return
    ack()

    def digest() -> None:
        store = WatchStore(deps.redis)
        now = clock_from_env().now()
        if isinstance(parsed, DigestNow):
            enqueue_digest(deps.redis, channel, now, on_demand=True)
            reply(render.digest_coming())
        elif isinstance(parsed, DigestOff):
            store.set_digest(channel, None)
            say(render.digest_stopped())
        else:
            schedule: DigestSchedule = parsed
            next_at = next_digest_at(schedule, now)
            store.ensure_schema()
            store.set_digest(channel, schedule, due_at=next_at)
            say(render.digest_scheduled(schedule, next_at))

    deps.background.submit(digest, reply)
