"""For a distribution, the origin names are known only after the lookup: a --resolve entry
that matches none of them (nor the site read from the viewer side) is said in one warning line
(stderr; a ``warnings`` entry with --json), and the probes run. Real boto3 against moto's
server on loopback, an origin that is a real TLS server on 127.0.0.1."""

from __future__ import annotations

import json

from tests.workers.aws.conftest import run, web_distribution

WARNING = ("--resolve api.shop.tset:127.0.0.1, --resolve old.shop.test:127.0.0.3 match no "
           "name looked up here (web.shop.test, www.shop.test): not used")


def test_unused_resolve_entries_are_named_once(aws, pki):
    client, _front = aws
    with web_distribution(client, pki):
        args = ["www.shop.test", "--resolve", "web.shop.test:127.0.0.1",
                "--resolve", "api.shop.tset:127.0.0.1", "--resolve", "old.shop.test:127.0.0.3",
                "--ca-file", pki["ca"]]
        as_json = run(*args, "--json")
        text = run(*args)
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data["warnings"] == [WARNING]
    assert data["distribution"]["origins"][0]["probes"][0]["report"]["dns"]["addresses"] == [
        "127.0.0.1"]
    assert as_json.stderr == f"origin502: {WARNING}\n"
    assert text.exit_code == 0
    assert text.stderr == f"origin502: {WARNING}\n"


def test_entries_for_the_origins_and_the_site_are_used(aws, pki):
    client, _front = aws
    with web_distribution(client, pki):
        result = run("www.shop.test", "--resolve", "web.shop.test:127.0.0.1",
                     "--resolve", "www.shop.test:127.0.0.1", "--ca-file", pki["ca"], "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["warnings"] == []
    assert result.stderr == ""
