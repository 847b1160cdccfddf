"""Every surface that shows a watch's state says what viewers get, in the words the stored
report decided (workers.headline): the digest, the `watches` list, the App Home tab, the
incident's thread updates, its recovery and the recovered parent. Each is read the way Slack
shows mrkdwn (tests.bot.mrkdwn), fallback `text` included. A state or an alert stored before
those words existed still loads and keeps the old words ("failing (502)")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.render.message import Message
from bot.render.watches import (
    alert_message,
    digest_messages,
    home_view,
    incident_parent,
    watches_list,
)
from tests.bot.mrkdwn import render, texts_in
from tests.bot.render.test_bot_render_distribution import distribution_report
from tests.bot.reports import report
from workers.diagnosis.catalog import CATALOG
from workers.models import Finding, FindingCode, Severity
from workers.models.distribution import OriginProbe
from workers.watches.alerts import Alert, Observation, WatchState, evaluate, observe
from workers.watches.digest import compose_digest
from workers.watches.distribution import observe_distribution
from workers.watches.model import WatchSpec

NOW = 1_800_000_000.0
NAME = "shop.example"


def error(code: str, *, uncertain: bool = False, address: str | None = "192.0.2.10",
          **evidence: Any) -> Finding:
    return Finding(code=FindingCode(code), severity=Severity.ERROR, summary=f"{code} summary",
                   address=address, title=CATALOG[FindingCode(code)].title, uncertain=uncertain,
                   evidence=evidence)


# (finding, what viewers get in a few words, the sentence): one per kind of outcome.
OUTCOMES = {
    "504": (error("ORIGIN_RESPONSE_TIMEOUT"), "504 expected",
            "CloudFront would answer 504 for this origin"),
    "502-or-504": (error("PORT_TIMEOUT"), "502 or 504 expected",
                   "CloudFront would answer 502 or 504 for this origin (AWS does not document "
                   "which)"),
    "all-uncertain": (error("DNS_DNSSEC_FAILED", uncertain=True, address=None),
                      "502 likely, not confirmed",
                      "CloudFront's 502 is likely but not confirmed — it rests on 1 uncertain "
                      "finding: DNSSEC validation fails for the origin name"),
    "passed-on": (error("ORIGIN_RETURNED_ERROR", passed_on="503"), "origin answers 503",
                  "Viewers would get the origin's own 503 (CloudFront passes it on)"),
}


def spec(name: str = NAME) -> WatchSpec:
    return WatchSpec(watch_id=f"w-{name}", channel="C1",
                     request={"hostname": name, "display": name}, text=name, interval=900,
                     created_by="UALICE", created_at=NOW, display=name, watchers=["UALICE"])


def stored(value: Any) -> Any:
    """A state or alert as the next process reads it: through the JSON it is kept as."""
    return type(value).from_dict(json.loads(json.dumps(value.to_dict())))


def check(state: WatchState | None, obs: Observation, at: float = NOW):
    return evaluate(state, obs, watch_id="w1", channel="C1", display=NAME, now=at)


def failing_state(*findings: Finding) -> WatchState:
    return stored(check(None, observe(report(fail=True, findings=list(findings)))).state)


def seen(payloads: list[dict]) -> str:
    """What a reader sees of these payloads, each mrkdwn text on its own line(s)."""
    return "\n".join(render(text).visible for text in texts_in(payloads))


def surface_payloads(name: str, state: WatchState | None) -> list[dict]:
    watches = [(spec(), state)]
    if name == "digest":
        digest = compose_digest("C1", watches, {}, now=NOW, previous_at=None)
        return [m.payload() for m in digest_messages(digest)]
    if name == "watches":
        return [watches_list(watches, NOW).payload()]
    return [home_view(watches, NOW).to_dict()]


def surface(name: str, state: WatchState | None) -> str:
    return seen(surface_payloads(name, state))


SURFACES = ["digest", "watches", "home"]
# Where each surface puts the status words after the origin's name.
AFTER_NAME = {"digest": f"{NAME} — ", "watches": f"{NAME} every 15m\n      ",
              "home": f"{NAME} every 15m in #C1\n      "}


@pytest.mark.parametrize("where", SURFACES)
@pytest.mark.parametrize("outcome", list(OUTCOMES))
def test_a_failing_watch_says_what_viewers_get(where: str, outcome: str):
    finding, words, _ = OUTCOMES[outcome]
    shown = surface(where, failing_state(finding))
    assert f"{AFTER_NAME[where]}failing: {words} · {finding.code}" in shown
    assert "failing (502)" not in shown


def test_the_digest_counts_failing_watches_without_saying_502():
    watches = [(spec("a.example"), failing_state(OUTCOMES["504"][0])),
               (spec("b.example"), failing_state(OUTCOMES["passed-on"][0]))]
    [message] = digest_messages(compose_digest("C1", watches, {}, now=NOW, previous_at=None))
    assert message.text == "origin502 digest — 2 watched origins: 2 failing"
    assert "2 watched origins: 2 failing\n" in seen([message.payload()]) + "\n"


@pytest.mark.parametrize("where", SURFACES)
def test_a_state_stored_before_the_words_keeps_the_old_ones(where: str):
    old = failing_state(OUTCOMES["504"][0]).to_dict()
    del old["viewers"], old["viewer_words"]  # written by the version before the fields
    state = WatchState.from_dict(old)
    assert state.viewers is None and state.viewer_words is None
    assert f"{AFTER_NAME[where]}failing (502) · ORIGIN_RESPONSE_TIMEOUT" in surface(where, state)


@pytest.mark.parametrize("where", SURFACES)
def test_a_distribution_names_the_origin_its_viewers_fail_on(where: str):
    one = stored(check(None, observe_distribution(distribution_report())).state)
    assert "failing: origin api: 502 expected · CERT_EXPIRED" in surface(where, one)
    dist = distribution_report()
    dist.probes[1] = OriginProbe("web", "web.shop.test", ["default (*)"], None, "/",
                                 verdict="fail", report=report(fail=True))
    both = stored(check(None, observe_distribution(dist)).state)
    assert "failing: errors from origins api, web · " in surface(where, both)


@pytest.mark.parametrize("where", SURFACES)
def test_the_words_are_text_not_markup(where: str):
    state = failing_state(OUTCOMES["504"][0])
    state.viewer_words = "origin <!channel> *loud*: 504 expected"
    renderings = [render(t) for t in texts_in(surface_payloads(where, state))]
    assert any("<!channel>" in r.visible and "loud" in r.visible for r in renderings)
    taken = [style for r in renderings for style in r.styles
             if "<!channel" in style[1] or "loud" in style[1]]
    assert taken == []


def _incident(first: Finding, then: list[Finding]) -> tuple[Alert, Alert, Alert]:
    """The incident `first` opens, the thread update when `then` replaces it, the recovery."""
    opened = check(None, observe(report(fail=True, findings=[first])))
    updated = check(opened.state, observe(report(fail=True, findings=then)), NOW + 300)
    recovered = check(updated.state, Observation(verdict="ok"), NOW + 900)
    [open_alert], [update], [recovery] = opened.alerts, updated.alerts, recovered.alerts
    return stored(open_alert), stored(update), stored(recovery)


def payloads(*messages: Message) -> list[dict]:
    return [m.payload() for m in messages]


def test_a_thread_update_says_what_viewers_get_now():
    _, update, _ = _incident(OUTCOMES["504"][0],
                             [OUTCOMES["504"][0], error("PORT_TIMEOUT", address="192.0.2.11")])
    now = OUTCOMES["502-or-504"][2]
    message = alert_message(update)
    assert f"{NAME} is still failing: {now}. Something changed:\n• new cause PORT_TIMEOUT" in (
        seen(payloads(message)))
    assert message.text.endswith(f"now failing on 192.0.2.11 — {now}")


def test_a_recovery_says_what_viewers_got_until_then():
    opened, _, recovery = _incident(OUTCOMES["504"][0], [OUTCOMES["passed-on"][0]])
    last = f"Last seen while failing: {OUTCOMES['passed-on'][2]}."
    thread = seen(payloads(alert_message(recovery)))
    assert f"{NAME} recovered: CloudFront can connect to it again (failing for 15 min).\n{last}" \
        in thread
    parent = seen(payloads(incident_parent(opened, recovery)))
    assert f"recovered after 15 min (was failing: ORIGIN_RESPONSE_TIMEOUT)\n{last}" in parent


def test_update_and_recovery_stored_before_the_words_keep_the_old_ones():
    opened, update, recovery = (a.to_dict() for a in _incident(
        OUTCOMES["504"][0], [OUTCOMES["504"][0], error("PORT_TIMEOUT", address="192.0.2.11")]))
    for record in (opened, update, recovery):
        del record["viewers"]
    old_update = alert_message(Alert.from_dict(update))
    assert f"{NAME} is still failing, and something changed:\n" in seen(payloads(old_update))
    assert old_update.text.endswith("now failing on 192.0.2.11")
    shown = seen(payloads(alert_message(Alert.from_dict(recovery)),
                          incident_parent(Alert.from_dict(opened), Alert.from_dict(recovery))))
    assert "recovered" in shown and "Last seen while failing" not in shown
