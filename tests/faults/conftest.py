"""Fault tests run the real processes (`origin502 serve`, `worker`, `scheduler`) against
the fakes of tests/e2e, with a Redis that keeps its data across a restart (append-only file,
as a queue's Redis is run), so a stop and start is an outage, not a wipe."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import (  # noqa: F401 - fixtures, shared with the end-to-end tests
    e2e_chain,
    e2e_env,
    good_origin,
    hanging_origin,
    stack_factory,
)
from tests.support.redis_server import RedisServer, find_redis_server


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    executable = find_redis_server()
    if executable is None:
        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)(
            "redis-server is not installed and could not be installed")
    server = RedisServer(executable, persistent=True)
    server.start()
    try:
        yield server
    finally:
        server.close()


# redis_url (tests/conftest.py) asks for redis_server, and so gets the persistent one above.
