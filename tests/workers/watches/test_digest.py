"""Digest composition (pure) and the Block Kit of digests, alerts, lists and App Home."""

from __future__ import annotations

import json

import pytest

from bot.render.watches import (
    alert_message,
    digest_messages,
    home_view,
    incident_parent,
    watches_list,
)
from tests.bot.reports import report
from tests.workers.watches.test_alerts import NOW, cert, failing, ok
from workers.diagnosis.catalog import CATALOG
from workers.models import Finding, FindingCode, Severity
from workers.watches.alerts import Alert, Observation, evaluate, observe
from workers.watches.digest import compose_digest, snapshot_of
from workers.watches.model import WatchSpec


def spec(name: str, wid: str | None = None, channel: str = "C1") -> WatchSpec:
    return WatchSpec(watch_id=wid or f"w-{name}", channel=channel,
                     request={"hostname": name, "display": name}, text=name, interval=900,
                     created_by="UALICE", created_at=NOW, display=name, watchers=["UALICE"])


def state_after(*observations: Observation):
    state = None
    for number, obs in enumerate(observations):
        state = evaluate(state, obs, watch_id="w", channel="C1", display="d",
                         now=NOW + number).state
    return state


def test_failing_first_then_by_expiry_then_name():
    watches = [
        (spec("a-ok.example"), state_after(ok(60))),
        (spec("b-soon.example"), state_after(ok(5))),
        (spec("c-broken.example"), state_after(failing(("PORT_CLOSED", None)))),
        (spec("d-new.example"), None),
        (spec("e-unknown.example"),
         state_after(Observation(verdict="unknown", probe_error="no DNS"))),
    ]
    digest = compose_digest("C1", watches, {}, now=NOW, previous_at=None)
    assert [e.display for e in digest.entries] == [
        "c-broken.example", "e-unknown.example", "b-soon.example", "a-ok.example",
        "d-new.example"]
    broken = digest.entries[0]
    assert broken.status == "failing" and broken.cause_code == "PORT_CLOSED"
    assert round(digest.entries[2].days_to_expiry) == 5
    assert all(e.change is None for e in digest.entries)  # first digest: no comparison


def test_changes_since_the_last_digest():
    shop = spec("shop.example")
    api = spec("api.example")
    new = spec("new.example")
    before = {shop.watch_id: snapshot_of(state_after(ok())),
              api.watch_id: snapshot_of(state_after(ok(60, "aa")))}
    watches = [
        (shop, state_after(ok(), failing(("CERT_EXPIRED", None)))),
        (api, state_after(ok(60, "aa"), failing(("PORT_CLOSED", None)), ok(80, "bb"))),
        (new, state_after(ok())),
    ]
    digest = compose_digest("C1", watches, before, now=NOW, previous_at=NOW - 86400)
    changes = {e.display: e.change for e in digest.entries}
    assert changes["shop.example"] == "was warn, now fail; new CERT_EXPIRED"
    assert changes["api.example"] == "failed and recovered (1 incident); certificate replaced"
    assert changes["new.example"] == "newly watched"


def test_digest_message_lists_every_origin_with_cause_and_expiry():
    watches = [(spec("shop.example"), state_after(failing(("CERT_EXPIRED", None)))),
               (spec("api.example"), state_after(ok(9)))]
    digest = compose_digest("C1", watches, {}, now=NOW, previous_at=None)
    [message] = digest_messages(digest)
    payload = message.payload()
    text = json.dumps(payload["blocks"])
    assert text.index("shop.example") < text.index("api.example")
    assert "CERT_EXPIRED" in text and "certificate expires in 9 days" in text
    assert payload["text"].startswith("origin502 digest — 2 watched origins: 1 failing")


def test_a_thousand_origins_fit_slack_limits():
    watches = [(spec(f"origin-{i:04d}.example"), state_after(failing(("PORT_CLOSED", None))))
               for i in range(1000)]
    digest = compose_digest("C1", watches, {}, now=NOW, previous_at=None)
    messages = digest_messages(digest)
    assert len(messages) > 1
    for message in messages:
        payload = message.payload()
        assert len(payload["blocks"]) <= 50
        assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in payload["blocks"])
        assert payload["text"]
    shown = sum(json.dumps(m.payload()).count("origin-") for m in messages)
    assert shown == 1000


def test_empty_digest_says_how_to_start():
    [message] = digest_messages(compose_digest("C1", [], {}, now=NOW, previous_at=None))
    assert "/origin502 watch" in json.dumps(message.payload())


def test_alert_messages_have_fallbacks_and_valid_blocks():
    state = None
    texts = []
    for obs in [failing(("CERT_EXPIRED", "127.0.0.1")),
                failing(("CERT_EXPIRED", "127.0.0.1"), ("CERT_EXPIRED", "127.0.0.2")),
                Observation(verdict="ok", cert=cert(6))]:
        decision = evaluate(state, obs, watch_id="w1", channel="C1", display="shop.example",
                            now=NOW)
        state = decision.state
        for alert in decision.alerts:
            payload = alert_message(alert).payload()
            assert payload["blocks"] and payload["text"]
            texts.append(payload["text"])
    assert texts[0].startswith("origin502: shop.example is failing (CERT_EXPIRED)")
    assert "now failing on 127.0.0.2" in texts[1]
    assert texts[2].startswith("origin502: shop.example recovered")
    assert "expires in 6 days" in texts[3]


