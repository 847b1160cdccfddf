"""Creating and removing watches from Slack: shared by `/origin502 watch`, the Watch button
and `/origin502 unwatch`. Raises redis.exceptions.RedisError when the queue is unreachable."""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis

from workers.models import ProbeRequest
from workers.watches.clock import clock_from_env
from workers.watches.model import WatchSpec, watch_id_for
from workers.watches.store import WatchStore


@dataclass(frozen=True)
class Watched:
    spec: WatchSpec
    new: bool
    next_at: float  # when the first (or next) check runs


def start_watch(connection: Redis, request: ProbeRequest, *, text: str, interval: int,
                channel: str, user: str) -> Watched:
    """Watch `request` in `channel` every `interval` seconds; the first check runs at once.

    Watching the same target with the same options again updates the interval.
    """
    store = WatchStore(connection)
    store.ensure_schema()
    now = clock_from_env().now()
    spec = WatchSpec(
        watch_id=watch_id_for(channel, request), channel=channel, request=request.to_dict(),
        text=text, interval=interval, created_by=user, created_at=now,
        display=request.display or request.hostname, watchers=[user],
    )
    new = store.put_watch(spec, due_at=now)
    due = store.due_at(f"watch:{spec.watch_id}")
    return Watched(spec=spec, new=new, next_at=due if due is not None else now)


@dataclass(frozen=True)
class Unwatched:
    removed: list[WatchSpec]
    # When nothing was removed: the texts watched under that name (several option sets), or
    # every watched name of the channel (no watch of that name at all).
    ambiguous: list[str]
    candidates: list[str]


def stop_watch(connection: Redis, request: ProbeRequest, *, channel: str) -> Unwatched:
    """Unwatch the exact target+options if watched, else the only watch of that name."""
    store = WatchStore(connection)
    exact = store.spec(watch_id_for(channel, request))
    if exact is not None:
        store.remove_watch(exact)
        return Unwatched([exact], [], [])
    watched = store.channel_watches(channel)
    same_name = [s for s in watched if s.request.get("hostname") == request.hostname]
    if len(same_name) == 1:
        store.remove_watch(same_name[0])
        return Unwatched(same_name, [], [])
    if same_name:
        return Unwatched([], [s.text for s in same_name], [])
    return Unwatched([], [], [s.name for s in watched])
