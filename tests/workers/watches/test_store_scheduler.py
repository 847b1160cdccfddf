"""The Redis data model and the scheduler, against a real Redis, in-process."""

from __future__ import annotations

import threading

import pytest
from rq import Queue

from workers.jobs import queues
from workers.options import build_request
from workers.watches.clock import FixedClock
from workers.watches.model import WatchSpec, watch_id_for
from workers.watches.schedule import DigestSchedule, next_slot, slot_offset
from workers.watches.scheduler import Scheduler
from workers.watches.store import SCHEMA_KEY, SchemaMismatch, WatchStore

T0 = 1_800_000_000.0


@pytest.fixture
def redis(redis_url):
    connection = queues.connect(redis_url)
    yield connection
    connection.close()


def add_watch(store: WatchStore, name: str, *, channel: str = "C1", interval: int = 300,
              due_at: float = T0, user: str = "UALICE") -> WatchSpec:
    request = build_request(name)
    spec = WatchSpec(watch_id=watch_id_for(channel, request), channel=channel,
                     request=request.to_dict(), text=name, interval=interval, created_by=user,
                     created_at=due_at, display=name, watchers=[user])
    store.put_watch(spec, due_at=due_at)
    return spec


def queued_items(redis) -> list[tuple[str, float]]:
    """Every (watch id, occurrence) in the watch queue's jobs."""
    queue = Queue(queues.WATCH_QUEUE, connection=redis, serializer=queues.SERIALIZER)
    items = []
    for job in queue.get_jobs():
        items.extend((w, o) for w, o in job.args[0])
    return items


def test_watch_list_unwatch(redis):
    store = WatchStore(redis)
    a = add_watch(store, "a.example")
    b = add_watch(store, "b.example", channel="C2")
    assert [s.name for s in store.channel_watches("C1")] == ["a.example"]
    assert [s.name for s in store.user_watches("UALICE")] == ["a.example", "b.example"]
    store.remove_watch(a)
    assert store.channel_watches("C1") == []
    assert store.spec(a.watch_id) is None and store.due_at(f"watch:{a.watch_id}") is None
    assert store.all_watch_ids() == [b.watch_id]


def test_watching_again_keeps_the_schedule_but_adds_the_watcher(redis):
    store = WatchStore(redis)
    first = add_watch(store, "a.example", due_at=T0)
    again = add_watch(store, "a.example", due_at=T0 + 500, user="UBOB")
    assert again.watch_id == first.watch_id
    assert store.due_at(f"watch:{first.watch_id}") == T0
    assert store.spec(first.watch_id).watchers == ["UALICE", "UBOB"]
    assert store.spec(first.watch_id).created_by == "UALICE"


def test_schema_version_is_recorded_and_newer_is_refused(redis):
    store = WatchStore(redis)
    store.ensure_schema()
    assert redis.get(SCHEMA_KEY) == b"1"
    redis.set(SCHEMA_KEY, "2")
    with pytest.raises(SchemaMismatch, match="schema 2"):
        store.ensure_schema()


def test_one_pass_enqueues_each_due_watch_once_and_schedules_the_next(redis):
    store = WatchStore(redis)
    specs = [add_watch(store, f"o{i}.example") for i in range(60)]
    scheduler = Scheduler(redis, FixedClock(T0), batch_size=25)
    result = scheduler.tick()
    assert (result.watches, result.batches) == (60, 3)
    assert sorted(w for w, _ in queued_items(redis)) == sorted(s.watch_id for s in specs)
    for s in specs:
        expected = next_slot(300, slot_offset(s.watch_id, 300), T0)
        assert store.due_at(f"watch:{s.watch_id}") == expected
    assert scheduler.tick().watches == 0  # nothing due until the next slot


def test_two_replicas_never_enqueue_the_same_occurrence(redis, redis_url):
    store = WatchStore(redis)
    for i in range(300):
        add_watch(store, f"o{i}.example")
    clock = FixedClock(T0)
    replicas = [Scheduler(queues.connect(redis_url), clock, batch_size=7) for _ in range(2)]
    for step in range(4):
        clock.epoch = T0 + step * 300
        barrier = threading.Barrier(2)

        def run(replica, barrier=barrier):
            barrier.wait()
            replica.tick()

        threads = [threading.Thread(target=run, args=(r,)) for r in replicas]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    items = queued_items(redis)
    assert len(items) == len(set(items)) == 300 * 4


def test_a_scheduler_dying_after_its_claim_loses_nothing(redis):
    store = WatchStore(redis)
    spec = add_watch(store, "a.example")
    # A replica claims, then dies before enqueueing or confirming.
    assert store.claim_due(T0, lease=120) == [(f"watch:{spec.watch_id}", T0)]
    clock = FixedClock(T0 + 10)
    restarted = Scheduler(redis, clock, lease=120)
    assert restarted.tick().watches == 0  # still leased
    clock.epoch = T0 + 121
    assert restarted.tick().watches == 1
    assert queued_items(redis) == [(spec.watch_id, T0)]  # the same occurrence, once


def test_a_scheduler_dying_after_enqueue_does_not_duplicate(redis):
    store = WatchStore(redis)
    spec = add_watch(store, "a.example")
    first = Scheduler(redis, FixedClock(T0), lease=120)
    # Enqueue, then "die" before confirming: put the claim back as it was.
    claimed = store.claim_due(T0, lease=120)
    from workers.watches.dispatch import enqueue_watch_batch

    enqueue_watch_batch(redis, [(spec.watch_id, occ) for _, occ in claimed])
    first.clock = FixedClock(T0 + 121)
    assert first.tick().watches == 1  # re-claimed: same occurrence, same job id
    assert queued_items(redis) == [(spec.watch_id, T0)]


def test_an_overdue_watch_runs_once_then_returns_to_its_grid(redis):
    store = WatchStore(redis)
    spec = add_watch(store, "a.example", due_at=T0)
    scheduler = Scheduler(redis, FixedClock(T0 + 3 * 3600))  # the scheduler was down 3 h
    assert scheduler.tick().watches == 1
    due = store.due_at(f"watch:{spec.watch_id}")
    assert T0 + 3 * 3600 < due <= T0 + 3 * 3600 + 300


def test_unwatched_meanwhile_is_dropped_from_the_schedule(redis):
    store = WatchStore(redis)
    spec = add_watch(store, "a.example")
    store.redis.delete(store.spec_key(spec.watch_id))  # spec gone, schedule left behind
    assert Scheduler(redis, FixedClock(T0)).tick().watches == 0
    assert store.due_at(f"watch:{spec.watch_id}") is None


def test_digests_are_scheduled_in_their_zone(redis):
    store = WatchStore(redis)
    schedule = DigestSchedule("daily", 9, 0, "UTC")
    store.set_digest("C1", schedule, due_at=T0)
    scheduler = Scheduler(redis, FixedClock(T0))
    assert scheduler.tick().digests == 1
    queue = Queue(queues.DELIVERY_QUEUE, connection=redis, serializer=queues.SERIALIZER)
    [job] = queue.get_jobs()
    assert job.func_name == "bot.delivery.watches.post_digest"
    assert list(job.args) == ["C1", T0, False]
    assert store.due_at("digest:C1") > T0
    store.set_digest("C1", None)
    assert store.due_at("digest:C1") is None
