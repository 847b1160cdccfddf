"""The first verdict against real loopback origins: a port that drops SYNs gives a provisional
verdict after its first connection attempt timed out, while the remaining attempts run, and
the final report is what it was without it. Short configured timeouts; the checks are on
order and content, never on elapsed time."""

from __future__ import annotations

import threading

from tests.support.ports import DroppingPort, SilentPort, closed_port
from tests.support.scenario import NAME
from tests.support.tls_origin import TlsOrigin
from workers.engine import diagnose
from workers.models import Report
from workers.options import build_request


class Journal:
    """Every attempt event and every provisional verdict, in the order they happened."""

    def __init__(self) -> None:
        self.entries: list[tuple] = []
        self.provisionals = []
        self._lock = threading.Lock()

    def attempt_started(self, attempt):
        with self._lock:
            self.entries.append(("start", attempt.layer, attempt.port, attempt.number))

    def attempt_ended(self, attempt, outcome):
        with self._lock:
            self.entries.append(("end", attempt.layer, attempt.port, attempt.number, outcome))

    def connection_ended(self, address, probe):
        with self._lock:
            self.entries.append(("connection", probe.scheme, probe.port))

    def provisional(self, found):
        with self._lock:
            self.entries.append(("provisional", found.note))
            self.provisionals.append(found)

    def index(self, entry: tuple) -> int:
        return self.entries.index(entry)


def request(pki, port: int, **opts):
    """As tests/support/scenario.probe builds it: origin.test on 127.0.0.1, the test CA."""
    opts.setdefault("timeout", 3)
    opts.setdefault("read_timeout", 3)
    return build_request(NAME, https_port=port, allow_private=True, ca_file=pki["ca"],
                         resolve=((NAME, "127.0.0.1"),), **opts)


def probe(pki, port: int, journal: Journal, **opts) -> Report:
    return diagnose(request(pki, port, **opts), on_provisional=journal.provisional,
                    events=journal)


def summaries(report: Report) -> list[tuple[str, str]]:
    return [(f.code, f.summary) for f in report.findings]


def test_dropped_port_concludes_after_the_first_attempt_and_keeps_trying(pki):
    journal = Journal()
    with DroppingPort() as dropping:
        port = dropping.port
        final = probe(pki, port, journal, timeout=0.3, connection_attempts=3)
        plain = diagnose(request(pki, port, timeout=0.3, connection_attempts=3))

    first = journal.provisionals[0]
    assert first.note == "first attempt timed out; 2 more attempts running…"
    assert first.report.verdict == "fail"
    assert "1 attempt of 0.3 s" in next(s for c, s in summaries(first.report)
                                        if c == "PORT_TIMEOUT")
    # Given after the first attempt timed out and before the second one ended: the remaining
    # attempts were still running.
    given = journal.index(("provisional", first.note))
    assert journal.index(("end", "tcp", port, 1, "timeout")) < given
    assert given < journal.index(("end", "tcp", port, 2, "timeout"))
    assert journal.entries[-1] == ("connection", "https", port)
    # Updated when the second attempt timed out, and nothing after the last one.
    assert [p.note for p in journal.provisionals] == [
        "first attempt timed out; 2 more attempts running…",
        "2 attempts timed out; 1 more attempt running…",
    ]
    # The final report is what it is without a first verdict: all three attempts counted.
    assert final.addresses[0].probes[0].tcp.attempts == 3
    assert "3 attempts of 0.3 s" in dict(summaries(final))["PORT_TIMEOUT"]
    assert summaries(final) == summaries(plain)
    assert final.verdict == plain.verdict == "fail"


def test_refused_port_answers_at_once_and_needs_no_first_verdict(pki):
    journal = Journal()
    port = closed_port()
    final = probe(pki, port, journal, connection_attempts=3)
    assert journal.provisionals == []
    assert [e[4] for e in journal.entries if e[0] == "end"] == ["refused"] * 3
    assert "PORT_CLOSED" in dict(summaries(final))


def test_healthy_origin_gives_only_the_final_verdict(pki):
    journal = Journal()
    with TlsOrigin([pki["leaf"], pki["inter"]], pki["leaf"]) as origin:
        final = probe(pki, origin.port, journal, connection_attempts=3)
    assert journal.provisionals == []
    ends = [(e[1], e[4]) for e in journal.entries if e[0] == "end"]
    assert ends == [("tcp", "ok"), ("tls", "ok"), ("http", "ok")]
    assert final.verdict == "warn"  # loopback: CloudFront cannot reach it


