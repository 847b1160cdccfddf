"""The API's words → probe options: one test row per table entry (no network)."""

from __future__ import annotations

import pytest

from workers.aws.translate import (
    IP_ADDRESS_TYPE,
    MANAGED_CACHE_POLICIES,
    MANAGED_ORIGIN_REQUEST_POLICIES,
    ORIGIN_REQUEST_HEADER_BEHAVIOUR,
    PROTOCOL_POLICY,
    alias_match,
    host_from_cache_policy,
    host_from_forwarded_values,
    host_from_origin_request_policy,
    join_origin_path,
    origin_settings,
    ssl_protocols,
)
from workers.models.distribution import DistOrigin


@pytest.mark.parametrize(("api", "option"), [
    ("http-only", "http-only"), ("https-only", "https-only"), ("match-viewer", "match-viewer")])
def test_protocol_policy_rows(api, option):
    assert PROTOCOL_POLICY[api] == option
    origin = DistOrigin("o", "o.test", "custom", protocol_policy=api, https_port=8443,
                        http_port=8080)
    settings = origin_settings(origin, host_header=None, path="/")
    assert settings.protocol_policy == option
    ports = {p for _, p in settings.schemes()}
    assert ports == {"http-only": {8080}, "https-only": {8443},
                     "match-viewer": {8443, 8080}}[api]


@pytest.mark.parametrize(("items", "expected"), [
    (["TLSv1.2"], ("TLSv1.2",)),
    (["TLSv1.2", "TLSv1.1", "TLSv1"], ("TLSv1", "TLSv1.1", "TLSv1.2")),
    (["SSLv3"], ("SSLv3",)),
    (["TLSv1.3", "TLSv1.2"], ("TLSv1.2",)),  # not an API value: dropped, not guessed
    ([], ()),
])
def test_origin_ssl_protocol_rows(items, expected):
    assert ssl_protocols(items) == expected


@pytest.mark.parametrize("value", ["ipv4", "ipv6", "dualstack"])
def test_ip_address_type_rows(value):
    origin = DistOrigin("o", "o.test", "custom", ip_address_type=value)
    assert IP_ADDRESS_TYPE[value] == value
    assert origin_settings(origin, host_header=None, path="/").ip_address_type == value


def test_missing_keepalive_timeout_is_cloudfronts_default():
    origin = DistOrigin("o", "o.test", "custom", keepalive_timeout=None)
    assert origin_settings(origin, host_header=None, path="/").keepalive_timeout == 5.0


def test_missing_ip_address_type_is_cloudfronts_default():
    origin = DistOrigin("o", "o.test", "custom", ip_address_type=None)
    assert origin_settings(origin, host_header=None, path="/").ip_address_type == "ipv4"


def test_timeouts_attempts_and_origin_path_reach_the_probe():
    origin = DistOrigin("o", "o.test", "custom", origin_path="/prod", read_timeout=45,
                        keepalive_timeout=12, connection_attempts=2, connection_timeout=4)
    settings = origin_settings(origin, host_header="www.shop.test", path="/api/")
    assert (settings.read_timeout, settings.connection_attempts, settings.connect_timeout) == \
        (45.0, 2, 4.0)
    assert settings.keepalive_timeout == 12.0
    assert settings.path == "/prod/api/"
    assert settings.host_header == "www.shop.test"


@pytest.mark.parametrize(("policy_id", "forwards"), [
    (pid, fwd) for pid, (_name, fwd) in MANAGED_ORIGIN_REQUEST_POLICIES.items()])
def test_managed_origin_request_policy_rows(policy_id, forwards):
    name = MANAGED_ORIGIN_REQUEST_POLICIES[policy_id][0]
    assert forwards == (name in {"AllViewer", "AllViewerAndCloudFrontHeaders-2022-06",
                                 "HostHeaderOnly"})


@pytest.mark.parametrize(("policy_id", "forwards"), [
    (pid, fwd) for pid, (_name, fwd) in MANAGED_CACHE_POLICIES.items()])
def test_managed_cache_policy_rows(policy_id, forwards):
    assert forwards == (MANAGED_CACHE_POLICIES[policy_id][0] == "Amplify")


@pytest.mark.parametrize(("behaviour", "headers", "forwards"), [
    ("none", [], False),
    ("allViewer", [], True),
    ("allViewerAndWhitelistCloudFront", ["CloudFront-Viewer-Country"], True),
    ("whitelist", ["host"], True),
    ("whitelist", ["Origin"], False),
    ("allExcept", ["Host"], False),
    ("allExcept", ["Origin"], True),
])
def test_origin_request_header_behaviour_rows(behaviour, headers, forwards):
    assert behaviour in ORIGIN_REQUEST_HEADER_BEHAVIOUR
    config = {"HeadersConfig": {"HeaderBehavior": behaviour,
                                "Headers": {"Quantity": len(headers), "Items": headers}}}
    assert host_from_origin_request_policy(config) is forwards


@pytest.mark.parametrize(("behaviour", "headers", "forwards"), [
    ("none", [], False), ("whitelist", ["Host"], True), ("whitelist", ["Authorization"], False)])
def test_cache_policy_rows(behaviour, headers, forwards):
    config = {"ParametersInCacheKeyAndForwardedToOrigin": {"HeadersConfig": {
        "HeaderBehavior": behaviour, "Headers": {"Quantity": len(headers), "Items": headers}}}}
    assert host_from_cache_policy(config) is forwards


@pytest.mark.parametrize(("items", "forwards"), [
    ([], False), (["Host"], True), (["*"], True), (["Origin", "Accept"], False)])
def test_forwarded_values_rows(items, forwards):
    assert host_from_forwarded_values({"Headers": {"Quantity": len(items), "Items": items}}) \
        is forwards


@pytest.mark.parametrize(("name", "aliases", "expected"), [
    ("www.shop.test", ["www.shop.test", "*.shop.test"], "www.shop.test"),
    ("a.shop.test", ["*.shop.test"], "*.shop.test"),
    ("a.b.shop.test", ["*.shop.test"], "*.shop.test"),  # several labels, unlike TLS
    ("a.api.shop.test", ["*.shop.test", "*.api.shop.test"], "*.api.shop.test"),
    ("shop.test", ["*.shop.test"], None),
    ("WWW.Shop.Test.", ["www.shop.test"], "www.shop.test"),
    ("evilshop.test", ["*.shop.test"], None),
])
def test_alias_matching_rows(name, aliases, expected):
    match = alias_match(name, aliases)
    assert (match[1] if match else None) == expected


@pytest.mark.parametrize(("prefix", "path", "joined"), [
    ("", "/a", "/a"), ("/prod", "/a", "/prod/a"), ("/prod/", "/", "/prod/")])
def test_origin_path_rows(prefix, path, joined):
    assert join_origin_path(prefix, path) == joined
