"""A distribution is ok or warn only when every origin its viewers reach first was checked:
pure, over hand-built distributions run through plan() and diagnose_distribution with a runner
that answers from a table (no network; the same rules against moto and real loopback origins
are in tests/workers/aws/test_distribution_coverage.py)."""

from __future__ import annotations

import dataclasses
import io
import json

from rich.console import Console

from bot.render.distribution import run_status
from bot.render.message import escape
from tests.bot.reports import report, run
from workers.aws.lookup import LookupResult
from workers.diagnosis.distribution_coverage import PROBE_DID_NOT_RUN, coverage, failed_inside_note
from workers.distribution import diagnose_distribution, plan
from workers.headline_json import distribution_document
from workers.models import DistributionLookup, Finding, ProbeOptions, ProbeRequest, Report
from workers.models.distribution import (
    PRIMARY_UNKNOWN,
    Behaviour,
    DistOrigin,
    Distribution,
    DistributionReport,
    OriginGroupInfo,
)
from workers.terminal_distribution import render_distribution
from workers.watches.distribution import observe_distribution

CLOSED = Finding(code="PORT_CLOSED", severity="error", summary="port 443 refuses connections",
                 evidence={"port": 443})
PLACEHOLDER = "its domain looks like an unfilled placeholder (…)"


def healthy() -> Report:
    return report(fail=False)


def refused() -> Report:
    return dataclasses.replace(report(fail=False), verdict="fail", findings=[CLOSED])


def custom(origin_id: str) -> DistOrigin:
    return DistOrigin(origin_id, f"{origin_id}.shop.test", "custom",
                      protocol_policy="https-only", https_port=443, http_port=80,
                      origin_ssl_protocols=["TLSv1.2"])


def placeholder(origin_id: str = "tpl") -> DistOrigin:
    return DistOrigin(origin_id, "${sub}.shop.test", "unknown", not_probed=PLACEHOLDER,
                      not_probed_short="unfilled placeholder")


def s3(origin_id: str = "assets") -> DistOrigin:
    return DistOrigin(origin_id, "b.s3.us-east-1.amazonaws.com", "s3",
                      not_probed="S3 origin: …", not_probed_short="S3 origin")


def distribution(origins: list[DistOrigin], behaviours: list[Behaviour],
                 groups: list[OriginGroupInfo] | None = None) -> Distribution:
    return Distribution(id="E2QWRUHAPOMQZL", domain_name="d1234abcd.cloudfront.net",
                        aliases=["www.shop.test"], matched_by="alias",
                        viewer_host="www.shop.test", origins=origins,
                        origin_groups=list(groups or []), behaviours=behaviours)


def web_and(other: DistOrigin, pattern: str = "/t/*") -> Distribution:
    """The default behaviour on a custom origin web, ``pattern`` on ``other``."""
    return distribution([custom("web"), other],
                        [Behaviour(pattern, other.id, [other.id]),
                         Behaviour("*", "web", ["web"], is_default=True)])


def diagnose(dist: Distribution, reports: dict[str, Report | Exception], *,
             path: str | None = None, origin_id: str | None = None) -> DistributionReport:
    result = LookupResult(dist)

    def table(job: ProbeRequest) -> Report:
        answer = reports[job.hostname.split(".", 1)[0]]
        if isinstance(answer, Exception):
            raise answer
        return answer

    planned = plan(result, ProbeOptions(), path=path, origin_id=origin_id)
    return diagnose_distribution("www.shop.test", result, planned, table, path=path,
                                 origin_id=origin_id)


def said_everywhere(out: DistributionReport) -> tuple[str, dict, str, str]:
    """The verdict as the terminal, --json and Slack say it."""
    console = Console(record=True, width=400, file=io.StringIO())
    render_distribution(out, console)
    document = distribution_document(out)
    request = ProbeRequest(hostname="www.shop.test", display="www.shop.test",
                           lookup=DistributionLookup("www.shop.test"))
    message = run_status(run("done", request=request.to_dict(), text="www.shop.test"), out)
    return (console.export_text(), document, json.dumps(message.payload(), ensure_ascii=False),
            message.text)


def test_a_placeholder_origin_beside_a_healthy_one_is_unknown_naming_it():
    out = diagnose(web_and(placeholder()), {"web": healthy()})
    assert [p.verdict for p in out.probes] == ["ok"]
    assert out.verdict == "unknown"
    reason = ("not every origin viewers reach was checked — origin tpl: unfilled placeholder, "
              "serves /t/*")
    assert out.verdict_reason == reason
    assert [(u.origin_id, u.behaviours, u.why) for u in out.unchecked] == [
        ("tpl", ["/t/*"], "unfilled placeholder")]
    text, document, slack, fallback = said_everywhere(out)
    assert f"UNKNOWN  could not check from here: {reason}" in text
    assert document["verdict"] == "unknown" and document["verdict_reason"] == reason
    assert document["headline"]["sentence"] == f"could not check from here: {reason}"
    assert document["headline"]["certain"] is False
    assert document["unchecked"] == [{"origin_id": "tpl", "behaviours": ["/t/*"],
                                      "why": "unfilled placeholder", "kind": "unknown",
                                      "group": ""}]
    assert f":grey_question: {escape(reason)}" in slack
    assert "could not check" in fallback


