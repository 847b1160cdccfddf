"""The distribution verdict rules and the placeholder check as pure functions: reports built by
hand, no I/O."""

from __future__ import annotations

import pytest

from workers.aws.translate import unfilled_placeholder
from workers.diagnosis.distribution_verdict import distribution_verdict, settle_host_pairs
from workers.models import EdgeAnswer, EdgeReading
from workers.models.distribution import (
    DistOrigin,
    Distribution,
    DistributionReport,
    OriginProbe,
)
from workers.models.edge import EdgeErrorFamily


def _report(verdicts: list[str], status: int | None = None,
            family: EdgeErrorFamily | None = None) -> DistributionReport:
    dist = Distribution("E1", "d1.cloudfront.net", viewer_host="www.shop.test",
                        origins=[DistOrigin("web", "web.shop.test", "custom")])
    probes = [OriginProbe("web", "web.shop.test", ["default (*)"], None, "/", verdict=v)
              for v in verdicts]
    viewer = None
    if status is not None:
        viewer = EdgeReading(answers=[EdgeAnswer(address="127.0.0.1", status_code=status,
                                                 family=family)])
    return DistributionReport(input="www.shop.test", verdict="ok", distribution=dist,
                              probes=probes, viewer=viewer)


@pytest.mark.parametrize(("verdicts", "status", "want"), [
    (["ok"], None, "ok"),
    (["warn"], 200, "warn"),
    (["ok"], 503, "ok"),  # a 503 is not CloudFront failing to reach the origin
    (["ok"], 502, "unknown"),
    (["warn"], 504, "unknown"),
    (["fail"], 502, "fail"),  # a measured error stays the answer
    (["unknown"], 502, "unknown"),
])
def test_the_edge_decides_only_when_no_origin_does(verdicts, status, want):
    verdict, reason = distribution_verdict(_report(verdicts, status), "/x")
    assert verdict == want
    assert (reason is not None) == (want == "unknown" and verdicts != ["unknown"])
    if reason and status is not None:
        assert reason.startswith(f"viewers get {status} from CloudFront's edge for GET /x")


def test_an_edge_function_page_is_named_instead_of_the_firewall():
    _verdict, reason = distribution_verdict(
        _report(["ok"], 502, EdgeErrorFamily.LAMBDA_VALIDATION))
    assert reason is not None and "edge function" in reason and "prefix list" not in reason


def test_nothing_probed_is_unknown_with_why():
    report = _report([])
    report.distribution.origins = [
        DistOrigin("assets", "b.s3.amazonaws.com", "s3", not_probed="S3 origin: …"),
        DistOrigin("v", "vpc.internal", "vpc", not_probed="VPC origin: …")]
    assert distribution_verdict(report) == (
        "unknown", "nothing was probed: no custom origin to probe (S3 origin assets is not "
        "probed; VPC origin v is not probed)")
    report.distribution.origins = [DistOrigin("web", "web.shop.test", "custom")]
    assert distribution_verdict(report) == (
        "unknown", "nothing was probed: the selection (--path / --origin) reaches no custom "
        "origin")


def _pair(first: str, second: str) -> list[OriginProbe]:
    return [OriginProbe("app", "app.shop.test", ["default (*)"], host, "/", verdict=v,
                        host_unknown=True)
            for host, v in ((None, first), ("www.shop.test", second))]


def test_one_of_two_names_failing_is_unknown_both_failing_is_fail():
    probes = _pair("fail", "warn")
    settle_host_pairs(probes)
    assert [p.verdict for p in probes] == ["unknown", "warn"]
    assert "fails with app.shop.test" in probes[0].notes[0]
    assert "answers with www.shop.test" in probes[0].notes[0]
    probes = _pair("fail", "fail")
    settle_host_pairs(probes)
    assert [p.verdict for p in probes] == ["fail", "fail"]
    probes = _pair("ok", "fail")
    settle_host_pairs(probes)
    assert [p.verdict for p in probes] == ["ok", "unknown"]


@pytest.mark.parametrize(("domain", "path", "want"), [
    ("${sub}.origins.shop.test", "", True),
    ("{sub}.origins.shop.test", "", True),
    ("<sub>.origins.shop.test", "", True),
    ("%sub%.origins.shop.test", "", True),
    ("t1.origins.shop.test", "/${sub}", True),
    ("t1.origins.shop.test", "/{sub}/x", True),
    ("t1.origins.shop.test", "/prod", False),
    ("my_bucket-1.origins.shop.test", "", False),
    ("xn--bcher-kva.test", "", False),
])
def test_unfilled_placeholders_are_told_from_names(domain, path, want):
    assert unfilled_placeholder(domain, path) is want


def test_a_watch_of_a_distribution_with_nothing_probed_keeps_the_reason():
    from workers.watches.distribution import observe_distribution

    report = _report([])
    report.distribution.origins = [
        DistOrigin("assets", "b.s3.amazonaws.com", "s3", not_probed="S3 origin: …")]
    report.verdict, report.verdict_reason = distribution_verdict(report)
    observed = observe_distribution(report)
    assert observed.verdict == "unknown"
    assert observed.probe_error == report.verdict_reason
