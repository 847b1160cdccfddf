"""Reading a distribution: alias precedence, Host forwarding through policies, pagination,
tenants, edge functions, VPC origins.

Against moto's server where moto can hold the data; the policy calls go to the loopback
stand-in of tests/support/aws.py (moto has no GetOriginRequestPolicy / GetCachePolicy). moto
has no distribution tenants either (GetDistributionTenantByDomain is a 404 there), keeps no
Lambda@Edge / CloudFront Functions associations and drops VpcOriginConfig, and ListDistributions
never pages; those cases use botocore's Stubber on a real boto3 client, with answers shaped as
the API model says (the Stubber validates them against it).
"""

from __future__ import annotations

from dataclasses import replace

import boto3
import pytest
from botocore.stub import Stubber

from tests.support.aws import behaviour, create_distribution, custom_origin
from tests.support.ports import closed_port
from workers.aws.access import AwsAccess
from workers.aws.errors import LookupFailed
from workers.aws.lookup import look_up
from workers.aws.session import cloudfront_client
from workers.distribution import plan
from workers.models import ProbeOptions

ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
CUSTOM_ORP = "11111111-2222-3333-4444-555555555555"
CUSTOM_CACHE = "66666666-7777-8888-9999-000000000000"


def lookup(name: str):
    return look_up(cloudfront_client(AwsAccess()), name)


def test_the_most_specific_alias_wins_across_distributions(aws):
    client, _front = aws
    for alias in (["*.shop.test"], ["*.api.shop.test"], ["exact.api.shop.test"]):
        create_distribution(client, aliases=alias,
                            origins=[custom_origin("o", f"o.{alias[0].lstrip('*.')}")],
                            default=behaviour("o"))
    assert lookup("exact.api.shop.test").distribution.aliases == ["exact.api.shop.test"]
    assert lookup("v2.api.shop.test").distribution.aliases == ["*.api.shop.test"]
    assert lookup("www.shop.test").distribution.aliases == ["*.shop.test"]
    with pytest.raises(LookupFailed) as caught:
        lookup("shop.test")
    assert caught.value.not_found


def test_host_forwarding_is_read_from_the_policies(aws):
    client, front = aws
    front.add_origin_request_policy(CUSTOM_ORP, "host-only", "whitelist", ["Host"])
    front.add_origin_request_policy(EXCEPT_HOST, "Managed-AllViewerExceptHostHeader",
                                    "allExcept", ["host"])
    front.add_cache_policy(CUSTOM_CACHE, "keyed-on-host", ["Host"])
    front.add_cache_policy("658327ea-f89d-4fab-a63d-7e88639e58f6", "Managed-CachingOptimized")
    create_distribution(
        client, aliases=["www.shop.test"], origins=[custom_origin("o", "o.shop.test")],
        default=behaviour("o", cache_policy="658327ea-f89d-4fab-a63d-7e88639e58f6",
                          request_policy=EXCEPT_HOST),
        behaviours=[
            behaviour("o", "/custom/*", cache_policy="658327ea-f89d-4fab-a63d-7e88639e58f6",
                      request_policy=CUSTOM_ORP),
            behaviour("o", "/keyed/*", cache_policy=CUSTOM_CACHE, request_policy=EXCEPT_HOST),
            behaviour("o", "/legacy/*", forwarded_headers=["*"]),
        ])
    result = lookup("www.shop.test")
    got = {b.path_pattern: b for b in result.distribution.behaviours}
    assert got["/custom/*"].host_forwarded is True
    assert "host-only" in got["/custom/*"].host_reason
    # The cache key's Host overrides the origin request policy's block list.
    assert got["/keyed/*"].host_forwarded is True
    assert "keyed-on-host" in got["/keyed/*"].host_reason
    assert got["/legacy/*"].host_forwarded is True
    assert got["*"].host_forwarded is False
    assert "CloudFront sends the origin's domain" in got["*"].host_reason
    # One ListDistributions page, then each distinct policy once: 2 origin request + 2 cache.
    assert result.cost.api_calls == 1 + 2 + 2