def test_an_origin_type_the_api_does_not_name_counts_as_not_checked():
    odd = DistOrigin("odd", "odd.shop.test", "unknown", not_probed="the API's answer …",
                     not_probed_short="origin type not named by the API")
    out = diagnose(web_and(odd, "/odd/*"), {"web": healthy()})
    assert out.verdict == "unknown"
    assert "origin odd: origin type not named by the API, serves /odd/*" in \
        (out.verdict_reason or "")


def test_a_failing_origin_stays_fail_beside_one_not_checked():
    out = diagnose(web_and(placeholder()), {"web": refused()})
    assert out.verdict == "fail" and out.has_errors
    assert out.verdict_reason is None
    assert [u.origin_id for u in out.unchecked] == ["tpl"]  # still listed in the JSON


def test_s3_beside_a_healthy_custom_origin_is_ok_and_says_s3_is_not_covered():
    out = diagnose(web_and(s3(), "/static/*"), {"web": healthy()})
    assert out.verdict == "ok"
    assert out.unchecked == []
    assert [(u.origin_id, u.kind) for u in out.not_covered] == [("assets", "s3")]
    reason = out.verdict_reason or ""
    assert reason.startswith("S3 origin assets (serves /static/*) not probed: origin502 "
                             "checks custom origins only")
    text, document, slack, _fallback = said_everywhere(out)
    sentence = f"CloudFront can connect to every origin probed; {reason}."
    assert document["headline"]["sentence"] == sentence
    assert document["verdict"] == "ok" and document["verdict_reason"] == reason
    assert f"OK    {sentence}" in text
    assert f":heavy_minus_sign: {escape(reason)}" in slack and ":grey_question:" not in slack
    # A watch of it is not "could not check": the reason is no probe error.
    assert observe_distribution(out).probe_error is None


def test_a_group_whose_primary_was_not_checked_is_unknown_and_its_failover_only_warns():
    """The failover is used only when the primary fails; the primary was not checked, so its
    viewers are promised nothing, and the failover's failure is not one they surely meet."""
    dist = distribution(
        [custom("web"), placeholder("primary"), custom("backup")],
        [Behaviour("/app/*", "pair", ["primary", "backup"], is_group=True),
         Behaviour("*", "web", ["web"], is_default=True)],
        [OriginGroupInfo("pair", ["primary", "backup"], [502, 503, 504])])
    out = diagnose(dist, {"web": healthy(), "backup": refused()})
    backup = next(p for p in out.probes if p.origin_id == "backup")
    assert backup.report is not None and backup.report.verdict == "fail"
    assert backup.verdict == "warn"
    assert out.groups[0].mode == PRIMARY_UNKNOWN
    assert out.verdict == "unknown" and not out.has_errors
    assert out.verdict_reason == ("not every origin viewers reach was checked — origin primary "
                                  "(primary of group pair): unfilled placeholder, serves /app/*")
    assert any("the primary origin primary could not be checked" in n for n in backup.notes)


def test_a_failover_not_checked_behind_a_healthy_primary_does_not_count():
    dist = distribution(
        [custom("web"), custom("primary"), placeholder("backup")],
        [Behaviour("/app/*", "pair", ["primary", "backup"], is_group=True),
         Behaviour("*", "web", ["web"], is_default=True)],
        [OriginGroupInfo("pair", ["primary", "backup"], [502, 503, 504])])
    out = diagnose(dist, {"web": healthy(), "primary": healthy()})
    assert out.verdict == "ok" and out.unchecked == []


def test_what_the_selection_leaves_out_is_not_counted():
    dist = web_and(placeholder())
    assert diagnose(dist, {"web": healthy()}, origin_id="web").verdict == "ok"
    assert diagnose(dist, {"web": healthy()}, path="/x").verdict == "ok"
    picked = diagnose(dist, {"web": healthy()}, path="/t/x")
    assert picked.verdict == "unknown" and picked.probes == []


def test_a_shadowed_behaviour_to_an_unchecked_origin_is_not_counted():
    dist = distribution([custom("web"), placeholder()],
                        [Behaviour("/a/*", "web", ["web"]),
                         Behaviour("/a/b/*", "tpl", ["tpl"], shadowed_by=["/a/*"]),
                         Behaviour("*", "web", ["web"], is_default=True)])
    out = diagnose(dist, {"web": healthy()})
    assert out.unchecked == []
    assert out.verdict == "warn"  # the shadowed behaviour's own warning


