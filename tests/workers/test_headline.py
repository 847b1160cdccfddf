"""The headline of a ``warn`` verdict says "CloudFront can connect, with warnings" only when no
warning is an uncertain one that could still mean 502; otherwise it says CloudFront can
probably connect and names the points. Hand-built reports; no network (the real-server side is
tests/workers/probes/test_headline_tls13_nginx.py and tests/e2e/test_e2e_headline.py)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from rich.console import Console

from bot.render.distribution import run_status
from bot.render.result import result_messages
from bot.render.status import provisional_section, status_message, verdict_line
from bot.render.watches import alert_message, digest_messages, watches_list
from tests.bot.render.test_bot_render_distribution import distribution_report, lookup_run
from tests.bot.reports import report, run
from tests.workers.watches.test_digest import spec
from workers.diagnosis.catalog import CATALOG
from workers.distribution_live import _judged
from workers.headline import (
    WARN_SURE,
    distribution_sentence,
    distribution_warn_sentence,
    doubts,
    may_mean_502,
    short_verdict,
    warn_sentence,
)
from workers.models import AddressReport, Finding, FindingCode, Report, Severity, verdict_for
from workers.models.distribution_live import DistributionLive, OriginLive
from workers.models.provisional import Provisional
from workers.terminal import render_report
from workers.terminal_distribution_live import headline
from workers.terminal_live import provisional_text
from workers.watches.alerts import evaluate, observe
from workers.watches.digest import compose_digest

# Codes whose entry is not uncertain but that a rule turns into an uncertain warning case by
# case (the validators disagree; CloudFront's edge read from page text). Codes a rule only
# makes uncertain as errors (TLS_HANDSHAKE_FAILED, CERT_CHAIN_INCOMPLETE) fail the verdict
# whatever the headline says, and stay errors unless the address family is unused.
RULE_MADE_UNCERTAIN_WARNINGS = {FindingCode.CERT_REJECTED_BY_VALIDATOR,
                                FindingCode.TARGET_IS_CLOUDFRONT}


@pytest.mark.parametrize("code", list(FindingCode))
def test_every_code_that_can_be_an_uncertain_warning_has_decided_whether_it_may_mean_502(code):
    entry = CATALOG[code]
    if entry.uncertain or code in RULE_MADE_UNCERTAIN_WARNINGS:
        assert entry.may_502 is not None, (
            f"{code}: set may_502 in its catalog entry (could CloudFront answer 502 because "
            f"of it, although AWS does not document it?)")
    else:
        # A certain finding: the decision would mean nothing, so it is not made.
        assert entry.may_502 is None, code


def finding(code: str, *, severity: str = "warning", uncertain: bool = True,
            address: str | None = "192.0.2.10", **evidence: object) -> Finding:
    entry = CATALOG.get(FindingCode(code)) if code in set(FindingCode) else None
    return Finding(code=FindingCode(code) if entry else code,  # type: ignore[arg-type]
                   severity=Severity(severity), summary=f"{code} summary.", address=address,
                   title=entry.title if entry else "", uncertain=uncertain,
                   evidence=dict(evidence))


def warn(*findings: Finding) -> Report:
    r = report(fail=False, findings=list(findings))
    return dataclasses.replace(r, verdict=verdict_for(r.findings))


PRIVATE = finding("ORIGIN_PRIVATE_ADDRESS", uncertain=False, address=None)
TLS13 = finding("TLS13_ONLY")
REVOKED = finding("CERT_REVOKED")
P384 = finding("CERT_KEY_TYPE_UNCERTAIN")

ONE = ("CloudFront can probably connect — 1 point could cause 502 and can't be confirmed: "
       "only TLS 1.3 works with what CloudFront offers")


@pytest.mark.parametrize(("findings", "sentence"), [
    # Certain warnings only: the confident headline holds.
    ([PRIVATE], WARN_SURE),
    # An uncertain warning that could mean 502, alone or after a certain one.
    ([TLS13], ONE),
    ([PRIVATE, TLS13], ONE),
    # Several: counted, and the headline stays one line.
    ([TLS13, REVOKED],
     "CloudFront can probably connect — 2 points could cause 502 and can't be confirmed: "
     "only TLS 1.3 works with what CloudFront offers; the certificate is revoked (its stapled "
     "OCSP response says so)"),
    ([TLS13, REVOKED, P384],
     "CloudFront can probably connect — 3 points could cause 502 and can't be confirmed: "
     "only TLS 1.3 works with what CloudFront offers; the certificate is revoked (its stapled "
     "OCSP response says so) (+1 more)"),
    # The same cause on two addresses (not merged) is one point.
    ([TLS13, dataclasses.replace(TLS13, address="192.0.2.11")], ONE),
    # Uncertain, but not a warning (a note), or decided not to mean 502 (the edge).
    ([PRIVATE, finding("CERT_OCSP_STAPLE_UNUSABLE", severity="info")], WARN_SURE),
    ([PRIVATE, finding("TARGET_IS_CLOUDFRONT", address=None)], WARN_SURE),
    # A title that starts with a name keeps its capitals.
    ([finding("TLS_WEAK_CIPHER")],
     "CloudFront can probably connect — 1 point could cause 502 and can't be confirmed: "
     "CloudFront can connect only with a broken cipher"),
    # A code the catalog does not know is never taken as harmless.
    ([finding("TLS_SOMETHING_NEW")],
     "CloudFront can probably connect — 1 point could cause 502 and can't be confirmed: "
     "TLS_SOMETHING_NEW"),
])
def test_the_warn_headline_says_what_is_known(findings, sentence):
    r = warn(*findings)
    assert r.verdict == "warn"
    assert warn_sentence(r) == sentence


def test_a_point_about_an_address_family_cloudfront_does_not_use_is_no_doubt():
    # A TLS 1.3-only IPv6 address of an origin whose IP address type is ipv4: CloudFront never
    # connects there (the rules downgraded its error to a warning for that reason).
    r = warn(PRIVATE, finding("TLS13_ONLY", address="2001:db8::10"),
             finding("CERT_MESSAGE_TOO_LARGE", address=None, addresses=["2001:db8::10"]))
    r.addresses.append(AddressReport(address="2001:db8::10", family="ipv6", probes=[]))
    assert doubts(r) == [] and warn_sentence(r) == WARN_SURE
    r.target.ip_address_type = "dualstack"
    assert len(doubts(r)) == 2


def privately(r: Report, *addresses: tuple[str, str | None]) -> Report:
    """``r`` with these addresses (address, why it is not public) in place of its own."""
    probes = r.addresses[0].probes
    r.addresses = [AddressReport(address=a, family="ipv6" if ":" in a else "ipv4",
                                 private_reason=why, probes=probes) for a, why in addresses]
    return r


def test_an_origin_only_on_private_addresses_is_not_told_cloudfront_can_connect():
    # It answers here (allowed private targets), yet ORIGIN_PRIVATE_ADDRESS says CloudFront
    # cannot reach it: the verdict stays warn, the headline says so instead of WARN_SURE.
    r = privately(warn(PRIVATE), ("127.0.0.1", "a loopback address"))
    assert warn_sentence(r) == ("The origin answers from here, but CloudFront cannot reach "
                                "127.0.0.1 (a loopback address)")
    r = privately(warn(PRIVATE), ("10.0.0.5", "a private-network (RFC 1918) address"),
                  ("10.0.0.6", "a private-network (RFC 1918) address"),
                  ("127.0.0.1", "a loopback address"))
    assert warn_sentence(r) == (
        "The origin answers from here, but CloudFront cannot reach 10.0.0.5 (a private-network "
        "(RFC 1918) address), 10.0.0.6 (a private-network (RFC 1918) address) (+1 more)")
    assert terminal(r).splitlines()[0].endswith("(+1 more).")
    # An IPv6 address CloudFront does not use (ipv4, the default) does not count either way.
    r = privately(warn(PRIVATE), ("127.0.0.1", "a loopback address"), ("2600:1f18::1", None))
    assert warn_sentence(r).startswith("The origin answers from here")


def test_one_public_address_or_a_doubt_keeps_the_usual_headline():
    r = privately(warn(PRIVATE), ("127.0.0.1", "a loopback address"), ("192.0.2.10", None))
    assert warn_sentence(r) == WARN_SURE
    r = privately(warn(PRIVATE, TLS13), ("127.0.0.1", "a loopback address"))
    assert warn_sentence(r) == ONE


def test_may_mean_502_needs_an_uncertain_warning():
    assert may_mean_502(TLS13)
    assert not may_mean_502(dataclasses.replace(TLS13, uncertain=False))
    assert not may_mean_502(dataclasses.replace(TLS13, severity=Severity.ERROR))


def test_short_words_and_distribution_headline_agree():
    assert short_verdict(warn(PRIVATE)) == "works, with warnings"
    assert short_verdict(warn(PRIVATE, TLS13)) == "probably works, 502 not ruled out"
    assert distribution_warn_sentence([]) is None
    assert distribution_warn_sentence(["api", "web"]) == (
        "CloudFront can probably connect to every origin; a 502 is not ruled out for origins "
        "api, web")


def terminal(r: Report) -> str:
    console = Console(record=True, width=400, highlight=False)
    render_report(r, console)
    return console.export_text()


def test_terminal_and_slack_lead_with_the_doubt_not_the_first_warning():
    r = warn(PRIVATE, TLS13)
    first = terminal(r).splitlines()[0]
    assert first.startswith("WARN  origin.example.com") and first.endswith(f"— {ONE}.")
    assert "can connect, with warnings" not in terminal(r)
    parent = status_message(run("done"), r)
    assert f":large_yellow_circle: *{ONE}*: TLS13_ONLY summary." in json.dumps(
        parent.payload(), ensure_ascii=False)
    assert parent.text.endswith("— probably works, 502 not ruled out: TLS13_ONLY summary.")
    assert verdict_line(warn(PRIVATE)) == ":large_yellow_circle: *Works, with warnings*"
    (thread, *_) = result_messages(r)
    assert "Diagnosis of origin.example.com: probably works, 502 not ruled out" in thread.text


def test_the_provisional_verdict_says_the_same():
    found = Provisional(warn(PRIVATE, TLS13), "first attempt timed out; 2 more attempts running…")
    assert provisional_text(found).plain.startswith(f"Provisional verdict: WARN — {ONE}.")
    line, words = provisional_section(found)
    assert f"*Provisional* — :large_yellow_circle: *{ONE}*: TLS13_ONLY summary." in line
    assert words.startswith("provisional: probably works, 502 not ruled out: TLS13_ONLY")


def test_a_watch_does_not_call_a_doubtful_origin_ok():
    now = 1_800_000_000.0
    obs = observe(warn(PRIVATE, TLS13))
    assert obs.doubtful and obs.primary is not None and obs.primary.code == "TLS13_ONLY"
    doubtful = evaluate(None, obs, watch_id="w1", channel="C1", display="a.example",
                        now=now).state
    plain = evaluate(None, observe(warn(PRIVATE)), watch_id="w2", channel="C1",
                     display="b.example", now=now).state
    specs = [(spec("a.example"), doubtful), (spec("b.example"), plain)]
    digest = compose_digest("C1", specs, {}, now=now, previous_at=None)
    text = json.dumps([m.payload() for m in digest_messages(digest)], ensure_ascii=False)
    assert "*a.example* — probably ok, 502 not ruled out · *TLS13_ONLY*" in text
    assert "*b.example* — ok, with warnings" in text
    assert "2 watched origins: 2 ok, with warnings (1 of them: 502 not ruled out)" in text
    listing = json.dumps(watches_list(specs, now).payload(), ensure_ascii=False)
    assert "probably ok, 502 not ruled out" in listing and "ok, with warnings" in listing


def test_a_recovery_to_a_doubtful_warning_is_not_called_connected():
    now = 1_800_000_000.0
    broken = warn(finding("PORT_CLOSED", severity="error", uncertain=False))
    state = evaluate(None, observe(broken), watch_id="w1", channel="C1", display="a.example",
                     now=now).state
    recovered = evaluate(state, observe(warn(PRIVATE, TLS13)), watch_id="w1", channel="C1",
                         display="a.example", now=now + 60).alerts
    (alert,) = [a for a in recovered if a.kind == "recovered"]
    text = json.dumps(alert_message(alert).payload(), ensure_ascii=False)
    assert "CloudFront can probably connect to it again, but a 502 is not ruled out" in text
    assert "can connect to it again" not in text.replace("probably connect to it again", "")


def test_a_distribution_says_which_origin_a_502_is_not_ruled_out_for():
    dist = distribution_report(api_fails=False)
    api, web = dist.probes
    dist.verdict = api.verdict = web.verdict = "warn"
    api.report, web.report = warn(PRIVATE, TLS13), warn(PRIVATE)
    final = run_status(lookup_run("done"), dist)
    text = json.dumps(final.payload(), ensure_ascii=False)
    assert "serves /api/∗: probably works, 502 not ruled out — TLS13_ONLY" in text
    assert "serves default (∗): works, with warnings — ORIGIN_PRIVATE_ADDRESS" in text
    assert "— probably works, 502 not ruled out; api: probably works, 502 not ruled out; " \
        "web: works, with warnings" in final.text
    # While it runs: each origin as judged by its report, and the distribution's headline.
    live = DistributionLive(origins=[
        _judged(OriginLive("api", "api.shop.test", state="done"), api.report),
        _judged(OriginLive("web", "web.shop.test", state="done"), web.report)])
    assert [o.doubtful for o in live.origins] == [True, False]
    assert live.origins[0].code == "TLS13_ONLY"
    running = run_status(lookup_run("running"), None, provisional=live)
    shown = json.dumps(running.payload(), ensure_ascii=False)
    assert ("*Provisional* — :large_yellow_circle: *CloudFront can probably connect to every "
            "origin; a 502 is not ruled out for origin api*") in shown
    assert "`api.shop.test` — probably works, 502 not ruled out — TLS13_ONLY" in shown
    assert "`web.shop.test` — works, with warnings — ORIGIN_PRIVATE_ADDRESS" in shown
    top = headline(live)
    assert top is not None and top.plain == (
        "Provisional verdict: WARN — CloudFront can probably connect to every origin; a 502 "
        "is not ruled out for origin api")
    live.origins[0] = _judged(live.origins[0], warn(PRIVATE))
    top = headline(live)
    assert top is not None and top.plain.endswith("CloudFront can connect to every origin, "
                                                  "with warnings")


def test_a_distribution_names_its_origins_cloudfront_cannot_reach_unless_a_502_is_in_doubt():
    dist = distribution_report(api_fails=False)
    api, web = dist.probes
    dist.verdict = api.verdict = web.verdict = "warn"
    api.report = privately(warn(PRIVATE), ("127.0.0.1", "a loopback address"))
    web.report = privately(warn(PRIVATE), ("10.0.0.5", "a private-network (RFC 1918) address"))
    assert distribution_sentence(dist) == (
        "Origins api, web answer from here, but CloudFront cannot reach 127.0.0.1 (a loopback "
        "address), 10.0.0.5 (a private-network (RFC 1918) address).")
    web.report = privately(warn(PRIVATE), ("192.0.2.10", None))  # public: not named
    assert distribution_sentence(dist) == (
        "Origin api answers from here, but CloudFront cannot reach 127.0.0.1 (a loopback "
        "address).")
    # A doubt leads, as it does for one origin.
    web.report = warn(PRIVATE, TLS13)
    assert distribution_sentence(dist) == (
        "CloudFront can probably connect to every origin; a 502 is not ruled out for origin web.")


def test_a_disabled_distribution_says_so_first_in_its_headline():
    dist = distribution_report()
    dist.distribution.disabled_note = "This distribution is disabled (...)."
    assert distribution_sentence(dist) == (
        "Disabled: viewers do not get these origins' answers through it now; once it is "
        "enabled, viewers would get errors from origin api.")
    dist.verdict, dist.probes, dist.verdict_reason = "unknown", [], "no origin was probed"
    assert distribution_sentence(dist) == (
        "Disabled: viewers do not get these origins' answers through it now; could not check "
        "from here: no origin was probed")
    dist.distribution.disabled_note = None
    assert distribution_sentence(dist) == "could not check from here: no origin was probed"
