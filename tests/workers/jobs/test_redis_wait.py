"""Waiting out a Redis outage: real Redis, a fake clock, no wall-clock waits."""

from __future__ import annotations

import logging

import pytest
from redis import Redis

from tests.support.ports import closed_port
from workers.jobs.queues import connect
from workers.jobs.redis_wait import MAX_DELAY, RedisRefused, wait_for_redis


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_reachable_redis_returns_at_once(redis_url, caplog):
    fake = FakeTime()
    assert wait_for_redis(connect(redis_url), what="test", sleep=fake.sleep, clock=fake.clock) == 0
    assert fake.sleeps == []
    assert not caplog.records


def test_an_outage_is_logged_once_with_its_length_and_backs_off(redis_url, caplog):
    connection = connect(redis_url)
    fake = FakeTime()
    answers = iter([False] * 8 + [True])
    real_ping = connection.ping

    def ping() -> bool:
        if next(answers):
            return real_ping()
        raise ConnectionError("refused")  # what redis-py raises is an OSError subclass too

    connection.ping = ping  # type: ignore[method-assign]
    caplog.set_level(logging.WARNING)
    outage = wait_for_redis(connection, what="test", sleep=fake.sleep, clock=fake.clock)
    assert outage == pytest.approx(sum(fake.sleeps))
    # Backoff doubles up to the cap, never beyond it.
    assert fake.sleeps == sorted(fake.sleeps) and max(fake.sleeps) == MAX_DELAY
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["redis unreachable; waiting for it", "redis reachable again"]
    assert caplog.records[-1].outage_seconds == round(outage, 1)


def test_giving_up_is_possible_when_asked():
    fake = FakeTime()
    connection = connect(f"redis://127.0.0.1:{closed_port()}/0")
    with pytest.raises(TimeoutError):
        wait_for_redis(
            connection, what="test", sleep=fake.sleep, clock=fake.clock, give_up_after=30
        )
    assert 30 <= fake.now - 1000.0 <= 30 + MAX_DELAY


def test_a_wrong_password_is_refused_at_once_not_waited_for(redis_server):
    admin = Redis.from_url(redis_server.url)
    admin.execute_command("ACL", "SETUSER", "picky", "on", ">right", "~*", "+@all")
    try:
        wrong = connect(redis_server.url.replace("redis://", "redis://picky:wrong@"))
        fake = FakeTime()
        with pytest.raises(RedisRefused):
            wait_for_redis(wrong, what="test", sleep=fake.sleep, clock=fake.clock)
        assert fake.sleeps == []
    finally:
        admin.execute_command("ACL", "DELUSER", "picky")
