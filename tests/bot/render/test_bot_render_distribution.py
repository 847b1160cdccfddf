"""Slack rendering of a distribution (pure functions, hand-built reports, no network)."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.render.distribution import (
    RERUN_ORIGIN_ACTION,
    load_report,
    parse_rerun_origin_value,
    run_evidence,
    run_results,
    run_status,
)
from bot.render.message import MAX_BLOCKS
from tests.bot.reports import report, run
from workers.models import DistributionLookup, ProbeRequest
from workers.models.distribution import (
    Behaviour,
    DistOrigin,
    Distribution,
    DistributionReport,
    EdgeFunction,
    OriginProbe,
)
from workers.models.distribution_live import AS_ORIGIN_STEP, DistributionLive, OriginLive
from workers.models.provisional import Provisional


def distribution_report(*, api_fails: bool = True) -> DistributionReport:
    dist = Distribution(
        id="E2QWRUHAPOMQZL", domain_name="d1234abcd.cloudfront.net", aliases=["www.shop.test"],
        matched_by="alias", viewer_host="www.shop.test",
        origins=[DistOrigin("web", "web.shop.test", "custom", protocol_policy="https-only",
                            https_port=443, http_port=80, origin_ssl_protocols=["TLSv1.2"]),
                 DistOrigin("api", "api.shop.test", "custom", custom_headers=["X-Origin-Verify"],
                            protocol_policy="https-only", https_port=443, http_port=80,
                            origin_ssl_protocols=["TLSv1.2"]),
                 DistOrigin("assets", "b.s3.us-east-1.amazonaws.com", "s3",
                            not_probed="S3 origin: not a web server")],
        behaviours=[Behaviour("/api/*", "api", ["api"], host_forwarded=True,
                              host_reason="origin request policy AllViewer forwards Host",
                              edge_functions=[EdgeFunction("lambda@edge", "origin-request",
                                                           "arn:aws:lambda:fn:1")]),
                    Behaviour("*", "web", ["web"], is_default=True)])
    return DistributionReport(
        input="www.shop.test", verdict="fail" if api_fails else "ok", distribution=dist,
        probes=[OriginProbe("api", "api.shop.test", ["/api/*"], "www.shop.test", "/api/",
                            headers_sent=["X-Origin-Verify: ***"],
                            verdict="fail" if api_fails else "ok",
                            report=report(fail=api_fails)),
                OriginProbe("web", "web.shop.test", ["default (*)"], None, "/", verdict="ok",
                            report=report(fail=False))],
        duration_ms=2100.0)


def lookup_run(status: str = "done"):
    request = ProbeRequest(hostname="www.shop.test", display="www.shop.test",
                           lookup=DistributionLookup("www.shop.test"))
    return run(status, request=request.to_dict(), text="www.shop.test")


def test_parent_shows_the_distribution_and_a_line_per_origin():
    message = run_status(lookup_run(), distribution_report())
    shown = json.dumps(message.payload(), ensure_ascii=False)
    assert "E2QWRUHAPOMQZL" in shown and "d1234abcd.cloudfront.net" in shown
    assert "*api* `api.shop.test` · Host www.shop.test" in shown
    assert "CERT_EXPIRED" in shown
    assert "*web* `web.shop.test`" in shown
    assert "*assets*" in shown and "not probed: S3 origin" in shown
    assert "lambda@edge on origin-request" in shown
    assert message.text.startswith("origin502: www.shop.test (distribution E2QWRUHAPOMQZL)")
    assert len(message.blocks) <= MAX_BLOCKS


def test_running_and_failed_lookups_say_what_is_happening():
    running = run_status(lookup_run("running"), None)
    assert "Looking *www.shop.test* up in CloudFront" in json.dumps(running.payload())
    failed = replace(lookup_run("failed"), error="could not look www.shop.test up in AWS: "
                     "AWS denied cloudfront:ListDistributions")
    shown = json.dumps(run_status(failed, None).payload())
    assert "AWS denied cloudfront:ListDistributions" in shown


def test_each_origin_gets_its_thread_reply_with_its_own_rerun():
    messages = run_results(lookup_run(), distribution_report(), None)
    origins = [m.text.split(":")[0] for m in messages]
    assert origins == ["Origin api", "Origin web"]
    buttons = [block for m in messages for block in m.payload()["blocks"]
               if block["type"] == "actions"]
    values = [b["elements"][0]["value"] for b in buttons]
    assert [b["elements"][0]["action_id"] for b in buttons] == [RERUN_ORIGIN_ACTION] * 2
    assert [parse_rerun_origin_value(v) for v in values] == [("r7-abc", "api"),
                                                            ("r7-abc", "web")]
    assert "X-Origin-Verify: ***" in json.dumps(messages[0].payload())
    assert all(len(m.blocks) <= 50 for m in messages)


def test_a_rerun_of_one_origin_is_compared_with_that_origins_previous_result():
    previous = distribution_report(api_fails=True)
    current = distribution_report(api_fails=False)
    current.probes = current.probes[:1]
    (message,) = run_results(lookup_run(), current, previous)
    shown = json.dumps(message.payload(), ensure_ascii=False)
    assert "What changed since the previous run" in shown


def test_stored_reports_of_both_kinds_load_back():
    dist = distribution_report()
    loaded = load_report(json.loads(json.dumps(dist.to_dict())))
    assert isinstance(loaded, DistributionReport)
    # Stored under their origins, probes come back in the distribution's origin order.
    probes = {p.origin_id: p for p in loaded.probes}
    assert probes["api"].report.findings[0].code == "CERT_EXPIRED"
    assert probes["api"].headers_sent == ["X-Origin-Verify: ***"]
    assert loaded.distribution.origins[1].custom_headers == ["X-Origin-Verify"]
    plain = load_report(report().to_dict())
    assert plain is not None and not isinstance(plain, DistributionReport)
    assert len(run_evidence(dist, "UBOB")) >= 2


def test_usage_mentions_distributions_only_where_aws_is_set_up():
    from bot.render.replies import usage

    assert "*Distributions*" not in json.dumps(usage().payload())
    assert "`--origin ID`" in json.dumps(usage(aws=True).payload(), ensure_ascii=False)


NOTE = "first attempt timed out; 2 more attempts running…"


def live_distribution() -> DistributionLive:
    return DistributionLive(origins=[
        OriginLive("api", "api.shop.test", host_header="www.shop.test", state="provisional",
                   verdict="fail", code="PORT_TIMEOUT",
                   summary="no answer to the connection request on port 443 (1 attempt of "
                   "10 s)", note=NOTE, words="502 or 504 expected",
                   waiting={"tcp": "no answer for 3 of 10 s (attempt 2 of 3)"}),
        OriginLive("web", "web.shop.test", state="done", verdict="ok"),
        OriginLive("slow", "slow.shop.test", waiting={"tls": "no handshake answer for 4 of "
                                                      "10 s"}),
        OriginLive("", "www.shop.test", kind="viewer")])


def test_a_running_distribution_names_the_failing_origin_and_each_origins_state():
    live = live_distribution()
    message = run_status(lookup_run("running"), None, provisional=live)
    shown = message.payload()["blocks"]
    text = "\n".join(b["text"]["text"] for b in shown if b["type"] == "section")
    assert text.index(":hourglass: *Provisional* — :red_circle: *Viewers would get errors from "
                      "origin api*") < text.index("*api* `api.shop.test`")
    # The origin's own line says what its viewers get, as its report words it.
    assert ":red_circle: *api* `api.shop.test` · Host www.shop.test — _provisional_: 502 or " \
        "504 expected — PORT_TIMEOUT: no answer to the connection request" in text
    assert f"_{NOTE}_ · TCP: no answer for 3 of 10 s (attempt 2 of 3)" in text
    assert ":large_green_circle: *web* `web.shop.test` — no problem found" in text
    assert ":hourglass_flowing_sand: *slow* `slow.shop.test` — TLS: no handshake answer for 4 " \
        "of 10 s" in text
    assert ":eyes: Viewer side (`www.shop.test`) — probing" in text
    assert message.text == (f"origin502: www.shop.test — checking… provisional: Viewers would "
                            f"get errors from origin api ({NOTE})")
    # No buttons until the final answer.
    assert all(b["type"] != "actions" for b in shown)


def test_no_distribution_verdict_while_an_origin_that_could_fail_still_probes():
    live = live_distribution()
    live.origins[0] = OriginLive("api", "api.shop.test", state="done", verdict="warn",
                                 code="CERT_EXPIRES_SOON", summary="expires in 9 days")
    message = run_status(lookup_run("running"), None, provisional=live)
    text = json.dumps(message.payload(), ensure_ascii=False)
    assert "Provisional" not in text and message.text == "origin502: www.shop.test — checking…"
    live.origins[2] = replace(live.origins[2], state="done", verdict="ok", waiting={})
    done = run_status(lookup_run("running"), None, provisional=live)
    assert ":hourglass: *Provisional* — :large_yellow_circle: *Works, with warnings*" in \
        json.dumps(done.payload(), ensure_ascii=False)
    live.origins[3] = replace(live.origins[3], state="done")
    viewer = run_status(lookup_run("running"), None, provisional=live)
    assert ":eyes: Viewer side (`www.shop.test`) — read" in json.dumps(viewer.payload(),
                                                                     ensure_ascii=False)
    # The final report replaces it once the run is done.
    final = run_status(lookup_run("done"), distribution_report(), provisional=live)
    assert "Provisional" not in json.dumps(final.payload(), ensure_ascii=False)


def test_the_live_state_loads_back_from_the_run_record():
    live = live_distribution()
    again = DistributionLive.from_dict(json.loads(json.dumps(live.to_dict())))
    assert again == live


def test_a_site_on_no_distribution_probed_as_an_origin_shows_its_own_first_verdict():
    probing = replace(lookup_run("running"), progress={"lookup": AS_ORIGIN_STEP,
                                                       "dns": "resolved to 192.0.2.10"})
    first = Provisional(report(fail=True), NOTE)
    message = run_status(probing, None, provisional=first)
    shown = json.dumps(message.payload(), ensure_ascii=False)
    assert ":hourglass: *Provisional*" in shown and NOTE in shown
    assert "Checking *www.shop.test* the way CloudFront connects to it" in shown


def test_origins_without_a_probe_say_why_in_slack():
    """No behaviour routing to an origin, or only shadowed ones, is said as such; "not
    selected" is kept for what --path / --origin left out."""
    base = distribution_report(api_fails=False)
    dist = base.distribution
    dist.origins += [DistOrigin("old", "old.shop.test", "custom"),
                     DistOrigin("v2", "v2.shop.test", "custom")]
    dist.behaviours.insert(1, Behaviour("/api/v2/*", "v2", ["v2"], shadowed_by=["/api/*"]))
    base.probes = [p for p in base.probes if p.origin_id != "web"]
    shown = json.dumps(run_status(lookup_run(), base).payload(), ensure_ascii=False)
    assert "*old* `old.shop.test` — not probed: no cache behaviour routes to it" in shown
    # (escape() writes a pattern's * as ∗, so that Slack does not read it as bold)
    assert ("*v2* `v2.shop.test` — not probed: no request reaches it: /api/v2/∗ is shadowed "
            "by earlier behaviours") in shown
    assert "*web* `web.shop.test` — not probed: not selected (--path / --origin)" in shown
