"""Shared fixtures.  The logic lives in tests/support/; only fixtures go here."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# `tests` has no __init__.py, so under pytest's default import mode only tests/ (not the
# repository root) lands on sys.path; make `import tests.support...` work under plain
# `pytest` as well as `python -m pytest`.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.support.certs import CertFactory  # noqa: E402
from tests.support.dns_server import FakeDns  # noqa: E402
from tests.support.loopback_only import install as _loopback_only  # noqa: E402
from tests.support.redis_server import RedisServer, find_redis_server  # noqa: E402

# Tests reach this machine only: a socket of the test process that dials anything else fails.
_loopback_only()

# Property tests draw the same examples on every run and every machine: a search that finds a
# new counter-example one run in fifty would block a landing for a bug it did not bring. Explore
# with `HYPOTHESIS_PROFILE=explore` (random draws, the local example database) and turn what it
# finds into explicit examples. No deadline either: an example that takes over Hypothesis's
# default 200 ms on a loaded machine would fail a run for the machine's load, not for the code.
settings.register_profile("repeatable", derandomize=True, database=None, deadline=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def _no_aws_lookups_unless_a_test_asks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's own AWS set-up (AWS_PROFILE, CI credentials) must not make a test look
    names up in a real account: tests reach loopback only. The AWS tests clear this and point
    boto3 at moto (tests/support/aws.py)."""
    monkeypatch.setenv("ORIGIN502_AWS", "0")


@pytest.fixture(scope="session")
def cert_factory() -> CertFactory:
    return CertFactory()


@pytest.fixture
def fake_dns() -> Iterator[FakeDns]:
    with FakeDns() as dns:
        yield dns


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """Our own redis-server on a free loopback port for the whole session."""
    executable = find_redis_server()
    if executable is None:
        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)(
            "redis-server is not installed and could not be installed "
            "(needs root and apt-get; or set REDIS_SERVER=/path/to/redis-server)"
        )
    server = RedisServer(executable)
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """A clean (FLUSHALL) database URL; the server runs again after the test."""
    redis_server.flushall()
    yield redis_server.url
    redis_server.start()