def test_a_policy_that_cannot_be_read_is_said_not_guessed(aws):
    client, front = aws
    front.fail("GetOriginRequestPolicy", 403, "AccessDenied", "not authorized")
    front.add_cache_policy("658327ea-f89d-4fab-a63d-7e88639e58f6", "Managed-CachingOptimized")
    create_distribution(
        client, aliases=["www.shop.test"], origins=[custom_origin("o", "o.shop.test")],
        default=behaviour("o", cache_policy="658327ea-f89d-4fab-a63d-7e88639e58f6",
                          request_policy=ALL_VIEWER),
        behaviours=[behaviour("o", "/custom/*",
                              cache_policy="658327ea-f89d-4fab-a63d-7e88639e58f6",
                              request_policy=CUSTOM_ORP)])
    result = lookup("www.shop.test")
    got = {b.path_pattern: b for b in result.distribution.behaviours}
    # A managed policy falls back on AWS's documented settings, and says so.
    assert got["*"].host_forwarded is True
    assert "AWS's documented settings" in got["*"].host_reason
    # A custom one cannot be known: unknown, naming the missing permission.
    assert got["/custom/*"].host_forwarded is None
    assert "AWS denied cloudfront:GetOriginRequestPolicy" in got["/custom/*"].host_reason
    probes = plan(result, ProbeOptions(), path="/custom/x")
    # Both names CloudFront might send are probed: the origin's domain, then the viewer's Host.
    assert [p.request.settings.host_header for p in probes] == [None, "www.shop.test"]
    assert [p.request.hostname for p in probes] == ["o.shop.test", "o.shop.test"]
    assert all(p.probe.host_unknown for p in probes)
    assert "is unknown" in probes[0].probe.notes[0]


def _summary(dist_id: str, aliases: list[str], origins: list[dict], **extra) -> dict:
    return {
        "Id": dist_id, "ARN": f"arn:aws:cloudfront::123456789012:distribution/{dist_id}",
        "ETag": "E1", "Status": "Deployed",
        "LastModifiedTime": "2025-01-01T00:00:00Z",
        "DomainName": f"d{dist_id.lower()}.cloudfront.net",
        "Aliases": {"Quantity": len(aliases), "Items": aliases},
        "Origins": {"Quantity": len(origins), "Items": origins},
        "OriginGroups": {"Quantity": 0},
        "DefaultCacheBehavior": {"TargetOriginId": origins[0]["Id"],
                                 "ViewerProtocolPolicy": "allow-all",
                                 "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"},
        "CacheBehaviors": {"Quantity": 0}, "CustomErrorResponses": {"Quantity": 0},
        "Comment": "", "PriceClass": "PriceClass_All", "Enabled": True,
        "ViewerCertificate": {}, "Restrictions": {"GeoRestriction": {
            "RestrictionType": "none", "Quantity": 0}},
        "WebACLId": "", "HttpVersion": "http2", "IsIPV6Enabled": True, "Staging": False,
        **extra,
    }


def _stubbed_client():
    client = boto3.client("cloudfront", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="y")
    return client, Stubber(client)


CACHING_DISABLED = {"CachePolicy": {
    "Id": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", "LastModifiedTime": "2025-01-01T00:00:00Z",
    "CachePolicyConfig": {"Name": "Managed-CachingDisabled", "MinTTL": 0,
                          "ParametersInCacheKeyAndForwardedToOrigin": {
                              "EnableAcceptEncodingGzip": False,
                              "HeadersConfig": {"HeaderBehavior": "none"},
                              "CookiesConfig": {"CookieBehavior": "none"},
                              "QueryStringsConfig": {"QueryStringBehavior": "none"}}}}}


