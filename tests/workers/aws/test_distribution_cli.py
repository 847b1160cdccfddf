"""`origin502 diagnose SITE` end to end: real boto3 against moto's server on loopback (with the
stand-in of tests/support/aws.py for the policy calls moto lacks), distributions whose origins
are real TLS servers on 127.0.0.1 with certificates minted here (the test CA passed as
--ca-file stands in for a public CA)."""

from __future__ import annotations

import json

from tests.support.aws import (
    behaviour,
    create_distribution,
    custom_origin,
    origin_group,
    s3_origin,
)
from tests.support.ports import closed_port
from tests.support.tls_origin import TlsOrigin
from tests.workers.aws.conftest import leaf, run, web_distribution

ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
SECRET = "s3cret-verify-value"
# Every method a behaviour can allow: POST, PUT, PATCH and DELETE cannot fail over.
ALL_METHODS = ("GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE")


def resolve(*names: str) -> list[str]:
    out = []
    for name in names:
        out += ["--resolve", f"{name}:127.0.0.1"]
    return out


def test_alias_probes_both_origins_names_the_broken_one_and_hides_the_header(aws, pki):
    client, _front = aws
    web_leaf = leaf(pki, "web.shop.test")
    wrong_leaf = leaf(pki, "somewhere-else.test")
    with TlsOrigin([web_leaf, pki["inter"]], web_leaf) as web, \
            TlsOrigin([wrong_leaf, pki["inter"]], wrong_leaf) as api:
        dist = create_distribution(
            client, aliases=["www.shop.test"],
            origins=[custom_origin("web", "web.shop.test", https_port=web.port),
                     custom_origin("api", "api.shop.test", https_port=api.port, path="/v1",
                                   headers={"X-Origin-Verify": SECRET}),
                     s3_origin("assets", "shop-assets")],
            default=behaviour("web"),
            behaviours=[behaviour("api", "/api/*"), behaviour("assets", "/static/*")])
        args = ["www.shop.test", *resolve("web.shop.test", "api.shop.test"),
                "--ca-file", pki["ca"]]
        as_json = run(*args, "--json")
        seen = api.wait_for_requests(1)[0]
        text = run(*args)
    assert as_json.exit_code == 1, as_json.output
    data = json.loads(as_json.stdout)
    assert list(data)[:5] == ["schema", "kind", "input", "verdict", "distribution"]
    assert data["verdict"] == "fail"
    got = data["distribution"]
    assert got["id"] == dist["Id"] and got["aliases"] == ["www.shop.test"]
    origins = {o["id"]: o for o in got["origins"]}
    assert origins["web"]["probes"][0]["verdict"] == "warn"  # loopback: a warning only
    api_probe = origins["api"]["probes"][0]
    assert api_probe["verdict"] == "fail"
    assert api_probe["behaviours"] == ["/api/*"]
    assert api_probe["path"] == "/v1/api/"
    assert api_probe["headers_sent"] == ["X-Origin-Verify: ***"]
    codes = [f["code"] for f in api_probe["report"]["findings"]]
    assert "CERT_HOSTNAME_MISMATCH" in codes
    assert api_probe["report"]["schema"] == 1
    assert origins["assets"]["kind"] == "s3" and origins["assets"]["probes"] == []
    assert "S3 origin" in origins["assets"]["not_probed"]
    # The origin got the header and the prefixed path; nobody else sees the value.
    assert seen["headers"]["x-origin-verify"] == SECRET
    assert seen["path"] == "/v1/api/"
    assert SECRET not in as_json.output and SECRET not in text.output
    assert text.exit_code == 1
    lines = text.stdout.splitlines()
    assert lines[0].startswith(f"Distribution {dist['Id']}")
    assert any(line.startswith("FAIL") and "api (api.shop.test" in line for line in lines)
    assert any(line.startswith("WARN") and "web (web.shop.test" in line for line in lines)
    flat = " ".join(text.stdout.split())  # rich wraps long lines at the terminal's width
    assert "assets (shop-assets.s3.us-east-1.amazonaws.com) — serves /static/*; not probed: " \
        "S3 origin" in flat
    assert "X-Origin-Verify: ***" in text.stdout
    assert "origin api (api.shop.test)" in text.stdout


