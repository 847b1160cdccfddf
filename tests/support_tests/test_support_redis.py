"""The redis fixtures run our own server, clean per test, and survive stop/start."""

from __future__ import annotations

import redis

from tests.support.redis_server import RedisServer


def test_redis_url_is_ours_and_clean(redis_url: str, redis_server: RedisServer) -> None:
    assert redis_url == redis_server.url
    assert redis_server.port != 6379
    client = redis.Redis.from_url(redis_url)
    assert client.dbsize() == 0
    client.set("left-behind", "1")
    client.close()


def test_stop_and_start_same_port(redis_url: str, redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=1)
    assert client.dbsize() == 0  # the previous test's key was flushed
    port = redis_server.port
    redis_server.stop()
    assert not redis_server.running
    try:
        client.ping()
    except redis.ConnectionError:
        pass
    else:
        raise AssertionError("ping succeeded while redis was stopped")
    redis_server.start()
    assert redis_server.port == port
    assert client.ping()
    redis_server.stop()  # left stopped on purpose: the fixture must start it again
    client.close()


def test_fixture_restarted_the_server(redis_url: str, redis_server: RedisServer) -> None:
    assert redis_server.running
    assert redis.Redis.from_url(redis_url).ping()
