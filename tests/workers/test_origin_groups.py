"""Origin groups and custom error responses shape what a distribution's viewers get
(workers/origin_groups.py, workers/headline_groups.py): pure, over hand-built reports, run
through diagnose_distribution with a runner that answers from a table (no network)."""

from __future__ import annotations

import dataclasses

from tests.bot.reports import report
from workers.aws.lookup import LookupResult
from workers.distribution import diagnose_distribution, plan
from workers.headline import distribution_sentence
from workers.headline_groups import probe_words
from workers.models import Finding, ProbeOptions, ProbeRequest, Report
from workers.models.distribution import (
    FAILS_OVER,
    NO_FAILOVER,
    PRIMARY_SERVES,
    Behaviour,
    CustomErrorResponse,
    DistOrigin,
    Distribution,
    DistributionReport,
    OriginGroupInfo,
)

ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]
CLOSED = Finding(code="PORT_CLOSED", severity="error", summary="port 443 refuses connections",
                 evidence={"port": 443})


def healthy() -> Report:
    return report(fail=False)


def refused() -> Report:
    return dataclasses.replace(report(fail=False), verdict="fail", findings=[CLOSED])


def answers(status: str) -> Report:
    own = Finding(code="ORIGIN_RETURNED_ERROR", severity="error",
                  summary=f"the origin answers {status}", evidence={"passed_on": status})
    return dataclasses.replace(report(fail=False), verdict="fail", findings=[own])


def origin(origin_id: str) -> DistOrigin:
    return DistOrigin(origin_id, f"{origin_id}.shop.test", "custom",
                      protocol_policy="https-only", https_port=443, http_port=80,
                      origin_ssl_protocols=["TLSv1.2"])


def distribution(*, methods: list[str] | None = None, codes: tuple[int, ...] = (500, 502, 503,
                 504), default: str = "web", errors: list[CustomErrorResponse] | None = None,
                 backup_kind: str = "custom") -> Distribution:
    backup = origin("backup")
    if backup_kind != "custom":
        backup = DistOrigin("backup", "b.s3.us-east-1.amazonaws.com", backup_kind,
                            not_probed="S3 origin")
    return Distribution(
        id="E2QWRUHAPOMQZL", domain_name="d1234abcd.cloudfront.net", aliases=["www.shop.test"],
        matched_by="alias", viewer_host="www.shop.test",
        origins=[origin("web"), origin("primary"), backup],
        origin_groups=[OriginGroupInfo("pair", ["primary", "backup"], list(codes))],
        behaviours=[Behaviour("/app/*", "pair", ["primary", "backup"], is_group=True,
                              allowed_methods=list(methods or [])),
                    Behaviour("*", default, [default], is_default=True)],
        custom_error_responses=list(errors or []))


def diagnose(dist: Distribution, reports: dict[str, Report]) -> DistributionReport:
    result = LookupResult(dist)

    def run(job: ProbeRequest) -> Report:
        return reports[job.hostname.split(".", 1)[0]]

    return diagnose_distribution("www.shop.test", result, plan(result, ProbeOptions()), run)


def probe(out: DistributionReport, origin_id: str):
    return next(p for p in out.probes if p.origin_id == origin_id)


def test_a_broken_failover_behind_a_working_primary_is_a_warning():
    out = diagnose(distribution(methods=ALL_METHODS),
                   {"web": healthy(), "primary": healthy(), "backup": refused()})
    backup = probe(out, "backup")
    assert backup.report is not None and backup.report.verdict == "fail"
    assert backup.verdict == "warn"
    assert out.verdict == "warn"
    assert not out.has_errors  # exit 0: no viewer meets the failover's error
    assert out.groups[0].mode == PRIMARY_SERVES
    assert any("if it did, this failover would fail too" in n for n in backup.notes)
    assert "the failover origin backup would fail too if origin primary failed" in \
        distribution_sentence(out)


def test_a_broken_primary_fails_only_for_methods_that_cannot_fail_over():
    out = diagnose(distribution(methods=ALL_METHODS),
                   {"web": healthy(), "primary": refused(), "backup": healthy()})
    primary = probe(out, "primary")
    assert primary.verdict == "fail" and out.verdict == "fail" and out.has_errors
    group = out.groups[0]
    assert group.mode == FAILS_OVER
    assert group.failover_methods == ["GET", "HEAD", "OPTIONS"]
    assert group.error_methods == ["POST", "PUT", "PATCH", "DELETE"]
    assert probe_words(out, primary) == ("GET/HEAD/OPTIONS served by failover backup; "
                                         "POST, PUT, PATCH, DELETE get 502")
    sentence = distribution_sentence(out)
    assert sentence.startswith("Viewers would get errors from origin primary; for /app/*, "
                               "GET/HEAD/OPTIONS requests are served by the failover origin "
                               "backup; POST, PUT, PATCH, DELETE get CloudFront's 502")
    assert probe(out, "backup").verdict == "ok"


