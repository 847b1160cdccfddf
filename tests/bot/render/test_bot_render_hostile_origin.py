"""Every surface origin502 renders from a hostile origin's report shows the origin's markup as
text (issue 11).

A real TLS origin on loopback presents a certificate whose Common Name, names and issuer carry
Slack markup and answers with markup in its status text, Server header and body; the real
engine diagnoses it, and each surface is rendered from that report: the run's status message,
the thread's results (after a healthy run, so the changes show), the evidence, a
distribution's parent and origin replies, the incident, update, recovery and expiry alerts, the
digest, the `watches` list and the App Home tab. Each is then read the way Slack renders
mrkdwn, fallback `text` included."""

from __future__ import annotations

import pytest

from bot.render.distribution import run_evidence, run_results, run_status
from bot.render.evidence import evidence_messages
from bot.render.message import Message
from bot.render.result import result_messages
from bot.render.status import failure_reply, status_message
from bot.render.watches import (
    alert_message,
    digest_messages,
    home_view,
    incident_parent,
    watches_list,
)
from tests.bot.hostile import EMOJI, FORMATTING, emoji_shown, emoji_taken, formatting_taken, shown
from tests.bot.mrkdwn import render, texts_in
from tests.bot.render.test_bot_render_distribution import distribution_report, lookup_run
from tests.bot.reports import report as healthy_report
from tests.bot.reports import run
from tests.support import scenario
from tests.support.certs import write_pem
from tests.support.tls_origin import TlsOrigin
from workers.models import Report
from workers.models.distribution import OriginProbe
from workers.watches.alerts import Alert, Cause, Observation, evaluate, observe
from workers.watches.digest import compose_digest, snapshot_of
from workers.watches.model import WatchSpec

LINKS = "<!channel> <https://evil.example/fix|Fix here>"
ISSUER = "<!here> <@U0ATTACKER> ~strike502~ `code502`"
BODY = f"{LINKS} {FORMATTING} {EMOJI}".encode()
RESPONSE = (
    f"HTTP/1.1 400 certificate {LINKS} {FORMATTING} {EMOJI}\r\n"
    f"Server: {LINKS} {FORMATTING} {EMOJI}\r\n"
    f"Content-Length: {len(BODY)}\r\nConnection: close\r\n\r\n"
).encode() + BODY
NOW = 1_800_000_000.0


@pytest.fixture(scope="module")
def hostile_report(cert_factory, tmp_path_factory) -> Report:
    root = cert_factory.root()
    inter = cert_factory.intermediate(root, cn=ISSUER)
    leaf = cert_factory.leaf(inter, ["other.invalid", LINKS, FORMATTING, EMOJI], cn=FORMATTING)
    ca = write_pem(tmp_path_factory.mktemp("hostile") / "root.pem", root)
    with TlsOrigin([leaf, inter], http="raw", response=RESPONSE) as origin:
        return scenario.probe(str(ca), origin.port)


def spec(name: str = "origin.test") -> WatchSpec:
    return WatchSpec(watch_id="w1", channel="C1", request={"hostname": name, "display": name},
                     text=f"{name} --https-port 8443", interval=900, created_by="UALICE",
                     created_at=NOW, display=name, watchers=["UALICE"])