def test_a_probe_that_could_not_run_is_not_checked_and_the_others_are_kept():
    dist = web_and(custom("api"), "/api/*")
    out = diagnose(dist, {"web": healthy(), "api": RuntimeError("a bug")})
    api = next(p for p in out.probes if p.origin_id == "api")
    assert api.report is None and api.verdict == "unknown"
    assert next(p for p in out.probes if p.origin_id == "web").report is not None
    assert out.verdict == "unknown"
    assert out.verdict_reason == (
        "not every origin viewers reach was checked — origin api: the probe could not run: "
        "origin502 failed inside (RuntimeError), serves /api/*")
    text, document, _slack, _fallback = said_everywhere(out)
    assert "Traceback" not in text and "a bug" not in text
    assert document["headline"]["sentence"].endswith("serves /api/*")


def test_coverage_names_each_origin_once_with_all_its_behaviours():
    dist = distribution([custom("web"), placeholder(), s3()],
                        [Behaviour("/t/*", "tpl", ["tpl"]), Behaviour("/u/*", "tpl", ["tpl"]),
                         Behaviour("/static/*", "assets", ["assets"]),
                         Behaviour("*", "web", ["web"], is_default=True)])
    counted, not_covered = coverage(dist, [], dist.behaviours)
    # web has no probe here: as if its probe had not run.
    assert [(u.origin_id, u.behaviours, u.why) for u in counted] == [
        ("tpl", ["/t/*", "/u/*"], "unfilled placeholder"),
        ("web", ["default (*)"], "the probe could not run")]
    assert [(u.origin_id, u.behaviours) for u in not_covered] == [("assets", ["/static/*"])]


def test_the_live_verdict_so_far_is_not_ok_when_an_origin_will_not_be_checked():
    """The live view (terminal and Slack) knows from the plan what no probe will check, so
    its verdict so far never says ok where the final report will say unknown."""
    from workers.distribution_live import DistributionWatch
    from workers.terminal_distribution_live import headline

    watch = DistributionWatch(clock=lambda: 0.0)
    result = LookupResult(web_and(placeholder()))
    diagnose_distribution("www.shop.test", result, plan(result, ProbeOptions()),
                          lambda job, **_hooks: healthy(), watch=watch)
    live = watch.snapshot()
    assert live.unchecked == ("not every origin viewers reach was checked — origin tpl: "
                              "unfilled placeholder, serves /t/*")
    assert live.verdict == "unknown"
    said = headline(live)
    assert said is not None and str(said).endswith("origin tpl: unfilled placeholder, "
                                                   "serves /t/*")
    assert dataclasses.replace(live, unchecked=None).verdict == "ok"


def test_a_probe_that_could_not_run_ends_in_the_live_view_too():
    from workers.distribution_live import DistributionWatch

    def table(job: ProbeRequest, **_hooks) -> Report:
        if job.hostname.startswith("api."):
            raise RuntimeError("a bug")
        return healthy()

    watch = DistributionWatch(clock=lambda: 0.0)
    result = LookupResult(web_and(custom("api"), "/api/*"))
    out = diagnose_distribution("www.shop.test", result, plan(result, ProbeOptions()), table,
                                watch=watch)
    live = watch.snapshot()
    assert [(o.origin_id, o.state, o.verdict) for o in live.probed] == [
        ("api", "done", "unknown"), ("web", "done", "ok")]
    assert live.verdict == out.verdict == "unknown"


def test_the_edges_502_beside_an_unchecked_origin_names_that_origin_too():
    from workers.diagnosis.distribution_verdict import distribution_verdict
    from workers.models import EdgeAnswer, EdgeReading
    from workers.models.distribution import UncheckedOrigin

    out = diagnose(web_and(placeholder()), {"web": healthy()})
    out.viewer = EdgeReading(answers=[EdgeAnswer(address="127.0.0.1", status_code=502)])
    out.unchecked = [UncheckedOrigin("tpl", ["/t/*"], "unfilled placeholder", "unknown")]
    verdict, reason = distribution_verdict(out, "/t/x")
    assert verdict == "unknown" and reason is not None
    assert reason.startswith("viewers get 502 from CloudFront's edge for GET /t/x")
    assert reason.endswith("; not every origin viewers reach was checked — origin tpl: "
                           "unfilled placeholder, serves /t/*")


def test_failed_inside_note_names_the_exception_type_and_is_found_by_its_prefix() -> None:
    # One helper writes the note at both places a probe can fail inside origin502; coverage
    # finds it again by the PROBE_DID_NOT_RUN prefix, so the two must stay joined.
    note = failed_inside_note(KeyError("secret internals"))
    assert note == "the probe could not run: origin502 failed inside (KeyError)"
    assert note.startswith(PROBE_DID_NOT_RUN)