def test_forwarded_host_changes_the_sni_and_the_verdict(aws, pki):
    """One origin whose certificate names only the site: the behaviour that forwards Host
    (AllViewer, read through GetOriginRequestPolicy) passes, the legacy one that does not fails."""
    client, front = aws
    front.add_origin_request_policy(ALL_VIEWER, "Managed-AllViewer", "allViewer")
    front.add_cache_policy(CACHING_OPTIMIZED, "Managed-CachingOptimized")
    site_leaf = leaf(pki, "www.shop.test")
    with TlsOrigin([site_leaf, pki["inter"]], site_leaf) as origin:
        create_distribution(
            client, aliases=["www.shop.test"],
            origins=[custom_origin("app", "app.shop.test", https_port=origin.port)],
            default=behaviour("app"),
            behaviours=[behaviour("app", "/fwd/*", cache_policy=CACHING_OPTIMIZED,
                                  request_policy=ALL_VIEWER)])
        result = run("www.shop.test", *resolve("app.shop.test"), "--ca-file", pki["ca"],
                     "--json")
        snis = sorted(r["sni"] for r in origin.wait_for_requests(1))
    data = json.loads(result.stdout)
    probes = {p["host_header"]: p for p in data["distribution"]["origins"][0]["probes"]}
    assert set(probes) == {"www.shop.test", None}
    assert probes["www.shop.test"]["verdict"] == "warn"
    assert probes["www.shop.test"]["behaviours"] == ["/fwd/*"]
    assert probes["www.shop.test"]["report"]["target"]["sni"] == "www.shop.test"
    assert probes[None]["verdict"] == "fail"
    assert probes[None]["behaviours"] == ["default (*)"]
    assert "CERT_HOSTNAME_MISMATCH" in [f["code"] for f in probes[None]["report"]["findings"]]
    assert "www.shop.test" in snis
    behaviours = {b["path_pattern"]: b for b in data["distribution"]["behaviours"]}
    assert behaviours["/fwd/*"]["host_forwarded"] is True
    assert "Managed-AllViewer" in behaviours["/fwd/*"]["host_reason"]
    assert behaviours["*"]["host_forwarded"] is False


def test_origin_group_with_a_broken_primary_names_the_primary_and_the_failover(aws, pki):
    client, _front = aws
    good_leaf = leaf(pki, "backup.shop.test")
    with TlsOrigin([good_leaf, pki["inter"]], good_leaf) as backup:
        create_distribution(
            client, aliases=["www.shop.test"],
            origins=[custom_origin("primary", "primary.shop.test", https_port=closed_port()),
                     custom_origin("backup", "backup.shop.test", https_port=backup.port)],
            groups=[origin_group("pair", "primary", "backup")],
            default=behaviour("backup"),
            behaviours=[behaviour("pair", "/app/*", methods=ALL_METHODS)])
        result = run("www.shop.test", "--path", "/app/x", *resolve("primary.shop.test",
                                                                    "backup.shop.test"),
                     "--ca-file", pki["ca"], "--json")
    data = json.loads(result.stdout)
    probes = {o["id"]: o["probes"] for o in data["distribution"]["origins"]}
    primary, backup_probe = probes["primary"][0], probes["backup"][0]
    assert primary["role"] == "primary of group pair"
    assert primary["verdict"] == "fail"
    assert "PORT_CLOSED" in [f["code"] for f in primary["report"]["findings"]]
    assert backup_probe["role"] == "failover of group pair"
    assert backup_probe["verdict"] == "warn"
    assert backup_probe["path"] == "/app/x"
    assert any("failover origin backup" in note for note in primary["notes"])
    assert data["distribution"]["origin_groups"][0]["members"] == ["primary", "backup"]


