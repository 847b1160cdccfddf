"""`origin502 diagnose SITE --json` carries a headline for the distribution and one in each
origin's report, the same object as for one origin (tests/workers/test_headline_json.py). Real
boto3 against moto's server on loopback, origins that are real TLS servers on 127.0.0.1 with
certificates minted here."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from tests.support.aws import behaviour, create_distribution, custom_origin
from tests.support.tls_origin import TlsOrigin
from tests.workers.aws.conftest import leaf, run, web_distribution

SCHEMA = json.loads(
    (Path(__file__).parents[1] / "data" / "headline.schema.json").read_text())


def test_a_failing_distribution_names_its_origins_and_what_viewers_get(aws, pki):
    client, _front = aws
    web_leaf = leaf(pki, "web.shop.test")
    wrong_leaf = leaf(pki, "somewhere-else.test")
    with TlsOrigin([web_leaf, pki["inter"]], web_leaf) as web, \
            TlsOrigin([wrong_leaf, pki["inter"]], wrong_leaf) as api:
        create_distribution(
            client, aliases=["www.shop.test"],
            origins=[custom_origin("web", "web.shop.test", https_port=web.port),
                     custom_origin("api", "api.shop.test", https_port=api.port)],
            default=behaviour("web"), behaviours=[behaviour("api", "/api/*")])
        result = run("www.shop.test", "--resolve", "web.shop.test:127.0.0.1",
                     "--resolve", "api.shop.test:127.0.0.1", "--ca-file", pki["ca"], "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    head = data["headline"]
    jsonschema.validate(head, SCHEMA)
    assert list(data)[:5] == ["schema", "kind", "input", "verdict", "distribution"]
    assert data["warnings"] == []
    assert head["verdict"] == "fail"
    assert head["sentence"] == "Viewers would get errors from origin api."
    assert head["failing_origins"] == ["api"] and head["doubtful_origins"] == []
    assert head["viewers_get"] == ["502"] and head["certain"] is True
    assert "by_scheme" not in head
    reports = {o["id"]: o["probes"][0]["report"] for o in data["distribution"]["origins"]}
    for report in reports.values():
        jsonschema.validate(report["headline"], SCHEMA)
        assert report["headline"]["verdict"] == report["verdict"]
    assert reports["api"]["headline"]["viewers_get"] == ["502"]
    assert reports["api"]["headline"]["words"] == "502 expected"
    assert reports["web"]["headline"]["verdict"] == "warn"
    assert reports["web"]["headline"]["viewers_get"] == []


def test_a_distribution_with_certain_warnings_only_is_certain(aws, pki):
    client, _front = aws
    with web_distribution(client, pki):
        result = run("www.shop.test", "--resolve", "web.shop.test:127.0.0.1",
                     "--ca-file", pki["ca"], "--json")
    assert result.exit_code == 0, result.output
    head = json.loads(result.stdout)["headline"]
    jsonschema.validate(head, SCHEMA)
    assert head["verdict"] == "warn" and head["certain"] is True
    # Loopback: it answers here, but CloudFront cannot reach it (as one origin's headline).
    assert head["sentence"] == ("Origin web answers from here, but CloudFront cannot reach "
                                "127.0.0.1 (a loopback address).")
    assert head["words"] == "works, with warnings"
    assert head["failing_origins"] == [] and head["may_502"] == 0
