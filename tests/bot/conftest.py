"""Fixtures for the bot's tests: a recording Slack, the app over real HTTP, RQ in-process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from redis import Redis

from tests.bot.fakeslack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, SlackSender
from tests.support.certs import CertFactory, write_pem
from tests.support.dns_server import FakeDns
from tests.support.tls_origin import TlsOrigin


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@dataclass
class Origin:
    """A TLS origin on 127.0.0.1 whose certificate names origin.test and www.origin.test,
    published in the fake DNS, with its root in ORIGIN502_CA_FILE."""

    server: TlsOrigin
    ca_file: str

    @property
    def port(self) -> int:
        return self.server.port


@pytest.fixture(scope="session")
def origin_chain(cert_factory: CertFactory) -> list[Any]:
    root = cert_factory.root()
    inter = cert_factory.intermediate(root)
    leaf = cert_factory.leaf(inter, ["origin.test", "www.origin.test"])
    return [leaf, inter, root]


@pytest.fixture
def origin(origin_chain: list[Any], fake_dns: FakeDns, tmp_path: Any) -> Iterator[Origin]:
    leaf, inter, root = origin_chain
    ca_file = write_pem(tmp_path / "root.pem", root)
    fake_dns.set("origin.test", [("A", "127.0.0.1")])
    with TlsOrigin([leaf, inter]) as server:
        yield Origin(server, str(ca_file))


@pytest.fixture
def slack_env(
    monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlack, redis_url: str, fake_dns: FakeDns
) -> dict[str, str]:
    """The environment a deployment would have, pointed at the fakes; private targets allowed
    because every origin in these tests is on 127.0.0.1, and DNS asked of a local server."""
    env = {
        "ORIGIN502_NAMESERVER": fake_dns.nameserver,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "REDIS_URL": redis_url,
        "ORIGIN502_ALLOW_PRIVATE_TARGETS": "1",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ORIGIN502_CA_FILE", raising=False)
    from bot.delivery import jobs

    jobs.slack.cache_clear()
    jobs.bot_user_id.cache_clear()
    return env


@dataclass
class RunningApp:
    url: str
    redis: Redis
    slack: FakeSlack
    send: SlackSender

    def work(self, until: Callable[[], Any] | None = None, timeout: float = 30.0) -> None:
        """Run RQ in-process (burst) until the queues are empty and `until()` holds."""
        from workers.jobs.queues import DELIVERY_QUEUE, PROBE_QUEUE
        from workers.jobs.worker import make_worker

        deadline = time.monotonic() + timeout
        while True:
            time.sleep(0.05)  # let the after-ack thread enqueue
            worker = make_worker(self.redis, [DELIVERY_QUEUE, PROBE_QUEUE], heartbeat_interval=1)
            worker.work(burst=True, with_scheduler=False)
            if until is None or until():
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met; Slack saw {self.slack.summary()}")


@pytest.fixture
def app_factory(
    slack_env: dict[str, str], fake_slack: FakeSlack
) -> Iterator[Callable[..., RunningApp]]:
    from bot.app import create_app
    from bot.server import make_server
    from bot.settings import Settings
    from workers.jobs.queues import connect

    servers = []

    def start(**env: str) -> RunningApp:
        import os

        settings = Settings.from_env({**os.environ, **env})
        redis = connect(settings.redis_url)
        app = create_app(settings, redis=redis, server_checks_signature=True)  # as `serve`
        server = make_server(
            app, "127.0.0.1", 0, lambda: (True, "ok"), signing_secret=settings.signing_secret
        )
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        servers.append(server)
        url = f"http://127.0.0.1:{server.server_address[1]}/slack/events"
        return RunningApp(url, redis, fake_slack, SlackSender(url, fake_slack))

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def running_app(app_factory: Callable[..., RunningApp]) -> RunningApp:
    return app_factory()
