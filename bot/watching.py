"""Watches from Slack, the service the listeners call: create and remove watches (shared by
`/origin502 watch`, the Watch button and `/origin502 unwatch`), list them, set a channel's
digest. Raises redis.exceptions.RedisError when the queue is unreachable."""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis

from workers.models import ProbeRequest
from workers.watches.alerts import WatchState
from workers.watches.clock import clock_from_env
from workers.watches.dispatch import enqueue_digest
from workers.watches.model import WatchSpec, watch_id_for
from workers.watches.schedule import DigestSchedule, next_digest_at
from workers.watches.store import WatchStore, watch_member


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
    due = store.due_at(watch_member(spec.watch_id))
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


@dataclass(frozen=True)
class Listing:
    watches: list[tuple[WatchSpec, WatchState | None]]  # each with its last result, if any
    now: float


def channel_watches(connection: Redis, channel: str) -> Listing:
    """What a channel watches (`/origin502 watches`)."""
    store = WatchStore(connection)
    return _with_states(store, store.channel_watches(channel))


def user_watches(connection: Redis, user: str) -> Listing:
    """What a user asked to watch, across channels (App Home)."""
    store = WatchStore(connection)
    return _with_states(store, store.user_watches(user))


def _with_states(store: WatchStore, specs: list[WatchSpec]) -> Listing:
    states = store.states([s.watch_id for s in specs])
    return Listing([(s, states.get(s.watch_id)) for s in specs], clock_from_env().now())


def digest_now(connection: Redis, channel: str) -> None:
    """Queue the channel's digest at once (`digest now`), whatever its schedule."""
    enqueue_digest(connection, channel, clock_from_env().now(), on_demand=True)


def stop_digest(connection: Redis, channel: str) -> None:
    WatchStore(connection).set_digest(channel, None)


def schedule_digest(connection: Redis, channel: str, schedule: DigestSchedule) -> float:
    """Post the channel's digest on `schedule`; returns when the first one is due."""
    store = WatchStore(connection)
    next_at = next_digest_at(schedule, clock_from_env().now())
    store.ensure_schema()
    store.set_digest(channel, schedule, due_at=next_at)
    return next_at