def surfaces(report: Report) -> dict[str, list[dict]]:
    """The Slack payloads of every surface, by name."""
    done = run("done")
    dist = distribution_report()
    dist.probes[0] = OriginProbe("api", "api.shop.test", ["/api/*"], None, "/api/",
                                 verdict="fail", report=report)
    obs = observe(report)
    healthy = evaluate(None, Observation(verdict="ok", probed=["127.0.0.1"]), watch_id="w1",
                       channel="C1", display="origin.test", now=NOW)
    opened = evaluate(healthy.state, obs, watch_id="w1", channel="C1", display="origin.test",
                      now=NOW + 900)
    other = Observation(verdict="fail", causes=[Cause("PORT_CLOSED", "port closed")],
                        probed=["127.0.0.1"])
    before = evaluate(None, other, watch_id="w1", channel="C1", display="origin.test",
                      now=NOW)
    updated = evaluate(before.state, obs, watch_id="w1", channel="C1", display="origin.test",
                       now=NOW + 900)
    recovered = evaluate(opened.state, Observation(verdict="ok", probed=["127.0.0.1"]),
                         watch_id="w1", channel="C1", display="origin.test", now=NOW + 1800)
    assert obs.cert is not None
    expiry = Alert(alert_id="a", kind="expiry", watch_id="w1", channel="C1",
                   display="origin.test", thread_id="t", at=NOW, verdict="fail", days_left=5.0,
                   threshold=7, not_after=obs.cert.not_after, cert_subject=obs.cert.subject)
    state = opened.state
    digest = compose_digest("C1", [(spec(), state)], {"w1": snapshot_of(healthy.state)},
                            now=NOW + 3600, previous_at=NOW)

    def payloads(messages: list[Message]) -> list[dict]:
        return [m.payload() for m in messages]

    return {
        "status": payloads([status_message(done, report)]),
        "failure": payloads([failure_reply(run("failed", error=report.findings[0].summary))]),
        "results": payloads(result_messages(report, healthy_report(fail=False))),
        "evidence": payloads(evidence_messages(report, requested_by="UALICE")),
        "distribution parent": payloads([run_status(lookup_run(), dist)]),
        "distribution results": payloads(run_results(lookup_run(), dist, None)),
        "distribution evidence": payloads(run_evidence(dist, "UALICE")),
        "incident": payloads([alert_message(a) for a in opened.alerts]),
        "update": payloads([alert_message(a) for a in updated.alerts]),
        "recovery": payloads([incident_parent(opened.alerts[0], recovered.alerts[0]),
                              *(alert_message(a) for a in recovered.alerts)]),
        "expiry": payloads([alert_message(expiry)]),
        "digest": payloads(digest_messages(digest)),
        "watches": payloads([watches_list([(spec(), state)], NOW + 3600)]),
        "home": [home_view([(spec(), state)], NOW + 3600).to_dict()],
    }


def test_the_origin_wrote_markup_everywhere_it_is_shown(hostile_report):
    # The report does carry the origin's words: in findings, the chain and the HTTP answer.
    assert any(FORMATTING in f.summary for f in hostile_report.findings)
    https = hostile_report.addresses[0].probes[0]
    assert https.tls is not None and FORMATTING in https.tls.chain[0].subject
    assert https.http.server is not None and FORMATTING in https.http.server
    assert EMOJI in https.http.server and EMOJI in https.tls.chain[0].dns_names


@pytest.mark.parametrize("surface", [
    "status", "failure", "results", "evidence", "distribution parent", "distribution results",
    "distribution evidence", "incident", "update", "recovery", "expiry", "digest", "watches",
    "home"])
def test_no_markup_from_the_origin_takes_effect(hostile_report, surface):
    payloads = surfaces(hostile_report)[surface]
    renderings = [render(text) for text in texts_in(payloads)]
    assert renderings, surface
    assert formatting_taken(renderings) == []
    assert emoji_taken(renderings) == []
    assert [e for r in renderings for style, e in r.styles if style == "emoji"
            and e == "emoji502"] == []
    controls = [c for r in renderings for style, c in r.styles if style == "control"]
    assert [c for c in controls if "evil" in c or "ATTACKER" in c
            or c.startswith(("<!channel", "<!here", "<!everyone"))] == [], controls


@pytest.mark.parametrize("surface", [
    "status", "failure", "results", "evidence", "distribution results", "distribution evidence",
    "incident", "update", "expiry", "digest"])
def test_the_origin_words_are_shown_as_typed(hostile_report, surface):
    """Where the origin's words reach a surface, each of them is shown (with its markup as
    characters): the check above is not passing on an empty page."""
    payloads = surfaces(hostile_report)[surface]
    renderings = [render(text) for text in texts_in(payloads)]
    assert shown(renderings) & {"bold502", "italic502", "strike502", "code502"}, surface


@pytest.mark.parametrize("surface", ["status", "failure", "results", "update"])
def test_fallback_text_is_escaped_too(hostile_report, surface):
    """Notifications and screen readers read the top-level `text`: the origin's words are in
    it, inert."""
    texts = [p["text"] for p in surfaces(hostile_report)[surface]]
    renderings = [render(t) for t in texts]
    assert shown(renderings), texts
    assert formatting_taken(renderings) == [] and emoji_taken(renderings) == []
    assert [r for r in renderings if ("emoji", "emoji502") in r.styles] == []
    assert [c for r in renderings for style, c in r.styles if style == "control"] == []


@pytest.mark.parametrize("surface", ["results", "evidence", "distribution evidence"])
def test_the_origin_emoji_are_shown_as_typed(hostile_report, surface):
    """Where the Server header, status text or certificate names are shown, the origin's
    shortcodes read as typed: the emoji check above is not passing on an empty page."""
    payloads = surfaces(hostile_report)[surface]
    renderings = [render(text) for text in texts_in(payloads)]
    assert emoji_shown(renderings), surface
