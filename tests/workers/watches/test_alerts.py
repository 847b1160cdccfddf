"""The alert state machine, from tables of hand-built observations (no network, no Redis)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.bot.reports import report
from workers.watches.alerts import (
    Cause,
    CertSeen,
    Observation,
    WatchState,
    evaluate,
    expiry_thresholds,
    observe,
)

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp()
DAY = 86400.0


def ok(cert_days: float | None = 60, sha: str = "aa") -> Observation:
    return Observation(verdict="warn", cert=cert(cert_days, sha) if cert_days else None)


def cert(days: float, sha: str = "aa") -> CertSeen:
    when = dt.datetime.fromtimestamp(NOW + days * DAY, dt.UTC).isoformat().replace("+00:00", "Z")
    return CertSeen(not_after=when, sha256=sha * 32, subject="CN=shop.example")


def failing(*causes: tuple[str, str | None]) -> Observation:
    return Observation(verdict="fail", causes=[Cause(code, f"{code} summary", address, ["fix it"])
                                               for code, address in causes],
                       cert=cert(60))


def run(observations, *, start: WatchState | None = None, step: float = 300.0):
    """Feed observations one by one; returns the alert kinds of each step and the last state."""
    state, kinds, alerts = start, [], []
    for number, obs in enumerate(observations):
        decision = evaluate(state, obs, watch_id="w1", channel="C1", display="shop.example",
                            now=NOW + number * step)
        state = decision.state
        kinds.append([a.kind for a in decision.alerts])
        alerts.append(decision.alerts)
    return kinds, state, alerts


def test_healthy_stays_quiet():
    kinds, state, _ = run([ok(), ok(), ok()])
    assert kinds == [[], [], []]
    assert state.verdict == "warn" and state.checks == 3 and state.incident_id is None


def test_first_check_failing_opens_an_incident():
    kinds, state, alerts = run([failing(("PORT_CLOSED", None))])
    assert kinds == [["open"]]
    assert state.incident_id == f"w1-i1-{NOW:.0f}"
    assert alerts[0][0].thread_id == state.incident_id
    assert alerts[0][0].causes[0].code == "PORT_CLOSED"


@pytest.mark.parametrize(("sequence", "expected"), [
    # healthy → failing → same failure → recovery
    (["ok", "closed", "closed", "closed", "ok"], [[], ["open"], [], [], ["recovered"]]),
    # a new cause while failing goes into the thread
    (["ok", "closed", "expired"], [[], ["open"], ["update"]]),
    # another address failing too goes into the thread; the same again does not
    (["expired@1", "expired@1+2", "expired@1+2"], [["open"], ["update"], []]),
    # fewer failing addresses is a change too
    (["expired@1+2", "expired@1"], [["open"], ["update"]]),
    # a second incident after recovery gets its own thread
    (["closed", "ok", "closed"], [["open"], ["recovered"], ["open"]]),
    # a probe that could not run changes nothing, in either state
    (["closed", "probe_error", "closed", "probe_error", "ok"],
     [["open"], [], [], [], ["recovered"]]),
])
def test_alerts_on_change_only(sequence, expected):
    shapes = {
        "ok": ok(),
        "closed": failing(("PORT_CLOSED", None)),
        "expired": failing(("PORT_CLOSED", None), ("CERT_EXPIRED", None)),
        "expired@1": failing(("CERT_EXPIRED", "127.0.0.1")),
        "expired@1+2": failing(("CERT_EXPIRED", "127.0.0.1"), ("CERT_EXPIRED", "127.0.0.2")),
        "probe_error": Observation(verdict="unknown", probe_error="no DNS resolver reachable"),
    }
    kinds, _, _ = run([shapes[name] for name in sequence])
    assert kinds == expected


def test_second_incident_has_a_new_thread_and_recovery_uses_the_open_one():
    _, state, alerts = run([failing(("PORT_CLOSED", None)), ok(), failing(("PORT_CLOSED", None)),
                            ok()])
    threads = [a[0].thread_id for a in alerts]
    assert threads[0] == threads[1] != threads[2] == threads[3]
    assert threads[2].startswith("w1-i2-")
    assert state.incidents == 2


def test_update_names_what_changed():
    _, _, alerts = run([failing(("CERT_EXPIRED", "127.0.0.1")),
                        failing(("CERT_EXPIRED", "127.0.0.1"), ("CERT_EXPIRED", "127.0.0.2"),
                                ("TLS_HANDSHAKE_FAILED", "127.0.0.2"))])
    assert alerts[1][0].changes == [
        "new cause TLS_HANDSHAKE_FAILED: TLS_HANDSHAKE_FAILED summary",
        "now failing on 127.0.0.2",
    ]


def test_recovery_knows_how_long_it_failed():
    _, _, alerts = run([failing(("PORT_CLOSED", None)), failing(("PORT_CLOSED", None)), ok()])
    recovered = alerts[2][0]
    assert recovered.failing_since == NOW
    assert recovered.at - recovered.failing_since == 600


@pytest.mark.parametrize(("days_seen", "warned_at"), [
    # one check a day from 20 days out: one warning per threshold
    ([20, 16, 14, 13, 10, 7, 6, 3.5, 3, 2, 1, 0.5],
     [None, None, 14, None, None, 7, None, None, 3, None, 1, None]),
    # first seen at 2 days: one warning (3), then 1 — never 14 and 7 afterwards
    ([2, 1.5, 0.9], [3, None, 1]),
    # expired: no expiry warning (the incident covers it)
    ([-1], [None]),
])
def test_expiry_warns_once_per_threshold(days_seen, warned_at):
    state = None
    seen = []
    for number, days in enumerate(days_seen):
        now = NOW + number * 60
        obs = Observation(verdict="ok", cert=cert(days + number * 60 / DAY))
        decision = evaluate(state, obs, watch_id="w1", channel="C1", display="d", now=now)
        state = decision.state
        expiry = [a for a in decision.alerts if a.kind == "expiry"]
        seen.append(expiry[0].threshold if expiry else None)
    assert seen == warned_at


def test_all_expiry_warnings_of_one_certificate_share_a_thread():
    state, threads = None, []
    for number, days in enumerate([13, 6, 2, 0.5]):
        decision = evaluate(state, Observation(verdict="ok", cert=cert(days + number / DAY)),
                            watch_id="w1", channel="C1", display="d", now=NOW + number)
        state = decision.state
        threads.append(decision.alerts[0].thread_id)
    assert len(set(threads)) == 1


def test_a_renewed_certificate_starts_over():
    state = None
    kinds = []
    for days, sha in [(6, "aa"), (5, "aa"), (89, "bb"), (13, "bb")]:
        decision = evaluate(state, Observation(verdict="ok", cert=cert(days, sha)),
                            watch_id="w1", channel="C1", display="d", now=NOW)
        state = decision.state
        kinds.append([(a.kind, a.threshold) for a in decision.alerts])
    assert kinds == [[("expiry", 7)], [], [], [("expiry", 14)]]
    assert state.last_change.startswith("certificate replaced")


def test_custom_thresholds_from_the_environment():
    assert expiry_thresholds({"ORIGIN502_EXPIRY_WARNING_DAYS": "30,10"}) == (30, 10)
    assert expiry_thresholds({"ORIGIN502_EXPIRY_WARNING_DAYS": "21"}) == (21, 7, 3, 1)
    assert expiry_thresholds({}) == (14, 7, 3, 1)
    with pytest.raises(ValueError, match="days separated by commas"):
        expiry_thresholds({"ORIGIN502_EXPIRY_WARNING_DAYS": "two weeks"})


def test_state_round_trips_through_json():
    _, state, _ = run([failing(("CERT_EXPIRED", "127.0.0.1"))])
    assert WatchState.from_dict(state.to_dict()) == state


def test_observe_reads_a_report():
    failing_report = report(fail=True)
    obs = observe(failing_report)
    assert obs.verdict == "fail"
    assert obs.codes == sorted({f.code for f in failing_report.findings if f.severity == "error"})
    assert obs.cert is not None and obs.cert.subject == "CN=origin.example.com"
    assert observe(report(fail=False)).causes == []
    # What viewers get is decided from the report (its evidence, uncertain flags): failing only.
    assert obs.viewers == "CloudFront would answer 502 for this origin"
    assert obs.viewer_words == "502 expected"
    assert observe(report(fail=False)).viewers is None
    assert observe(report(fail=False)).viewer_words is None


def test_a_watched_distribution_says_which_origins_fail():
    from tests.bot.render.test_bot_render_distribution import distribution_report
    from workers.watches.distribution import observe_distribution

    dist = distribution_report()
    assert observe_distribution(dist).viewers == (
        "origin api: CloudFront would answer 502 for this origin")
    assert observe_distribution(dist).viewer_words == "origin api: 502 expected"
    dist.probes[1].verdict = "fail"
    dist.probes[1].report = report(fail=True)
    assert observe_distribution(dist).viewers == "Viewers would get errors from origins api, web"
    assert observe_distribution(dist).viewer_words == "errors from origins api, web"
    dist.verdict = "ok"
    dist.probes[0].report = dist.probes[1].report = report(fail=False)
    assert observe_distribution(dist).viewers is None
    assert observe_distribution(dist).viewer_words is None


def test_the_state_keeps_what_viewers_get_while_failing_and_the_recovery_says_what_ended():
    words = {"viewers": "CloudFront would answer 504 for this origin",
             "viewer_words": "504 expected"}
    broken = Observation(verdict="fail", causes=[Cause("ORIGIN_RESPONSE_TIMEOUT", "slow")],
                         **words)
    opened = evaluate(None, broken, watch_id="w1", channel="C1", display="d", now=NOW)
    assert (opened.state.viewers, opened.state.viewer_words) == tuple(words.values())
    # A check that could not run changes nothing, these words included.
    blind = evaluate(opened.state, Observation(verdict="unknown", probe_error="no resolver"),
                     watch_id="w1", channel="C1", display="d", now=NOW + 300)
    assert blind.state.viewer_words == "504 expected"
    healed = evaluate(blind.state, ok(), watch_id="w1", channel="C1", display="d",
                      now=NOW + 600)
    [recovered] = healed.alerts
    assert recovered.kind == "recovered" and recovered.viewers == words["viewers"]
    assert healed.state.viewers is None and healed.state.viewer_words is None


def test_ids_differ_after_an_unwatch_and_a_new_watch():
    first = evaluate(None, failing(("PORT_CLOSED", None)), watch_id="w1", channel="C1",
                     display="d", now=NOW)
    again = evaluate(None, failing(("PORT_CLOSED", None)), watch_id="w1", channel="C1",
                     display="d", now=NOW + 3600)
    assert first.alerts[0].alert_id != again.alerts[0].alert_id
    assert first.state.incident_id != again.state.incident_id