def test_recovered_parent_says_so():
    first = evaluate(None, failing(("PORT_CLOSED", None)), watch_id="w1", channel="C1",
                     display="shop.example", now=NOW)
    second = evaluate(first.state, ok(), watch_id="w1", channel="C1", display="shop.example",
                      now=NOW + 3600)
    parent = incident_parent(first.alerts[0], second.alerts[0])
    assert "recovered after 1 h" in parent.text


def test_incident_says_what_viewers_get():
    passed_on = evaluate(None, failing(("ORIGIN_RETURNED_ERROR", "127.0.0.1")), watch_id="w1",
                         channel="C1", display="shop.example", now=NOW)
    text = incident_parent(passed_on.alerts[0]).text
    assert "the origin itself answers with an error, which CloudFront passes on" in text
    assert "answer 502" not in text
    both = evaluate(None, failing(("ORIGIN_RETURNED_ERROR", "127.0.0.1"), ("PORT_CLOSED", None)),
                    watch_id="w1", channel="C1", display="shop.example", now=NOW)
    assert "CloudFront would answer 502" in incident_parent(both.alerts[0]).text


def error(code: str, *, uncertain: bool = False, address: str | None = "192.0.2.10") -> Finding:
    return Finding(code=FindingCode(code), severity=Severity.ERROR, summary=f"{code} summary",
                   address=address, title=CATALOG[FindingCode(code)].title, uncertain=uncertain)


def _opened(*findings: Finding) -> Alert:
    """The incident a report opens, through the JSON it is stored as (the outbox, Redis)."""
    decision = evaluate(None, observe(report(fail=True, findings=list(findings))),
                        watch_id="w1", channel="C1", display="shop.example", now=NOW)
    [opened] = decision.alerts
    return Alert.from_dict(json.loads(json.dumps(opened.to_dict())))


@pytest.mark.parametrize(("cause", "viewers"), [
    (error("ORIGIN_RESPONSE_TIMEOUT"), "CloudFront would answer 504 for this origin"),
    (error("PORT_TIMEOUT"),
     "CloudFront would answer 502 or 504 for this origin (AWS does not document which)"),
    (error("DNS_DNSSEC_FAILED", uncertain=True, address=None),
     "CloudFront's 502 is likely but not confirmed — it rests on 1 uncertain finding: "
     "DNSSEC validation fails for the origin name"),
], ids=["504", "502-or-504", "all-uncertain"])
def test_incident_says_what_the_report_predicts(cause: Finding, viewers: str):
    parent = incident_parent(_opened(cause))
    blocks = json.dumps(parent.payload()["blocks"], ensure_ascii=False)
    assert f"*shop.example* is failing: {viewers}" in blocks
    assert parent.text == f"origin502: shop.example is failing ({cause.code}) — {viewers}"
    assert "would answer 502 for" not in parent.text


def test_an_incident_stored_before_its_words_were_keeps_the_old_words():
    stored = _opened(error("ORIGIN_RESPONSE_TIMEOUT")).to_dict()
    del stored["viewers"]  # a record written by the version before the field
    old = Alert.from_dict(stored)
    assert old.viewers is None
    assert incident_parent(old).text.endswith("— CloudFront would answer 502")


def test_watches_list_and_home():
    watches = [(spec("shop.example"), state_after(failing(("PORT_CLOSED", None)))),
               (spec("api.example", channel="C2"), None)]
    listing = json.dumps(watches_list(watches, NOW).payload())
    assert "shop.example" in listing and "PORT_CLOSED" in listing and "every 15m" in listing
    view = home_view(watches, NOW).to_dict()
    assert view["type"] == "home"
    home = json.dumps(view)
    assert "<#C2>" in home and "not checked yet" in home
    assert home.index("shop.example") < home.index("api.example")
    assert len(view["blocks"]) <= 100
    big = home_view([(spec(f"o{i}.example"), None) for i in range(2000)], NOW).to_dict()
    assert len(big["blocks"]) <= 100


def test_origin_markup_is_text_in_alerts_digests_lists_and_app_home():
    from tests.bot.fakeslack import SLACK_MARKUP
    from workers.watches.alerts import Cause, CertSeen

    evil = "<!channel> <https://evil.example/fix|Fix here> <@U0ATTACKER>"
    observation = Observation(
        verdict="fail", causes=[Cause("CERT_HOSTNAME_MISMATCH", f"names {evil}", None, [evil])],
        cert=CertSeen(not_after="2027-01-01T00:00:00Z", sha256="aa" * 32, subject=f"CN={evil}"))
    decision = evaluate(None, observation, watch_id="w1", channel="C1", display="shop.example",
                        now=NOW)
    watches = [(spec("shop.example"), decision.state)]
    digest = compose_digest("C1", watches, {}, now=NOW, previous_at=None)
    rendered = [alert_message(a).payload() for a in decision.alerts]
    rendered += [m.payload() for m in digest_messages(digest)]
    rendered += [watches_list(watches, NOW).payload(), home_view(watches, NOW).to_dict()]
    text = json.dumps(rendered)
    assert "evil.example" in text  # it is there, as text
    for item in rendered:
        texts = [item.get("text", "")] + [
            node["text"] for node in _mrkdwn(item) if isinstance(node.get("text"), str)]
        for found in (SLACK_MARKUP.findall(t) for t in texts):
            assert not [m for m in found if "evil" in m or "ATTACKER" in m or "channel" in m]


def _mrkdwn(node):
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            yield node
        for value in node.values():
            yield from _mrkdwn(value)
    elif isinstance(node, list):
        for value in node:
            yield from _mrkdwn(value)
