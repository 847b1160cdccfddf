"""Riding out a Redis outage: wait with backoff, say so once, say how long it lasted.

Workers and the scheduler must outlive Redis restarts, failovers and network blips of any
length: a pod that exits on every blip turns a 5-second outage into a crash loop. The clock
and the sleep are injectable so tests never wait on wall-clock time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from redis import Redis
from redis.exceptions import AuthenticationError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

# Errors that mean "Redis is not there right now", as opposed to "Redis refuses us" (a wrong
# password or a missing ACL permission), which waiting cannot fix.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
FIRST_DELAY = 0.2
MAX_DELAY = 5.0


class RedisRefused(Exception):
    """Redis answered but refused the connection (password, ACL): a configuration error."""


def is_refusal(exc: BaseException) -> bool:
    """True for an answer from Redis that no amount of waiting changes."""
    if isinstance(exc, AuthenticationError):
        return True
    return isinstance(exc, ResponseError) and any(
        word in str(exc) for word in ("NOAUTH", "WRONGPASS", "NOPERM")
    )


def wait_for_redis(
    connection: Redis,
    *,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    max_delay: float = MAX_DELAY,
    give_up_after: float | None = None,
) -> float:
    """Block until `connection` answers PING; return how long Redis was unreachable.

    Logs once when the outage is first seen and once when it ends (with its length), not once
    per attempt. Raises `RedisRefused` at once for a wrong password or ACL, and `TimeoutError`
    when `give_up_after` seconds pass without an answer (None waits for ever).
    """
    started: float | None = None
    delay = FIRST_DELAY
    while True:
        try:
            connection.ping()
        except UNREACHABLE as exc:
            if is_refusal(exc):
                raise RedisRefused(str(exc)) from None
            now = clock()
            if started is None:
                started = now
                log.warning(
                    "redis unreachable; waiting for it",
                    extra={"component": what, "error": str(exc)},
                )
            elif give_up_after is not None and now - started >= give_up_after:
                raise TimeoutError(f"Redis unreachable for {now - started:.0f} s") from None
            sleep(delay)
            delay = min(max_delay, delay * 2)
            continue
        except ResponseError as exc:
            if is_refusal(exc):
                raise RedisRefused(str(exc)) from None
            raise
        if started is None:
            return 0.0
        outage = clock() - started
        log.warning(
            "redis reachable again", extra={"component": what, "outage_seconds": round(outage, 1)}
        )
        return outage
