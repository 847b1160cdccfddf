"""`origin502 scheduler`: enqueue due watch probes and digests on the RQ queues.

The schedule is in Redis (see store.py), not in this process: it can be restarted at any
time, and several replicas can run at once. A due item is claimed atomically by exactly one
replica, enqueued under a deterministic job id, and only then given its next due time; a
replica that dies between claim and enqueue leaves a lease that runs out, and the item's
occurrence is claimed again unchanged, so nothing is lost and nothing runs twice.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from prometheus_client import Counter, Gauge
from redis import Redis

from workers.models.record import Record
from workers.watches.clock import Clock
from workers.watches.dispatch import BATCH_SIZE, enqueue_digest, enqueue_watch_batch
from workers.watches.schedule import next_digest_at, next_slot, slot_offset
from workers.watches.store import WatchStore

log = logging.getLogger(__name__)

# How long a claim holds before another replica may take the item over (clock seconds).
DEFAULT_LEASE = 120.0

SCHEDULED = Counter(
    "origin502_scheduler_enqueued_total",
    "Occurrences the scheduler enqueued, by kind (watch, digest).",
    ["kind"],
)
LAST_TICK = Gauge(
    "origin502_scheduler_last_tick_timestamp_seconds",
    "When this scheduler last finished a pass over the due items (Unix time).",
)


@dataclass(eq=False, repr=False)
class TickResult(Record):
    watches: int = 0
    digests: int = 0
    batches: int = 0


class Scheduler:
    def __init__(self, connection: Redis, clock: Clock, *, batch_size: int = BATCH_SIZE,
                 lease: float = DEFAULT_LEASE) -> None:
        self.connection = connection
        self.store = WatchStore(connection)
        self.clock = clock
        self.batch_size = max(1, batch_size)
        self.lease = lease
        self.last_tick: float | None = None  # monotonic time of the last completed pass

    def tick(self) -> TickResult:
        """One pass: claim what is due now, enqueue it, schedule the next occurrences."""
        now = self.clock.now()
        result = TickResult()
        claimed = self.store.claim_due(now, lease=self.lease)
        watch_items = [(m.removeprefix("watch:"), occ) for m, occ in claimed
                       if m.startswith("watch:")]
        digest_items = [(m.removeprefix("digest:"), occ) for m, occ in claimed
                        if m.startswith("digest:")]
        nexts: dict[str, float | None] = {}

        specs = {s.watch_id: s for s in self.store.specs(w for w, _ in watch_items)}
        live = [(w, occ) for w, occ in watch_items if w in specs]
        nexts.update({f"watch:{w}": None for w, _ in watch_items if w not in specs})
        for start in range(0, len(live), self.batch_size):
            batch = live[start : start + self.batch_size]
            enqueue_watch_batch(self.connection, batch)
            result.batches += 1
        for watch_id, occurrence in live:
            interval = specs[watch_id].interval
            nexts[f"watch:{watch_id}"] = next_slot(
                interval, slot_offset(watch_id, interval), max(occurrence, now))
        result.watches = len(live)

        for channel, occurrence in digest_items:
            schedule = self.store.digest_schedule(channel)
            if schedule is None:
                nexts[f"digest:{channel}"] = None
                continue
            enqueue_digest(self.connection, channel, occurrence)
            nexts[f"digest:{channel}"] = next_digest_at(schedule, max(occurrence, now))
            result.digests += 1

        self.store.confirm(nexts)
        SCHEDULED.labels(kind="watch").inc(result.watches)
        SCHEDULED.labels(kind="digest").inc(result.digests)
        self.last_tick = time.monotonic()
        LAST_TICK.set(time.time())
        if result.watches or result.digests:
            log.info("enqueued due work", extra={"watches": result.watches,
                                                 "digests": result.digests,
                                                 "batches": result.batches})
        return result

    def run(self, tick_seconds: float, stop: threading.Event) -> None:
        """Tick until `stop` is set. A Redis outage of any length is ridden out: said once
        when it starts and once, with its length, when it ends; nothing due is lost, because
        the schedule lives in Redis and is claimed again once it answers."""
        from redis.exceptions import RedisError

        outage_since: float | None = None
        while not stop.is_set():
            try:
                self.tick()
            except (RedisError, OSError) as exc:
                if outage_since is None:
                    outage_since = time.monotonic()
                    log.warning("redis unreachable; scheduler passes wait for it",
                                extra={"component": "scheduler", "error": type(exc).__name__})
            else:
                if outage_since is not None:
                    log.warning("redis reachable again", extra={
                        "component": "scheduler",
                        "outage_seconds": round(time.monotonic() - outage_since, 1)})
                    outage_since = None
            stop.wait(tick_seconds)

    def healthy(self, tick_seconds: float) -> tuple[bool, str]:
        """For /readyz: Redis answers and a pass completed recently (never for liveness:
        a scheduler waiting out a Redis outage is alive and must not be restarted)."""
        from redis.exceptions import RedisError

        try:
            self.connection.ping()
        except (RedisError, OSError) as exc:
            return False, f"redis unavailable: {type(exc).__name__}"
        if self.last_tick is None:
            return False, "no pass completed yet"
        age = time.monotonic() - self.last_tick
        if age > 3 * tick_seconds + 30:
            return False, f"last pass {age:.0f} s ago"
        return True, "ok"
