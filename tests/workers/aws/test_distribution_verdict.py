"""The distribution's overall verdict never says ok when it could not look: real boto3 against
moto's server on loopback, origins that are real TLS servers on 127.0.0.1 with certificates
minted here, and the edge stand-in (tests/support/cloudfront_edge.py, OUR stand-in for
CloudFront's error answer) as the site's viewer side."""

from __future__ import annotations

import json
from dataclasses import replace

from rich.console import Console

from tests.support.aws import behaviour, create_distribution, custom_origin, s3_origin
from tests.support.cloudfront_edge import edge_headers, error_page
from tests.support.ports import closed_port
from tests.support.tls_origin import TlsOrigin
from tests.workers.aws.conftest import leaf, run, web_distribution
from workers.aws.access import AwsAccess
from workers.aws.lookup import look_up
from workers.aws.session import cloudfront_client
from workers.distribution import diagnose_distribution, plan, viewer_request
from workers.engine import diagnose as engine_diagnose
from workers.headline import distribution_sentence
from workers.models.distribution import DistributionReport
from workers.options import build_options
from workers.terminal_distribution import render_distribution

CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CUSTOM_ORP = "aaaaaaaa-1111-2222-3333-444444444444"
HOST_HEADER_ONLY = "bf0718e1-ba1e-49d1-88b1-f726733018ae"


def _edge_502() -> bytes:
    page = error_page(502, "CloudFront wasn't able to connect to the origin.").encode()
    head = "".join(f"{k}: {v}\r\n" for k, v in edge_headers("Error from cloudfront"))
    return (f"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: "
            f"{len(page)}\r\n{head}Connection: close\r\n\r\n").encode() + page


def _diagnose_with_edge_502(pki, fake_dns) -> DistributionReport:
    """The distribution www.shop.test, its viewer side answering CloudFront's 502 (the edge
    listens on a free port, so the viewer request is pointed at it)."""
    site = leaf(pki, "www.shop.test")
    fake_dns.set("www.shop.test", [("A", "127.0.0.1")])
    with TlsOrigin([site, pki["inter"]], site, http="raw", response=_edge_502()) as edge:
        result = look_up(cloudfront_client(AwsAccess()), "www.shop.test")
        options = build_options(ca_file=pki["ca"], allow_private=True)
        viewer = viewer_request(result, options)
        assert viewer is not None
        viewer = replace(viewer, settings=replace(viewer.settings, https_port=edge.port))
        return diagnose_distribution("www.shop.test", result, plan(result, options),
                                     engine_diagnose, viewer=viewer)


def test_edge_502_with_every_origin_answering_here_is_unknown_not_ok(aws, pki, fake_dns):
    client, _front = aws
    fake_dns.set("web.shop.test", [("A", "127.0.0.1")])
    with web_distribution(client, pki):
        report = _diagnose_with_edge_502(pki, fake_dns)
    assert report.probes[0].verdict == "warn"  # the origin itself answers (loopback: a warning)
    assert report.verdict == "unknown"
    assert report.verdict_reason is not None
    assert "viewers get 502 from CloudFront's edge" in report.verdict_reason
    # A probe that succeeds from here does not clear an allowlist that blocks CloudFront.
    assert "com.amazonaws.global.cloudfront.origin-facing" in report.verdict_reason
    assert distribution_sentence(report).startswith("could not check from here: viewers get")
    assert report.to_dict()["verdict_reason"] == report.verdict_reason
    console = Console(record=True, width=300)
    render_distribution(report, console)
    assert "UNKNOWN  could not check from here: viewers get 502" in console.export_text()


def test_s3_only_with_edge_502_is_unknown_and_says_nothing_was_probed(aws, pki, fake_dns):
    client, _front = aws
    create_distribution(client, aliases=["www.shop.test"], default=behaviour("assets"),
                        origins=[s3_origin("assets", "bucket")])
    report = _diagnose_with_edge_502(pki, fake_dns)
    assert report.probes == []
    assert report.verdict == "unknown"
    assert report.verdict_reason == (
        "nothing was probed: no custom origin to probe (S3 origin assets is not probed); "
        "viewers get 502 from CloudFront's edge for GET /")


def test_nothing_probed_exits_3_with_why_in_text_and_json(aws):
    client, _front = aws
    create_distribution(client, aliases=["www.shop.test"], default=behaviour("assets"),
                        origins=[s3_origin("assets", "bucket")])
    as_json = run("www.shop.test", "--json")
    text = run("www.shop.test")
    assert as_json.exit_code == 3, as_json.output
    data = json.loads(as_json.stdout)
    assert data["verdict"] == "unknown"
    assert data["headline"]["certain"] is False
    assert "nothing was probed: no custom origin to probe (S3 origin assets" in \
        data["headline"]["sentence"]
    assert text.exit_code == 3
    assert "UNKNOWN" in text.stdout and "nothing was probed" in text.stdout
    assert "Traceback" not in text.output


def test_unfilled_placeholder_domain_is_not_probed(aws, fake_dns):
    client, _front = aws
    create_distribution(client, aliases=["www.shop.test"], default=behaviour("app"),
                        origins=[custom_origin("app", "${sub}.origins.shop.test")])
    result = run("www.shop.test", "--json")
    assert result.exit_code == 3, result.output
    data = json.loads(result.stdout)
    origin = data["distribution"]["origins"][0]
    assert origin["probes"] == []
    assert "looks like an unfilled placeholder" in origin["not_probed"]
    assert data["verdict"] == "unknown"
    # Never asked of DNS as is.
    assert not any("$" in name or "sub" in name for name, _ in fake_dns.queries)


