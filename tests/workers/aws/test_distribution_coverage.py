"""An origin viewers reach that was not checked keeps a distribution from ok or warn: real boto3
against moto's server on loopback, healthy origins that are real TLS servers on 127.0.0.1 with
certificates minted here, names answered by our own DNS server on loopback. The rule itself is
tested pure in tests/workers/diagnosis/test_distribution_coverage_rules.py."""

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
from tests.workers.aws.conftest import run, web_distribution

TPL = "${sub}.origins.shop.test"  # an unfilled placeholder: never asked of DNS
UNCHECKED_TPL = ("not every origin viewers reach was checked — origin tpl: unfilled "
                 "placeholder, serves /t/*")


def test_a_placeholder_origin_beside_a_healthy_one_exits_3_naming_it(aws, pki, fake_dns):
    client, _front = aws
    fake_dns.set("web.shop.test", [("A", "127.0.0.1")])
    with web_distribution(client, pki, also=[custom_origin("tpl", TPL)],
                          behaviours=[behaviour("tpl", "/t/*")]):
        as_json = run("www.shop.test", "--ca-file", pki["ca"], "--json")
        text = run("www.shop.test", "--ca-file", pki["ca"])
    assert as_json.exit_code == 3, as_json.output
    data = json.loads(as_json.stdout)
    origins = {o["id"]: o for o in data["distribution"]["origins"]}
    assert origins["web"]["probes"][0]["verdict"] == "warn"  # loopback: a warning only
    assert origins["tpl"]["probes"] == []
    assert data["verdict"] == "unknown"
    assert data["verdict_reason"] == UNCHECKED_TPL
    assert data["headline"]["sentence"] == f"could not check from here: {UNCHECKED_TPL}"
    assert data["unchecked"] == [{"origin_id": "tpl", "behaviours": ["/t/*"],
                                  "why": "unfilled placeholder", "kind": "unknown",
                                  "group": ""}]
    assert text.exit_code == 3
    flat = " ".join(text.stdout.split())  # rich wraps long lines at the terminal's width
    assert f"UNKNOWN could not check from here: {UNCHECKED_TPL}" in flat
    assert not any("$" in name or "sub" in name for name, _ in fake_dns.queries)


def test_an_s3_origin_beside_a_healthy_custom_one_is_named_not_counted(aws, pki, fake_dns):
    """The README promises custom origins only: a site with a bucket beside its servers is not
    "unknown" for it, but its verdict says the bucket was not probed."""
    client, _front = aws
    fake_dns.set("web.shop.test", [("A", "127.0.0.1")])
    with web_distribution(client, pki, also=[s3_origin("assets", "shop-assets")],
                          behaviours=[behaviour("assets", "/static/*")]):
        as_json = run("www.shop.test", "--ca-file", pki["ca"], "--json")
        text = run("www.shop.test", "--ca-file", pki["ca"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data["verdict"] == "warn"
    reason = data["verdict_reason"]
    assert reason.startswith("S3 origin assets (serves /static/*) not probed: origin502 "
                             "checks custom origins only")
    assert data["headline"]["sentence"].endswith(f"; {reason}.")
    assert data["unchecked"] == []
    assert [u["origin_id"] for u in data["not_covered"]] == ["assets"]
    assert text.exit_code == 0
    flat = " ".join(text.stdout.split())  # rich wraps long lines at the terminal's width
    assert f"WARN {data['headline']['sentence']}" in flat


def test_origin_selecting_the_healthy_origin_leaves_the_placeholder_outside(aws, pki,
                                                                           fake_dns):
    client, _front = aws
    fake_dns.set("web.shop.test", [("A", "127.0.0.1")])
    with web_distribution(client, pki, also=[custom_origin("tpl", TPL)],
                          behaviours=[behaviour("tpl", "/t/*")]):
        by_origin = run("www.shop.test", "--origin", "web", "--ca-file", pki["ca"], "--json")
        by_path = run("www.shop.test", "--path", "/x", "--ca-file", pki["ca"], "--json")
    for result in (by_origin, by_path):
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["verdict"] == "warn" and data["verdict_reason"] is None
        assert data["unchecked"] == []


def test_a_group_whose_primary_is_a_placeholder_is_unknown_not_its_failovers_fail(aws,
                                                                                 fake_dns):
    """The failover (a closed port) is used only when the primary fails, and the primary
    could not be checked: no certain error for viewers, and nothing promised either."""
    client, _front = aws
    fake_dns.set("backup.shop.test", [("A", "127.0.0.1")])
    create_distribution(
        client, aliases=["www.shop.test"],
        origins=[custom_origin("tpl", TPL),
                 custom_origin("backup", "backup.shop.test", https_port=closed_port())],
        groups=[origin_group("pair", "tpl", "backup")], default=behaviour("backup"),
        behaviours=[behaviour("pair", "/app/*")])
    result = run("www.shop.test", "--path", "/app/x", "--json")
    assert result.exit_code == 3, result.output
    data = json.loads(result.stdout)
    backup = next(o for o in data["distribution"]["origins"] if o["id"] == "backup")
    assert backup["probes"][0]["report"]["verdict"] == "fail"
    assert backup["probes"][0]["verdict"] == "warn"
    assert data["verdict"] == "unknown"
    assert data["verdict_reason"] == (
        "not every origin viewers reach was checked — origin tpl (primary of group pair): "
        "unfilled placeholder, serves /app/*")
    assert data["groups"][0]["mode"] == "primary unknown"
    text = run("www.shop.test", "--path", "/app/x")
    flat = " ".join(text.stdout.split())  # rich wraps long lines at the terminal's width
    assert text.exit_code == 3
    assert "serves /app/*: failover only, used if origin tpl (not checked) fails: 502 " \
        "expected" in flat
