"""Work done after the acknowledgement, off Bolt's listener threads.

A listener acks, then hands the rest (Redis, enqueueing, replies) to this pool, so a slow or
unreachable Redis never delays the acknowledgement of the next command. Failures are told to
the person who asked, never swallowed: an unreachable queue gets its own message, anything
else a reference the operators can find in the log.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from redis.exceptions import RedisError

from bot.render import replies
from bot.render.message import Message
from workers.logging_setup import new_request_id

log = logging.getLogger(__name__)

Reply = Callable[[Message], None]


class Background:
    # Few threads: every runnable one competes with the acks for the GIL (measured with
    # benchmarks/ack_latency.py: 8 threads doubled the p50 of a 30-command burst).
    def __init__(self, max_workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="after-ack")

    def submit(self, work: Callable[[], None], reply: Reply) -> Future[None]:
        # Run in a copy of the listener's context, so its request id stays bound in the logs.
        context = contextvars.copy_context()
        return self._pool.submit(context.run, self._run, work, reply)

    @staticmethod
    def _run(work: Callable[[], None], reply: Reply) -> None:
        try:
            work()
        except RedisError as exc:
            log.warning("queue unavailable", extra={"error": str(exc)})
            _tell(reply, replies.queue_unavailable())
        except Exception:
            reference = new_request_id()
            log.exception("request failed after ack", extra={"reference": reference})
            _tell(reply, replies.internal_error(reference))

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)


def _tell(reply: Reply, message: Message) -> None:
    try:
        reply(message)
    except Exception:
        # The person cannot be reached (response_url expired, Slack down): the log keeps it.
        log.exception("could not tell the user about a failure")
