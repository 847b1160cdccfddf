"""Watches, schedules, last results, incident threads and digests in Redis.

Data model, schema version 1 (`SCHEMA_VERSION`). Every key starts with `origin502:`; JSON
values are the `to_dict()` of the dataclasses named. Nothing lives only in a process's
memory, so any process (bot, scheduler replicas, workers) can restart at any time.

    origin502:watches:schema              STRING  "1"; a process refuses a newer schema
    origin502:watch:{wid}                 STRING  JSON WatchSpec (target, options, interval,
                                                  channel, who asked); wid = watch_id_for()
    origin502:watch-state:{wid}           STRING  JSON WatchState: last verdict, causes,
                                                  certificate, open incident, expiry warnings
    origin502:watch-history:{wid}         LIST    JSON {at, change, verdict}, newest first,
                                                  the last 50 changes
    origin502:watches:channel:{channel}   SET     wids watched in a channel
    origin502:watches:user:{user}         SET     wids a user asked to watch (App Home)
    origin502:watches:all                 SET     every wid
    origin502:schedule:due                ZSET    "watch:{wid}" | "digest:{channel}" → epoch
                                                  when due (or, while claimed, lease end)
    origin502:schedule:inflight           HASH    member → the occurrence (epoch) a scheduler
                                                  claimed and has not yet confirmed
    origin502:schedule:done:{member}:{occurrence}
                                          STRING  set once by the job that ran that
                                                  occurrence (2 days); a re-delivered or
                                                  re-enqueued job finds it and does nothing.
                                                  A watch check first writes its batch job's
                                                  id there (a claim: a retry of that job, after
                                                  its worker was killed, checks it again), and
                                                  "done" with the result
    origin502:outbox:{wid}                LIST    JSON Alert, oldest first, until delivered
    origin502:alert-posted:{alert_id}     STRING  Slack ts of a delivered alert (7 days)
    origin502:thread:{thread_id}          HASH    channel, ts, opened (JSON Alert that opened
                                                  it): an incident or expiry-warning thread
    origin502:digest:{channel}            STRING  JSON DigestSchedule (absent: no digest)
    origin502:digest-snapshot:{channel}   HASH    wid → JSON snapshot at the last digest
    origin502:digest-last:{channel}       STRING  epoch of the last digest posted
    origin502:lock:watch:{wid}            lock    held while a result is evaluated
    origin502:lock:outbox:{wid}           lock    held while alerts are delivered

Scheduling without double probes or lost slots: a scheduler claims due members with one Lua
script (atomic across replicas) that records the occurrence in `inflight` and pushes the
member's score to a lease end. It enqueues the work (deterministic job ids, RQ `unique`),
then confirms: the member gets its next due time and leaves `inflight`. A scheduler that
dies in between leaves the lease to run out; whoever claims the member next finds the same
occurrence in `inflight`, so the job id and the `done` key are the same and nothing runs
twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from redis import Redis

from workers.jobs.lease import leased_lock
from workers.models.record import Record
from workers.watches.alerts import HISTORY_LIMIT, Alert, WatchState
from workers.watches.model import WatchSpec
from workers.watches.schedule import DigestSchedule

SCHEMA_VERSION = 1
PREFIX = "origin502"
SCHEMA_KEY = f"{PREFIX}:watches:schema"
DUE_KEY = f"{PREFIX}:schedule:due"
INFLIGHT_KEY = f"{PREFIX}:schedule:inflight"
ALL_KEY = f"{PREFIX}:watches:all"
DONE_TTL = 2 * 24 * 3600
POSTED_TTL = 7 * 24 * 3600
THREAD_TTL = 90 * 24 * 3600

_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, member in ipairs(due) do
  local occurrence = redis.call('HGET', KEYS[2], member)
  if not occurrence then
    occurrence = redis.call('ZSCORE', KEYS[1], member)
    redis.call('HSET', KEYS[2], member, occurrence)
  end
  redis.call('ZADD', KEYS[1], ARGV[2], member)
  table.insert(out, member)
  table.insert(out, occurrence)
end
return out
"""