def test_path_and_origin_select_what_is_probed(aws, pki):
    client, _front = aws
    web_leaf = leaf(pki, "web.shop.test", "api.shop.test")
    with TlsOrigin([web_leaf, pki["inter"]], web_leaf) as web:
        dist = create_distribution(
            client, aliases=["*.shop.test"],
            origins=[custom_origin("web", "web.shop.test", https_port=web.port),
                     custom_origin("api", "api.shop.test", https_port=web.port)],
            default=behaviour("web"), behaviours=[behaviour("api", "/api/*")])
        common = [*resolve("web.shop.test", "api.shop.test"), "--ca-file", pki["ca"], "--json"]
        by_path = json.loads(run("a.b.shop.test", "--path", "/api/x", *common).stdout)
        by_origin = json.loads(run(dist["DomainName"], "--origin", "web", *common).stdout)
        by_id_run = run(dist["Id"], *common)
        assert by_id_run.stdout, (dist["Id"], by_id_run.exit_code, by_id_run.stderr)
        by_id = json.loads(by_id_run.stdout)
        bad = run(dist["Id"], "--origin", "nope", *common)
    assert by_path["distribution"]["matched_by"] == "wildcard alias *.shop.test"
    assert [o["id"] for o in by_path["distribution"]["origins"] if o["probes"]] == ["api"]
    assert [o["id"] for o in by_origin["distribution"]["origins"] if o["probes"]] == ["web"]
    assert by_origin["distribution"]["matched_by"] == "domain"
    assert by_id["distribution"]["matched_by"] == "id"
    assert sorted(o["id"] for o in by_id["distribution"]["origins"] if o["probes"]) == \
        ["api", "web"]
    assert bad.exit_code == 2
    assert "has no origin 'nope'" in bad.stderr


def test_access_denied_is_exit_3_naming_the_missing_action(aws):
    _client, front = aws
    front.fail("ListDistributions", 403, "AccessDenied",
               "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: "
               "cloudfront:ListDistributions")
    text = run("www.shop.test")
    as_json = run("www.shop.test", "--json")
    assert text.exit_code == 3
    assert text.stdout == ""
    assert "AWS denied cloudfront:ListDistributions" in text.stderr
    assert "Traceback" not in text.output
    assert len(text.stderr.strip().splitlines()) == 1
    assert as_json.exit_code == 3
    error = json.loads(as_json.stdout)
    assert error["kind"] == "error" and "cloudfront:ListDistributions" in error["error"]


def test_unknown_alias_is_probed_as_an_origin_with_the_schema_1_report(aws, pki):
    client, _front = aws
    create_distribution(client, aliases=["www.shop.test"],
                        origins=[custom_origin("web", "web.shop.test")],
                        default=behaviour("web"))
    plain_leaf = leaf(pki, "origin.other.test")
    with TlsOrigin([plain_leaf, pki["inter"]], plain_leaf) as origin:
        result = run("origin.other.test", *resolve("origin.other.test"), "--https-port",
                     str(origin.port), "--ca-file", pki["ca"], "--json")
    assert result.exit_code == 0, result.output
    assert "not an alias or domain of any distribution" in result.stderr
    assert "probing origin.other.test as an origin" in result.stderr
    data = json.loads(result.stdout)
    assert list(data)[:5] == ["schema", "target", "verdict", "findings", "addresses"]


def test_unknown_id_is_exit_3(aws):
    result = run("E2QWRUHAPOMQZL")
    assert result.exit_code == 3
    assert "there is no distribution E2QWRUHAPOMQZL in this AWS account" in result.stderr


def test_throttling_after_retries_is_one_line(aws):
    _client, front = aws
    front.fail("ListDistributions", 400, "Throttling", "Rate exceeded")
    result = run("www.shop.test")
    assert result.exit_code == 3
    assert "kept throttling ListDistributions after 2 attempts" in result.stderr
    assert front.seen.count("ListDistributions") == 2  # AWS_MAX_ATTEMPTS=2 in the test env


def test_expired_credentials_are_named(aws):
    _client, front = aws
    front.fail("ListDistributions", 403, "ExpiredToken", "The security token has expired.")
    result = run("www.shop.test")
    assert result.exit_code == 3
    assert "the AWS credentials have expired" in result.stderr