def test_silent_origin_waits_one_handshake_timeout_for_its_final_verdict(pki):
    journal = Journal()
    with SilentPort() as silent:
        final = probe(pki, silent.port, journal, timeout=0.3, connection_attempts=3)
    # The handshake timeout is CloudFront's per-attempt wait and the probe makes one: the
    # final verdict is the first one.
    assert journal.provisionals == []
    assert ("end", "tls", silent.port, 1, "timeout") in journal.entries
    assert "TLS_HANDSHAKE_TIMEOUT" in dict(summaries(final))


def test_match_viewer_probes_both_schemes_side_by_side(pki):
    """Two ports: HTTP is probed while HTTPS retries, so the first verdict already holds both
    (one after the other, a dropped origin cost twice CloudFront's wait)."""
    journal = Journal()
    http_port = closed_port()
    with DroppingPort() as dropping:
        final = probe(pki, dropping.port, journal, timeout=0.3, connection_attempts=2,
                      protocol_policy="match-viewer", http_port=http_port)
    # HTTP was refused before HTTPS's first attempt timed out: they ran side by side.
    assert journal.index(("connection", "http", http_port)) < \
        journal.index(("end", "tcp", dropping.port, 1, "timeout"))
    (first,) = journal.provisionals
    https, http = first.report.addresses[0].probes
    assert (https.scheme, https.tcp.reason) == ("https", "timeout")
    assert (http.scheme, http.tcp.reason) == ("http", "refused")
    assert {"PORT_TIMEOUT", "PORT_CLOSED"} <= set(dict(summaries(first.report)))
    codes = dict(summaries(final))
    assert "PORT_TIMEOUT" in codes and "PORT_CLOSED" in codes
    assert [p.scheme for p in final.addresses[0].probes] == ["https", "http"]


def test_match_viewer_dropping_both_ports_concludes_on_both_first_attempts(pki):
    journal = Journal()
    with DroppingPort() as https, DroppingPort() as http:
        final = probe(pki, https.port, journal, timeout=0.3, connection_attempts=2,
                      protocol_policy="match-viewer", http_port=http.port)
        # Both first attempts started before either connection ended.
        first_end = journal.index(next(e for e in journal.entries if e[0] == "connection"))
        assert journal.index(("start", "tcp", http.port, 1)) < first_end
        assert journal.index(("start", "tcp", https.port, 1)) < first_end
    first = journal.provisionals[0]
    assert [p.tcp.reason for p in first.report.addresses[0].probes] == ["timeout", "timeout"]
    assert first.note == "on 2 connections, first attempt timed out; 1 more attempt running…"
    assert [p.tcp.attempts for p in final.addresses[0].probes] == [2, 2]


def test_schemes_on_one_port_still_run_one_after_the_other(pki):
    """The attempt events name a connection by address and port: HTTP on the HTTPS port waits
    for HTTPS, and the first verdict says it has not run yet."""
    journal = Journal()
    with DroppingPort() as dropping:
        final = probe(pki, dropping.port, journal, timeout=0.3, connection_attempts=2,
                      protocol_policy="match-viewer", http_port=dropping.port)
    first = journal.provisionals[0]
    https, http = first.report.addresses[0].probes
    assert (https.scheme, https.tcp.reason) == ("https", "timeout")
    assert (http.scheme, http.tcp.status) == ("http", "not_run")
    https_end = journal.index(("connection", "https", dropping.port))
    starts = [i for i, e in enumerate(journal.entries) if e[:2] == ("start", "tcp")]
    assert [i > https_end for i in starts] == [False, False, True, True]
    assert [p.tcp.attempts for p in final.addresses[0].probes] == [2, 2]


def test_a_display_that_fails_on_the_first_verdict_costs_the_diagnosis_nothing(pki, caplog):
    def broken(_found):
        raise RuntimeError("terminal gone")

    with DroppingPort() as dropping:
        final = diagnose(request(pki, dropping.port, timeout=0.3, connection_attempts=2),
                         on_provisional=broken)
    assert final.addresses[0].probes[0].tcp.attempts == 2
    assert "2 attempts of 0.3 s" in dict(summaries(final))["PORT_TIMEOUT"]
    assert "a progress watcher failed" in caplog.text
