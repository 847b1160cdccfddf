"""Liveness and readiness, kept apart as Kubernetes expects.

`/healthz` (liveness) says the process is alive and its HTTP thread answers: it never touches
Redis, so a Redis outage never makes the kubelet restart pods that would only wait for Redis
again. `/readyz` (readiness) runs the process's own check (Redis answers, a scheduler pass
completed) with a hard bound: a frozen Redis (SIGSTOP, a stuck failover) answers 503 within
`READY_TIMEOUT` instead of hanging the probe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from redis import Redis
from redis.exceptions import RedisError

HealthCheck = Callable[[], tuple[bool, str]]
# Below the kubelet's default probe timeout (1 s is its default; the chart sets 3 s).
READY_TIMEOUT = 2.0


def always_alive() -> tuple[bool, str]:
    return True, "alive"


def redis_check(connection: Redis, what: str = "redis") -> HealthCheck:
    """A readiness check that pings Redis; the error text carries no URL (no password)."""

    def check() -> tuple[bool, str]:
        try:
            connection.ping()
        except (RedisError, OSError) as exc:
            return False, f"{what} unavailable: {type(exc).__name__}"
        return True, "ok"

    return check


class BoundedCheck:
    """Run a check in its own thread and give up waiting after `timeout` seconds.

    Only one run is in flight at a time: while a check is stuck (frozen Redis), later calls
    answer "still waiting" at once instead of piling up threads.
    """

    def __init__(self, check: HealthCheck, timeout: float = READY_TIMEOUT) -> None:
        self._check = check
        self._timeout = timeout
        self._lock = threading.Lock()
        self._running: threading.Thread | None = None
        self._result: tuple[bool, str] | None = None

    def __call__(self) -> tuple[bool, str]:
        with self._lock:
            if self._running is not None and self._running.is_alive():
                return False, "the previous readiness check has not answered yet"
            done = threading.Event()
            box: list[tuple[bool, str]] = []

            def run() -> None:
                try:
                    box.append(self._check())
                except Exception as exc:  # noqa: BLE001 - a check that crashes is a failing check
                    box.append((False, f"readiness check raised {type(exc).__name__}"))
                done.set()

            self._running = threading.Thread(target=run, name="readiness-check", daemon=True)
            self._running.start()
        if not done.wait(self._timeout):
            return False, f"readiness check did not answer within {self._timeout:g} s"
        return box[0]
