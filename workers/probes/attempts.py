"""What a probe tells a watcher while it waits on the origin: one event when an attempt starts
and one when it ends, and one when a whole connection (a scheme on an address) is done.

A dropped port costs CloudFront up to three connection attempts of ten seconds each; a silent
origin a whole handshake or response timeout. These events let a caller say what is being
waited for ("TCP: no answer for 6 of 10 s") and give a first verdict as soon as the first
attempt has timed out, while the probe itself keeps running as before. The probes only report;
deciding and wording live in workers/waiting.py and workers/provisional.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from workers.models import ConnectionProbe
from workers.models.layers import Layer
from workers.models.record import FrozenRecord

log = logging.getLogger(__name__)

# How an attempt ended: "ok" (the peer answered), "timeout" (no answer within its timeout),
# "refused", "failed" (any other answer or error), "out_of_time" (origin502's own budget for
# the diagnosis ended the wait before CloudFront's timeout would have: nothing learnt).
OUTCOMES = ("ok", "timeout", "refused", "failed", "out_of_time")


@dataclass(frozen=True, eq=False, repr=False)
class Attempt(FrozenRecord):
    """One wait on the origin: a TCP connect, the faithful TLS handshake, or the wait for the
    HTTP response."""

    layer: Layer  # a connection layer: TCP, TLS or HTTP
    address: str
    port: int
    number: int  # 1-based
    of: int  # how many attempts CloudFront makes for this layer (connection attempts for TCP)
    timeout: float  # seconds this attempt may wait


class ProbeEvents(Protocol):
    """Receives a diagnosis's attempt and connection events, from the probe threads."""

    def attempt_started(self, attempt: Attempt) -> None: ...

    def attempt_ended(self, attempt: Attempt, outcome: str) -> None: ...

    def connection_ended(self, address: str, probe: ConnectionProbe) -> None: ...


class NoEvents:
    """The default: nobody is watching."""

    def attempt_started(self, attempt: Attempt) -> None:
        return None

    def attempt_ended(self, attempt: Attempt, outcome: str) -> None:
        return None

    def connection_ended(self, address: str, probe: ConnectionProbe) -> None:
        return None


NO_EVENTS = NoEvents()


class FanOut:
    """Passes every event to several watchers. A watcher that raises is logged and skipped:
    showing progress must never cost the diagnosis its answer."""

    def __init__(self, *watchers: ProbeEvents) -> None:
        self._watchers = watchers

    def attempt_started(self, attempt: Attempt) -> None:
        for watcher in self._watchers:
            try:
                watcher.attempt_started(attempt)
            except Exception:
                log.exception("a progress watcher failed on attempt_started")

    def attempt_ended(self, attempt: Attempt, outcome: str) -> None:
        for watcher in self._watchers:
            try:
                watcher.attempt_ended(attempt, outcome)
            except Exception:
                log.exception("a progress watcher failed on attempt_ended")

    def connection_ended(self, address: str, probe: ConnectionProbe) -> None:
        for watcher in self._watchers:
            try:
                watcher.connection_ended(address, probe)
            except Exception:
                log.exception("a progress watcher failed on connection_ended")