# Records the checks of a batch, each only if its claim is still the caller's, the watch still
# exists and its state is still the one the result was judged against (else the caller reads
# it again and judges again). KEYS: per check, spec, state, outbox, history, done. ARGV:
# claimant, done TTL, history limit, then per check: expected state ("" for none), new state,
# history entry ("" for none), the number of alerts, the alerts.
_RECORD = """
local claimant, ttl, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
local arg = 4
for base = 0, #KEYS - 1, 5 do
  local spec, state, outbox, history, done =
    KEYS[base + 1], KEYS[base + 2], KEYS[base + 3], KEYS[base + 4], KEYS[base + 5]
  local expected, new_state, entry = ARGV[arg], ARGV[arg + 1], ARGV[arg + 2]
  local alerts = tonumber(ARGV[arg + 3])
  local first_alert = arg + 4
  arg = first_alert + alerts
  local current = redis.call('GET', state) or ''
  if redis.call('GET', done) ~= claimant then
    table.insert(out, 'not_claimed')
  elseif redis.call('EXISTS', spec) == 0 then
    redis.call('SET', done, 'done', 'EX', ttl)
    table.insert(out, 'gone')
  elseif current ~= expected then
    table.insert(out, 'conflict')
  else
    redis.call('SET', state, new_state)
    for i = first_alert, first_alert + alerts - 1 do
      redis.call('RPUSH', outbox, ARGV[i])
    end
    if entry ~= '' then
      redis.call('LPUSH', history, entry)
      redis.call('LTRIM', history, 0, limit - 1)
    end
    redis.call('SET', done, 'done', 'EX', ttl)
    table.insert(out, 'recorded')
  end
end
return out
"""
DONE = "done"


@dataclass(eq=False, repr=False)
class Claimed(Record):
    """A watch occurrence a batch job took, with the watch as it was when taken (None when it
    was unwatched after it was scheduled)."""

    watch_id: str
    occurrence: float
    spec: WatchSpec | None


@dataclass(eq=False, repr=False)
class CheckRecord(Record):
    """The result of one check, judged against `expected` (the state as read, "" for none)."""

    watch_id: str
    occurrence: float
    expected: str
    state: WatchState
    alerts: list[Alert]
    change: str | None


class SchemaMismatch(RuntimeError):
    """Redis holds watches written by a newer origin502."""


def _text(raw: Any) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def watch_member(watch_id: str) -> str:
    return f"watch:{watch_id}"


def digest_member(channel: str) -> str:
    return f"digest:{channel}"


