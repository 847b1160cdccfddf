"""The record of one run (one probe asked for in Slack), kept in Redis and shared by the bot,
the probe job and the delivery job.

Each side writes only its own fields of a Redis hash, so concurrent updates never overwrite
each other: the bot writes who asked and where, the probe job writes status, progress and the
report. What only Slack needs (message timestamps, what was posted) is the bot's own record,
kept in the same hash by bot/store.py; `Run` and this store never see it, so the probe
workers stay free of Slack. Delivery renders from the record as a whole, so the order in
which delivery jobs run does not matter.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from redis import Redis
from redis.client import Pipeline
from redis.exceptions import WatchError
from redis.typing import EncodableT

from workers.jobs import queues
from workers.models import ProbeRequest
from workers.models.record import FrozenRecord, Record
from workers.random_ids import random_hex

RunStatus = Literal["queued", "running", "done", "failed"]
Reason = Literal["command", "rerun", "mention"]

PREFIX = "origin502"
# How long a run and its report stay available to the Re-run and Show evidence buttons.
RUN_TTL = 7 * 24 * 3600
# A finished run still answers a repeated command for this long ("just finished").
JUST_FINISHED = 300
# While queued or running, the dedup key lives as long as the job could.
ACTIVE_TTL = queues.PROBE_TTL + queues.PROBE_TIMEOUT + 60


@dataclass(eq=False, repr=False)
class Run(Record):
    """One probe asked for from Slack, and what became of it."""

    run_id: str
    request: dict[str, Any]  # ProbeRequest.to_dict()
    text: str  # TARGET [options] as typed, so a mention can change some options
    channel: str
    user: str
    reason: Reason = "command"
    previous_run: str | None = None  # the run a re-run repeats, for "what changed"
    status: RunStatus = "queued"
    progress: dict[str, str] = field(default_factory=dict)  # Layer value -> short line
    # Layer value -> what it has been waiting for so far ("no answer for 6 of 10 s"), written
    # by the probe job every few seconds while it waits; shown for a layer with no progress
    # line yet.
    waiting: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # why the run failed, in words for the thread
    attempt: int = 1
    created_at: float = 0.0
    finished_at: float | None = None
    joined: list[str] = field(default_factory=list)  # users whose request joined this run
    # The id of the Slack request that started the run; every log line of the run's jobs
    # carries it, so one id follows a command from the slash command to the posted reply.
    request_id: str | None = None

    @property
    def probe_request(self) -> ProbeRequest:
        return ProbeRequest.from_dict(self.request)

    @property
    def cache_key(self) -> str:
        return self.probe_request.cache_key()

    @property
    def display(self) -> str:
        return str(self.request.get("display") or self.request["hostname"])


def new_run_id(cache_key: str) -> str:
    """An id no other run has (64 random bits, and RunStore.open never reuses one), made
    without a round trip to Redis, with the start of the target's key for the logs."""
    return f"r{random_hex(8)}-{cache_key[:12]}"  # no system call: workers/random_ids.py


@dataclass(frozen=True, eq=False, repr=False)
class Opened(FrozenRecord):
    """What RunStore.open did: `opened` (recorded and queued), `repeated` (this delivery was
    seen before: nothing written), `held` (`holder` is the run active for the target: nothing
    written but the delivery), `taken` (the run id exists: nothing written)."""

    status: Literal["opened", "repeated", "held", "taken"]
    holder: str | None = None


_JSON_FIELDS = {"request", "progress", "joined", "waiting"}
_FLOAT_FIELDS = {"created_at", "finished_at"}
_INT_FIELDS = {"attempt"}


def _encode(name: str, value: Any) -> str:
    if name in _JSON_FIELDS:
        return json.dumps(value, sort_keys=True)
    return str(value)


def _write_fields(pipe: Pipeline, key: str, fields: Mapping[str, Any]) -> None:
    """Queue the writes of some fields of a run on `pipe` (None removes a field); a name that
    is not a field of the shared Run is refused."""
    for name, value in fields.items():
        if name not in Run.__dataclass_fields__ or name == "run_id":
            raise KeyError(name)
        if value is None:
            pipe.hdel(key, name)
        else:
            pipe.hset(key, name, _encode(name, value))


def _decode(name: str, raw: str) -> Any:
    if name in _JSON_FIELDS:
        return json.loads(raw)
    if name in _FLOAT_FIELDS:
        return float(raw)
    if name in _INT_FIELDS:
        return int(raw)
    return raw


