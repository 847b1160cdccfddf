"""The first verdict, decided from hand-made attempt events (no network, no clock): when it is
given, what it presumes, and the words that say it is not final."""

from __future__ import annotations

import pytest

from workers.engine import address_shell
from workers.models import ConnectionProbe, HttpResult, Status, TcpResult, TlsResult
from workers.probes.attempts import Attempt, FanOut
from workers.provisional import FirstVerdict, Retrying, pending_note

A, B = "192.0.2.10", "192.0.2.11"


def tcp(address: str, number: int, of: int = 3, port: int = 443) -> Attempt:
    return Attempt("tcp", address, port, number, of, 10.0)


def ended(scheme: str = "https", port: int = 443, ok: bool = True) -> ConnectionProbe:
    status = Status.OK if ok else Status.FAILED
    return ConnectionProbe(scheme, port, TcpResult(status=status, attempts=1),
                           TlsResult(status=status) if scheme == "https" else None,
                           HttpResult(status=status, status_code=200 if ok else None))


class Watch:
    """A FirstVerdict whose reports are the address reports themselves."""

    def __init__(self, connections):
        self.emitted = []
        self.first = FirstVerdict(connections, address_shell, lambda addresses: addresses,
                                  self.emitted.append)


def probes_of(provisional, address):
    (found,) = [a for a in provisional.report if a.address == address]
    return found.probes


@pytest.mark.parametrize(
    ("retrying", "words"),
    [
        ([Retrying(1, 3, 10)], "first attempt timed out; 2 more attempts running…"),
        ([Retrying(2, 3, 10)], "2 attempts timed out; 1 more attempt running…"),
        ([Retrying(1, 2, 10)], "first attempt timed out; 1 more attempt running…"),
        ([Retrying(1, 3, 10)] * 2,
         "on 2 connections, first attempt timed out; 2 more attempts running…"),
        ([Retrying(1, 3, 10), Retrying(2, 3, 10)],
         "2 connections timed out on their first attempts; more attempts running…"),
    ],
)
def test_the_note_says_what_still_runs(retrying, words):
    assert pending_note(retrying) == words


def test_a_timed_out_first_attempt_gives_a_verdict_and_each_further_one_updates_it():
    watch = Watch([(A, "https", 443)])
    first = watch.first
    first.attempt_started(tcp(A, 1))
    assert watch.emitted == []
    first.attempt_ended(tcp(A, 1), "timeout")
    (one,) = watch.emitted
    assert one.note == "first attempt timed out; 2 more attempts running…"
    (presumed,) = probes_of(one, A)
    assert (presumed.tcp.status, presumed.tcp.reason, presumed.tcp.attempts) == (
        "failed", "timeout", 1)
    assert presumed.tls.status == "not_run" and presumed.http.status == "not_run"

    first.attempt_started(tcp(A, 2))
    first.attempt_ended(tcp(A, 2), "timeout")
    assert [p.note for p in watch.emitted][-1] == "2 attempts timed out; 1 more attempt running…"
    assert probes_of(watch.emitted[-1], A)[0].tcp.attempts == 2

    # The last attempt and the end of the connection: the final report follows, nothing more.
    first.attempt_started(tcp(A, 3))
    first.attempt_ended(tcp(A, 3), "timeout")
    first.connection_ended(A, ended(ok=False))
    assert len(watch.emitted) == 2


def test_no_verdict_while_another_connection_may_still_answer():
    watch = Watch([(A, "https", 443), (B, "https", 443)])
    first = watch.first
    first.attempt_started(tcp(A, 1))
    first.attempt_started(tcp(B, 1))
    first.attempt_ended(tcp(B, 1), "ok")  # B is in its handshake now
    first.attempt_ended(tcp(A, 1), "timeout")
    assert watch.emitted == []
    first.connection_ended(B, ended())
    (one,) = watch.emitted
    assert probes_of(one, B)[0].tcp.status == "ok"  # measured, kept as it is
    assert probes_of(one, A)[0].tcp.reason == "timeout"  # presumed


def test_the_next_scheme_of_the_same_address_waits_and_says_so():
    watch = Watch([(A, "https", 443), (A, "http", 80)])
    watch.first.attempt_started(tcp(A, 1))
    watch.first.attempt_ended(tcp(A, 1), "timeout")
    (one,) = watch.emitted
    https, http = probes_of(one, A)
    assert https.tcp.reason == "timeout"
    assert http.tcp.status == "not_run"
    assert "not run yet" in http.tcp.detail and "HTTPS" in http.tcp.detail


@pytest.mark.parametrize("outcome", ["refused", "failed", "ok"])
def test_an_attempt_that_got_an_answer_gives_no_early_verdict(outcome):
    watch = Watch([(A, "https", 443)])
    watch.first.attempt_started(tcp(A, 1))
    watch.first.attempt_ended(tcp(A, 1), outcome)
    watch.first.connection_ended(A, ended(ok=outcome == "ok"))
    assert watch.emitted == []


def test_a_single_attempt_setting_has_nothing_left_to_wait_for():
    watch = Watch([(A, "https", 443)])
    watch.first.attempt_started(tcp(A, 1, of=1))
    watch.first.attempt_ended(tcp(A, 1, of=1), "timeout")
    assert watch.emitted == []


def test_a_retry_that_connects_ends_the_provisional_state():
    watch = Watch([(A, "https", 443), (B, "https", 443)])
    first = watch.first
    first.attempt_ended(tcp(A, 1), "timeout")
    first.connection_ended(B, ended())
    assert len(watch.emitted) == 1
    first.attempt_started(tcp(A, 2))
    first.attempt_ended(tcp(A, 2), "ok")
    first.attempt_started(Attempt("tls", A, 443, 1, 1, 10.0))
    first.connection_ended(A, ended())
    assert len(watch.emitted) == 1


def test_a_watcher_that_fails_does_not_stop_the_others():
    seen = []

    class Broken:
        def attempt_started(self, attempt):
            raise RuntimeError("display gone")

        attempt_ended = connection_ended = attempt_started

    class Recorder:
        def attempt_started(self, attempt):
            seen.append(("started", attempt.number))

        def attempt_ended(self, attempt, outcome):
            seen.append((outcome, attempt.number))

        def connection_ended(self, address, probe):
            seen.append(("connection", address))

    fan = FanOut(Broken(), Recorder())
    fan.attempt_started(tcp(A, 1))
    fan.attempt_ended(tcp(A, 1), "timeout")
    fan.connection_ended(A, ended())
    assert seen == [("started", 1), ("timeout", 1), ("connection", A)]
