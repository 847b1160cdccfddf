"""What the Slack side keeps in Redis: the Slack record of each run, the thread index, the
marks that make a post happen once, and the requests already acted on.

The run records themselves belong to workers/jobs/run_record.py; the probe workers never read or
write anything here. Keys (every one starts with `origin502:`):

    origin502:run:{run_id}              HASH    the fields of `RunDelivery`, beside the run's
                                                own (same hash, so they expire with the run
                                                and a discarded run takes them along)
    origin502:thread:{channel}:{ts}     STRING  the latest run of a Slack thread (RUN_TTL)
    origin502:lock:run:{run_id}         lock    held while a delivery job syncs the run
    origin502:posting:{key}             STRING  a post of that key was sent, maybe accepted
    origin502:posted:{key}              STRING  the Slack ts of the post of that key (RUN_TTL)
    origin502:delivered:{key}           STRING  a Slack request already acted on (SEEN_TTL)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any

from redis import Redis
from redis.client import Pipeline
from redis.typing import EncodableT

from workers.jobs.lease import leased_lock
from workers.jobs.run_record import PREFIX, RUN_TTL, RunStore

# Longer than the signature window on either side of now (Bolt allows 5 minutes of skew),
# and than Slack's event retries (the last one about 5 minutes after the first try).
SEEN_TTL = 15 * 60


@dataclass
class RunDelivery:
    """Where a run is answered in Slack, and how much of the answer is already there."""

    response_url: str | None = None  # the command's; None for buttons without one, mentions
    # The parent message the whole conversation hangs under; None until it is posted (and
    # for ever when the bot could not post in the channel).
    thread_ts: str | None = None
    # This run's own status message: the parent for a first run, a reply for a re-run.
    message_ts: str | None = None
    # The bot is not in the channel: answers go to response_url instead of a thread.
    fallback: bool = False
    result_posted: bool = False
    result_parts: int = 0  # thread replies of the result already posted (resume after a failure)
    failure_posted: bool = False
    rendered: str | None = None  # digest of the last status message sent, to skip no-op updates


_FIELDS = tuple(f.name for f in fields(RunDelivery))
_BOOL_FIELDS = {"fallback", "result_posted", "failure_posted"}
_INT_FIELDS = {"result_parts"}


def _encode(name: str, value: Any) -> str:
    if name in _BOOL_FIELDS:
        return "1" if value else "0"
    return str(value)


def _decode(name: str, raw: str) -> Any:
    if name in _BOOL_FIELDS:
        return raw == "1"
    if name in _INT_FIELDS:
        return int(raw)
    return raw


def _text(raw: Any) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


class SlackStore:
    def __init__(self, connection: Redis) -> None:
        self.redis = connection

    # -- keys -------------------------------------------------------------------------------
    @staticmethod
    def _thread_key(channel: str, thread_ts: str) -> str:
        return f"{PREFIX}:thread:{channel}:{thread_ts}"

    @staticmethod
    def _posted_key(key: str) -> str:
        return f"{PREFIX}:posted:{key}"

    @staticmethod
    def _flight_key(key: str) -> str:
        return f"{PREFIX}:posting:{key}"

    @staticmethod
    def _seen_key(key: str) -> str:
        return f"{PREFIX}:delivered:{key}"

    # -- the Slack record of a run ----------------------------------------------------------
    def delivery(self, run_id: str) -> RunDelivery:
        """The run's Slack record; all defaults when nothing was written (or the run is gone:
        read the run itself to tell)."""
        raws = self.redis.hmget(RunStore.run_key(run_id), list(_FIELDS))
        values = {name: _decode(name, _text(raw))
                  for name, raw in zip(_FIELDS, raws, strict=True) if raw is not None}
        return RunDelivery(**values)

    @staticmethod
    def fields(delivery: RunDelivery) -> dict[EncodableT, EncodableT]:
        """The record's fields as stored in the run's hash, for a caller that writes them
        along with the run (RunStore.open)."""
        return {name: _encode(name, value) for name, value in vars(delivery).items()
                if value is not None}

    def save(self, run_id: str, delivery: RunDelivery, pipeline: Pipeline | None = None) -> None:
        """Write the record of a run just created; with `pipeline`, only add the commands."""
        mapping = self.fields(delivery)
        target = pipeline if pipeline is not None else self.redis
        target.hset(RunStore.run_key(run_id), mapping=mapping)

    def update(self, run_id: str, **changes: Any) -> None:
        """Set some fields of the run's Slack record; None removes a field."""
        key = RunStore.run_key(run_id)
        with self.redis.pipeline() as pipe:
            for name, value in changes.items():
                if name not in _FIELDS:
                    raise KeyError(name)
                if value is None:
                    pipe.hdel(key, name)
                else:
                    pipe.hset(key, name, _encode(name, value))
            pipe.execute()

    @contextmanager
    def locked(self, run_id: str, *, wait: float) -> Iterator[None]:
        """Hold the run for one delivery job; a short lease renewed while held, so a killed
        holder delays the next job by seconds (workers/jobs/lease.py)."""
        with leased_lock(self.redis, f"{PREFIX}:lock:run:{run_id}", wait=wait):
            yield

    # -- threads ----------------------------------------------------------------------------
    def link_thread(
        self, channel: str, thread_ts: str, run_id: str, pipeline: Pipeline | None = None
    ) -> None:
        """Make `run_id` the latest run of a thread (what a mention in it re-runs)."""
        target = pipeline if pipeline is not None else self.redis
        target.set(self._thread_key(channel, thread_ts), run_id, ex=RUN_TTL)

    def thread_run(self, channel: str, thread_ts: str) -> str | None:
        raw = self.redis.get(self._thread_key(channel, thread_ts))
        return _text(raw) if raw is not None else None

    # -- posts made once (bot/delivery/once.py) ---------------------------------------------
    def posted(self, key: str) -> str | None:
        """The Slack ts of the post of `key`, once it is known."""
        raw = self.redis.get(self._posted_key(key))
        return _text(raw) if raw is not None else None

    def mark_posted(self, key: str, ts: str) -> None:
        self.redis.set(self._posted_key(key), ts, ex=RUN_TTL)

    def in_flight(self, key: str) -> bool:
        """True when a post of `key` was sent before, and may have been accepted."""
        return bool(self.redis.exists(self._flight_key(key)))

    def mark_in_flight(self, key: str) -> None:
        self.redis.set(self._flight_key(key), "1", ex=RUN_TTL)

    # -- requests acted on (bot/idempotency.py) ---------------------------------------------
    def first_delivery(self, key: str) -> bool:
        """True the first time a Slack request with `key` arrives (within SEEN_TTL)."""
        return bool(self.redis.set(self._seen_key(key), "1", nx=True, ex=SEEN_TTL))

    def seen_mark(self, key: str) -> tuple[str, int]:
        """The mark `first_delivery` sets for `key`, and its TTL, for a script that claims it
        along with other writes (RunStore.open, for a slash command's run)."""
        return self._seen_key(key), SEEN_TTL
