"""The watch batch speaks to Redis per batch, not per origin, and a killed batch loses no
watch: its retry checks what it had claimed, any other run leaves it alone. Round trips are
counted with a redis-py connection that counts what it sends, never with a clock."""

from __future__ import annotations

import pytest
from redis import Redis
from redis.connection import Connection, ConnectionPool

from tests.bot.reports import report
from tests.workers.watches.test_store_scheduler import T0, add_watch
from workers.jobs import queues
from workers.watches.alerts import observe
from workers.watches.clock import FixedClock
from workers.watches.dispatch import WATCH_BATCH_RETRIES, enqueue_watch_batch
from workers.watches.jobs import check_batch
from workers.watches.store import WatchStore


class CountingConnection(Connection):
    """A connection that counts the times it sends: one per command, one per pipeline."""

    sent = 0

    def send_packed_command(self, command, check_health=True):  # type: ignore[no-untyped-def]
        CountingConnection.sent += 1
        super().send_packed_command(command, check_health)


@pytest.fixture
def redis(redis_url):
    pool = ConnectionPool.from_url(redis_url, connection_class=CountingConnection)
    connection = Redis(connection_pool=pool)
    yield connection
    connection.close()


class Prober:
    """Stands in for the probe processes: every origin fails (an incident opens)."""

    def __init__(self) -> None:
        self.probed: list[str] = []

    def __call__(self, requests: list[dict]):
        self.probed += [r["hostname"] for r in requests]
        return [(observe(report(fail=False)), "warn") for _ in requests]


def check(redis, items, claimant: str = "job-1", probe=None) -> dict[str, int]:
    return check_batch(redis, items, claimant=claimant, clock=FixedClock(T0 + 1),
                       thresholds=(14, 7, 3, 1), probe=probe or Prober())


def round_trips(redis, n: int) -> int:
    store = WatchStore(redis)
    specs = [add_watch(store, f"o{i}.n{n}.example") for i in range(n)]
    # Each watch has a state already: the second check of a watch is the usual one.
    check(redis, [(s.watch_id, T0) for s in specs], claimant=f"first-{n}")
    CountingConnection.sent = 0
    counts = check(redis, [(s.watch_id, T0 + 300) for s in specs], claimant=f"second-{n}")
    assert counts == {"warn": n}
    return CountingConnection.sent


def test_a_batch_costs_the_same_round_trips_for_5_watches_as_for_25(redis):
    few, many = round_trips(redis, 5), round_trips(redis, 25)
    assert many == few
    assert many <= 4  # claim + read the watches, read the states, record them all (+ a load)


def test_a_killed_batch_is_checked_by_its_retry_and_by_no_other_run(redis):
    store = WatchStore(redis)
    specs = [add_watch(store, f"k{i}.example") for i in range(3)]
    items = [(s.watch_id, T0) for s in specs]
    # The first run claims the batch and dies before it records anything.
    assert len(store.claim_checks("watches-abc", items)) == 3
    # Another run of the same occurrences (a scheduler that enqueued them again) leaves them.
    other = Prober()
    assert check(redis, items, claimant="watches-other", probe=other) == {"skipped": 3}
    assert other.probed == []
    # RQ retries the killed job under its own id: it checks them, once.
    retry = Prober()
    assert check(redis, items, claimant="watches-abc", probe=retry) == {"warn": 3}
    assert sorted(retry.probed) == sorted(s.request["hostname"] for s in specs)
    assert all(store.state(s.watch_id).checks == 1 for s in specs)
    # And a late second retry finds them done.
    late = Prober()
    assert check(redis, items, claimant="watches-abc", probe=late) == {"skipped": 3}
    assert late.probed == []


def test_a_state_changed_meanwhile_is_read_and_judged_again(redis):
    store = WatchStore(redis)
    spec = add_watch(store, "race.example")
    check(redis, [(spec.watch_id, T0)], claimant="one")

    def racing(requests):
        # Another check of the same watch records while this one probes.
        check(redis, [(spec.watch_id, T0 + 300)], claimant="two")
        return Prober()(requests)

    assert check(redis, [(spec.watch_id, T0 + 600)], claimant="three", probe=racing) == {
        "warn": 1}
    assert store.state(spec.watch_id).checks == 3  # none lost, none counted twice
    # Only the first check changed anything: one line in the history.
    assert redis.llen(store.history_key(spec.watch_id)) == 1


def test_a_watch_removed_while_probed_is_not_brought_back(redis):
    store = WatchStore(redis)
    spec = add_watch(store, "gone.example")

    def unwatching(requests):
        store.remove_watch(spec)
        return Prober()(requests)

    assert check(redis, [(spec.watch_id, T0)], probe=unwatching) == {"skipped": 1}
    assert store.state(spec.watch_id) is None


def test_batches_are_retried_when_their_worker_dies(redis):
    store = WatchStore(redis)
    spec = add_watch(store, "retry.example")
    job_id = enqueue_watch_batch(redis, [(spec.watch_id, T0)])
    from rq.job import Job

    job = Job.fetch(job_id, connection=redis, serializer=queues.SERIALIZER)
    assert job.retries_left == WATCH_BATCH_RETRIES >= 1