def stub_tenant(stub: Stubber, template: dict, tenant: dict, domain_name: str) -> dict:
    """The answers a tenant's lookup gets: no distribution with the name as an alias, the
    ``tenant`` for its first domain, its multi-tenant ``template`` (served as
    ``domain_name``) and the template's cache policy. Returns the template's config."""
    config = {k: v for k, v in template.items()
              if k not in ("Id", "ARN", "ETag", "Status", "LastModifiedTime", "DomainName",
                           "AliasICPRecordals", "Staging")}
    config["CallerReference"] = "ref"
    stub.add_response("list_distributions", {"DistributionList": {
        "Marker": "", "MaxItems": 100, "IsTruncated": False, "Quantity": 0}}, {})
    stub.add_response("get_distribution_tenant_by_domain", {"DistributionTenant": tenant},
                      {"Domain": tenant["Domains"][0]["Domain"]})
    dist_id = tenant["DistributionId"]
    stub.add_response("get_distribution", {"Distribution": {
        "Id": dist_id, "ARN": template["ARN"], "Status": "Deployed",
        "LastModifiedTime": "2025-01-01T00:00:00Z", "InProgressInvalidationBatches": 0,
        "DomainName": domain_name, "DistributionConfig": config}, "ETag": "E1"},
        {"Id": dist_id})
    stub.add_response("get_cache_policy", CACHING_DISABLED,
                      {"Id": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"})
    return config


def test_paginated_list_finds_a_distribution_on_the_second_page():
    client, stub = _stubbed_client()
    origin = custom_origin("o", "o.shop.test")
    stub.add_response("list_distributions", {"DistributionList": {
        "Marker": "", "NextMarker": "EPAGE1", "MaxItems": 1, "IsTruncated": True, "Quantity": 1,
        "Items": [_summary("EFIRST00000001", ["other.test"], [origin])]}}, {})
    stub.add_response("list_distributions", {"DistributionList": {
        "Marker": "EPAGE1", "MaxItems": 1, "IsTruncated": False, "Quantity": 1,
        "Items": [_summary("ESECOND0000002", ["www.shop.test"], [origin])]}},
        {"Marker": "EPAGE1"})
    stub.add_response("get_cache_policy", CACHING_DISABLED,
                      {"Id": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"})
    with stub:
        result = look_up(client, "www.shop.test")
    assert result.distribution.id == "ESECOND0000002"
    assert result.cost.api_calls == 0  # Stubber answers before anything is sent
    stub.assert_no_pending_responses()


def test_tenant_domain_edge_functions_and_vpc_origin():
    """A multi-tenant distribution found through its tenant's domain (moto has no tenant API)."""
    client, stub = _stubbed_client()
    origins = [
        {**custom_origin("app", "{{customer}}.backend.test"), "OriginAccessControlId": "OAC1"},
        {"Id": "private", "DomainName": "internal-alb.test", "OriginPath": "",
         "VpcOriginConfig": {"VpcOriginId": "vo_1", "OriginReadTimeout": 30,
                             "OriginKeepaliveTimeout": 5}},
    ]
    template = _summary("ETEMPLATE00001", [], origins)
    template["DefaultCacheBehavior"]["LambdaFunctionAssociations"] = {"Quantity": 1, "Items": [{
        "LambdaFunctionARN": "arn:aws:lambda:us-east-1:123456789012:function:rewrite:3",
        "EventType": "origin-request"}]}
    template["DefaultCacheBehavior"]["FunctionAssociations"] = {"Quantity": 1, "Items": [{
        "FunctionARN": "arn:aws:cloudfront::123456789012:function/headers",
        "EventType": "viewer-request"}]}
    stub_tenant(stub, template, {
        "Id": "dt_1", "DistributionId": "ETEMPLATE00001", "Name": "acme",
        "Domains": [{"Domain": "shop.acme.test", "Status": "active"}],
        "Parameters": [{"Name": "customer", "Value": "acme"}]}, "dtemplate.cloudfront.net")
    with stub:
        result = look_up(client, "shop.acme.test")
    dist = result.distribution
    assert dist.matched_by == "tenant acme"
    assert dist.tenant == "dt_1"
    assert dist.aliases == ["shop.acme.test"]
    assert dist.viewer_host == "shop.acme.test"
    app, private = dist.origins
    assert app.domain_name == "acme.backend.test"  # the tenant's parameter filled in
    assert any("origin access control" in note for note in app.notes)
    assert private.kind == "vpc" and "VPC origin" in (private.not_probed or "")
    kinds = {(f.kind, f.event_type) for f in dist.behaviours[0].edge_functions}
    assert kinds == {("lambda@edge", "origin-request"), ("cloudfront-function", "viewer-request")}
    assert any("Lambda@Edge on origin-request" in note for note in dist.notes)
    planned = plan(result, ProbeOptions())
    assert [p.probe.origin_id for p in planned] == ["app"]  # the VPC origin is not probed


def test_slack_request_for_a_name_on_no_distribution_keeps_the_typed_settings(aws, pki):
    """With AWS set up, Slack's `/origin502 NAME --https-port N` is looked up first; a name on
    no distribution is then probed as an origin with the settings typed, not the defaults."""
    from tests.support.tls_origin import TlsOrigin
    from tests.workers.aws.conftest import leaf
    from workers.distribution import diagnose_lookup
    from workers.distribution_live import DistributionWatch
    from workers.engine import diagnose
    from workers.models import Report
    from workers.options import request_from_text

    cert = leaf(pki, "origin.other.test")
    with TlsOrigin([cert, pki["inter"]], cert) as origin:
        request = request_from_text(
            f"origin.other.test --https-port {origin.port} --resolve origin.other.test:127.0.0.1"
            " --timeout 2 --connection-attempts 1", allow_private=True, aws=True)
        assert request.lookup is not None
        request = replace(request, options=replace(request.options, ca_file=pki["ca"]))
        as_origin = []  # the caller's runner for one origin (Slack: its live updates)
        watch = DistributionWatch()
        result = diagnose_lookup(request, diagnose, watch=watch,
                                 as_origin=lambda r: as_origin.append(r) or diagnose(r))
    assert [r.lookup for r in as_origin] == [None]
    assert watch.snapshot().origins == []  # no distribution was probed
    assert isinstance(result, Report)
    assert result.target.https_port == origin.port
    assert result.verdict == "warn"


def test_typed_origin_settings_are_said_to_be_replaced_by_the_distributions(aws, pki):
    from workers.distribution import diagnose_lookup
    from workers.engine import diagnose
    from workers.models.distribution import DistributionReport
    from workers.options import request_from_text

    client, _front = aws
    create_distribution(client, aliases=["www.shop.test"],
                        origins=[custom_origin("o", "o.shop.test", https_port=closed_port())],
                        default=behaviour("o"))
    request = request_from_text("www.shop.test --https-port 8443 --resolve o.shop.test:127.0.0.1",
                                allow_private=True, aws=True)
    result = diagnose_lookup(request, diagnose)
    assert isinstance(result, DistributionReport)
    assert "--https-port replaced by the distribution's own settings" in \
        result.distribution.notes
    assert result.probes[0].report.target.https_port != 8443


def test_a_disabled_tenant_is_said_up_front():
    """A tenant whose Enabled is false, on an enabled multi-tenant distribution."""
    from workers.aws.lookup import DISABLED_TENANT

    client, stub = _stubbed_client()
    template = _summary("ETEMPLATE00002", [], [custom_origin("app", "app.backend.test")])
    config = stub_tenant(stub, template, {
        "Id": "dt_2", "DistributionId": "ETEMPLATE00002", "Name": "beta", "Enabled": False,
        "Domains": [{"Domain": "shop.beta.test", "Status": "active"}]},
        "dtemplate2.cloudfront.net")
    with stub:
        dist = look_up(client, "shop.beta.test").distribution
    assert config["Enabled"] is True and dist.enabled is False
    assert dist.disabled_note == DISABLED_TENANT