def test_when_the_behaviour_allows_only_get_and_head_every_request_fails_over():
    out = diagnose(distribution(methods=["HEAD", "GET"]),
                   {"web": healthy(), "primary": refused(), "backup": healthy()})
    assert probe(out, "primary").verdict == "warn"
    assert not out.has_errors
    assert any("GET/HEAD requests are served by the failover origin backup; no other method "
               "is allowed on this behaviour" in n for n in probe(out, "primary").notes)


def test_without_allowed_methods_in_the_answer_other_methods_are_assumed_possible():
    out = diagnose(distribution(methods=None),
                   {"web": healthy(), "primary": refused(), "backup": healthy()})
    assert probe(out, "primary").verdict == "fail"
    assert out.groups[0].error_methods == ["POST", "PUT", "PATCH", "DELETE"]


def test_an_origin_status_outside_the_failover_criteria_reaches_every_viewer():
    out = diagnose(distribution(methods=ALL_METHODS, codes=(502, 503, 504)),
                   {"web": healthy(), "primary": answers("500 Internal Server Error"),
                    "backup": healthy()})
    group = out.groups[0]
    assert group.mode == NO_FAILOVER and group.verdict == "fail"
    notes = probe(out, "primary").notes
    assert any("every request gets the origin's own 500 Internal Server Error: group pair "
               "fails over only on 502, 503 and 504" in n for n in notes)
    assert not any("served by the failover" in n for n in notes)


def test_an_origin_status_in_the_failover_criteria_fails_over():
    out = diagnose(distribution(methods=ALL_METHODS, codes=(500, 502)),
                   {"web": healthy(), "primary": answers("500 Internal Server Error"),
                    "backup": healthy()})
    assert out.groups[0].mode == FAILS_OVER
    assert "POST, PUT, PATCH, DELETE get the origin's own 500 Internal Server Error" in \
        " ".join(probe(out, "primary").notes)


def test_an_origin_both_direct_and_group_primary_fails_over_only_for_the_group():
    out = diagnose(distribution(methods=["GET", "HEAD"], default="primary"),
                   {"primary": refused(), "backup": healthy()})
    primary = probe(out, "primary")
    assert primary.behaviours == ["/app/*", "default (*)"]
    assert primary.verdict == "fail"  # default (*) has no failover
    assert probe_words(out, primary) == ("/app/*: GET/HEAD served by failover backup; "
                                         "default (*): 502 expected")
    assert "for default (*), no origin group, so every request gets CloudFront's 502" in \
        primary.notes


def test_a_failover_not_probed_leaves_get_and_head_unknown():
    out = diagnose(distribution(methods=["GET", "HEAD"], backup_kind="s3"),
                   {"web": healthy(), "primary": refused()})
    assert probe(out, "primary").verdict == "unknown"
    assert out.verdict == "unknown"


def test_a_custom_error_page_is_named_as_what_viewers_probably_get():
    page = CustomErrorResponse(502, "/maintenance.html", "200")
    out = diagnose(distribution(errors=[page, CustomErrorResponse(404, "/404.html", "404")]),
                   {"web": refused(), "primary": healthy(), "backup": healthy()})
    web = probe(out, "web")
    assert web.verdict == "fail"
    assert probe_words(out, web) == "502 expected; probably your page /maintenance.html (200) " \
        "instead"
    assert ("in place of the 502, viewers probably get your custom error page /maintenance.html "
            "with status 200 (a custom error response; AWS's text does not state it outright)"
            ) in web.notes
    assert "/maintenance.html with status 200" in distribution_sentence(out)
    assert "/404.html" not in distribution_sentence(out)


def test_a_page_for_one_of_two_possible_statuses_is_said_as_a_condition():
    """A dropped connection is CloudFront's 502 or 504 (facts §1.3); a page for 504 only does
    not replace the 502 (re-audit W3). A page for the one status a refusal gives stays plain."""
    dropped = Finding(code="PORT_TIMEOUT", severity="error", summary="connections dropped",
                      evidence={"port": 443})
    page = CustomErrorResponse(504, "/sorry.html", "200")
    out = diagnose(distribution(errors=[page]),
                   {"web": dataclasses.replace(report(fail=False), verdict="fail",
                                               findings=[dropped]),
                    "primary": healthy(), "backup": healthy()})
    web = probe(out, "web")
    assert probe_words(out, web) == "502 or 504 expected; if it is 504, probably your page " \
        "/sorry.html (200) instead"
    assert any(n.startswith("if CloudFront answers 504 rather than 502 (which one is not "
                            "certain), in place of the 504") for n in web.notes)
    assert "if CloudFront answers 504 rather than 502" in distribution_sentence(out)
    only = diagnose(distribution(errors=[page]), {"web": dataclasses.replace(
        report(fail=False), verdict="fail", findings=[Finding(
            code="ORIGIN_RESPONSE_TIMEOUT", severity="error", summary="no answer in time",
            evidence={})]), "primary": healthy(), "backup": healthy()})
    assert probe_words(only, probe(only, "web")) == "504 expected; probably your page " \
        "/sorry.html (200) instead"