class RunStore:
    """Runs, reports and dedup keys in one Redis database.

    Keys (every one starts with `origin502:`):

        origin502:run:{run_id}                HASH    the fields of `Run` (and the bot's own,
                                                      bot/store.py); RUN_TTL
        origin502:run:{run_id}:seq            STRING  the last delivery job number of the run
        origin502:report:{run_id}             STRING  JSON report of a finished run; RUN_TTL
        origin502:provisional:{run_id}        STRING  JSON first verdict while the run still
                                                      retries (issue 8), or a distribution's
                                                      per-origin state; RUN_TTL
        origin502:active:{channel}:{cache_key} STRING the run checking that target there now
                                                      (or that just did); ACTIVE_TTL
    """

    def __init__(self, connection: Redis) -> None:
        self.redis = connection

    # -- keys -------------------------------------------------------------------------------
    @staticmethod
    def run_key(run_id: str) -> str:
        """The hash of a run; the bot keeps its Slack fields in it too (bot/store.py), so
        they live and expire with the run."""
        return f"{PREFIX}:run:{run_id}"

    @staticmethod
    def _seq_key(run_id: str) -> str:
        return f"{PREFIX}:run:{run_id}:seq"

    @staticmethod
    def _report_key(run_id: str) -> str:
        return f"{PREFIX}:report:{run_id}"

    @staticmethod
    def _provisional_key(run_id: str) -> str:
        return f"{PREFIX}:provisional:{run_id}"

    @staticmethod
    def _active_key(channel: str, cache_key: str) -> str:
        return f"{PREFIX}:active:{channel}:{cache_key}"

    @contextmanager
    def transaction(self) -> Iterator[Pipeline]:
        """A MULTI/EXEC pipeline, executed when the block ends: the store methods that take a
        `pipeline`, and RQ's enqueue, add their commands to it, and they apply all at once."""
        with self.redis.pipeline() as pipe:
            pipe.multi()
            yield pipe
            pipe.execute()

    # -- runs -------------------------------------------------------------------------------
    def new_run_id(self, cache_key: str) -> str:
        return new_run_id(cache_key)

    @staticmethod
    def _fields(run: Run) -> dict[EncodableT, EncodableT]:
        run.created_at = run.created_at or time.time()
        return {
            name: _encode(name, value)
            for name, value in vars(run).items()
            if value is not None and name != "run_id"
        }

    def create(self, run: Run, pipeline: Pipeline | None = None) -> None:
        """Store a new run; with `pipeline`, only add the commands to it."""
        mapping = self._fields(run)
        key = self.run_key(run.run_id)
        pipe = pipeline if pipeline is not None else self.redis.pipeline()
        pipe.hset(key, mapping=mapping)
        pipe.expire(key, RUN_TTL)
        # The delivery jobs of a run are numbered from here (see next_seq).
        pipe.set(self._seq_key(run.run_id), 0, ex=RUN_TTL)
        if pipeline is None:
            pipe.execute()

    def open(
        self,
        run: Run,
        *,
        also: Mapping[EncodableT, EncodableT] | None = None,
        seen: tuple[str, int] | None = None,
        cache_key: str | None = None,
    ) -> Opened:
        """Record a new run, make it the active one for its target in its channel and queue
        its first delivery job and its probe, in one script: one round trip, all or nothing.

        `also`: fields other sides keep in the run's hash (bot/store.py), written with it.
        `seen` (a key and its TTL): the request's mark against replays, claimed in the same
        script. Nothing is written for a repeated request, nor while another run holds the
        target (the caller then joins or takes over, as bot/runs.py does). `cache_key` is
        run.cache_key when the caller has it already (it costs a parse).
        Raises redis.exceptions.RedisError when Redis is unreachable.
        """
        fields = self._fields(run)
        fields.update(also or {})
        words: list[EncodableT] = [
            seen[1] if seen else 0, run.run_id, ACTIVE_TTL, RUN_TTL, len(fields)
        ]
        for name, value in fields.items():
            words += [name, value]
        for command in self._first_jobs(run):
            words += [len(command), *command]
        key = self.run_key(run.run_id)
        active = self._active_key(run.channel, cache_key or run.cache_key)
        keys = [seen[0] if seen else key, active, key, self._seq_key(run.run_id)]
        reply = self.redis.register_script(_OPEN)(keys=keys, args=words)
        status, *rest = (w.decode() if isinstance(w, bytes) else str(w) for w in reply)
        if status not in ("opened", "repeated", "held", "taken"):
            raise ValueError(f"unexpected answer from the open script: {status!r}")
        if status == "opened":
            queues.count_first_jobs()
        return Opened(status, rest[0] if rest else None)  # type: ignore[arg-type]

    def _first_jobs(self, run: Run) -> list[list[EncodableT]]:
        """The commands that queue a new run's first delivery job (the status message goes
        out first) and its probe, exactly as RQ words them, for `open` to run in its script:
        from a template RQ worded once per process (queues.first_job_commands)."""
        with _TEMPLATE_LOCK:
            if not _TEMPLATE:
                _TEMPLATE.extend(self.record_first_jobs(queues.STAND_IN_RUN,
                                                        queues.STAND_IN_REQUEST))
        return queues.first_job_commands(_TEMPLATE, run.run_id, run.request)

    def record_first_jobs(self, run_id: str, request: dict[str, Any]) -> list[list[Any]]:
        """What RQ words to queue a run's first jobs, recorded in a pipeline that never
        executes."""
        recorder = self.redis.pipeline(transaction=True)
        try:
            queues.enqueue_first_jobs(self.redis, run_id, request, recorder)
            return [list(args) for args, _options in recorder.command_stack]
        finally:
            recorder.reset()

    def discard(self, run_id: str) -> None:
        """Forget a run that was recorded but never started (it joined another)."""
        self.redis.delete(self.run_key(run_id), self._seq_key(run_id))

    def request_id(self, run_id: str) -> str | None:
        """The id of the request that started the run, for the logs of its jobs."""
        raw = self.redis.hget(self.run_key(run_id), "request_id")
        return raw.decode() if isinstance(raw, bytes) else (str(raw) if raw else None)

    def get(self, run_id: str) -> Run | None:
        raw = self.redis.hgetall(self.run_key(run_id))
        if not raw:
            return None
        values: dict[str, Any] = {}
        for key, value in raw.items():
            name = key.decode() if isinstance(key, bytes) else str(key)
            text = value.decode() if isinstance(value, bytes) else str(value)
            if name in Run.__dataclass_fields__:
                values[name] = _decode(name, text)
        if "request" not in values:  # a half-expired record: treat as gone
            return None
        return Run(run_id=run_id, **values)

    def update(self, run_id: str, **fields: Any) -> None:
        """Set some fields of a run; None removes a field."""
        key = self.run_key(run_id)
        with self.redis.pipeline() as pipe:
            _write_fields(pipe, key, fields)
            pipe.execute()

    def update_unless_finished(self, run_id: str, **fields: Any) -> bool:
        """`update`, unless the run is done or failed by then (checked and written at once);
        True when it wrote. A probe attempt RQ takes for abandoned (its heartbeat lost in a
        Redis outage) may in fact have finished the run: its interruption note must not
        turn the final verdict back into "checking…"."""
        key = self.run_key(run_id)
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)  # type: ignore[no-untyped-call]
                    status = pipe.hget(key, "status")
                    if status is None or status in (b"done", b"failed"):
                        pipe.unwatch()
                        return False
                    pipe.multi()
                    _write_fields(pipe, key, fields)
                    pipe.execute()
                    return True
                except WatchError:
                    continue

    def set_progress(self, run_id: str, layer: str, text: str) -> None:
        """Record a finished layer; layers of several addresses may report at once."""
        key = self.run_key(run_id)
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)  # type: ignore[no-untyped-call]
                    raw = pipe.hget(key, "progress")
                    progress = json.loads(raw) if raw else {}
                    progress[layer] = text
                    pipe.multi()
                    pipe.hset(key, "progress", json.dumps(progress, sort_keys=True))
                    pipe.execute()
                    return
                except WatchError:
                    continue

    def add_joined(self, run_id: str, user: str) -> None:
        run = self.get(run_id)
        if run is not None and user != run.user and user not in run.joined:
            self.update(run_id, joined=[*run.joined, user])

    def first_seq(self, run_id: str, pipeline: Pipeline) -> int:
        """Number the first delivery job of a new run (`create` set the count to 0), inside
        the transaction that enqueues it."""
        pipeline.incr(self._seq_key(run_id))
        return 1

    def next_seq(self, run_id: str) -> int:
        """Number another delivery job of the run (job ids must differ to be queued)."""
        key = self._seq_key(run_id)
        with self.redis.pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, RUN_TTL)
            number, _ = pipe.execute()
        return int(number)

    # -- reports ----------------------------------------------------------------------------
    def save_report(self, run_id: str, report: dict[str, Any]) -> None:
        self.redis.set(self._report_key(run_id), json.dumps(report), ex=RUN_TTL)

    def report(self, run_id: str) -> dict[str, Any] | None:
        raw = self.redis.get(self._report_key(run_id))
        if raw is None:
            return None
        data: dict[str, Any] = json.loads(raw)
        return data

    # -- first verdict (issue 8) ------------------------------------------------------------
    def save_provisional(self, run_id: str, provisional: dict[str, Any]) -> None:
        """Keep the run's provisional verdict (models.provisional.Provisional.to_dict(), or
        for a distribution models.distribution_live.DistributionLive.to_dict()), shown while
        the run is running; the final report replaces it."""
        self.redis.set(self._provisional_key(run_id), json.dumps(provisional), ex=RUN_TTL)

    def provisional(self, run_id: str) -> dict[str, Any] | None:
        raw = self.redis.get(self._provisional_key(run_id))
        if raw is None:
            return None
        data: dict[str, Any] = json.loads(raw)
        return data

    def clear_live(self, run_id: str) -> None:
        """Forget the waiting lines and the provisional verdict (a probe starts afresh)."""
        with self.redis.pipeline() as pipe:
            pipe.delete(self._provisional_key(run_id))
            pipe.hdel(self.run_key(run_id), "waiting")
            pipe.execute()

    # -- dedup ------------------------------------------------------------------------------
    def claim(self, channel: str, cache_key: str, run_id: str) -> str | None:
        """Register `run_id` as the run for this target in this channel.

        Returns None when it is now the active run, or the run id that already holds the key.
        """
        key = self._active_key(channel, cache_key)
        if self.redis.set(key, run_id, nx=True, ex=ACTIVE_TTL):
            return None
        raw = self.redis.get(key)
        if raw is None:  # expired in between: try once more
            return None if self.redis.set(key, run_id, nx=True, ex=ACTIVE_TTL) else run_id
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    def take_over(
        self, channel: str, cache_key: str, run_id: str, expected: str | None = None
    ) -> bool:
        """Make `run_id` the active run even though another one holds the key (re-runs).

        With `expected`, only while that run still holds it (compare-and-set), so two clicks
        racing to re-run the same finished run start one run, not two. True when taken.
        """
        key = self._active_key(channel, cache_key)
        if expected is None:
            self.redis.set(key, run_id, ex=ACTIVE_TTL)
            return True
        return bool(self.redis.eval(_TAKE_OVER, 1, key, expected, run_id, ACTIVE_TTL))

    def release(self, run: Run, *, finished: bool) -> None:
        """After a run ends: keep pointing at it for a while when it finished, else forget it."""
        key = self._active_key(run.channel, run.cache_key)
        raw = self.redis.get(key)
        holder = raw.decode() if isinstance(raw, bytes) else raw
        if holder != run.run_id:
            return
        if finished:
            self.redis.expire(key, JUST_FINISHED)
        else:
            self.redis.delete(key)


