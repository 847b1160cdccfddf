"""The first verdict: what the report says once every connection has either ended or is only
retrying after a timed-out connection attempt.

CloudFront makes up to three connection attempts of up to ten seconds each. A port that drops
packets therefore costs thirty seconds before its final report, but after the first attempt
has timed out nothing new will be learnt unless a later attempt is answered. `FirstVerdict`
listens to the probes' attempt events (workers/probes/attempts.py) and, at that point, builds
the report the diagnosis would give if the remaining attempts time out too, and hands it to
the caller as a `Provisional`, marked as such. The probe keeps running; its final report is
exactly what it would have been without this, and replaces the provisional one.

The decision is driven by the probes' own events (the socket timeout of the first attempt),
not by a timer, so tests drive it with short configured timeouts or with hand-made events.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from workers.models import AddressReport, ConnectionProbe, Report, Status, TcpReason, TcpResult
from workers.models.layers import Layer, LayerResult, connection_probe
from workers.models.provisional import Provisional
from workers.models.record import FrozenRecord
from workers.probes.attempts import Attempt
from workers.probes.registry import connection_probes

Connection = tuple[str, str, int]  # address, scheme, port


@dataclass(frozen=True, eq=False, repr=False)
class Retrying(FrozenRecord):
    """A connection whose last connection attempt timed out and that has attempts left."""

    timed_out: int  # attempts that timed out so far
    of: int  # attempts CloudFront makes
    timeout: float  # seconds each attempt waited


class _Running:
    """A connection past (or inside) an attempt that may still be answered."""


RUNNING = _Running()


def pending_note(retrying: list[Retrying]) -> str:
    """What is still running, in words: "first attempt timed out; 2 more attempts running…"."""
    kinds = {(r.timed_out, r.of) for r in retrying}
    if len(kinds) > 1:
        return (f"{len(retrying)} connections timed out on their first attempts; more attempts "
                "running…")
    timed_out, of = kinds.pop()
    left = of - timed_out
    done = "first attempt timed out" if timed_out == 1 else f"{timed_out} attempts timed out"
    note = f"{done}; {left} more attempt{'s' if left != 1 else ''} running…"
    return note if len(retrying) == 1 else f"on {len(retrying)} connections, {note}"


def _with_layers_above(scheme: str, port: int, tcp: TcpResult, why: str,
                       transcript: list[str]) -> ConnectionProbe:
    """A connection whose TCP layer is ``tcp``; every layer above it not run, for ``why``."""
    results: dict[Layer, LayerResult] = {Layer.TCP: tcp}
    for probe in connection_probes(scheme):
        results.setdefault(probe.layer, probe.not_run(why))
    return connection_probe(scheme, port, results, {}, transcript)


def presumed_probe(scheme: str, port: int, address: str, state: Retrying) -> ConnectionProbe:
    """The connection as its final report will show it if every remaining attempt times out."""
    left = state.of - state.timed_out
    more = f"{left} more attempt{'s' if left != 1 else ''} running"
    tcp = TcpResult(status=Status.FAILED, reason=TcpReason.TIMEOUT, attempts=state.timed_out,
                    detail=f"no answer to the connection request within {state.timeout:g} s "
                    f"({more})")
    return _with_layers_above(scheme, port, tcp, f"not run: the {Layer.TCP.label} layer failed",
                              [f"connect {address} port {port} ({scheme})",
                               f"tcp timeout after {state.timed_out} attempt(s), {more}"])


def queued_probe(scheme: str, port: int, before: str) -> ConnectionProbe:
    """A connection not started yet: it waits for the one before it on the same address."""
    why = f"not run yet: probed after the {before} connection's remaining attempts"
    return _with_layers_above(scheme, port, TcpResult(status=Status.NOT_RUN, detail=why), why, [])


class FirstVerdict:
    """Watches one diagnosis's connections and calls ``emit`` with a `Provisional` each time
    every connection has ended or is retrying after timed-out attempts, and something changed
    since the last call. Never called once the diagnosis has returned its final report.

    ``connections`` lists every (address, scheme, port) the engine probes, in order; the
    schemes of one address run one after the other unless ``concurrent`` (match-viewer with
    two ports: see engine.schemes_concurrent). ``shell`` gives the empty AddressReport of
    an address and ``build`` turns address reports into a full report (rules and verdict).
    """

    def __init__(self, connections: list[Connection],
                 shell: Callable[[str], AddressReport],
                 build: Callable[[list[AddressReport]], Report],
                 emit: Callable[[Provisional], None], *, concurrent: bool = False) -> None:
        self._concurrent = concurrent
        self._by_address: dict[str, list[tuple[str, int]]] = {}
        for address, scheme, port in connections:
            self._by_address.setdefault(address, []).append((scheme, port))
        self._shell = shell
        self._build = build
        self._emit = emit
        self._lock = threading.Lock()
        self._emitting = threading.Lock()
        self._done: dict[Connection, ConnectionProbe] = {}
        self._inflight: dict[tuple[str, int], Retrying | _Running] = {}
        self._changes = 0  # bumped by every state change; an emission carries its number
        self._emitted: object = None  # the state last emitted, to skip repeats
        self._last_sent = 0  # the change number of the last emission (older ones are dropped)

    # -- ProbeEvents ------------------------------------------------------------------------
    def attempt_started(self, attempt: Attempt) -> None:
        key = (attempt.address, attempt.port)
        with self._lock:
            if attempt.layer == Layer.TCP and isinstance(self._inflight.get(key), Retrying):
                return  # a retry: the connection stays "retrying" until an attempt answers
            self._inflight[key] = RUNNING

    def attempt_ended(self, attempt: Attempt, outcome: str) -> None:
        if attempt.layer != Layer.TCP:
            return
        key = (attempt.address, attempt.port)
        with self._lock:
            if outcome == "timeout" and attempt.number < attempt.of:
                self._inflight[key] = Retrying(attempt.number, attempt.of, attempt.timeout)
                self._changes += 1
            else:
                self._inflight[key] = RUNNING
        self._maybe_emit()

    def connection_ended(self, address: str, probe: ConnectionProbe) -> None:
        with self._lock:
            self._done[(address, probe.scheme, probe.port)] = probe
            self._inflight.pop((address, probe.port), None)
            self._changes += 1
        self._maybe_emit()

    # -- deciding ---------------------------------------------------------------------------
    def _snapshot(self) -> tuple[int, list[AddressReport], list[Retrying]] | None:
        """The address reports with retrying connections presumed failed, or None while any
        connection is still doing something that may be answered."""
        addresses: list[AddressReport] = []
        retrying: list[Retrying] = []
        for address, connections in self._by_address.items():
            report = self._shell(address)
            waiting_on: str | None = None  # the retrying connection the rest queue behind
            for scheme, port in connections:
                done = self._done.get((address, scheme, port))
                if done is not None:
                    report.probes.append(done)
                    continue
                if waiting_on is not None:
                    report.probes.append(queued_probe(scheme, port, waiting_on))
                    continue
                state = self._inflight.get((address, port))
                if not isinstance(state, Retrying):
                    return None  # running, or about to start
                retrying.append(state)
                report.probes.append(presumed_probe(scheme, port, address, state))
                if not self._concurrent:
                    waiting_on = scheme.upper()
            addresses.append(report)
        if not retrying:
            return None  # everything ended: the final report is moments away
        return self._changes, addresses, retrying

    def _maybe_emit(self) -> None:
        with self._lock:
            snapshot = self._snapshot()
            if snapshot is None:
                return
            state = (tuple(sorted(self._done)), tuple(
                (k, v) for k, v in sorted(self._inflight.items()) if isinstance(v, Retrying)))
            if state == self._emitted:
                return
            self._emitted = state
        number, addresses, retrying = snapshot
        provisional = Provisional(report=self._build(addresses), note=pending_note(retrying))
        # Built outside the lock (the rules take a moment); sent in order, older ones dropped.
        with self._emitting:
            if number < self._last_sent:
                return
            self._last_sent = number
            self._emit(provisional)