def test_host_forwarding_unreadable_probes_both_names_and_is_uncertain(aws, pki, fake_dns):
    """The origin request policy cannot be read; the certificate names only the site. With the
    origin's domain as SNI it fails, with the site's it answers: which one CloudFront sends is
    unknown, so the distribution is unknown (exit 3), not a certain 502."""
    client, front = aws
    front.add_cache_policy(CACHING_OPTIMIZED, "Managed-CachingOptimized")
    front.fail("GetOriginRequestPolicy", 403, "AccessDenied", "not authorized")
    site_leaf = leaf(pki, "www.shop.test")
    fake_dns.set("app.shop.test", [("A", "127.0.0.1")])
    with TlsOrigin([site_leaf, pki["inter"]], site_leaf) as app:
        create_distribution(
            client, aliases=["www.shop.test"],
            origins=[custom_origin("app", "app.shop.test", https_port=app.port)],
            default=behaviour("app", cache_policy=CACHING_OPTIMIZED, request_policy=CUSTOM_ORP))
        result = run("www.shop.test", "--ca-file", pki["ca"], "--json")
        snis = {c["sni"] for c in app.wait_for_connections(2)}
    assert result.exit_code == 3, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "unknown"
    probes = {p["host_header"]: p for p in data["distribution"]["origins"][0]["probes"]}
    assert set(probes) == {None, "www.shop.test"}
    assert probes["www.shop.test"]["verdict"] == "warn"
    domain = probes[None]
    assert domain["verdict"] == "unknown"
    mismatch = [f for f in domain["report"]["findings"] if f["code"] == "CERT_HOSTNAME_MISMATCH"]
    assert mismatch and all(f["uncertain"] for f in mismatch)
    assert any("answers with www.shop.test" in note for note in domain["notes"])
    assert data["headline"]["certain"] is False
    assert {"app.shop.test", "www.shop.test"} <= snis


def test_host_forwarding_unreadable_and_both_names_failing_stays_a_certain_fail(aws,
                                                                              fake_dns):
    client, front = aws
    front.add_cache_policy(CACHING_OPTIMIZED, "Managed-CachingOptimized")
    front.fail("GetOriginRequestPolicy", 403, "AccessDenied", "not authorized")
    fake_dns.set("app.shop.test", [("A", "127.0.0.1")])
    create_distribution(
        client, aliases=["www.shop.test"],
        origins=[custom_origin("app", "app.shop.test", https_port=closed_port())],
        default=behaviour("app", cache_policy=CACHING_OPTIMIZED, request_policy=CUSTOM_ORP))
    result = run("www.shop.test", "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    probes = data["distribution"]["origins"][0]["probes"]
    assert [p["verdict"] for p in probes] == ["fail", "fail"]
    assert data["verdict"] == "fail"


def test_host_header_only_id_unreadable_is_uncertain_not_documented(aws):
    client, front = aws
    front.add_cache_policy(CACHING_OPTIMIZED, "Managed-CachingOptimized")
    front.fail("GetOriginRequestPolicy", 403, "AccessDenied", "not authorized")
    create_distribution(
        client, aliases=["www.shop.test"], origins=[custom_origin("o", "o.shop.test")],
        default=behaviour("o", cache_policy=CACHING_OPTIMIZED, request_policy=HOST_HEADER_ONLY))
    got = look_up(cloudfront_client(AwsAccess()), "www.shop.test").distribution.behaviours[0]
    assert got.host_forwarded is None
    assert "documented" not in got.host_reason
    assert "only in third-party sources" in got.host_reason


def test_a_site_url_is_looked_up_with_its_path_not_probed_as_the_edge(aws, pki, fake_dns):
    """`https://www.shop.test/api/x` with AWS access: the distribution is read and its path
    picks the behaviour (before, the edge was probed as an origin and the advice was to give
    origin502 the AWS access it already had)."""
    client, _front = aws
    api_leaf = leaf(pki, "api.shop.test")
    fake_dns.set("api.shop.test", [("A", "127.0.0.1")])
    with TlsOrigin([api_leaf, pki["inter"]], api_leaf) as api:
        create_distribution(
            client, aliases=["www.shop.test"],
            origins=[custom_origin("web", "web.shop.test", https_port=closed_port()),
                     custom_origin("api", "api.shop.test", https_port=api.port)],
            default=behaviour("web"), behaviours=[behaviour("api", "/api/*")])
        result = run("https://www.shop.test/api/x", "--ca-file", pki["ca"], "--json")
        seen = api.wait_for_requests(1)[0]
    data = json.loads(result.stdout)
    assert data["kind"] == "distribution", result.output
    assert [o["id"] for o in data["distribution"]["origins"] if o["probes"]] == ["api"]
    assert seen["path"] == "/api/x"
    assert "AWS access" not in result.stdout


def test_a_site_url_typed_in_slack_is_looked_up_with_its_path():
    from workers.options import request_from_text

    request = request_from_text("https://www.shop.test/a/b.jpg", allow_private=True, aws=True)
    assert request.lookup is not None
    assert (request.lookup.name, request.lookup.path) == ("www.shop.test", "/a/b.jpg")
    # A port (or an IP) names an origin precisely: probed as one.
    origin = request_from_text("https://origin.shop.test:8443/x", allow_private=True, aws=True)
    assert origin.lookup is None
