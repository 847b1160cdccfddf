"""The probe job's live updates in a real Redis, on a clock the test drives: waits are written
at most every few seconds, a provisional verdict at once, and each write asks for one sync."""

from __future__ import annotations

import threading

import pytest

from tests.bot.reports import report, run
from workers.distribution_live import DistributionWatch
from workers.jobs.live import (
    PROGRESS_INTERVAL,
    PROVISIONAL_GAP,
    SHOW_AFTER,
    DistributionLiveUpdates,
    RunLiveUpdates,
)
from workers.jobs.queues import connect
from workers.jobs.run_record import RunStore
from workers.models.distribution_live import DistributionLive, OriginLive
from workers.models.provisional import Provisional
from workers.probes.attempts import Attempt

TCP = Attempt("tcp", "192.0.2.10", 443, 1, 3, 10.0)
NOTE = "first attempt timed out; 2 more attempts running…"


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def live(redis_url):
    store = RunStore(connect(redis_url))
    store.create(run("running", run_id="r1-live"))
    clock = Clock()
    syncs: list[float] = []
    updates = RunLiveUpdates(store, "r1-live", lambda: syncs.append(clock.now), clock=clock)
    return store, clock, syncs, updates


def test_waits_are_written_at_most_every_interval(live):
    store, clock, syncs, updates = live
    updates.board.attempt_started(TCP)
    clock.now += SHOW_AFTER / 2
    assert updates.tick() is False  # too young to show: a healthy origin answers before
    clock.now += SHOW_AFTER
    assert updates.tick() is True
    assert store.get("r1-live").waiting == {"tcp": "no answer for 1 of 10 s (attempt 1 of 3)"}
    clock.now += PROGRESS_INTERVAL / 2
    assert updates.tick() is False  # changed, but too soon for Slack
    clock.now += PROGRESS_INTERVAL / 2
    assert updates.tick() is True
    assert store.get("r1-live").waiting == {"tcp": "no answer for 6 of 10 s (attempt 1 of 3)"}
    assert len(syncs) == 2
    updates.board.attempt_ended(TCP, "ok")
    clock.now += PROGRESS_INTERVAL
    assert updates.tick() is True
    assert store.get("r1-live").waiting == {}


def test_a_provisional_verdict_goes_out_at_once_but_not_twice_a_second(live):
    store, clock, syncs, updates = live
    first = Provisional(report(fail=True), "first attempt timed out; 2 more attempts running…")
    updates.provisional(first)
    assert updates.tick() is True
    assert store.provisional("r1-live")["note"] == first.note
    second = Provisional(report(fail=True), "2 attempts timed out; 1 more attempt running…")
    clock.now += PROVISIONAL_GAP / 2
    updates.provisional(second)
    assert updates.tick() is False
    clock.now += PROVISIONAL_GAP / 2
    assert updates.tick() is True
    assert Provisional.from_dict(store.provisional("r1-live")).note == second.note
    assert len(syncs) == 2
    store.clear_live("r1-live")
    assert store.provisional("r1-live") is None and store.get("r1-live").waiting == {}


def test_the_thread_writes_a_provisional_verdict_without_being_ticked(redis_url):
    store = RunStore(connect(redis_url))
    store.create(run("running", run_id="r2-live"))
    synced = threading.Event()
    with RunLiveUpdates(store, "r2-live", synced.set) as updates:
        updates.provisional(Provisional(report(fail=True), "first attempt timed out; 2 more "
                                        "attempts running…"))
        assert synced.wait(10)
    assert store.provisional("r2-live") is not None


def test_a_distribution_writes_each_origin_verdict_at_once_and_waits_at_intervals(redis_url):
    """A distribution's run: the planned origins and each new verdict are written at once (at
    most one write per gap), what they wait for every interval, all as one DistributionLive."""
    store = RunStore(connect(redis_url))
    store.create(run("running", run_id="r3-live"))
    clock = Clock()
    syncs: list[float] = []
    updates = DistributionLiveUpdates(store, "r3-live", lambda: syncs.append(clock.now),
                                      clock=clock)
    watch = updates.watch
    assert updates.tick() is False  # nothing planned yet: nothing to show
    watch.plan([OriginLive("web", "web.shop.test"), OriginLive("api", "api.shop.test")])
    assert updates.tick() is True
    shown = DistributionLive.from_dict(store.provisional("r3-live"))
    assert [(o.origin_id, o.state) for o in shown.origins] == [("web", "probing"),
                                                                ("api", "probing")]
    watch.events(1).attempt_started(TCP)
    clock.now += SHOW_AFTER
    assert updates.tick() is False  # a wait, but too soon after the last write
    clock.now += PROGRESS_INTERVAL
    assert updates.tick() is True
    shown = DistributionLive.from_dict(store.provisional("r3-live"))
    assert shown.origins[1].waiting == {"tcp": "no answer for 6 of 10 s (attempt 1 of 3)"}
    assert shown.verdict is None  # nothing known yet
    watch.finished(0, report(fail=False))
    clock.now += PROVISIONAL_GAP
    assert updates.tick() is True  # a verdict: at once, not at the next interval
    watch.events(1).attempt_ended(TCP, "timeout")
    watch.provisional(1)(Provisional(report(fail=True), NOTE))
    clock.now += PROVISIONAL_GAP / 2
    assert updates.tick() is False  # a second verdict within the gap waits for it
    clock.now += PROVISIONAL_GAP / 2
    assert updates.tick() is True
    shown = DistributionLive.from_dict(store.provisional("r3-live"))
    web, api = shown.origins
    assert (web.state, web.verdict) == ("done", "ok")
    assert (api.state, api.verdict, api.code, api.note) == (
        "provisional", "fail", "CERT_EXPIRED", NOTE)
    assert shown.verdict == "fail" and [o.origin_id for o in shown.failing] == ["api"]
    assert updates.tick() is False  # nothing changed
    assert len(syncs) == 4


def test_a_late_provisional_never_hides_a_final_verdict():
    watch = DistributionWatch()
    watch.plan([OriginLive("api", "api.shop.test")])
    watch.finished(0, report(fail=True))
    watch.provisional(0)(Provisional(report(fail=True), NOTE))
    (api,) = watch.snapshot().origins
    assert (api.state, api.note) == ("done", None)