def test_absent_credentials_are_named(aws, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("ORIGIN502_AWS", "1")
    result = run("www.shop.test")
    assert result.exit_code == 3
    assert "no AWS credentials were found" in result.stderr


def test_role_arn_is_assumed_through_sts(aws, pki):
    client, front = aws
    create_distribution(client, aliases=["www.shop.test"],
                        origins=[s3_origin("assets", "bucket")], default=behaviour("assets"))
    result = run("www.shop.test", "--role-arn", "arn:aws:iam::123456789012:role/Reader",
                 "--json")
    # Nothing probed (S3 only): looked up, but not checked, so never ok.
    assert result.exit_code == 3, result.output
    data = json.loads(result.stdout)
    assert data["distribution"]["origins"][0]["kind"] == "s3"
    assert "ListDistributions" in front.seen
    bad = run("www.shop.test", "--role-arn", "not-an-arn")
    assert bad.exit_code == 2
    assert "is not an IAM role ARN" in bad.stderr


def test_distribution_id_without_aws_access_says_what_is_missing(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "ORIGIN502_AWS"):
        monkeypatch.delenv(name, raising=False)
    result = run("E2QWRUHAPOMQZL")
    assert result.exit_code == 3
    assert "needs AWS read access" in result.stderr


def test_unknown_profile_is_named(aws):
    result = run("www.shop.test", "--aws-profile", "nope")
    assert result.exit_code == 3
    assert "the AWS profile nope is not configured" in result.stderr


def test_viewer_side_is_read_beside_the_origins(aws, pki, fake_dns):
    """The site itself answers like CloudFront's edge (a loopback TLS server sending CloudFront's
    headers and error page — our stand-in, tests/support/cloudfront_edge.py): its 502 is kept as
    the viewer side of the distribution's report, apart from the origins' verdicts. The edge
    listens on a free port, not 443, so the viewer request is pointed at it here."""
    from dataclasses import replace

    from rich.console import Console

    from tests.support.cloudfront_edge import POP, edge_headers, error_page
    from workers.aws.access import AwsAccess
    from workers.aws.lookup import look_up
    from workers.aws.session import cloudfront_client
    from workers.distribution import diagnose_distribution, plan, viewer_request
    from workers.engine import diagnose as engine_diagnose
    from workers.options import build_options
    from workers.target import Target
    from workers.terminal_distribution import render_distribution

    client, _front = aws
    create_distribution(client, aliases=["www.shop.test"],
                        origins=[custom_origin("api", "api.shop.test", https_port=closed_port())],
                        default=behaviour("api"))
    page = error_page(502, "CloudFront wasn't able to connect to the origin.").encode()
    head = "".join(f"{k}: {v}\r\n" for k, v in edge_headers("Error from cloudfront"))
    raw = (f"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: {len(page)}"
           f"\r\n{head}Connection: close\r\n\r\n").encode() + page
    site = leaf(pki, "www.shop.test")
    fake_dns.set("www.shop.test", [("A", "127.0.0.1")])
    fake_dns.set("api.shop.test", [("A", "127.0.0.1")])
    with TlsOrigin([site, pki["inter"]], site, http="raw", response=raw) as edge:
        result = look_up(cloudfront_client(AwsAccess()), "www.shop.test")
        options = build_options(ca_file=pki["ca"])
        viewer = viewer_request(result, options)
        assert viewer is not None and Target.of(viewer).sni == "www.shop.test"
        viewer = replace(viewer, settings=replace(viewer.settings, https_port=edge.port))
        report = diagnose_distribution("www.shop.test", result, plan(result, options),
                                       engine_diagnose, viewer=viewer)
    worst = report.viewer.worst
    assert (worst.status_code, worst.x_cache, worst.pop) == (502, "Error from cloudfront", POP)
    assert worst.family == "cannot_connect"
    assert report.probes[0].verdict == "fail"  # the origin's own verdict, probed directly
    data = report.to_dict()
    assert data["viewer"]["answers"][0]["status_code"] == 502
    console = Console(record=True, width=200)
    render_distribution(report, console)
    assert "Viewer side (www.shop.test): 502 · X-Cache: Error from cloudfront · edge location " \
        f"{POP}" in console.export_text()


def test_a_viewer_side_pointing_at_lambda_names_the_associations():
    from tests.bot.reports import report as plain_report
    from workers.distribution import _read_viewer
    from workers.models import EdgeAnswer, EdgeReading
    from workers.models.distribution import (
        Behaviour,
        Distribution,
        DistributionReport,
        EdgeFunction,
    )

    dist = Distribution("E1", "d1.cloudfront.net", viewer_host="www.shop.test", behaviours=[
        Behaviour("*", "o", ["o"], is_default=True, edge_functions=[
            EdgeFunction("lambda@edge", "origin-response", "arn:aws:lambda:us-east-1:1:fn:3")])])
    out = DistributionReport(input="www.shop.test", verdict="ok", distribution=dist)
    seen = plain_report(fail=False)
    seen.edge = EdgeReading(detected_by=["headers"], answers=[EdgeAnswer(
        "192.0.2.1", status_code=502, x_cache="LambdaValidationError from cloudfront",
        family="lambda_validation")])
    _read_viewer(out, seen)
    (note,) = dist.notes
    assert note.startswith("the viewer side points at Lambda@Edge")
    assert "default (*): origin-response arn:aws:lambda:us-east-1:1:fn:3" in note


def test_a_disabled_distribution_says_so_before_its_origins(aws, pki):
    """Enabled=false, read through real boto3 from moto: the terminal says it right under the
    distribution's line, the JSON carries it beside "enabled", and Slack's parent message says
    it before the origins' lines (rendered from the CLI's own JSON)."""
    from bot.render.distribution import load_report, run_status
    from tests.bot.reports import run as slack_run
    from workers.aws.lookup import DISABLED_DISTRIBUTION
    from workers.models import DistributionLookup, ProbeRequest

    client, _front = aws
    with web_distribution(client, pki, enabled=False):
        args = ["www.shop.test", *resolve("web.shop.test"), "--ca-file", pki["ca"]]
        as_json = run(*args, "--json")
        text = run(*args)
    assert as_json.exit_code == 0, as_json.output  # the origin itself is fine (loopback: warn)
    data = json.loads(as_json.stdout)
    assert data["distribution"]["enabled"] is False
    assert data["distribution"]["disabled_note"] == DISABLED_DISTRIBUTION
    assert "is disabled" in DISABLED_DISTRIBUTION and "not documented" in DISABLED_DISTRIBUTION
    flat = " ".join(text.stdout.split())  # rich wraps long lines at the terminal's width
    assert flat.startswith("Distribution ")
    disabled_at = flat.index("Disabled: This distribution is disabled")
    assert disabled_at < flat.index("web (web.shop.test")
    report = load_report(data)
    request = ProbeRequest(hostname="www.shop.test", display="www.shop.test",
                           lookup=DistributionLookup("www.shop.test"))
    message = run_status(slack_run("done", request=request.to_dict(), text="www.shop.test"),
                         report)
    shown = [json.dumps(block.to_dict(), ensure_ascii=False) for block in message.blocks]
    disabled_at = next(i for i, b in enumerate(shown) if "This distribution is disabled" in b)
    origins_at = next(i for i, b in enumerate(shown) if "*web* `web.shop.test`" in b)
    assert disabled_at < origins_at
    assert "— disabled; " in message.text
    # The JSON headline says it too, and that the origin answers here only (loopback).
    assert data["headline"]["sentence"] == (
        "Disabled: viewers do not get these origins' answers through it now; once it is "
        "enabled, origin web answers from here, but CloudFront cannot reach 127.0.0.1 (a "
        "loopback address).")


def test_an_enabled_distribution_says_nothing_of_it(aws, pki):
    client, _front = aws
    with web_distribution(client, pki):
        as_json = run("www.shop.test", *resolve("web.shop.test"), "--ca-file", pki["ca"],
                      "--json")
    data = json.loads(as_json.stdout)
    assert data["distribution"]["enabled"] is True
    assert data["distribution"]["disabled_note"] is None


def test_origins_that_answer_only_from_here_are_named_in_the_headline(aws, pki):
    """Two origins on loopback: the JSON headline says CloudFront cannot reach them (in one
    origin's words, their address said once), never "can connect, with warnings"."""
    client, _front = aws
    both = leaf(pki, "web.shop.test", "api.shop.test")
    with TlsOrigin([both, pki["inter"]], both) as origin:
        create_distribution(
            client, aliases=["www.shop.test"],
            origins=[custom_origin("web", "web.shop.test", https_port=origin.port),
                     custom_origin("api", "api.shop.test", https_port=origin.port)],
            default=behaviour("web"), behaviours=[behaviour("api", "/api/*")])
        as_json = run("www.shop.test", *resolve("web.shop.test", "api.shop.test"),
                      "--ca-file", pki["ca"], "--json")
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert [p["verdict"] for o in data["distribution"]["origins"] for p in o["probes"]] \
        == ["warn", "warn"]
    assert data["headline"]["sentence"] in (
        f"Origins {names} answer from here, but CloudFront cannot reach 127.0.0.1 (a loopback "
        "address)." for names in ("web, api", "api, web"))