class WatchStore:
    def __init__(self, connection: Redis) -> None:
        self.redis = connection
        self._claim = connection.register_script(_CLAIM)
        self._record = connection.register_script(_RECORD)

    # -- keys -------------------------------------------------------------------------------
    @staticmethod
    def spec_key(wid: str) -> str:
        return f"{PREFIX}:watch:{wid}"

    @staticmethod
    def state_key(wid: str) -> str:
        return f"{PREFIX}:watch-state:{wid}"

    @staticmethod
    def history_key(wid: str) -> str:
        return f"{PREFIX}:watch-history:{wid}"

    @staticmethod
    def channel_key(channel: str) -> str:
        return f"{PREFIX}:watches:channel:{channel}"

    @staticmethod
    def user_key(user: str) -> str:
        return f"{PREFIX}:watches:user:{user}"

    @staticmethod
    def outbox_key(wid: str) -> str:
        return f"{PREFIX}:outbox:{wid}"

    @staticmethod
    def thread_key(thread_id: str) -> str:
        return f"{PREFIX}:thread:{thread_id}"

    @staticmethod
    def done_key(member: str, occurrence: float) -> str:
        return f"{PREFIX}:schedule:done:{member}:{occurrence:.0f}"

    # -- schema -----------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Record the schema version, or refuse data written by a newer version."""
        self.redis.set(SCHEMA_KEY, SCHEMA_VERSION, nx=True)
        raw = self.redis.get(SCHEMA_KEY)
        found = int(_text(raw)) if raw is not None else SCHEMA_VERSION
        if found > SCHEMA_VERSION:
            raise SchemaMismatch(
                f"Redis holds watches of schema {found}; this origin502 knows {SCHEMA_VERSION}. "
                "Upgrade this process.")

    # -- watches ----------------------------------------------------------------------------
    def put_watch(self, spec: WatchSpec, *, due_at: float) -> bool:
        """Create or update a watch and make it due at `due_at`; True when it is new."""
        existing = self.spec(spec.watch_id)
        if existing is not None:
            spec.created_at = existing.created_at
            spec.created_by = existing.created_by
            spec.watchers = sorted(set(existing.watchers) | set(spec.watchers))
        member = watch_member(spec.watch_id)
        with self.redis.pipeline() as pipe:
            pipe.set(self.spec_key(spec.watch_id), json.dumps(spec.to_dict()))
            pipe.sadd(self.channel_key(spec.channel), spec.watch_id)
            pipe.sadd(ALL_KEY, spec.watch_id)
            for user in spec.watchers:
                pipe.sadd(self.user_key(user), spec.watch_id)
            if existing is None or existing.interval != spec.interval:
                pipe.zadd(DUE_KEY, {member: due_at})
                pipe.hdel(INFLIGHT_KEY, member)
            else:
                pipe.zadd(DUE_KEY, {member: due_at}, nx=True)
            pipe.execute()
        return existing is None

    def remove_watch(self, spec: WatchSpec) -> None:
        wid = spec.watch_id
        member = watch_member(wid)
        with self.redis.pipeline() as pipe:
            pipe.delete(self.spec_key(wid), self.state_key(wid), self.history_key(wid),
                        self.outbox_key(wid))
            pipe.srem(self.channel_key(spec.channel), wid)
            pipe.srem(ALL_KEY, wid)
            for user in spec.watchers:
                pipe.srem(self.user_key(user), wid)
            pipe.zrem(DUE_KEY, member)
            pipe.hdel(INFLIGHT_KEY, member)
            pipe.hdel(f"{PREFIX}:digest-snapshot:{spec.channel}", wid)
            pipe.execute()

    def spec(self, wid: str) -> WatchSpec | None:
        raw = self.redis.get(self.spec_key(wid))
        return WatchSpec.from_dict(json.loads(raw)) if raw is not None else None

    def specs(self, wids: Iterable[str]) -> list[WatchSpec]:
        ids = list(wids)
        if not ids:
            return []
        raws = self.redis.mget([self.spec_key(w) for w in ids])
        return [WatchSpec.from_dict(json.loads(r)) for r in raws if r is not None]

    def channel_watches(self, channel: str) -> list[WatchSpec]:
        ids = sorted(_text(w) for w in self.redis.smembers(self.channel_key(channel)))
        return sorted(self.specs(ids), key=lambda s: s.name)

    def user_watches(self, user: str) -> list[WatchSpec]:
        ids = sorted(_text(w) for w in self.redis.smembers(self.user_key(user)))
        return sorted(self.specs(ids), key=lambda s: (s.channel, s.name))

    def all_watch_ids(self) -> list[str]:
        return sorted(_text(w) for w in self.redis.smembers(ALL_KEY))

    # -- state and history ------------------------------------------------------------------
    def state(self, wid: str) -> WatchState | None:
        raw = self.redis.get(self.state_key(wid))
        return WatchState.from_dict(json.loads(raw)) if raw is not None else None

    def states(self, wids: list[str]) -> dict[str, WatchState]:
        if not wids:
            return {}
        raws = self.redis.mget([self.state_key(w) for w in wids])
        return {w: WatchState.from_dict(json.loads(r)) for w, r in zip(wids, raws, strict=True)
                if r is not None}

    def record(self, wid: str, state: WatchState, alerts: list[Alert], change: str | None) -> None:
        """Save a new state with its alerts (to deliver) and change line, all at once."""
        with self.redis.pipeline() as pipe:
            pipe.set(self.state_key(wid), json.dumps(state.to_dict()))
            for alert in alerts:
                pipe.rpush(self.outbox_key(wid), json.dumps(alert.to_dict()))
            if change is not None:
                entry = {"at": state.checked_at, "change": change, "verdict": state.verdict}
                pipe.lpush(self.history_key(wid), json.dumps(entry))
                pipe.ltrim(self.history_key(wid), 0, HISTORY_LIMIT - 1)
            pipe.execute()

    def raw_states(self, wids: list[str]) -> list[str]:
        """The stored states of `wids` as the JSON text they are kept in ("" for none): what
        `record_checks` compares against."""
        if not wids:
            return []
        return [_text(r) if r is not None else "" for r in
                self.redis.mget([self.state_key(w) for w in wids])]

    def record_checks(self, claimant: str, records: list[CheckRecord]) -> list[str]:
        """Save the results of a batch in one round trip, each with its alerts and change line,
        and mark its occurrence done. Per record: "recorded"; "conflict" (the state changed
        since it was read: read and judge again); "gone" (unwatched meanwhile); "not_claimed"
        (another run of the occurrence took it over or finished it)."""
        if not records:
            return []
        keys: list[str] = []
        args: list[Any] = [claimant, DONE_TTL, HISTORY_LIMIT]
        for r in records:
            keys += [self.spec_key(r.watch_id), self.state_key(r.watch_id),
                     self.outbox_key(r.watch_id), self.history_key(r.watch_id),
                     self.done_key(watch_member(r.watch_id), r.occurrence)]
            entry = "" if r.change is None else json.dumps(
                {"at": r.state.checked_at, "change": r.change, "verdict": r.state.verdict})
            args += [r.expected, json.dumps(r.state.to_dict()), entry, len(r.alerts)]
            args += [json.dumps(alert.to_dict()) for alert in r.alerts]
        return [_text(s) for s in self._record(keys=keys, args=args)]

    @contextmanager
    def locked(self, name: str, timeout: float = 60) -> Iterator[None]:
        """Hold `name`, waiting up to `timeout` s; a short lease renewed while held, so a
        killed holder delays the next one by seconds (workers/jobs/lease.py)."""
        with leased_lock(self.redis, f"{PREFIX}:lock:{name}", wait=timeout):
            yield

    # -- outbox and threads -----------------------------------------------------------------
    def next_alert(self, wid: str) -> Alert | None:
        raw = self.redis.lindex(self.outbox_key(wid), 0)
        return Alert.from_dict(json.loads(raw)) if raw is not None else None

    def pop_alert(self, wid: str) -> None:
        self.redis.lpop(self.outbox_key(wid))

    def posted(self, alert_id: str) -> str | None:
        raw = self.redis.get(f"{PREFIX}:alert-posted:{alert_id}")
        return _text(raw) if raw is not None else None

    def mark_posted(self, alert_id: str, ts: str) -> None:
        self.redis.set(f"{PREFIX}:alert-posted:{alert_id}", ts, ex=POSTED_TTL)

    def thread(self, thread_id: str) -> dict[str, Any] | None:
        raw = self.redis.hgetall(self.thread_key(thread_id))
        if not raw:
            return None
        data = {_text(k): _text(v) for k, v in raw.items()}
        return {"channel": data.get("channel"), "ts": data.get("ts"),
                "opened": json.loads(data["opened"]) if "opened" in data else None}

    def save_thread(self, thread_id: str, channel: str, ts: str, opened: Alert) -> None:
        key = self.thread_key(thread_id)
        with self.redis.pipeline() as pipe:
            pipe.hset(key, mapping={"channel": channel, "ts": ts,
                                    "opened": json.dumps(opened.to_dict())})
            pipe.expire(key, THREAD_TTL)
            pipe.execute()

    # -- digests ----------------------------------------------------------------------------
    def set_digest(self, channel: str, schedule: DigestSchedule | None, *,
                   due_at: float | None = None) -> None:
        member = digest_member(channel)
        with self.redis.pipeline() as pipe:
            if schedule is None:
                pipe.delete(f"{PREFIX}:digest:{channel}")
                pipe.zrem(DUE_KEY, member)
            else:
                pipe.set(f"{PREFIX}:digest:{channel}", json.dumps(schedule.to_dict()))
                pipe.zadd(DUE_KEY, {member: due_at if due_at is not None else 0})
            pipe.hdel(INFLIGHT_KEY, member)
            pipe.execute()

    def digest_schedule(self, channel: str) -> DigestSchedule | None:
        raw = self.redis.get(f"{PREFIX}:digest:{channel}")
        return DigestSchedule.from_dict(json.loads(raw)) if raw is not None else None

    def digest_snapshot(self, channel: str) -> dict[str, dict[str, Any]]:
        raw = self.redis.hgetall(f"{PREFIX}:digest-snapshot:{channel}")
        return {_text(k): json.loads(v) for k, v in raw.items()}

    def last_digest_at(self, channel: str) -> float | None:
        raw = self.redis.get(f"{PREFIX}:digest-last:{channel}")
        return float(_text(raw)) if raw is not None else None

    def save_digest(self, channel: str, at: float, snapshot: dict[str, dict[str, Any]]) -> None:
        key = f"{PREFIX}:digest-snapshot:{channel}"
        with self.redis.pipeline() as pipe:
            pipe.delete(key)
            if snapshot:
                pipe.hset(key, mapping={k: json.dumps(v) for k, v in snapshot.items()})
            pipe.set(f"{PREFIX}:digest-last:{channel}", f"{at:.3f}")
            pipe.execute()

    # -- scheduling -------------------------------------------------------------------------
    def claim_due(self, now: float, *, lease: float, limit: int = 5000) -> list[tuple[str, float]]:
        """Atomically take the members due at `now`: (member, occurrence) pairs.

        A claimed member is not due again until `now + lease`, unless `confirm`ed earlier.
        """
        flat = self._claim(keys=[DUE_KEY, INFLIGHT_KEY], args=[now, now + lease, limit])
        pairs = list(flat)
        return [(_text(pairs[i]), float(_text(pairs[i + 1]))) for i in range(0, len(pairs), 2)]

    def confirm(self, nexts: dict[str, float | None]) -> None:
        """Claimed occurrences are enqueued: schedule each member's next one (None: drop it).

        Members removed meanwhile (unwatched, digest off) are not brought back.
        """
        if not nexts:
            return
        with self.redis.pipeline() as pipe:
            for member, next_due in nexts.items():
                if next_due is None:
                    pipe.zrem(DUE_KEY, member)
                else:
                    pipe.zadd(DUE_KEY, {member: next_due}, xx=True)
            pipe.hdel(INFLIGHT_KEY, *nexts)
            pipe.execute()

    def due_at(self, member: str) -> float | None:
        score = self.redis.zscore(DUE_KEY, member)
        return float(score) if score is not None else None

    def claim_checks(self, claimant: str, items: list[tuple[str, float]]) -> list[Claimed]:
        """Take the watch occurrences of a batch job in one round trip: those no other run
        took, and those this very job took before (it is a retry: its worker was killed
        before it recorded them). Each comes with its watch."""
        if not items:
            return []
        with self.redis.pipeline(transaction=False) as pipe:
            for watch_id, occurrence in items:
                done = self.done_key(watch_member(watch_id), occurrence)
                pipe.set(done, claimant, nx=True, ex=DONE_TTL)
                pipe.get(done)
                pipe.get(self.spec_key(watch_id))
            replies = pipe.execute()
        claimed = []
        for index, (watch_id, occurrence) in enumerate(items):
            _, holder, raw_spec = replies[3 * index : 3 * index + 3]
            if holder is None or _text(holder) != claimant:
                continue  # another run has it, or it is done
            spec = WatchSpec.from_dict(json.loads(raw_spec)) if raw_spec is not None else None
            claimed.append(Claimed(watch_id, occurrence, spec))
        return claimed

    def ran(self, member: str, occurrence: float) -> bool:
        """True once the job of (member, occurrence) has marked it done (`mark_ran`)."""
        return bool(self.redis.exists(self.done_key(member, occurrence)))

    def mark_ran(self, member: str, occurrence: float) -> None:
        """For a job that must finish before it counts as done (a digest is posted whole)."""
        self.redis.set(self.done_key(member, occurrence), "1", ex=DONE_TTL)