def test_a_custom_error_entry_without_a_page_changes_nothing():
    out = diagnose(distribution(errors=[CustomErrorResponse(502)]),
                   {"web": refused(), "primary": healthy(), "backup": healthy()})
    assert probe_words(out, probe(out, "web")) == "502 expected"


def test_while_running_a_failing_failover_counts_only_when_its_primary_fails():
    from workers.models.distribution_live import DistributionLive, OriginLive

    def live(primary: str, backup: str) -> DistributionLive:
        return DistributionLive(origins=[
            OriginLive("primary", "primary.shop.test", role="primary of group pair",
                       verdict=primary),
            OriginLive("backup", "backup.shop.test", role="failover of group pair",
                       verdict=backup)])

    assert live("ok", "fail").verdict == "warn"
    assert live("ok", "fail").failing == []
    assert live("fail", "fail").verdict == "fail"
    assert [o.origin_id for o in live("fail", "fail").failing] == ["primary", "backup"]


def failing_with(finding: Finding) -> Report:
    return dataclasses.replace(report(fail=False), verdict="fail", findings=[finding])


def test_an_error_whose_failover_is_not_documented_keeps_the_primary_failing():
    invalid = Finding(code="HTTP_INVALID_RESPONSE", severity="error",
                      summary="the origin's answer is not HTTP")
    out = diagnose(distribution(methods=["GET", "HEAD"]),
                   {"web": healthy(), "primary": failing_with(invalid), "backup": healthy()})
    group = out.groups[0]
    assert group.mode == FAILS_OVER and group.uncertain
    primary = probe(out, "primary")
    assert primary.verdict == "fail"  # CloudFront may not fail over: not rescued
    assert probe_words(out, primary) == ("GET/HEAD served by failover backup (failover on "
                                         "this error not documented)")
    assert any("(whether CloudFront fails over on this error is not documented)" in n
               for n in primary.notes)


def test_a_doubtful_primary_error_is_hedged_for_the_methods_that_get_it():
    slow_dns = Finding(code="DNS_TIMEOUT", severity="error", uncertain=True,
                       summary="no DNS answer in time")
    out = diagnose(distribution(methods=ALL_METHODS),
                   {"web": healthy(), "primary": failing_with(slow_dns), "backup": healthy()})
    assert out.groups[0].primary_doubtful
    assert probe_words(out, probe(out, "primary")) == (
        "GET/HEAD/OPTIONS served by failover backup; POST, PUT, PATCH, DELETE get 502 "
        "(likely, not confirmed)")


def test_a_watch_says_what_the_group_gives_viewers_and_ignores_an_unused_failover():
    from workers.watches.distribution import observe_distribution

    out = diagnose(distribution(methods=ALL_METHODS),
                   {"web": healthy(), "primary": refused(), "backup": healthy()})
    seen = observe_distribution(out)
    assert seen.verdict == "fail"
    assert seen.viewer_words == ("origin primary: GET/HEAD/OPTIONS served by failover backup; "
                                 "POST, PUT, PATCH, DELETE get 502")
    spare = diagnose(distribution(methods=ALL_METHODS),
                     {"web": refused(), "primary": healthy(), "backup": refused()})
    assert observe_distribution(spare).viewer_words == "origin web: 502 expected"


def test_groups_and_custom_error_responses_survive_the_stored_json():
    page = CustomErrorResponse(502, "/maintenance.html", "200")
    out = diagnose(distribution(methods=ALL_METHODS, errors=[page]),
                   {"web": healthy(), "primary": refused(), "backup": healthy()})
    back = DistributionReport.from_dict(out.to_dict())
    assert back.groups == out.groups
    assert back.distribution.custom_error_responses == [page]
    assert back.distribution.behaviours[0].allowed_methods == ALL_METHODS
    assert probe_words(back, probe(back, "primary")) == probe_words(out, probe(out, "primary"))


def test_a_failover_that_also_serves_a_behaviour_directly_fails_for_that_behaviour():
    out = diagnose(distribution(methods=ALL_METHODS, default="backup"),
                   {"primary": healthy(), "backup": refused()})
    backup = probe(out, "backup")
    assert backup.behaviours == ["/app/*", "default (*)"]
    assert backup.verdict == "fail" and out.has_errors
    assert probe_words(out, backup) == ("/app/*: failover only; would fail too if origin "
                                        "primary failed; default (*): 502 expected")