# KEYS[1] the active-run key; ARGV: the holder seen, the new run id, the TTL in seconds.
_TAKE_OVER = """
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
"""


# RunStore.open. KEYS: the request's mark against replays (unused without one), the active-run
# key, the run's hash, its delivery job counter. ARGV: the mark's TTL (0: no mark), the run id,
# the active TTL, the run TTL, the number of fields, the fields and values, then the commands
# that queue the run's jobs, each as its number of words followed by the words. The counter
# starts at 1: the first delivery job is queued here. RQ's keys are written without being named
# in KEYS: fine on one Redis (as deployed); a Redis Cluster would refuse it, as it would the
# multi-key transactions of start_run.
# The template of a new run's first jobs (RunStore._first_jobs), recorded once per process.
_TEMPLATE: list[list[Any]] = []
_TEMPLATE_LOCK = threading.Lock()

_OPEN = """
if redis.call('EXISTS', KEYS[3]) == 1 then
  return {'taken'}
end
if tonumber(ARGV[1]) > 0 and not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return {'repeated'}
end
local holder = redis.call('GET', KEYS[2])
if holder then
  return {'held', holder}
end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
local fields = tonumber(ARGV[5])
redis.call('HSET', KEYS[3], unpack(ARGV, 6, 5 + 2 * fields))
redis.call('EXPIRE', KEYS[3], ARGV[4])
redis.call('SET', KEYS[4], '1', 'EX', ARGV[4])
local i = 6 + 2 * fields
while i <= #ARGV do
  local words = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + words))
  i = i + words + 1
end
return {'opened'}
"""
