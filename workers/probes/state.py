"""What the layers of one connection hand up to the next: the ``previous`` of every probe."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from workers.models.layers import Layer, LayerResult
from workers.models.record import Record
from workers.probes.wire import Stream

T = TypeVar("T")
# Side handshakes at once per process; more wait for a free thread (a watch process runs at
# most 32 probes, two side handshakes each).
MAX_SIDE_THREADS = 64


@functools.lru_cache(maxsize=1)
def _side_threads() -> ThreadPoolExecutor:
    """The side threads of this process: started as needed, then kept (starting two threads
    per connection cost a watch worker about as much CPU as the handshakes they made)."""
    return ThreadPoolExecutor(max_workers=MAX_SIDE_THREADS, thread_name_prefix="origin502-side")


def run_beside(fn: Callable[..., T], *args: Any) -> Future[T]:
    """Run ``fn(*args)`` on a side thread, beside the layers of its connection (the TLS 1.3
    check and the other key type's handshake, while the chain is judged and the request
    sent); the caller waits for it with ``ProbeState.wait_for``."""
    return _side_threads().submit(fn, *args)


@dataclass(eq=False, repr=False)
class ProbeState(Record):
    """One connection on its way up the layers (the DNS layer gets a fresh, empty one).

    A layer reads the stream the layer below opened and hands up its own (TCP a PlainStream
    on its socket, TLS a TlsStream on that socket: workers/probes/wire.py); it leaves
    ``stream`` None when nothing can be built on it, and then the layers above are not run,
    for the reason in ``stopped`` when the layer gave one. Each layer also notes its phase
    timings and one transcript line.
    """

    stream: Stream | None = None
    stopped: str | None = None  # why the layers above are not run, when a layer said why
    results: dict[Layer, LayerResult] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)  # connect / tls / first_byte
    transcript: list[str] = field(default_factory=list)
    _opened: list[Stream] = field(default_factory=list, repr=False)
    _side_work: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def hand_up(self, stream: Stream | None) -> None:
        """Offer ``stream`` to the layers above (None: nothing to build on)."""
        self.stream = stream
        if stream is not None:
            self._opened.append(stream)

    def stop(self, why: str) -> None:
        """Nothing to build on, for a reason worth saying in the layers above."""
        self.stream, self.stopped = None, why

    def wait_for(self, join: Callable[[], None]) -> None:
        """Side work a layer started on a connection of its own, in parallel with the layers
        above (TLS: the TLS 1.3 check); ``join`` waits for it, at ``close``, so that the
        results are complete once the connection is closed."""
        self._side_work.append(join)

    def close(self) -> None:
        """Close every stream a layer opened (closing one twice is harmless), then wait for the
        side work."""
        for stream in reversed(self._opened):
            with contextlib.suppress(OSError):
                stream.close()
        for join in self._side_work:
            join()
